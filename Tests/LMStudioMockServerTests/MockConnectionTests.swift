import LMStudioProtocol
import Testing

@testable import LMStudioMockServer

@Suite("Authentication and envelope rules")
struct MockConnectionTests {
    @Test func guestIsAcceptedWithSuccessFrame() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try TestClient(server, namespace: "llm")
            client.sendAuth(identifier: "guest:1234", passkey: "secret")
            #expect(try await client.next() == #"{"success":true}"#)
        }
    }

    @Test func invalidAuthenticationPacketsAreIgnored() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try TestClient(server, namespace: "system")
            client.connection.send("not json")
            client.send(["type": "rpcCall", "endpoint": "version", "callId": 1])
            client.send(["authVersion": 2, "clientIdentifier": "a", "clientPasskey": "b"])
            try await client.expectSilence()
            client.sendAuth(identifier: "guest:x", passkey: "y")
            #expect(try await client.nextJSON() == ["success": true])
            #expect(server.receivedMessages.count == 4)
        }
    }

    @Test func passkeysAreFirstComeFirstServed() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let first = try await TestClient.authenticated(server, namespace: "llm", identifier: "guest:a", passkey: "k1")
            let second = try TestClient(server, namespace: "system")
            second.sendAuth(identifier: "guest:a", passkey: "other")
            let reply = try await second.nextJSON()
            #expect(reply["success"] == false)
            #expect(reply["error"]?.stringValue?.contains("Invalid client passkey") == true)
            #expect(try await second.next() == nil)
            #expect(second.connection.closure == .closed)
            _ = try await TestClient.authenticated(server, namespace: "system", identifier: "guest:a", passkey: "k1")
            _ = first
        }
    }

    @Test func passkeyIsReleasedWithTheLastSocket() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let first = try await TestClient.authenticated(server, namespace: "llm", identifier: "guest:a", passkey: "k1")
            first.connection.close()
            // The release happens when the server notices the close; retry until it has.
            var accepted = false
            for _ in 0..<50 where !accepted {
                let again = try TestClient(server, namespace: "llm")
                again.sendAuth(identifier: "guest:a", passkey: "k2")
                accepted = try await again.nextJSON()["success"] == true
                if !accepted { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(accepted)
        }
    }

    @Test func requiredTokenIsAccepted() async throws {
        var configuration = MockServer.Configuration()
        configuration.apiToken = "sk-lm-abcDEF78:abcDEF7890abcDEF7890"
        try await MockServer.withServer(configuration: configuration, mode: .inMemory) { server in
            _ = try await TestClient.authenticated(
                server, namespace: "llm", identifier: "abcDEF78", passkey: "abcDEF7890abcDEF7890"
            )
        }
    }

    @Test(arguments: [("guest:someone", "whatever"), ("abcDEF78", "wrongwrongwrongwrong0")])
    func requiredTokenRejectsOtherCredentials(identifier: String, passkey: String) async throws {
        var configuration = MockServer.Configuration()
        configuration.apiToken = "sk-lm-abcDEF78:abcDEF7890abcDEF7890"
        try await MockServer.withServer(configuration: configuration, mode: .inMemory) { server in
            let client = try TestClient(server, namespace: "llm")
            client.sendAuth(identifier: identifier, passkey: passkey)
            let reply = try await client.nextJSON()
            #expect(reply["success"] == false)
            #expect(reply["error"]?.stringValue?.isEmpty == false)
            #expect(try await client.next() == nil)
        }
    }

    @Test func authenticationTimesOut() async throws {
        var configuration = MockServer.Configuration()
        configuration.authenticationTimeout = .milliseconds(50)
        try await MockServer.withServer(configuration: configuration, mode: .inMemory) { server in
            let client = try TestClient(server, namespace: "llm")
            let reply = try await client.nextJSON()
            #expect(reply == ["success": false, "error": "Authentication timed out"])
            #expect(try await client.next() == nil)
        }
    }

    @Test func rejectAuthenticationFault() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.faults = [.rejectAuthentication("go away")]
        try await MockServer.withServer(configuration: configuration, mode: .inMemory) { server in
            let client = try TestClient(server, namespace: "llm")
            client.sendAuth(identifier: "guest:a", passkey: "b")
            #expect(try await client.nextJSON() == ["success": false, "error": "go away"])
        }
    }

    @Test func keepAliveIsAcknowledged() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            client.send(["type": "keepAlive"])
            #expect(try await client.next() == #"{"type":"keepAliveAck"}"#)
        }
    }

    @Test func voidResultsOmitTheResultMember() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "system")
            let reply = try await client.call("notify", ["title": "hi"])
            #expect(reply == ["type": "rpcResult", "callId": 1])
        }
    }

    @Test func malformedEnvelopesAreDroppedSilently() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            client.connection.send("{nope")
            client.send(["type": "rpcCall", "endpoint": "listLoaded", "callId": "one"])
            client.send(["type": "noSuchType"])
            client.send(["no": "type"])
            try await client.expectSilence()
        }
    }

    @Test func unknownEndpointsProduceWarningsCappedAtFive() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            for id in 1...7 {
                client.send(["type": "rpcCall", "endpoint": "noSuchEndpoint", "callId": .int(Int64(id))])
            }
            for _ in 1...5 {
                let warning = try await client.nextJSON()
                #expect(warning["type"] == "communicationWarning")
                #expect(warning["kind"] == "rpcEndpointUnknown")
                #expect(warning["warning"]?.stringValue?.contains("noSuchEndpoint") == true)
            }
            try await client.expectSilence()
            // Calls still work after the cap.
            client.send(["type": "keepAlive"])
            #expect(try await client.nextJSON() == ["type": "keepAliveAck"])
        }
    }

    @Test func warningKindsForChannelsAndParameters() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            client.send(["type": "channelCreate", "endpoint": "nope", "channelId": 1])
            #expect(try await client.nextJSON()["kind"] == "channelEndpointUnknown")
            client.send(["type": "channelSend", "channelId": 99, "message": ["type": "cancel"]])
            #expect(try await client.nextJSON()["kind"] == "channelUnknown")
            client.send(["type": "rpcCall", "endpoint": "tokenize", "callId": 5, "parameter": ["specifier": 3]])
            #expect(try await client.nextJSON()["kind"] == "rpcParameterTypeError")
            client.send([
                "type": "channelCreate", "endpoint": "loadModel", "channelId": 2,
                "creationParameter": ["modelKey": "x", "ttlMs": 0, "loadConfigStack": stack()],
            ])
            #expect(try await client.nextJSON()["kind"] == "channelCreationParameterTypeError")
            client.send(["type": "signalSubscribe", "endpoint": "s", "subscribeId": 0, "creationParameter": nil])
            #expect(try await client.nextJSON()["kind"] == "signalEndpointUnknown")
            try await client.expectSilence()
        }
    }

    @Test func reusingAnOpenChannelIDWarns() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "system")
            client.send(["type": "channelCreate", "endpoint": "alive", "channelId": 1])
            client.send(["type": "channelCreate", "endpoint": "alive", "channelId": 1])
            #expect(try await client.nextJSON()["kind"] == "channelAlreadyOpen")
        }
    }

    @Test func channelsEndWhenTheClientCloses() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "system")
            _ = client.openChannel("alive")
            #expect(server.openConnectionCount == 1)
            client.connection.close()
            for _ in 0..<100 where server.openConnectionCount > 0 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(server.openConnectionCount == 0)
        }
    }

    @Test func unknownPathsAreRefused() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            #expect(throws: MockServer.StartupError.self) { try server.connect(path: "/nope") }
        }
    }
}
