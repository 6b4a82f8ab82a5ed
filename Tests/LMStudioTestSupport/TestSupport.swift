public import Foundation
public import LMStudio
public import LMStudioMockServer
import LMStudioTransport

/// Set by scripts/sanitize.sh: sanitized runs are 5–20× slower, so time bounds stretch (and the
/// reliability tests shrink their load).
public let underSanitizer = ProcessInfo.processInfo.environment["LMSTUDIO_SANITIZER"] != nil

/// A time bound, stretched under a sanitizer.
public func slack(_ bound: Duration) -> Duration { underSanitizer ? bound * 10 : bound }

/// Collects every log line, whatever its level.
public final class LogCapture: Sendable {
    private let lines = LockedValue<[String]>([])

    public init() {}

    /// A logger at the most verbose level that records into this capture.
    public var logger: LMStudioLogger {
        LMStudioLogger(level: .trace) { [self] level, message in
            lines.withLock { $0.append("\(level): \(message)") }
        }
    }

    /// Every line so far, as `level: message`.
    public var all: [String] { lines.withLock { $0 } }
}

/// Runs `body` with a live mock server and a client connected to it (a guest by default).
public func withMockClient<T: Sendable>(
    serverConfiguration: MockServer.Configuration = .init(),
    clientConfiguration: LMStudioClient.Configuration = .init(),
    apiToken: String? = "",
    _ body: (MockServer, LMStudioClient) async throws -> T
) async throws -> T {
    try await MockServer.withServer(configuration: serverConfiguration) { server in
        let client = try LMStudioClient(host: server.address, apiToken: apiToken, configuration: clientConfiguration)
        do {
            let result = try await body(server, client)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }
}

/// A self-signed certificate and key made with the openssl CLI for the test that needs them.
public struct TestCertificate {
    public let directory: URL
    public var certificate: String { directory.appendingPathComponent("cert.pem").path }
    public var key: String { directory.appendingPathComponent("key.pem").path }

    /// Creates the pair for `commonName` with the given subject alternative names
    /// (`DNS:localhost,IP:127.0.0.1` style).
    public init(commonName: String = "localhost", alternativeNames: String = "DNS:localhost,IP:127.0.0.1") throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lmstudio-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", directory.appendingPathComponent("key.pem").path,
            "-out", directory.appendingPathComponent("cert.pem").path,
            "-subj", "/CN=\(commonName)", "-addext", "subjectAltName=\(alternativeNames)",
        ]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        guard openssl.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    /// Deletes the files.
    public func remove() { try? FileManager.default.removeItem(at: directory) }
}

/// Reads a whole text file; nil when it cannot be opened.
public func readTextFile(_ path: String) -> String? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        bytes += buffer[0..<count]
        if count < buffer.count { break }
    }
    return String(decoding: bytes, as: UTF8.self)
}
