import LMStudioTestSupport
import LMStudioTransport
import Synchronization

/// A websocket server for transport tests: echoes every message, and obeys a few text
/// commands so tests can script the peer's behaviour over a real loopback socket.
///
/// - `stream:N:SIZE` — send N messages of SIZE bytes, each starting with its index.
/// - `close:CODE:REASON` — close with that code.
/// - `big-then-abort:SIZE` — queue one SIZE-byte message, then drop the connection.
/// - `fragmented:N:SIZE` — send one SIZE-byte message as N websocket fragments.
/// - `half-then-abort` — send the first fragment of a message, then drop the connection.
/// - `freeze` — stop reading and writing (a half-open peer).
final class TestServer: Sendable {
    let server: WebSocketServer
    private let handlers = Mutex<[Task<Void, Never>]>([])

    var port: Int { server.port }
    var url: String { "ws://127.0.0.1:\(server.port)/echo" }

    init(configuration: WebSocketServer.Configuration = .init()) async throws {
        server = try await WebSocketServer.start(
            configuration: configuration,
            acceptsPath: { $0 != "/refused" },
            httpHandler: { head in
                head.path == "/lmstudio-greeting" ? HTTPResponse(body: Array(#"{"lmstudio":true}"#.utf8)) : nil
            }
        )
        let connections = server.connections
        let accept = Task {
            await withDiscardingTaskGroup { group in
                for await connection in connections {
                    group.addTask { await TestServer.serve(connection) }
                }
            }
        }
        handlers.withLock { $0.append(accept) }
    }

    func shutdown() async {
        await server.shutdown()
        for task in handlers.withLock({ $0 }) { await task.value }
    }

    private static func serve(_ connection: WebSocketConnection) async {
        do {
            for try await message in connection.messages {
                let text = String(decoding: message.prefix(64), as: UTF8.self)
                if text.hasPrefix("stream:") {
                    let parts = text.split(separator: ":")
                    let count = Int(parts[1])!, size = Int(parts[2])!
                    for index in 0..<count {
                        try connection.send(utf8: payload(index: index, size: size))
                    }
                } else if text.hasPrefix("close:") {
                    let parts = text.split(separator: ":", maxSplits: 2)
                    connection.close(code: UInt16(parts[1])!, reason: parts.count > 2 ? String(parts[2]) : "")
                } else if text.hasPrefix("big-then-abort:") {
                    let size = Int(text.split(separator: ":")[1])!
                    try connection.send(utf8: [UInt8](repeating: UInt8(ascii: "x"), count: size))
                    connection.abort()
                } else if text.hasPrefix("fragmented:") {
                    let parts = text.split(separator: ":")
                    let count = Int(parts[1])!, size = Int(parts[2])!
                    let whole = payload(index: 7, size: size)
                    let step = max(1, size / count)
                    var start = 0
                    while start < whole.count {
                        let end = min(whole.count, start + step)
                        try connection.send(fragment: Array(whole[start..<end]), first: start == 0, final: end == whole.count)
                        start = end
                    }
                } else if text == "half-then-abort" {
                    try connection.send(fragment: Array("the first half".utf8), first: true, final: false)
                    connection.abort()
                } else if text == "freeze" {
                    connection.freeze()
                } else {
                    try connection.send(bytes: message, binary: false)
                }
            }
        } catch {}
    }

    /// `SIZE` ASCII bytes starting with the decimal index and a colon.
    static func payload(index: Int, size: Int) -> [UInt8] {
        var bytes = Array("\(index):".utf8)
        if bytes.count < size { bytes.append(contentsOf: repeatElement(UInt8(ascii: "a"), count: size - bytes.count)) }
        return bytes
    }
}

/// The index at the start of a `stream:` message.
func streamIndex(_ message: [UInt8]) -> Int? {
    guard let colon = message.firstIndex(of: UInt8(ascii: ":")) else { return nil }
    return Int(String(decoding: message[..<colon], as: UTF8.self))
}

/// Threads of this process, from /proc.
func threadCount() -> Int {
    var count = 0
    guard let directory = opendir("/proc/self/task") else { return -1 }
    defer { closedir(directory) }
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        if name != "." && name != ".." { count += 1 }
    }
    return count
}

#if canImport(Glibc)
import Glibc
#endif

