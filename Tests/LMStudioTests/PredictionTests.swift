import LMStudioTestSupport
import LMStudio
import LMStudioMockServer
import Synchronization
import Testing

let defaultReply = "Hello! I am a mock LM Studio model."

@Suite("Predictions")
struct PredictionTests {
    @Test func respondReturnsTheReplyAndStats() async throws {
        try await withMockClient { server, client in
            let model = try await client.llm.model(chatModel)
            let result = try await model.respond("Hi there")
            #expect(result.content == defaultReply)
            #expect(result.nonReasoningContent == defaultReply)
            #expect(result.reasoningContent.isEmpty)
            #expect(result.stats.stopReason == .eosFound)
            #expect(result.stats.predictedTokensCount == 8)
            #expect(result.stats.promptTokensCount ?? 0 > 0)
            #expect(result.stats.totalTokensCount == (result.stats.promptTokensCount ?? 0) + 8)
            #expect(result.stats.tokensPerSecond != nil)
            #expect(result.stats.timeToFirstTokenSeconds != nil)
            #expect(result.modelInfo?.identifier == chatModel)
            #expect(!result.loadConfiguration.fields.isEmpty)
            #expect(!result.wasCancelled)

            let request = try #require(received(server, "predict").first?["creationParameter"])
            #expect(request["modelSpecifier"] == modelQuery(chatModel))
            #expect(request["history"] == ["messages": [["role": "user", "content": [["type": "text", "text": "Hi there"]]]]])
            #expect(request["predictionConfigStack"] == ["layers": [["layerName": "apiOverride", "config": ["fields": []]]]])
        }
    }

    @Test func respondStreamDeliversFragmentsThenTheResult() async throws {
        try await withMockClient { _, client in
            let model = try await client.llm.model(chatModel)
            var chat = Chat(system: "You are a mock.")
            chat.append(.user("Say hello"))
            let progress = Mutex<[Double]>([])
            let firstTokens = Mutex(0)
            let callbackFragments = Mutex<[String]>([])
            let callbacks = PredictionCallbacks(
                onPromptProcessingProgress: { value in progress.withLock { $0.append(value) } },
                onFirstToken: { firstTokens.withLock { $0 += 1 } },
                onFragment: { fragment in callbackFragments.withLock { $0.append(fragment.content) } }
            )
            let stream = model.respondStream(chat, callbacks: callbacks)
            var pieces: [String] = []
            for try await fragment in stream {
                pieces.append(fragment.content)
                #expect(fragment.tokensCount == 1)
                #expect(fragment.reasoningType == .none)
            }
            #expect(pieces.joined() == defaultReply)
            #expect(pieces.count == 8)
            let result = try await stream.result()
            #expect(result.content == defaultReply)
            #expect(progress.withLock { $0 } == [0, 1])
            #expect(firstTokens.withLock { $0 } == 1)
            #expect(callbackFragments.withLock { $0 } == pieces)
        }
    }

