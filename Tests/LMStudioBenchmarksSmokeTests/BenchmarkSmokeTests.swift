import Foundation
import Testing

/// Runs the `lmstudio-bench` executable built next to the tests, with tiny workloads (`--scale`),
/// against its in-process mock, and checks that it prints every figure in the exact line format
/// that `scripts/bench-compare.sh` parses. No timing is asserted.
@Suite(.timeLimit(.minutes(2)))
struct BenchmarkSmokeTests {
    /// The figure lines of `--workload all`, in order: name and unit.
    static let figures = [
        ("connect_auth_first_rpc_ms", "ms"),
        ("rpc_roundtrips_per_s", "calls/s"),
        ("stream_fragments_per_s", "fragments/s"),
        ("concurrent64_fragments_per_s", "fragments/s"),
        ("peak_rss_mb", "MiB"),
    ]

    @Test func printsEveryFigureInOrder() throws {
        let result = try Self.run(["--scale", "0.01", "--runs", "1"])
        #expect(result.status == 0, "stderr: \(result.error)")
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(lines.count == Self.figures.count, "output: \(result.output)")
        for ((name, unit), line) in zip(Self.figures, lines) {
            let value = try #require(Self.value(of: name, unit: unit, in: line), "line: \(line)")
            #expect(value > 0)
        }
    }

    @Test func measuresTheServerCeilingOnRequest() throws {
        let result = try Self.run(["--workload", "server-ceiling", "--scale", "0.01", "--runs", "1"])
        #expect(result.status == 0, "stderr: \(result.error)")
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "output: \(result.output)")
        let expected = [
            ("server_ceiling_concurrent64_fragments_per_s", "fragments/s"), ("server_ceiling_rpc_roundtrips_per_s", "calls/s"),
            ("peak_rss_mb", "MiB"),
        ]
        for ((name, unit), line) in zip(expected, lines) {
            let value = try #require(Self.value(of: name, unit: unit, in: line), "line: \(line)")
            #expect(value > 0)
        }
    }

    @Test func rejectsAnUnknownWorkloadAsAUsageError() throws {
        let result = try Self.run(["--workload", "everything"])
        #expect(result.status == 64)
        #expect(result.output.isEmpty)
        #expect(result.error.contains("--workload must be one of"))
    }

    // MARK: Helpers

    /// The number of a line `name: X unit`, or nil if the line has another shape.
    static func value(of name: String, unit: String, in line: String) -> Double? {
        let prefix = "\(name): "
        let suffix = " \(unit)"
        guard line.hasPrefix(prefix), line.hasSuffix(suffix) else { return nil }
        let number = line.dropFirst(prefix.count).dropLast(suffix.count)
        guard !number.isEmpty, number.allSatisfy({ $0.isNumber || $0 == "." }) else { return nil }
        return Double(number)
    }

    /// Runs the benchmark executable and collects its exit status and output.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        // The test bundle and the executable are built into the same products directory.
        let products = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        let process = Process()
        process.executableURL = products.appendingPathComponent("lmstudio-bench")
        process.arguments = arguments
        // Standard error goes to a file, standard output to a pipe read to its end: neither can
        // fill up and block the child.
        let errorPath = FileManager.default.temporaryDirectory.appendingPathComponent("lmstudio-bench-\(UUID()).err")
            .path
        guard FileManager.default.createFile(atPath: errorPath, contents: nil),
            let errorFile = FileHandle(forWritingAtPath: errorPath)
        else {
            throw CocoaError(.fileWriteUnknown)
        }
        defer { try? FileManager.default.removeItem(atPath: errorPath) }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = errorFile
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try errorFile.close()
        let errorData = FileManager.default.contents(atPath: errorPath) ?? Data()
        return (
            process.terminationStatus, String(decoding: outputData, as: UTF8.self),
            String(decoding: errorData, as: UTF8.self)
        )
    }
}
