import LMStudioProtocol
import Testing

@testable import LMStudioMockServer

@Suite("Scripted faults and the record")
struct MockServerTests {
    @Test func errorFaultAnswersRPCsAndChannels() async throws {
        var configuration = MockServer.Configuration()
        let error = MockServer.ServerError(title: "Boom", cause: "Injected", displayData: ["code": "generic.pathNotFound"])
        configuration.behavior.faults = [.error(endpoint: "listLoaded", error), .error(endpoint: "predict", error)]
        try await MockServer.withServer(configuration: configuration, mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            let reply = try await client.call("listLoaded")
            #expect(reply["type"] == "rpcError")
            #expect(reply["error"]?["title"] == "Boom")
            #expect(reply["error"]?["cause"] == "Injected")
            let id = client.openChannel("predict", predictParameter("Hi"))
            let (packets, end) = try await client.collectChannel(id)
            #expect(packets.isEmpty)
            #expect(end["error"]?["displayData"]?["code"] == "generic.pathNotFound")
        }
    }

    @Test func noReplyFaultLeavesCallsUnanswered() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.faults = [.noReply(endpoint: "version")]
        try await MockServer.withServer(configuration: configuration, mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "system")
            client.send(["type": "rpcCall", "endpoint": "version", "callId": 1])
            try await client.expectSilence()
        }
    }

    @Test func delayFaultDelaysTheAnswer() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.faults = [.delay(endpoint: "version", .milliseconds(300))]
        try await MockServer.withServer(configuration: configuration, mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "system")
            let clock = ContinuousClock()
            let started = clock.now
            _ = try await client.result("version")
            #expect(started.duration(to: clock.now) >= .milliseconds(300))
        }
    }

    @Test func dropConnectionMidStream() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.faults = [.dropConnection(afterFragments: 2)]
        try await MockServer.withServer(configuration: configuration, mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            _ = client.openChannel("predict", predictParameter("Hi"))
            var frames: [JSONValue] = []
            while let text = try await client.next() { frames.append(MockJSON.parse(text) ?? .null) }
            #expect(frames.filter { $0["message"]?["type"] == "fragment" }.count == 2)
            #expect(client.connection.closure == .aborted)
        }
    }

    @Test func closeConnectionMidStream() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.faults = [.closeConnection(afterFragments: 0)]
        try await MockServer.withServer(configuration: configuration, mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            _ = client.openChannel("predict", predictParameter("Hi"))
            while try await client.next() != nil {}
            #expect(client.connection.closure == .closed)
        }
    }

    @Test func freezeLeavesTheClientHanging() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.faults = [.freeze(afterFragments: 1)]
        try await MockServer.withServer(configuration: configuration, mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            _ = client.openChannel("predict", predictParameter("Hi"))
            _ = try await client.nextJSON()  // progress
            _ = try await client.nextJSON()  // progress
            #expect(try await client.nextJSON()["message"]?["type"] == "fragment")
            try await client.expectSilence()
            #expect(client.connection.closure == .frozen)
        }
    }

    @Test func malformedAndOversizedFrames() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.faults = [
            .malformedFrame(afterFragments: 1), .oversizedFrame(afterFragments: 2, bytes: 100_000),
        ]
        try await MockServer.withServer(configuration: configuration, mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            let id = client.openChannel("predict", predictParameter("Hi"))
            var texts: [String] = []
            while true {
                let text = try #require(try await client.next())
                texts.append(text)
                if text.contains("channelClose") { break }
            }
            #expect(texts.contains { MockJSON.parse($0) == nil })
            let big = try #require(texts.first { $0.utf8.count > 100_000 })
            #expect(MockJSON.parse(big)?["message"]?["fragment"]?["content"]?.stringValue?.count == 100_000)
            #expect(texts.last == #"{"type":"channelClose","channelId":\#(id)}"#)
        }
    }

    @Test func closeChannelBeforeResult() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.faults = [.closeChannelBeforeResult]
        try await MockServer.withServer(configuration: configuration, mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            let id = client.openChannel("predict", predictParameter("Hi"))
            let (packets, end) = try await client.collectChannel(id)
            #expect(!packets.contains { $0["type"] == "success" })
            #expect(end["type"] == "channelClose")
        }
    }

    @Test func behaviourCanChangeWhileRunning() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            server.updateBehavior { $0.defaultReply = "Changed." }
            let id = client.openChannel("predict", predictParameter("Hi"))
            #expect(content(of: try await client.collectChannel(id).packets) == "Changed.")
        }
    }

    @Test func recordKeepsEveryMessageInOrder() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "system", identifier: "guest:r")
            _ = try await client.result("version")
            let record = server.receivedMessages
            #expect(record.count == 2)
            #expect(record[0].json?["clientIdentifier"] == "guest:r")
            #expect(record[1].json?["endpoint"] == "version")
            #expect(record.allSatisfy { $0.namespace == "system" && $0.connectionID == record[0].connectionID })
            let lines = server.receivedMessagesJSONLines.split(separator: "\n")
            #expect(lines.count == 2)
            #expect(MockJSON.parse(String(lines[1]))?["message"]?["endpoint"] == "version")
            server.clearReceivedMessages()
            #expect(server.receivedMessages.isEmpty)
        }
    }
}
