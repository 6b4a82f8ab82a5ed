import LMStudioMockServer

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// lmstudio-bench: the SDK's workloads against a server (the in-process mock by default), one
// figure a line. The line formats are read by scripts/bench-compare.sh: keep them exact.

#if DEBUG
Measure.warn("*** lmstudio-bench is a DEBUG build: the figures mean nothing. Use -c release. ***")
#endif

let options: Options
do {
    options = try Options(arguments: CommandLine.arguments.dropFirst())
} catch {
    Measure.warn("Error: \(error.message)\nUsage: lmstudio-bench [--host <url>] [--workload <name>] [--runs <n>] (see --help)")
    exit(64)
}
if options.showHelp {
    Measure.emit(Options.usage)
    exit(0)
}

/// One figure: its name, unit, decimals, and how to measure one run of it.
struct Figure: Sendable {
    var name: String
    var unit: String
    var decimals: Int
    var measure: @Sendable (Workloads) async throws -> Double
}

let figures: [(Options.Workload, Figure)] = [
    (.connect, Figure(name: "connect_auth_first_rpc_ms", unit: "ms", decimals: 2) { try await $0.connect() }),
    (.rpc, Figure(name: "rpc_roundtrips_per_s", unit: "calls/s", decimals: 0) { try await $0.rpc() }),
    (.stream, Figure(name: "stream_fragments_per_s", unit: "fragments/s", decimals: 0) { try await $0.stream() }),
    (.concurrent, Figure(name: "concurrent64_fragments_per_s", unit: "fragments/s", decimals: 0) { try await $0.concurrent() }),
    (
        .serverCeiling,
        Figure(name: "server_ceiling_concurrent64_fragments_per_s", unit: "fragments/s", decimals: 0) { workloads in
            try await ServerCeiling.measure(
                host: workloads.host, streams: workloads.sizes.concurrentStreams,
                fragmentsPerStream: workloads.sizes.fragmentsPerConcurrentStream
            )
        }
    ),
]

func runBenchmarks(_ options: Options) async throws {
    let sizes = Sizes().scaled(by: options.scale)
    var server: MockServer?
    let host: String
    if let given = options.host {
        host = given
    } else {
        // Benchmark mode: every prediction streams as fast as it can, up to the fragments the
        // client asks for (maxTokens); no record of the messages.
        var configuration = MockServer.Configuration()
        configuration.behavior = .stream(fragments: max(sizes.streamFragments, sizes.fragmentsPerConcurrentStream))
        configuration.recordsMessages = false
        server = try await MockServer.start(configuration: configuration)
        host = server!.address
    }
    do {
        // A short warm-up (a tenth of the work) before the timed runs of each workload.
        let warmUp = Workloads(host: host, sizes: sizes.scaled(by: 0.1))
        let timed = Workloads(host: host, sizes: sizes)
        for (workload, figure) in figures
        where options.workload == workload || (options.workload == .all && workload != .serverCeiling) {
            _ = try await figure.measure(warmUp)
            var values: [Double] = []
            for _ in 0..<options.runs { values.append(try await figure.measure(timed)) }
            Measure.emit("\(figure.name): \(Measure.fixed(Measure.median(values), decimals: figure.decimals)) \(figure.unit)")
        }
        if let peak = Measure.peakResidentMiB() {
            Measure.emit("peak_rss_mb: \(Measure.fixed(peak, decimals: 1)) MiB")
        }
    } catch {
        await server?.shutdown()
        throw error
    }
    await server?.shutdown()
}

do {
    try await runBenchmarks(options)
} catch {
    Measure.warn("Error: \(error)")
    exit(1)
}
