import LMStudioTestSupport
import LMStudio
import LMStudioMockServer
import Testing

// The code between `// snippet:` and `// end snippet` markers is what README.md shows, so
// every documented example compiles and runs against the mock server.

/// A structured-output target used by the documentation.
struct Capital: Decodable {
    var city: String
}

@Suite("Documentation snippets")
struct DocSnippetTests {
    @Test func connecting() async throws {
        try await MockServer.withServer { server in
            let host = server.address
            // snippet: connect
            let client = try LMStudioClient(host: host, apiToken: "")  // "127.0.0.1:1234", "ws://…"; nil host discovers a local LM Studio
            let models = try await client.llm.listLoaded()
            await client.close()
            // end snippet
            #expect(!models.isEmpty)
        }
    }

    @Test func gettingStarted() async throws {
        try await withMockClient { _, client in
            // snippet: respond
            let model = try await client.llm.model("qwen2.5-0.5b-instruct")
            let result = try await model.respond("What is the capital of France?")
            print(result.content)
            // end snippet
            #expect(!result.content.isEmpty)
        }
    }

    @Test func chat() async throws {
        try await withMockClient { _, client in
            let model = try await client.llm.model(chatModel)
            // snippet: chat
            var chat = Chat(system: "You are a terse assistant.")
            chat.append(.user("Name a prime number."))
            let reply = try await model.respond(chat, configuration: PredictionConfiguration(maxTokens: 50, temperature: 0.2))
            chat.append(.assistant(reply.content))
            // end snippet
            #expect(chat.messages.count == 3)
        }
    }

    @Test func streaming() async throws {
        try await withMockClient { _, client in
            let model = try await client.llm.model(chatModel)
            // snippet: stream
            let stream = model.respondStream("Tell me a story")
            for try await fragment in stream {
                print(fragment.content, terminator: "")
            }
            let stats = try await stream.result().stats
            print("\n\(stats.stopReason): \(stats.predictedTokensCount ?? 0) tokens, \(stats.tokensPerSecond ?? 0) tokens/s")
            // end snippet
            #expect(stats.stopReason == .eosFound)
        }
    }

    @Test func callbacks() async throws {
        try await withMockClient { _, client in
            let model = try await client.llm.model(chatModel)
            // snippet: callbacks
            let callbacks = PredictionCallbacks(
                onPromptProcessingProgress: { print("prompt: \(Int($0 * 100))%") },
                onFirstToken: { print("first token") },
                onFragment: { print($0.content, terminator: "") }
            )
            let answer = try await model.respond("Hello", callbacks: callbacks)
            // end snippet
            #expect(!answer.content.isEmpty)
        }
    }