    @Test func sixtyFourConcurrentStreamsOnOneClient() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.responder = { request in
            // Each prediction gets its own numbered reply, so order and routing are checkable.
            (0..<40).map { " \(request.lastUserText)-\($0)" }.joined()
        }
        try await withMockClient(serverConfiguration: configuration) { _, client in
            let model = try await client.llm.model(chatModel)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<64 {
                    group.addTask {
                        let stream = model.respondStream("p\(index)")
                        var pieces: [String] = []
                        for try await fragment in stream { pieces.append(fragment.content) }
                        let expected = (0..<40).map { " p\(index)-\($0)" }
                        #expect(pieces == expected)
                        let result = try await stream.result()
                        #expect(result.content == expected.joined())
                        #expect(result.stats.stopReason == .eosFound)
                        #expect(result.stats.predictedTokensCount == 40)
                    }
                }
                try await group.waitForAll()
            }
            #expect(client.inFlightCounts.channels == 0)
        }
    }

    @Test func cancellingTheConsumingTaskStopsTheServer() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.defaultReply = (0..<500).map { "w\($0)" }.joined(separator: " ")
        configuration.behavior.fragmentInterval = .milliseconds(5)
        try await withMockClient(serverConfiguration: configuration) { server, client in
            let model = try await client.llm.model(chatModel)
            let stream = model.respondStream("Go on")
            let seen = Mutex(0)
            let task = Task {
                for try await _ in stream {
                    if seen.withLock({ $0 += 1; return $0 }) == 3 { withUnsafeCurrentTask { $0?.cancel() } }
                }
            }
            try await task.value
            let result = try await stream.result()
            #expect(result.stats.stopReason == .userStopped)
            #expect(result.wasCancelled)
            #expect(result.content.hasPrefix("w0 w1 w2"))
            #expect(result.content.count < configuration.behavior.defaultReply.count)
            let cancels = server.receivedMessages.compactMap(\.json).filter {
                $0["type"] == "channelSend" && $0["message"] == ["type": "cancel"]
            }
            #expect(cancels.count == 1)
        }
    }

    @Test func streamCancelFromAnotherTask() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.defaultReply = (0..<500).map { "w\($0)" }.joined(separator: " ")
        configuration.behavior.fragmentInterval = .milliseconds(5)
        try await withMockClient(serverConfiguration: configuration) { server, client in
            let model = try await client.llm.model(chatModel)
            let stream = model.respondStream("Go on")
            var count = 0
            for try await _ in stream {
                count += 1
                if count == 2 { stream.cancel() }
            }
            let result = try await stream.result()
            #expect(result.stats.stopReason == .userStopped)
            #expect(count == 2)  // fragments after the cancel are dropped
            #expect(server.receivedMessages.compactMap(\.json).contains { $0["message"] == ["type": "cancel"] })
        }
    }

    @Test func cancellingRespondReturnsThePartialResult() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.defaultReply = (0..<500).map { "w\($0)" }.joined(separator: " ")
        configuration.behavior.fragmentInterval = .milliseconds(5)
        try await withMockClient(serverConfiguration: configuration) { _, client in
            let model = try await client.llm.model(chatModel)
            let first = Mutex(false)
            let task = Task {
                try await model.respond("Go on", callbacks: PredictionCallbacks(onFirstToken: { first.withLock { $0 = true } }))
            }
            while !first.withLock({ $0 }) { await Task.yield() }
            task.cancel()
            let result = try await task.value
            #expect(result.stats.stopReason == .userStopped)
            #expect(!result.content.isEmpty)
        }
    }

    @Test func reasoningIsSplitOut() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.defaultReply = "<think>Two plus two is four.</think> The answer is 4."
        try await withMockClient(serverConfiguration: configuration) { _, client in
            let model = try await client.llm.model(chatModel)
            let stream = model.respondStream("2+2?")
            var types: [ReasoningType] = []
            for try await fragment in stream { types.append(fragment.reasoningType) }
            #expect(types.first == .reasoningStartTag)
            #expect(types.contains(.reasoningEndTag))
            let result = try await stream.result()
            #expect(result.content == configuration.behavior.defaultReply)
            #expect(result.reasoningContent == "Two plus two is four.")
            #expect(result.nonReasoningContent == " The answer is 4.")
        }
    }

    @Test func stopStringsAndMaxTokensAreHonoured() async throws {
        try await withMockClient { server, client in
            let model = try await client.llm.model(chatModel)
            let stopped = try await model.respond("Hi", configuration: PredictionConfiguration(stopStrings: ["mock"]))
            #expect(stopped.content == "Hello! I am a ")
            #expect(stopped.stats.stopReason == .stopStringFound)
            let limited = try await model.respond("Hi", configuration: PredictionConfiguration(maxTokens: 3))
            #expect(limited.content == "Hello! I am")
            #expect(limited.stats.stopReason == .maxPredictedTokensReached)
            let sent = received(server, "predict").compactMap { $0["creationParameter"]?["predictionConfigStack"] }
            #expect(try KVConfigStack(jsonValue: sent[0]).collapsed["llm.prediction.stopStrings"] == ["mock"])
            #expect(
                try KVConfigStack(jsonValue: sent[1]).collapsed["llm.prediction.maxPredictedTokens"] == ["checked": true, "value": 3]
            )
        }
    }

    @Test func predictionConfigurationBecomesKVFields() async throws {
        try await withMockClient { server, client in
            let model = try await client.llm.model(chatModel)
            let configuration = PredictionConfiguration(
                maxTokens: 100, temperature: 0.2, topK: 40, topP: 0.9, minP: 0.05, repeatPenalty: 1.1,
                contextOverflowPolicy: .rollingWindow, draftModel: "tiny-draft", cpuThreads: 4,
                raw: ["llm.prediction.seed": 42]
            )
            _ = try await model.respond("Hi", configuration: configuration)
            let stack = try #require(received(server, "predict").first?["creationParameter"]?["predictionConfigStack"])
            let fields = try KVConfigStack(jsonValue: stack).collapsed
            #expect(fields["llm.prediction.temperature"] == 0.2)
            #expect(fields["llm.prediction.topKSampling"] == 40)
            #expect(fields["llm.prediction.topPSampling"] == ["checked": true, "value": 0.9])
            #expect(fields["llm.prediction.minPSampling"] == ["checked": true, "value": 0.05])
            #expect(fields["llm.prediction.repeatPenalty"] == ["checked": true, "value": 1.1])
            #expect(fields["llm.prediction.contextOverflowPolicy"] == "rollingWindow")
            #expect(fields["llm.prediction.speculativeDecoding.draftModel"] == "tiny-draft")
            #expect(fields["llm.prediction.llama.cpuThreads"] == 4)
            #expect(fields["llm.prediction.seed"] == 42)
        }
    }

    struct Person: Decodable, Equatable {
        var name: String
        var age: Int
    }

    @Test func structuredOutputParsesIntoADecodableType() async throws {
        try await withMockClient { server, client in
            let model = try await client.llm.model(chatModel)
            let schema: JSONValue = [
                "type": "object",
                "properties": ["name": ["type": "string"], "age": ["type": "integer"]],
                "required": ["name", "age"],
            ]
            let result = try await model.respond(
                "Who?", configuration: PredictionConfiguration(structured: .json(Person.self, schema: schema))
            )
            #expect(result.parsed != nil)
            let person = try result.parsed(as: Person.self)
            #expect(person == Person(name: "", age: 0))
            let stack = try #require(received(server, "predict").first?["creationParameter"]?["predictionConfigStack"])
            #expect(try KVConfigStack(jsonValue: stack).collapsed["llm.prediction.structured"] == ["type": "json", "jsonSchema": schema])
        }
    }

    @Test func unparseableStructuredOutputIsATypedError() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.responder = { _ in "not json at all" }
        try await withMockClient(serverConfiguration: configuration) { _, client in
            let model = try await client.llm.model(chatModel)
            let result = try await model.respond(
                "Who?", configuration: PredictionConfiguration(structured: .jsonSchema(["type": "object"]))
            )
            #expect(result.parsed == nil)
            do {
                _ = try result.parsed(as: Person.self)
                Issue.record("expected an error")
            } catch let error as LMStudioError {
                #expect(error.code == .invalidStructuredOutput)
                #expect(error.rawOutput == "not json at all")
            }
        }
    }

    @Test func completeUsesTheCompletionTemplate() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior = .echo
        try await withMockClient(serverConfiguration: configuration) { server, client in
            let model = try await client.llm.model(chatModel)
            let result = try await model.complete("Once upon a time")
            #expect(result.content == "Once upon a time")
            let stream = model.completeStream("abc def")
            var pieces: [String] = []
            for try await fragment in stream { pieces.append(fragment.content) }
            #expect(pieces.joined() == "abc def")
            let stack = try #require(received(server, "predict").first?["creationParameter"]?["predictionConfigStack"])
            let layers = try KVConfigStack(jsonValue: stack).layers
            #expect(layers.map(\.layerName) == [.apiOverride, .completeModeFormatting])
            #expect(layers[0].config["llm.prediction.stopStrings"] == [])
            #expect(layers[1].config["llm.prediction.promptTemplate"]?["type"] == "jinja")
        }
    }

    @Test func presetNotFoundIsTyped() async throws {
        try await withMockClient { _, client in
            let model = try await client.llm.model(chatModel)
            do {
                _ = try await model.respond("Hi", configuration: PredictionConfiguration(preset: "nope"))
                Issue.record("expected an error")
            } catch let error as LMStudioError {
                #expect(error.code == .presetNotFound)
            }
        }
    }

    @Test func toolCallEventsAndRequestsAreExposed() async throws {
        try await withMockClient { server, client in
            let model = try await client.llm.model(chatModel)
            let tool: JSONValue = [
                "type": "function",
                "function": [
                    "name": "add", "description": "Adds",
                    "parameters": ["type": "object", "properties": ["a": ["type": "integer"], "b": ["type": "integer"]]],
                ],
            ]
            server.updateBehavior { $0.toolCallArguments["add"] = ["a": 2, "b": 3] }
            let events = Mutex<[ToolCallEvent]>([])
            let result = try await model.respond(
                "Please add", configuration: PredictionConfiguration(tools: [tool]),
                callbacks: PredictionCallbacks(onToolCallEvent: { event in events.withLock { $0.append(event) } })
            )
            #expect(result.stats.stopReason == .toolCalls)
            let request = try #require(result.toolCallRequests.first)
            #expect(request.name == "add")
            #expect(request.arguments == ["a": 2, "b": 3])
            let seen = events.withLock { $0 }
            #expect(seen.count == 4)
            if case .started = seen.first {} else { Issue.record("first event should be .started") }
            #expect(seen[1] == .nameReceived("add"))

            // The next round carries the tool result and the model answers with text.
            var chat: Chat = "Please add"
            chat.append(.assistant(result))
            #expect(chat.messages.last == .assistant("", toolCalls: result.toolCallRequests))
            chat.append(.tool([ToolCallResultData(content: "5", toolCallId: request.id)]))
            let final = try await model.respond(chat, configuration: PredictionConfiguration(tools: [tool]))
            #expect(final.content == "The tool returned 5.")
        }
    }

    @Test func firstTokenDeadlineCancelsAndThrowsTimeout() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.faults = [.delay(endpoint: "predict", .seconds(3))]
        try await withMockClient(serverConfiguration: configuration) { server, client in
            let model = try await client.llm.model(chatModel)
            do {
                _ = try await model.respond("slow", configuration: PredictionConfiguration(firstTokenTimeout: .milliseconds(200)))
                Issue.record("expected a timeout")
            } catch let error as LMStudioError {
                #expect(error.code == .timeout)
            }
        }
    }
}

