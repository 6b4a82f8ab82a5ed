import LMStudioTestSupport
import LMStudio
import LMStudioMockServer
import Synchronization
import Testing

@Suite("client core: authentication, multiplexing, errors, discovery")
struct ClientCoreTests {
    @Test("a guest authenticates with the same random pair on every socket")
    func guestAuthentication() async throws {
        try await withMockClient { server, client in
            let version = try await client.rawCall(.system, endpoint: "version")
            #expect(version?["version"]?.stringValue != nil)
            _ = try await client.rawCall(.llm, endpoint: "listLoaded")
            let packets = authPackets(server)
            #expect(packets.count == 2)
            #expect(Set(packets.map(\.namespace)) == ["system", "llm"])
            #expect(packets.allSatisfy { $0.identifier.hasPrefix("guest:") && $0.identifier.count == 6 + 36 })
            #expect(packets.allSatisfy { $0.passkey.count == 36 })
            #expect(Set(packets.map(\.identifier)).count == 1)
            #expect(Set(packets.map(\.passkey)).count == 1)
        }
    }

    @Test("an API token's identifier and passkey go into the auth packet, exactly")
    func tokenAuthentication() async throws {
        var configuration = MockServer.Configuration()
        configuration.apiToken = testToken
        try await withMockClient(serverConfiguration: configuration, apiToken: "  \(testToken)\n") { server, client in
            _ = try await client.rawCall(.system, endpoint: "version")
            let record = server.receivedMessages.first { $0.namespace == "system" }
            #expect(record?.json == ["authVersion": 1, "clientIdentifier": "abcDEF78", "clientPasskey": "abcDEF7890abcDEF7890"])
            #expect(client.identityKind == .apiToken)
        }
    }

    @Test("the server's rejection is a typed authentication error and nothing else is sent")
    func authenticationRejected() async throws {
        var configuration = MockServer.Configuration()
        configuration.apiToken = testToken
        try await withMockClient(serverConfiguration: configuration, apiToken: "sk-lm-zzzzzzzz:zzzzzzzzzzzzzzzzzzzz") { server, client in
            let error = await #expect(throws: LMStudioError.self) { _ = try await client.rawCall(.system, endpoint: "version") }
            #expect(error?.code == .authenticationFailed)
            #expect(error?.description.contains("zzzzzzzz") == false)
            #expect(server.receivedMessages.allSatisfy { $0.json?["authVersion"] != nil })
            // A guest is rejected too when the server requires a token.
            let guest = try LMStudioClient(host: server.address, apiToken: "")
            await #expect(throws: LMStudioError.self) { _ = try await guest.rawCall(.system, endpoint: "version") }
            await guest.close()
        }
    }

