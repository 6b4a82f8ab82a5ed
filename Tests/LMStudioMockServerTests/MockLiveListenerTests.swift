import LMStudioProtocol
import LMStudioTransport
import Testing

@testable import LMStudioMockServer

/// A websocket client connection with a bounded wait per message.
struct LiveClient {
    let connection: WebSocketConnection
    var iterator: WebSocketMessages.Iterator

    init(_ connection: WebSocketConnection) {
        self.connection = connection
        iterator = connection.messages.makeAsyncIterator()
    }

    mutating func next() async throws -> String? {
        try await iterator.next().map { String(decoding: $0, as: UTF8.self) }
    }

    mutating func nextJSON() async throws -> JSONValue {
        let text = try #require(try await next())
        return try #require(MockJSON.parse(text))
    }

    func send(_ value: JSONValue) throws {
        try connection.send(text: MockJSON.serialize(value))
    }
}

/// Runs `body` with a live server and a transport client, bounded by a deadline.
func withLiveServer(
    configuration: MockServer.Configuration = MockServer.Configuration(),
    _ body: @escaping @Sendable (MockServer, WebSocketClient) async throws -> Void
) async throws {
    let server = try await MockServer.start(configuration: configuration, mode: .live)
    let client = try await WebSocketClient.start()
    do {
        try await withTimeout(.seconds(30), "the live scenario") { try await body(server, client) }
    } catch {
        await client.shutdown()
        await server.shutdown()
        throw error
    }
    await client.shutdown()
    await server.shutdown()
}

func authenticate(_ live: inout LiveClient, identifier: String = "guest:live", passkey: String = "p") async throws
    -> JSONValue
{
    try live.send(["authVersion": 1, "clientIdentifier": .string(identifier), "clientPasskey": .string(passkey)])
    return try await live.nextJSON()
}

@Suite("Live websocket listener")
struct MockLiveListenerTests {
    @Test func greetingEndpointAnswers() async throws {
        try await withLiveServer { server, client in
            #expect(server.port > 0)
            let response = try await client.httpGet("http://127.0.0.1:\(server.port)/lmstudio-greeting")
            #expect(response.status == 200)
            #expect(MockJSON.parse(String(decoding: response.body, as: UTF8.self)) == ["lmstudio": true])
            let missing = try await client.httpGet("http://127.0.0.1:\(server.port)/elsewhere")
            #expect(missing.status == 404)
        }
    }

    @Test func authenticateAndCallOverWebsockets() async throws {
        try await withLiveServer { server, client in
            var live = LiveClient(try await client.connect(to: "ws://127.0.0.1:\(server.port)/llm"))
            #expect(try await authenticate(&live) == ["success": true])
            try live.send(["type": "rpcCall", "endpoint": "listLoaded", "callId": 1])
            let reply = try await live.nextJSON()
            #expect(reply["result"]?.arrayValue?.first?["identifier"] == "qwen2.5-0.5b-instruct")
            #expect(server.receivedMessages.map(\.namespace) == ["llm", "llm"])
        }
    }

    @Test func unknownPathsAreRefusedAtTheHandshake() async throws {
        try await withLiveServer { server, client in
            await #expect(throws: TransportError.self) {
                _ = try await client.connect(to: "ws://127.0.0.1:\(server.port)/nope")
            }
        }
    }

    @Test func rejectedTokenClosesTheConnection() async throws {
        var configuration = MockServer.Configuration()
        configuration.apiToken = "sk-lm-abcDEF78:abcDEF7890abcDEF7890"
        try await withLiveServer(configuration: configuration) { server, client in
            var live = LiveClient(try await client.connect(to: "ws://127.0.0.1:\(server.port)/system"))
            let reply = try await authenticate(&live)
            #expect(reply["success"] == false)
            var ended = false
            do { ended = try await live.next() == nil } catch { ended = true }
            #expect(ended)
        }
    }

    @Test func droppedConnectionFailsTheClientStream() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.faults = [.dropConnection(afterFragments: 1)]
        try await withLiveServer(configuration: configuration) { server, client in
            var live = LiveClient(try await client.connect(to: "ws://127.0.0.1:\(server.port)/llm"))
            _ = try await authenticate(&live)
            try live.send(["type": "channelCreate", "endpoint": "predict", "channelId": 1, "creationParameter": predictParameter("Hi")])
            var fragments = 0
            do {
                while let text = try await live.next() {
                    if MockJSON.parse(text)?["message"]?["type"] == "fragment" { fragments += 1 }
                }
                Issue.record("expected the connection to be dropped, not closed cleanly")
            } catch {
                #expect((error as? TransportError) == .connectionLost)
            }
            #expect(fragments == 1)
        }
    }

    @Test func benchmarkStreamOverWebsockets() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.fragmentCount = 20_000
        try await withLiveServer(configuration: configuration) { server, client in
            var live = LiveClient(try await client.connect(to: "ws://127.0.0.1:\(server.port)/llm"))
            _ = try await authenticate(&live)
            try live.send(["type": "channelCreate", "endpoint": "predict", "channelId": 1, "creationParameter": predictParameter("Hi")])
            var fragments = 0
            while let text = try await live.next() {
                if text.contains(#""type":"fragment""#) { fragments += 1 }
                if text.hasPrefix(#"{"type":"channelClose""#) { break }
            }
            #expect(fragments == 20_000)
        }
    }

    @Test func shutdownClosesOpenConnections() async throws {
        let server = try await MockServer.start(mode: .live)
        let client = try await WebSocketClient.start()
        var live = LiveClient(try await client.connect(to: "ws://127.0.0.1:\(server.port)/system"))
        _ = try await authenticate(&live)
        try live.send(["type": "channelCreate", "endpoint": "alive", "channelId": 1])
        await server.shutdown()
        var ended = false
        do { ended = try await live.next() == nil } catch { ended = true }
        #expect(ended)
        await client.shutdown()
    }
}
