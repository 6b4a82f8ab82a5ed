import LMStudioTestSupport
import LMStudio
import LMStudioTransport
import Testing

/// Frames a correct server never sends: each is logged and contained.
@Suite("hostile input: malformed frames, strangers' ids, duplicate closes, oversized frames")
struct HostileInputTests {
    static let hostileFrames: [[UInt8]] = [
        Array("this is not JSON".utf8),
        [0xFF, 0xFE, 0x00, 0x7B],  // invalid UTF-8
        Array("".utf8),
        Array("[1,2,3]".utf8),
        Array("\"a string\"".utf8),
        Array("{}".utf8),
        Array(#"{"type":42}"#.utf8),
        Array(#"{"type":"rpcResult"}"#.utf8),  // no callId
        Array(#"{"type":"rpcResult","callId":"1","result":1}"#.utf8),  // id of the wrong type
        Array(#"{"type":"aBrandNewMessageType","payload":{"x":1}}"#.utf8),
        Array(#"{"type":"rpcResult","callId":987654,"result":"nobody's"}"#.utf8),
        Array(#"{"type":"rpcError","callId":987655,"error":{"title":"nobody's"}}"#.utf8),
        Array(#"{"type":"channelSend","channelId":424242,"message":{"type":"fragment"}}"#.utf8),
        Array(#"{"type":"channelClose","channelId":424242}"#.utf8),
        Array(#"{"type":"channelError","channelId":424242,"error":{"title":"x"}}"#.utf8),
        Array(#"{"type":"channelAck","channelId":424242,"ackId":1}"#.utf8),
        Array(#"{"type":"communicationWarning","warning":"scripted warning"}"#.utf8),
        Array(#"{"type":"rpcResult","callId":1e400,"result":1}"#.utf8),
        Array(repeating: UInt8(ascii: "["), count: 100_000),  // nesting far past the parser's limit
        Array(#"{"type":"channelSend","channelId":-1,"message":null}"#.utf8),
    ]

    @Test("garbage, strangers' ids and unknown types are logged and dropped; the call they surround completes")
    func garbageIsContained() async throws {
        var options = ScriptedServer.Options()
        options.hostileFrames = Self.hostileFrames.enumerated().filter { $0.offset != 18 }.map(\.element).enumerated().filter { $0.offset != 18 }.map(\.element)
        let capture = LogCapture()
        var configuration = LMStudioClient.Configuration()
        configuration.logger = capture.logger
        configuration.requestTimeout = .seconds(10)
        try await withScriptedClient(options, clientConfiguration: configuration) { server, client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        let answer = try await client.rawCall(.llm, endpoint: "hostile", parameter: ["n": .int(Int64(index))])
                        #expect(answer == ["n": .int(Int64(index))])
                    }
                    group.addTask {
                        let answer = try await client.rawCall(.system, endpoint: "echo", parameter: ["m": .int(Int64(index))])
                        #expect(answer == ["m": .int(Int64(index))])
                    }
                }
                try await group.waitForAll()
            }
            #expect(server.accepted == 2, "no socket was torn down")
            #expect(client.inFlightCounts == (0, 0))
            let lines = capture.all
            #expect(lines.contains { $0.hasPrefix("warning: dropped a malformed message on llm") })
            #expect(lines.contains { $0.contains("unknown type aBrandNewMessageType") })
            #expect(lines.contains { $0.contains("unknown channel 424242") })
            #expect(lines.contains { $0.contains("scripted warning") })
            // An unknown type is reported once per connection, not per frame.
            #expect(lines.filter { $0.contains("unknown type aBrandNewMessageType") }.count == 1)
        }
    }

    @Test("a duplicate channelClose, and packets after it, do not disturb the next channels")
    func duplicateChannelClose() async throws {
        try await withScriptedClient { _, client in
            for round in 0..<5 {
                let channel = try await client.rawChannel(.llm, endpoint: "streamCloseTwice", creationParameter: ["tag": .string("r\(round)"), "count": 3])
                var tags: [String] = []
                for try await packet in channel { tags.append(packet["tag"]?.stringValue ?? "?") }
                #expect(tags == Array(repeating: "r\(round)", count: 3))
            }
            let answer = try await client.rawCall(.llm, endpoint: "echo", parameter: "still fine")
            #expect(answer == "still fine")
            #expect(client.inFlightCounts == (0, 0))
        }
    }

    @Test("an oversized frame fails only its socket with messageTooBig; the next call reconnects")
    func oversizedFrame() async throws {
        var options = ScriptedServer.Options()
        options.hostileFrames = [Array(#"{"type":"communicationWarning","warning":"x"}"#.utf8), Array(repeating: UInt8(ascii: "x"), count: 100_000)]
        var configuration = LMStudioClient.Configuration()
        configuration.maxMessageSize = 32 << 10
        try await withScriptedClient(options, clientConfiguration: configuration) { server, client in
            _ = try await client.rawCall(.system, endpoint: "echo", parameter: 1)
            let slow = try await client.rawChannel(.system, endpoint: "stream", creationParameter: ["tag": "s", "count": 20, "intervalMs": 10])
            let reader = Task { () -> Int in
                var count = 0
                for try await _ in slow { count += 1 }
                return count
            }
            let error = await #expect(throws: LMStudioError.self) { _ = try await client.rawCall(.llm, endpoint: "hostile", parameter: 1) }
            #expect(error?.code == .messageTooBig)
            #expect(error?.endpoint == "hostile")
            #expect(try await reader.value == 20, "the system socket was not disturbed")
            #expect(try await client.rawCall(.llm, endpoint: "echo", parameter: 2) == 2)
            #expect(server.accepted == 3, "llm reconnected once; system never did")
            #expect(client.inFlightCounts == (0, 0))
        }
    }

    @Test("transport: an oversized message right behind small ones in the same read is refused cleanly")
    func oversizedBehindSmallMessages() async throws {
        let server = try await WebSocketServer.start()
        let serving = Task {
            for await connection in server.connections {
                for index in 0..<50 { try? connection.send(text: "small \(index)") }
                try? connection.send(utf8: Array(repeating: UInt8(ascii: "y"), count: 300_000))
                try? connection.send(text: "after")
            }
        }
        var configuration = WebSocketClient.Configuration()
        configuration.maxMessageSize = 64 << 10
        configuration.tlsEnabled = false
        let client = try await WebSocketClient.start(configuration: configuration)
        for _ in 0..<10 {
            let connection = try await client.connect(to: "ws://127.0.0.1:\(server.port)/x")
            var received = 0
            let error = await #expect(throws: TransportError.self) {
                for try await _ in connection.messages { received += 1 }
            }
            #expect(error == .messageTooBig(limit: 64 << 10))
            #expect(received == 50)
        }
        await client.shutdown()
        await server.shutdown()
        serving.cancel()
    }

    @Test("transport: frames written right behind a large one (lws still flushing it) arrive whole and in order")
    func writesBehindAPartialWrite() async throws {
        let server = try await WebSocketServer.start()
        let serving = Task {
            await withDiscardingTaskGroup { group in
                for await connection in server.connections {
                    group.addTask {
                        // Echo, and answer "burst" with a large message and small ones behind it.
                        do {
                            for try await message in connection.messages {
                                if message == Array("burst".utf8) {
                                    try connection.send(utf8: Array(repeating: UInt8(ascii: "["), count: 400_000))
                                    for index in 0..<20 { try connection.send(text: "small \(index)") }
                                } else {
                                    try connection.send(utf8: message)
                                }
                            }
                        } catch {}
                    }
                }
            }
        }
        var configuration = WebSocketClient.Configuration()
        configuration.tlsEnabled = false
        let client = try await WebSocketClient.start(configuration: configuration)
        let connection = try await client.connect(to: "ws://127.0.0.1:\(server.port)/x")
        var iterator = connection.messages.makeAsyncIterator()
        for _ in 0..<3 {
            // Server to client.
            try connection.send(text: "burst")
            #expect(try await iterator.next()?.count == 400_000)
            for index in 0..<20 { #expect(try await iterator.next() == Array("small \(index)".utf8)) }
            // Client to server (echoed).
            try connection.send(utf8: Array(repeating: UInt8(ascii: "]"), count: 400_000))
            for index in 0..<20 { try connection.send(text: "up \(index)") }
            #expect(try await iterator.next()?.count == 400_000)
            for index in 0..<20 { #expect(try await iterator.next() == Array("up \(index)".utf8)) }
        }
        #expect(connection.isOpen)
        await client.shutdown()
        await server.shutdown()
        serving.cancel()
    }
}