/// Waits (bounded) until the server has received a channel packet of `type`.
func waitForPacket(_ server: MockServer, type: JSONValue, within limit: Duration = .seconds(5)) async -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if server.receivedMessages.compactMap(\.json).contains(where: { $0["message"]?["type"] == type }) { return true }
        await Task.yield()
    }
    return false
}

@Suite("Prediction deadlines and abandonment")
struct PredictionLifetimeTests {
    static var slowServer: MockServer.Configuration {
        var configuration = MockServer.Configuration()
        configuration.behavior.defaultReply = (0..<500).map { "w\($0)" }.joined(separator: " ")
        configuration.behavior.fragmentInterval = .milliseconds(5)
        configuration.behavior.fragmentIntervalsByPrompt["stall"] = .seconds(2)
        return configuration
    }

    @Test func aDroppedConnectionFailsTheStreamWithConnectionLost() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.faults = [.dropConnection(afterFragments: 3)]
        try await withMockClient(serverConfiguration: configuration) { _, client in
            let model = try await client.llm.model(chatModel)
            let stream = model.respondStream("Hi")
            var count = 0
            do {
                for try await _ in stream { count += 1 }
                Issue.record("expected an error")
            } catch let error as LMStudioError {
                #expect(error.code == .connectionLost)
            }
            #expect(count == 3)
        }
    }

    @Test func aChannelClosedWithoutResultIsAnError() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.faults = [.closeChannelBeforeResult]
        try await withMockClient(serverConfiguration: configuration) { _, client in
            let model = try await client.llm.model(chatModel)
            do {
                _ = try await model.respond("Hi")
                Issue.record("expected an error")
            } catch let error as LMStudioError {
                #expect(error.code == .protocolViolation)
            }
        }
    }

    @Test func abandoningAStreamSendsCancel() async throws {
        try await withMockClient(serverConfiguration: Self.slowServer) { server, client in
            let model = try await client.llm.model(chatModel)
            do {
                let stream = model.respondStream("Go on")
                for try await _ in stream { break }
            }
            #expect(await waitForPacket(server, type: "cancel"))
        }
    }

    @Test func idleDeadlineCancelsAndThrowsTimeout() async throws {
        try await withMockClient(serverConfiguration: Self.slowServer) { server, client in
            let model = try await client.llm.model(chatModel)
            do {
                _ = try await model.respond("stall", configuration: PredictionConfiguration(idleTimeout: .milliseconds(200)))
                Issue.record("expected a timeout")
            } catch let error as LMStudioError {
                #expect(error.code == .timeout)
            }
            #expect(await waitForPacket(server, type: "cancel"))
        }
    }

    @Test func totalDeadlineCancelsAndThrowsTimeout() async throws {
        try await withMockClient(serverConfiguration: Self.slowServer) { server, client in
            let model = try await client.llm.model(chatModel)
            let stream = model.respondStream("Go on", configuration: PredictionConfiguration(totalTimeout: .milliseconds(150)))
            var count = 0
            do {
                for try await _ in stream { count += 1 }
                Issue.record("expected a timeout")
            } catch let error as LMStudioError {
                #expect(error.code == .timeout)
            }
            #expect(count < 500)
            #expect(await waitForPacket(server, type: "cancel"))
            // The failure is sticky: result() reports it too.
            do {
                _ = try await stream.result()
                Issue.record("expected a timeout")
            } catch let error as LMStudioError {
                #expect(error.code == .timeout)
            }
        }
    }
}