    @Test func cancellation() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.fragmentInterval = .milliseconds(10)
        configuration.behavior.defaultReply = "I am a mock" + String(repeating: " word", count: 300)
        try await withMockClient(serverConfiguration: configuration) { _, client in
            let model = try await client.llm.model(chatModel)
            // snippet: cancel
            let stream = model.respondStream("Write a long essay")
            for try await fragment in stream {
                if fragment.content.contains("mock") { stream.cancel() }  // or cancel the task
            }
            let partial = try await stream.result()
            print(partial.stats.stopReason)  // userStopped (the server stopped generating)
            // end snippet
            #expect(partial.stats.stopReason == .userStopped)
        }
    }

    @Test func structuredOutput() async throws {
        try await withMockClient { _, client in
            let model = try await client.llm.model(chatModel)
            // snippet: structured
            // struct Capital: Decodable { var city: String }
            let schema: JSONValue = ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]]
            let configuration = PredictionConfiguration(structured: .json(Capital.self, schema: schema))
            let result = try await model.respond("What is the capital of France?", configuration: configuration)
            do {
                let capital = try result.parsed(as: Capital.self)
                print(capital.city)
            } catch let error as LMStudioError where error.code == .invalidStructuredOutput {
                print("not valid JSON:", error.rawOutput ?? "")
            }
            // end snippet
            #expect(result.parsed != nil)
        }
    }

    @Test func completion() async throws {
        try await withMockClient { _, client in
            let model = try await client.llm.model(chatModel)
            // snippet: complete
            let completion = try await model.complete("The three primary colours are", configuration: .init(maxTokens: 20, stopStrings: ["\n"]))
            print(completion.content)
            // end snippet
            #expect(!completion.content.isEmpty)
        }
    }

    @Test func listing() async throws {
        try await withMockClient { _, client in
            // snippet: list
            for model in try await client.system.listDownloadedModels() {
                print(model.type, model.modelKey, model.paramsString ?? "", model.sizeBytes)
            }
            for instance in try await client.llm.listLoaded() {
                print(instance.identifier, instance.contextLength)
            }
            let embeddingModels = try await client.embedding.listDownloaded()
            // end snippet
            #expect(embeddingModels.count == 1)
        }
    }

    @Test func loading() async throws {
        try await withMockClient { _, client in
            // snippet: load
            let llama = try await client.llm.load(
                "llama-3.2-1b-instruct",
                identifier: "llama-8k",
                ttl: .seconds(600),
                configuration: LLMLoadConfiguration(contextLength: 8192, gpuOffload: .max, flashAttention: true),
                onProgress: { print("loading: \(Int($0 * 100))%") }
            )
            print(try await llama.loadConfiguration().contextLength ?? 0)
            try await llama.unload()
            // end snippet
        }
    }

    @Test func loadingAsSequence() async throws {
        try await withMockClient { _, client in
            // snippet: loading
            let loading = try client.llm.loading("llama-3.2-1b-instruct")
            for try await progress in loading {
                print("loading: \(Int(progress * 100))%")
            }
            let loaded = try await loading.model()
            // end snippet
            #expect(loaded.modelKey == notLoadedModel)
        }
    }

    @Test func handles() async throws {
        try await withMockClient { _, client in
            // snippet: handle
            let model = try await client.llm.model()  // any loaded LLM
            let info = try await model.info()
            print(info.displayName, info.contextLength, info.trainedForToolUse)
            let tokens = try await model.tokenize("Hello, world")
            let count = try await model.countTokens("Hello, world")
            let prompt = try await model.applyPromptTemplate(Chat(system: "Be brief.").appending(.user("Hi")))
            // end snippet
            #expect(tokens.count == count)
            #expect(!prompt.isEmpty)
        }
    }

    @Test func embeddings() async throws {
        try await withMockClient { _, client in
            // snippet: embed
            let embedder = try await client.embedding.model("text-embedding-nomic-embed-text-v1.5")
            let vector = try await embedder.embed("The quick brown fox")
            let vectors = try await embedder.embed(["first document", "second document"])
            print(vector.count, vectors.count, try await embedder.contextLength())
            // end snippet
            #expect(vectors.count == 2)
        }
    }

    @Test func errors() async throws {
        try await withMockClient { _, client in
            // snippet: errors
            do {
                _ = try await client.llm.model("no-such-model")
            } catch let error as LMStudioError where error.code == .modelNotFound {
                print("not downloaded:", error.message)
            } catch {
                print("failed:", error)
            }
            // end snippet
        }
    }

    @Test func deadlines() async throws {
        try await withMockClient { _, client in
            let model = try await client.llm.model(chatModel)
            // snippet: deadlines
            let bounded = PredictionConfiguration(firstTokenTimeout: .seconds(30), idleTimeout: .seconds(10), totalTimeout: .seconds(120))
            let reply = try await model.respond("Summarise the plot of Hamlet", configuration: bounded)
            // end snippet
            #expect(reply.stats.stopReason == .eosFound)
        }
    }

    @Test func tools() async throws {
        try await withMockClient { _, client in
            let model = try await client.llm.model(chatModel)
            // snippet: tools
            let add: JSONValue = [
                "type": "function",
                "function": [
                    "name": "add",
                    "parameters": ["type": "object", "properties": ["a": ["type": "integer"], "b": ["type": "integer"]]],
                ],
            ]
            var chat: Chat = "What is 2 + 3?"
            let round = try await model.respond(
                chat, configuration: PredictionConfiguration(tools: [add]),
                callbacks: PredictionCallbacks(onToolCallEvent: { print("tool event:", $0) })
            )
            chat.append(.assistant(round.content, toolCalls: round.toolCallRequests))
            chat.append(.tool(round.toolCallRequests.map { ToolCallResultData(content: "5", toolCallId: $0.id) }))
            let answer = try await model.respond(chat, configuration: PredictionConfiguration(tools: [add]))
            // end snippet
            #expect(round.stats.stopReason == .toolCalls)
            #expect(answer.content == "The tool returned 5.")
        }
    }

    @Test func repositoryAndLogs() async throws {
        try await withMockClient { _, client in
            // snippet: download
            let hits = try await client.repository.search("gemma", limit: 5)
            let options = try await client.repository.downloadOptions(for: hits[0])
            let key = try await client.repository.download(options[0]) { print("downloaded \(Int($0.fraction * 100))%") }
            let gemma = try await client.llm.model(key)
            // end snippet
            #expect(gemma.modelKey == key)

            // snippet: logs
            let logs = client.diagnostics.streamLogs()
            let watcher = Task {
                for try await entry in logs {
                    if case .predictionInput(let model, _, let input) = entry.kind { print(model, input) }
                }
            }
            // … later
            logs.stop()
            // end snippet
            try await watcher.value
        }
    }

    @Test func attachments() async throws {
        try await withMockClient { _, client in
            let model = try await client.llm.model(chatModel)
            let pngBytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
            // snippet: files
            let photo = try await client.files.upload(name: "cat.png", contents: pngBytes)
            let description = try await model.respond([.user("What is in this picture?", files: [photo])])
            // end snippet
            #expect(!description.content.isEmpty)
        }
    }

    @Test func queries() async throws {
        try await withMockClient { _, client in
            // snippet: query
            let any = try await client.llm.model()  // any loaded LLM
            let exact = try await client.llm.model(matching: ModelQuery(identifier: any.identifier))
            // end snippet
            #expect(exact.identifier == any.identifier)
        }
    }

    @Test func version() async throws {
        try await withMockClient { _, client in
            // snippet: version
            let version = try await client.system.version()
            print("LM Studio \(version.version) (build \(version.build))")
            // end snippet
        }
    }
}