    @Test("malformed tokens fail at construction, from the argument or the environment, without echoing them",
          arguments: ["missing-token-prefix", "sk-lm-missing-id-and-key-separator", "sk-lm-invalid_id:invalid_key",
                      "sk-lm-idtoolong:abcDEF7890abcDEF7890", "sk-lm-abcDEF78:keytooshort"])
    func malformedToken(token: String) throws {
        let error = #expect(throws: LMStudioError.self) { _ = try LMStudioClient(host: "127.0.0.1:1", apiToken: token) }
        #expect(error?.code == .invalidToken)
        #expect(error?.description.contains(token) == false)
        #expect(error?.description.contains("sk-lm-XXXXXXXX:YYYYYYYYYYYYYYYYYYYY") == true)
        let fromEnvironment = #expect(throws: CredentialsError.self) {
            _ = try ClientCredentials.resolve(apiToken: nil, environment: ["LMSTUDIO_API_TOKEN": token])
        }
        #expect(fromEnvironment?.description.contains(token) == false)
    }

    @Test("invalid hosts fail at construction", arguments: ["", "localhost", "ws://", "ftp://x:1", "127.0.0.1:99999", "127.0.0.1:1234/x?y"])
    func invalidHost(host: String) {
        let error = #expect(throws: LMStudioError.self) { _ = try LMStudioClient(host: host, apiToken: "") }
        #expect(error?.code == .invalidHost)
    }

    @Test("1,000 concurrent RPCs on one socket each get their own answer")
    func concurrentCalls() async throws {
        try await withMockClient { server, client in
            let inputs = (0..<20).map { index in (0...index).map { "w\($0)" }.joined(separator: " ") }
            var expected: [Int] = []
            for input in inputs {
                let result = try await client.rawCall(.llm, endpoint: "countTokens", parameter: ["specifier": modelQuery(chatModel), "inputString": .string(input)])
                expected.append(try #require(result?["tokenCount"]?.intValue))
            }
            #expect(Set(expected).count == inputs.count, "inputs must have distinct token counts")
            try await withThrowingTaskGroup(of: (Int, Int?).self) { group in
                for call in 0..<1_000 {
                    group.addTask {
                        let input = inputs[call % inputs.count]
                        let result = try await client.rawCall(.llm, endpoint: "countTokens", parameter: ["specifier": modelQuery(chatModel), "inputString": .string(input)])
                        return (call, result?["tokenCount"]?.intValue)
                    }
                }
                var answered = 0
                for try await (call, count) in group {
                    #expect(count == expected[call % inputs.count])
                    answered += 1
                }
                #expect(answered == 1_000)
            }
            #expect(authPackets(server).filter { $0.namespace == "llm" }.count == 1)
            #expect(client.inFlightCounts == (0, 0))
        }
    }

    @Test("a channel stopped mid-stream is closed by the server")
    func channelStop() async throws {
        try await withMockClient { server, client in
            let channel = try await client.rawChannel(.diagnostics, endpoint: "streamLogs")
            let reader = Task { () -> Int in
                var count = 0
                for try await _ in channel { count += 1 }
                return count
            }
            try await Task.sleep(for: .milliseconds(50))
            try channel.send(["type": "stop"])
            _ = try await reader.value
            #expect(client.inFlightCounts.channels == 0)
        }
    }

    @Test("server error codes map to typed errors, keeping the server's details", arguments: [
        ("generic.noModelMatchingQuery", LMStudioError.Code.modelNotFound),
        ("generic.pathNotFound", .modelNotFound),
        ("generic.presetNotFound", .presetNotFound),
        ("generic.somethingElse", .serverError("generic.somethingElse")),
    ])
    func errorMapping(displayCode: String, code: LMStudioError.Code) async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.faults = [.error(endpoint: "getModelInfo", .init(
            title: "It failed", cause: "Because", suggestion: "Try again", displayData: ["code": .string(displayCode)]
        ))]
        try await withMockClient(serverConfiguration: configuration) { _, client in
            let error = await #expect(throws: LMStudioError.self) {
                _ = try await client.rawCall(.llm, endpoint: "getModelInfo", parameter: ["specifier": modelQuery(chatModel), "throwIfNotFound": true])
            }
            #expect(error?.code == code)
            #expect(error?.endpoint == "getModelInfo")
            #expect(error?.serverError?.cause == "Because")
            #expect(error?.description.hasPrefix("RPC error: ") == true)
            #expect(error?.description.contains("Suggested potential remedy:") == true)
            #expect(error?.description.contains("LMStudioMockServer") == false, "the stack is dropped")
        }
    }

    @Test("a real model-not-found from the server maps to modelNotFound")
    func realModelNotFound() async throws {
        try await withMockClient { _, client in
            let error = await #expect(throws: LMStudioError.self) {
                _ = try await client.rawCall(.llm, endpoint: "getModelInfo", parameter: ["specifier": modelQuery("no-such-model"), "throwIfNotFound": true])
            }
            #expect(error?.code == .modelNotFound)
        }
    }

    @Test("a call the server never answers times out with a typed error")
    func unansweredCallTimesOut() async throws {
        var clientConfiguration = LMStudioClient.Configuration()
        clientConfiguration.requestTimeout = slack(.milliseconds(400))
        try await withMockClient(clientConfiguration: clientConfiguration) { _, client in
            let error = await #expect(throws: LMStudioError.self) {
                _ = try await client.rawCall(.system, endpoint: "noSuchEndpoint")
            }
            #expect(error?.code == .timeout)
            #expect(error?.endpoint == "noSuchEndpoint")
            // The socket is still fine (a generous deadline: only the unanswered call is short).
            let version = try await client.rawCall(.system, endpoint: "version", timeout: .seconds(30))
            #expect(version != nil)
            #expect(client.inFlightCounts == (0, 0))
        }
    }

    @Test("a dropped socket fails calls in flight; the next call reconnects")
    func dropAndReconnect() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.faults = [.delay(endpoint: "version", .seconds(5))]
        try await withMockClient(serverConfiguration: configuration) { server, client in
            _ = try await client.rawCall(.system, endpoint: "info")
            let inFlight = Task { try await client.rawCall(.system, endpoint: "version") }
            try await Task.sleep(for: .milliseconds(100))
            server.dropAllConnections()
            let error = await #expect(throws: LMStudioError.self) { _ = try await inFlight.value }
            #expect(error?.code == .connectionLost)
            #expect(error?.endpoint == "version")
            server.updateBehavior { $0.faults = [] }
            let version = try await client.rawCall(.system, endpoint: "version")
            #expect(version?["version"] != nil)
            #expect(authPackets(server).filter { $0.namespace == "system" }.count == 2)
        }
    }

    @Test("a restarted server on the same port is used without a new client")
    func serverRestart() async throws {
        let first = try await MockServer.start()
        let port = first.port
        let client = try LMStudioClient(host: first.address, apiToken: "")
        _ = try await client.rawCall(.system, endpoint: "version")
        await first.shutdown()
        var configuration = MockServer.Configuration()
        configuration.port = port
        let second = try await MockServer.start(configuration: configuration)
        var answer: JSONValue?
        // The first call after the restart may race the old socket's teardown.
        for _ in 0..<2 where answer == nil { answer = try? await client.rawCall(.system, endpoint: "version") }
        #expect(answer?["version"] != nil)
        await client.close()
        await second.shutdown()
    }

    @Test("cancelling the calling task fails the call with cancelled and leaves nothing behind")
    func cancelledCall() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.faults = [.delay(endpoint: "version", .seconds(5))]
        try await withMockClient(serverConfiguration: configuration) { _, client in
            _ = try await client.rawCall(.system, endpoint: "info")
            let call = Task { try await client.rawCall(.system, endpoint: "version") }
            try await Task.sleep(for: .milliseconds(50))
            call.cancel()
            let error = await #expect(throws: LMStudioError.self) { _ = try await call.value }
            #expect(error?.code == .cancelled)
            #expect(client.inFlightCounts == (0, 0))
        }
    }

    @Test("discovery finds the server on a probed port and lists what it tried otherwise")
    func discovery() async throws {
        try await MockServer.withServer { server in
            var configuration = LMStudioClient.Configuration()
            configuration.discoveryPorts = [1, server.port, 2]
            let client = try LMStudioClient(apiToken: "", configuration: configuration)
            let address = try await client.serverAddress()
            #expect(address.port == server.port)
            let version = try await client.rawCall(.system, endpoint: "version")
            #expect(version != nil)
            await client.close()

            configuration.discoveryPorts = [1, 2]
            let lonely = try LMStudioClient(apiToken: "", configuration: configuration)
            let error = await #expect(throws: LMStudioError.self) { _ = try await lonely.rawCall(.system, endpoint: "version") }
            #expect(error?.code == .noServerFound)
            #expect(error?.message.contains("1, 2") == true)
            await lonely.close()
        }
    }

    @Test("a refused connection is a typed connection failure")
    func refused() async throws {
        let server = try await MockServer.start()
        let address = server.address
        await server.shutdown()
        let client = try LMStudioClient(host: address, apiToken: "")
        let error = await #expect(throws: LMStudioError.self) { _ = try await client.rawCall(.system, endpoint: "version") }
        #expect(error?.code == .connectionFailed)
        await client.close()
    }

    @Test("logs at the most verbose level never contain the token or passkey")
    func logsAreRedacted() async throws {
        let capture = LogCapture()
        var clientConfiguration = LMStudioClient.Configuration()
        clientConfiguration.logger = capture.logger
        clientConfiguration.requestTimeout = slack(.milliseconds(300))
        var configuration = MockServer.Configuration()
        configuration.apiToken = testToken
        try await withMockClient(serverConfiguration: configuration, clientConfiguration: clientConfiguration, apiToken: testToken) { _, client in
            _ = try await client.rawCall(.system, endpoint: "version", timeout: .seconds(30))
            _ = try? await client.rawCall(.system, endpoint: "noSuchEndpoint")
        }
        let wrong = try LMStudioClient(host: "127.0.0.1:1", apiToken: "sk-lm-qqqqqqqq:qqqqqqqqqqqqqqqqqqqq", configuration: clientConfiguration)
        _ = try? await wrong.rawCall(.system, endpoint: "version")
        await wrong.close()
        let lines = capture.all
        #expect(!lines.isEmpty)
        for secret in ["abcDEF7890abcDEF7890", "abcDEF78", testToken, "qqqqqqqqqqqqqqqqqqqq"] {
            #expect(!lines.contains { $0.contains(secret) }, "a log line contains a secret")
        }
    }
}

@Suite("default client", .serialized)
struct DefaultClientTests {
    @Test("the configured token reaches the server; configuring after creation is an error")
    func configuredTokenArrives() async throws {
        var configuration = MockServer.Configuration()
        configuration.apiToken = testToken
        try await MockServer.withServer(configuration: configuration) { server in
            await LMStudioClient.resetDefault()
            try LMStudioClient.configureDefault(host: server.address, apiToken: testToken)
            let client = try LMStudioClient.shared()
            #expect(try LMStudioClient.shared() === client)
            _ = try await client.rawCall(.system, endpoint: "version")
            #expect(authPackets(server).first?.identifier == "abcDEF78")
            let error = #expect(throws: LMStudioError.self) { try LMStudioClient.configureDefault(host: server.address) }
            #expect(error?.code == .alreadyConfigured)
            await LMStudioClient.resetDefault()
        }
    }
}