@Suite("Chat")
struct ChatTests {
    @Test func chatRoundTripsThroughTheWireFormat() throws {
        var chat = Chat(system: "Be brief.")
        chat.append(.user("Look", files: [FilePartData(name: "a.png", identifier: "1-a.png", sizeBytes: 3, fileType: "image")]))
        chat.append(.assistant("Sure", toolCalls: [ToolCallRequestData(name: "f", id: "c1", arguments: ["x": 1])]))
        chat.append(.tool([ToolCallResultData(content: "2", toolCallId: "c1")]))
        let json = try JSONValueEncoder().encode(chat)
        #expect(json["messages"]?.arrayValue?.count == 4)
        #expect(json["messages"]?.arrayValue?[1]["content"]?.arrayValue?[1]["type"] == "file")
        let decoded = try JSONValueDecoder().decode(Chat.self, from: json)
        #expect(decoded == chat)
        #expect(decoded.messages[2].toolCallRequests.first?.name == "f")
        #expect(decoded.messages[1].text == "Look")
        let literal: Chat = "Hi"
        #expect(literal.messages == [.user("Hi")])
    }
}

@Suite("Configurations")
struct ConfigurationTests {
    @Test func loadConfigurationsRoundTripThroughKVFields() {
        var llm = LLMLoadConfiguration(
            contextLength: 4096, gpuOffload: .off, flashAttention: false, seed: 3, evalBatchSize: 128, keepModelInMemory: false,
            useMmap: true, offloadKVCacheToGPU: true, useFP16ForKVCache: false, kCacheQuantization: .q4_0,
            vCacheQuantization: .q8_0, ropeFrequencyBase: 10_000, ropeFrequencyScale: 1, numExperts: 4, maxParallelPredictions: 2
        )
        #expect(LLMLoadConfiguration(kvConfig: llm.kvConfig) == llm)
        llm.gpuOffloadRatio = 0.5
        #expect(llm.kvConfig["llm.load.llama.acceleration.offloadRatio"] == 0.5)
        #expect(LLMLoadConfiguration(gpuOffload: .max).gpuOffloadRatio == 1)
        // Unchecked checkbox fields read back as absent.
        let unchecked = KVConfig().setting("llm.load.seed", to: KVConfig.checkbox(false, value: 0))
        #expect(LLMLoadConfiguration(kvConfig: unchecked).seed == nil)

        let embedding = EmbeddingLoadConfiguration(
            contextLength: 512, gpuOffload: .ratio(0.25), keepModelInMemory: true, useMmap: false, ropeFrequencyBase: 2,
            ropeFrequencyScale: 3
        )
        #expect(EmbeddingLoadConfiguration(kvConfig: embedding.kvConfig) == embedding)
        #expect(embedding.kvConfig["embedding.load.contextLength"] == 512)
        let raw = EmbeddingLoadConfiguration(contextLength: 512, raw: ["embedding.load.contextLength": 1024])
        #expect(raw.kvConfig["embedding.load.contextLength"] == 1024)
    }

    @Test func predictionConfigurationEdgeCases() {
        #expect(PredictionConfiguration(tools: []).kvConfig["llm.prediction.tools"] == ["type": "none"])
        #expect(PredictionConfiguration().kvConfig.fields.isEmpty)
        #expect(PredictionConfiguration(structured: StructuredOutput.none).kvConfig["llm.prediction.structured"] == ["type": "none"])
        #expect(
            PredictionConfiguration(structured: .gbnf("root ::= \"a\"")).kvConfig["llm.prediction.structured"]
                == ["type": "gbnf", "gbnfGrammar": "root ::= \"a\""]
        )
    }
}
