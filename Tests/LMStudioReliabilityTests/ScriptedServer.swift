import LMStudioTestSupport
import LMStudioProtocol
import LMStudioTransport

/// A scripted LM Studio stand-in for the tests that need frames the mock server never sends:
/// it authenticates like LM Studio and serves a few generic endpoints on every namespace.
///
/// - RPC `echo`: answers with the parameter.
/// - RPC `silent`: never answers.
/// - RPC `hostile`: sends ``Options/hostileFrames`` (raw bytes), then answers with the parameter.
/// - Channel `stream` (`{"tag": String, "count": Int, "intervalMs": Int}`): sends `count`
///   packets `{"type":"fragment","tag":tag,"index":i}`, then `channelClose`. A client packet
///   `{"type":"cancel"}` ends the channel early with `channelClose`.
/// - Channel `streamCloseTwice`: like `stream`, then a second `channelClose`, a packet and a
///   `channelError` for the already closed id.
final class ScriptedServer: Sendable {
    struct Options: Sendable {
        /// Whether the authentication packet is answered (false: a server that hangs there).
        var answersAuthentication = true
        /// Raw frames sent before the answer to every `hostile` call.
        var hostileFrames: [[UInt8]] = []
        /// PEM certificate and key: serve `wss://`.
        var tlsCertificateFile: String?
        var tlsPrivateKeyFile: String?
    }

    let server: WebSocketServer
    let options: Options
    private let tasks = LockedValue<[Task<Void, Never>]>([])
    private let acceptedCount = LockedValue(0)

    var port: Int { server.port }
    var address: String { "127.0.0.1:\(server.port)" }
    /// Websocket connections accepted so far.
    var accepted: Int { acceptedCount.withLock { $0 } }

    private init(server: WebSocketServer, options: Options) {
        self.server = server
        self.options = options
    }

    static func start(_ options: Options = Options()) async throws -> ScriptedServer {
        var configuration = WebSocketServer.Configuration()
        configuration.tlsCertificateFile = options.tlsCertificateFile
        configuration.tlsPrivateKeyFile = options.tlsPrivateKeyFile
        configuration.threadName = "scripted.srv"
        let server = try await WebSocketServer.start(configuration: configuration)
        let scripted = ScriptedServer(server: server, options: options)
        let accept = Task { [scripted] in
            await withDiscardingTaskGroup { group in
                for await connection in server.connections {
                    scripted.acceptedCount.withLock { $0 += 1 }
                    group.addTask { await scripted.serve(connection) }
                }
            }
        }
        scripted.tasks.withLock { $0.append(accept) }
        return scripted
    }

    func shutdown() async {
        await server.shutdown()
        for task in tasks.withLock({ $0 }) { await task.value }
    }

    private func serve(_ connection: WebSocketConnection) async {
        let cancelled = LockedValue<Set<Int>>([])
        await withDiscardingTaskGroup { group in
            do {
                var authenticated = false
                for try await frame in connection.messages {
                    if !authenticated {
                        authenticated = true
                        if options.answersAuthentication { try connection.send(utf8: AuthResult.success.serialized()) }
                        continue
                    }
                    guard let message = try? JSONValue.parse(frame), let type = message["type"]?.stringValue else { continue }
                    switch type {
                    case "rpcCall":
                        guard let callId = message["callId"] else { continue }
                        let parameter = message["parameter"] ?? .null
                        let answer: JSONValue = ["type": "rpcResult", "callId": callId, "result": parameter]
                        switch message["endpoint"]?.stringValue {
                        case "echo":
                            try connection.send(utf8: answer.serializedBytes())
                        case "hostile":
                            for hostile in options.hostileFrames { try connection.send(bytes: hostile, binary: false) }
                            try connection.send(utf8: answer.serializedBytes())
                        default:
                            break
                        }
                    case "channelCreate":
                        guard let channelId = message["channelId"]?.intValue else { continue }
                        let endpoint = message["endpoint"]?.stringValue ?? ""
                        let parameter = message["creationParameter"] ?? .null
                        group.addTask {
                            await Self.stream(
                                connection, channelId: channelId, parameter: parameter,
                                closeTwice: endpoint == "streamCloseTwice", cancelled: cancelled
                            )
                        }
                    case "channelSend":
                        if message["message"]?["type"]?.stringValue == "cancel", let channelId = message["channelId"]?.intValue {
                            cancelled.withLock { _ = $0.insert(channelId) }
                        }
                    default:
                        break
                    }
                }
            } catch {}
        }
    }

    private static func stream(
        _ connection: WebSocketConnection, channelId: Int, parameter: JSONValue, closeTwice: Bool,
        cancelled: LockedValue<Set<Int>>
    ) async {
        let tag = parameter["tag"] ?? .null
        let count = parameter["count"]?.intValue ?? 3
        let interval = parameter["intervalMs"]?.intValue ?? 0
        let id = JSONValue.int(Int64(channelId))
        do {
            for index in 0..<count {
                if cancelled.withLock({ $0.contains(channelId) }) { break }
                if interval > 0 { try await Task.sleep(for: .milliseconds(interval)) }
                let packet: JSONValue = [
                    "type": "channelSend", "channelId": id,
                    "message": ["type": "fragment", "tag": tag, "index": .int(Int64(index))],
                ]
                try connection.send(utf8: packet.serializedBytes())
            }
            let close: JSONValue = ["type": "channelClose", "channelId": id]
            try connection.send(utf8: close.serializedBytes())
            if closeTwice {
                try connection.send(utf8: close.serializedBytes())
                let late: JSONValue = ["type": "channelSend", "channelId": id, "message": ["type": "late"]]
                try connection.send(utf8: late.serializedBytes())
                let error: JSONValue = ["type": "channelError", "channelId": id, "error": ["title": "late error"]]
                try connection.send(utf8: error.serializedBytes())
            }
        } catch {}
        cancelled.withLock { _ = $0.remove(channelId) }
    }
}
