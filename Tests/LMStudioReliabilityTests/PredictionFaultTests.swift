import LMStudioTestSupport
import LMStudio
import LMStudioMockServer
import Testing

/// The fault cases as a user of the typed prediction API sees them.
@Suite("faults through the prediction API")
struct PredictionFaultTests {
    /// Whether the mock received a channel packet of `type` (for example the protocol cancel).
    static func received(_ server: MockServer, packet type: String, within limit: Duration = .seconds(5)) async -> Bool {
        await eventually(within: limit) {
            server.receivedMessages.compactMap(\.json).contains { $0["message"]?["type"]?.stringValue == type }
        }
    }

    @Test("a drop mid-stream: connectionLost, the fragments already received are kept, other namespaces work, the next prediction reconnects",
          arguments: FaultTests.Drop.allCases)
    func midStreamDrop(drop: FaultTests.Drop) async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.defaultReply = "one two three four five"
        configuration.behavior.fragmentInterval = .milliseconds(5)
        configuration.behavior.faults = [drop == .tcpDrop ? .dropConnection(afterFragments: 3) : .closeConnection(afterFragments: 3)]
        try await withMockClient(serverConfiguration: configuration) { server, client in
            _ = try await client.rawCall(.system, endpoint: "version")
            let model = try await client.llm.model(chatModel)
            let stream = model.respondStream("Hi")
            var fragments: [String] = []
            var failure: LMStudioError?
            do throws(LMStudioError) {
                for try await fragment in stream { fragments.append(fragment.content) }
            } catch {
                failure = error
            }
            #expect(failure?.code == .connectionLost, "got \(String(describing: failure))")
            #expect(fragments.joined() == "one two three")
            // The failure is sticky.
            await #expect(throws: LMStudioError.self) { _ = try await stream.result() }
            #expect(try await client.rawCall(.system, endpoint: "version") != nil)
            #expect(authCount(server, .system) == 1)
            server.updateBehavior { $0.faults = [] }
            let again = try await model.respond("Hi")
            #expect(again.content == "one two three four five")
            #expect(await eventually { client.inFlightCounts == (0, 0) })
        }
    }

    enum Deadline: String, CaseIterable, Sendable {
        case firstToken, idle, total
    }

    @Test("a slow server: each prediction deadline fires a typed timeout and sends the protocol cancel", arguments: Deadline.allCases)
    func predictionDeadline(deadline: Deadline) async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.defaultReply = (0..<400).map { "w\($0)" }.joined(separator: " ")
        configuration.behavior.fragmentInterval = .milliseconds(5)
        configuration.behavior.fragmentIntervalsByPrompt["stall"] = slack(.seconds(3))
        try await withMockClient(serverConfiguration: configuration) { server, client in
            let model = try await client.llm.model(chatModel)
            let prompt: String
            var settings = PredictionConfiguration()
            switch deadline {
            case .firstToken:
                // The server sits on the request before producing anything.
                server.updateBehavior { $0.faults = [.delay(endpoint: "predict", slack(.seconds(3)))] }
                settings.firstTokenTimeout = .milliseconds(300)
                prompt = "Hi"
            case .idle:
                settings.idleTimeout = .milliseconds(300)
                prompt = "stall"
            case .total:
                settings.totalTimeout = .milliseconds(300)
                prompt = "Hi"
            }
            let start = ContinuousClock.now
            let error = await #expect(throws: LMStudioError.self) { _ = try await model.respond(prompt, configuration: settings) }
            #expect(error?.code == .timeout, "got \(String(describing: error))")
            #expect(ContinuousClock.now - start < slack(.seconds(3)), "the deadline fired before the server moved on")
            #expect(await Self.received(server, packet: "cancel"), "the protocol cancel was sent")
            server.updateBehavior { $0.faults = [] }
            #expect(await eventually { client.inFlightCounts == (0, 0) })
        }
    }

    @Test("a half-open server mid-prediction: keep-alive ends the stream typed, fragments kept")
    func halfOpenPrediction() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.defaultReply = "a b c d e f"
        configuration.behavior.fragmentInterval = .milliseconds(5)
        configuration.behavior.faults = [.freeze(afterFragments: 2)]
        var clientConfiguration = LMStudioClient.Configuration()
        clientConfiguration.keepAlive = .init(interval: .seconds(1), timeout: .seconds(1))
        try await withMockClient(serverConfiguration: configuration, clientConfiguration: clientConfiguration) { server, client in
            let model = try await client.llm.model(chatModel)
            let start = ContinuousClock.now
            var fragments: [String] = []
            var failure: LMStudioError?
            do throws(LMStudioError) {
                for try await fragment in model.respondStream("Hi") { fragments.append(fragment.content) }
            } catch {
                failure = error
            }
            #expect(failure.map { [.timeout, .connectionLost].contains($0.code) } == true, "got \(String(describing: failure))")
            #expect((1...2).contains(fragments.count))
            #expect(ContinuousClock.now - start < slack(.seconds(6)))
            server.updateBehavior { $0.faults = [] }
            #expect(try await model.respond("Hi").content == "a b c d e f")
        }
    }
}
