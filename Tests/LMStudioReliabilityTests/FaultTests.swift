import LMStudioTestSupport
import LMStudio
import LMStudioMockServer
import Testing

/// Server faults injected by the mock over real sockets: what the caller observes.
@Suite("faults: drops, restarts, half-open servers, slow servers")
struct FaultTests {
    enum Drop: String, CaseIterable, Sendable {
        case tcpDrop, closeFrame
    }

    @Test("a socket closed mid-stream ends the stream typed, keeps its fragments, spares other namespaces, and the next call reconnects",
          arguments: Drop.allCases)
    func midStreamClose(drop: Drop) async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.defaultReply = "one two three four five six seven eight"
        configuration.behavior.fragmentInterval = .milliseconds(5)
        configuration.behavior.faults = [drop == .tcpDrop ? .dropConnection(afterFragments: 3) : .closeConnection(afterFragments: 3)]
        try await withMockClient(serverConfiguration: configuration) { server, client in
            // Another namespace, with a channel open across the drop.
            _ = try await client.rawCall(.system, endpoint: "version")
            let logs = try await client.rawChannel(.diagnostics, endpoint: "streamLogs")

            let channel = try await client.rawChannel(.llm, endpoint: "predict", creationParameter: predictParameter("hi"))
            let outcome = await consume(channel)
            #expect(outcome.error?.code == .connectionLost, "got \(String(describing: outcome.error))")
            #expect(outcome.error?.endpoint == "predict")
            #expect(outcome.text == "one two three", "the fragments received before the drop stay available")

            // Other namespaces never noticed.
            #expect(try await client.rawCall(.system, endpoint: "version")?["version"] != nil)
            #expect(authCount(server, .system) == 1)
            #expect(authCount(server, .diagnostics) == 1)
            try logs.send(["type": "stop"])
            for try await _ in logs {}

            // The next llm call reconnects.
            server.updateBehavior { $0.faults = [] }
            let again = await consume(try await client.rawChannel(.llm, endpoint: "predict", creationParameter: predictParameter("hi")))
            #expect(again.error == nil)
            #expect(again.text == "one two three four five six seven eight")
            #expect(authCount(server, .llm) == 2)
            #expect(await eventually { client.inFlightCounts == (0, 0) })
        }
    }

    @Test("a server restarted on the same port serves the next call without a new client")
    func serverRestart() async throws {
        let first = try await MockServer.start()
        let port = first.port
        let client = try LMStudioClient(host: first.address, apiToken: "")
        _ = try await client.rawCall(.system, endpoint: "version")
        _ = try await client.rawCall(.llm, endpoint: "listLoaded")
        await first.shutdown()
        var configuration = MockServer.Configuration()
        configuration.port = port
        let second = try await MockServer.start(configuration: configuration)
        // The very first call after the restart, on each namespace that was connected.
        let version = try await client.rawCall(.system, endpoint: "version")
        #expect(version?["version"] != nil)
        let loaded = try await client.rawCall(.llm, endpoint: "listLoaded")
        #expect(loaded?.arrayValue != nil)
        #expect(authCount(second, .system) == 1)
        #expect(client.inFlightCounts == (0, 0))
        await client.close()
        await second.shutdown()
    }

    @Test("a half-open server is noticed by keep-alive within its timeout; calls in flight fail typed")
    func halfOpen() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.fragmentInterval = .milliseconds(5)
        configuration.behavior.faults = [.freeze(afterFragments: 2)]
        var clientConfiguration = LMStudioClient.Configuration()
        // Under a sanitizer the freeze can take most of a second to happen; keep-alive must not
        // end the socket before the call below is sent to it.
        let keepAlive: Duration = underSanitizer ? .seconds(3) : .seconds(1)
        clientConfiguration.keepAlive = .init(interval: keepAlive, timeout: keepAlive)
        clientConfiguration.requestTimeout = .seconds(60)
        try await withMockClient(serverConfiguration: configuration, clientConfiguration: clientConfiguration) { server, client in
            _ = try await client.rawCall(.llm, endpoint: "listLoaded")
            let channel = try await client.rawChannel(.llm, endpoint: "predict", creationParameter: predictParameter("hi"))
            let stream = Task { await consume(channel) }
            // Two fragments 5 ms apart, then the freeze: the call below goes to a frozen server.
            try await Task.sleep(for: underSanitizer ? .seconds(1) : .milliseconds(200))
            // An RPC sent to the frozen server: it is never read.
            let start = ContinuousClock.now
            let call = Task { () -> LMStudioError? in
                do throws(LMStudioError) {
                    _ = try await client.rawCall(.llm, endpoint: "listLoaded")
                    return nil
                } catch {
                    return error
                }
            }
            let outcome = await stream.value
            let callError = await call.value
            let elapsed = ContinuousClock.now - start
            let typed: Set<LMStudioError.Code> = [.timeout, .connectionLost]
            #expect(outcome.error.map { typed.contains($0.code) } == true, "got \(String(describing: outcome.error))")
            #expect(callError.map { typed.contains($0.code) } == true, "got \(String(describing: callError))")
            #expect((1...2).contains(outcome.fragments.count), "the fragments sent before the freeze stay available")
            // interval + timeout = 2 s, plus slack for a loaded CI machine (an unbounded hang is
            // what this guards against).
            #expect(elapsed < slack(.seconds(6)), "noticed after \(elapsed)")
            server.updateBehavior { $0.faults = [] }
            #expect(try await client.rawCall(.llm, endpoint: "listLoaded") != nil)
            #expect(await eventually { client.inFlightCounts == (0, 0) })
        }
    }

    @Test("a slow call hits its per-call deadline with a typed timeout; the socket stays usable")
    func slowCallDeadline() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.faults = [.delay(endpoint: "version", slack(.seconds(5)))]
        try await withMockClient(serverConfiguration: configuration) { _, client in
            _ = try await client.rawCall(.system, endpoint: "info")
            let start = ContinuousClock.now
            let error = await #expect(throws: LMStudioError.self) {
                _ = try await client.rawCall(.system, endpoint: "version", timeout: slack(.milliseconds(300)))
            }
            #expect(error?.code == .timeout)
            #expect(error?.endpoint == "version")
            #expect(ContinuousClock.now - start < slack(.seconds(4)))
            #expect(try await client.rawCall(.system, endpoint: "info") != nil)
            #expect(client.inFlightCounts == (0, 0))
        }
    }

    @Test("a server that accepts the socket but never answers authentication hits the connect deadline")
    func connectDeadline() async throws {
        var options = ScriptedServer.Options()
        options.answersAuthentication = false
        var clientConfiguration = LMStudioClient.Configuration()
        clientConfiguration.connectTimeout = .seconds(1)
        try await withScriptedClient(options, clientConfiguration: clientConfiguration) { _, client in
            let start = ContinuousClock.now
            let error = await #expect(throws: LMStudioError.self) { _ = try await client.rawCall(.system, endpoint: "echo") }
            #expect(error?.code == .timeout)
            // 1 s deadline; the slack covers a loaded CI machine running every suite in parallel.
            #expect(ContinuousClock.now - start < slack(.seconds(6)))
            #expect(client.inFlightCounts == (0, 0))
        }
    }

    @Test("a malformed frame in a prediction is dropped and the stream completes")
    func malformedFrameInStream() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.defaultReply = "a b c d"
        configuration.behavior.faults = [.malformedFrame(afterFragments: 1)]
        let capture = LogCapture()
        var clientConfiguration = LMStudioClient.Configuration()
        clientConfiguration.logger = capture.logger
        try await withMockClient(serverConfiguration: configuration, clientConfiguration: clientConfiguration) { _, client in
            let outcome = await consume(try await client.rawChannel(.llm, endpoint: "predict", creationParameter: predictParameter("x")))
            #expect(outcome.error == nil)
            #expect(outcome.text == "a b c d")
            #expect(capture.all.contains { $0.hasPrefix("warning: dropped a malformed message") })
        }
    }

    @Test("a frame above the size limit fails that socket's stream typed, keeps its fragments, and is contained")
    func oversizedFrameInStream() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.defaultReply = "a b c d"
        configuration.behavior.faults = [.oversizedFrame(afterFragments: 2, bytes: 200_000)]
        var clientConfiguration = LMStudioClient.Configuration()
        clientConfiguration.maxMessageSize = 64 << 10
        try await withMockClient(serverConfiguration: configuration, clientConfiguration: clientConfiguration) { server, client in
            _ = try await client.rawCall(.system, endpoint: "version")
            let outcome = await consume(try await client.rawChannel(.llm, endpoint: "predict", creationParameter: predictParameter("x")))
            #expect(outcome.error?.code == .messageTooBig, "got \(String(describing: outcome.error))")
            #expect(outcome.text == "a b")
            #expect(try await client.rawCall(.system, endpoint: "version") != nil)
            #expect(authCount(server, .system) == 1)
            server.updateBehavior { $0.faults = [] }
            let again = await consume(try await client.rawChannel(.llm, endpoint: "predict", creationParameter: predictParameter("x")))
            #expect(again.text == "a b c d")
            #expect(await eventually { client.inFlightCounts == (0, 0) })
        }
    }
}
