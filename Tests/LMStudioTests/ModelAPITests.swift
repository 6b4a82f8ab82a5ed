@testable import LMStudio
import LMStudioTestSupport
import LMStudioMockServer
import Synchronization
import Testing

/// The messages of `endpoint` that the server received (RPC calls and channel creations).
func received(_ server: MockServer, _ endpoint: String) -> [JSONValue] {
    server.receivedMessages.compactMap(\.json).filter { $0["endpoint"]?.stringValue == endpoint }
}

@Suite("Catalogue and lifecycle")
struct CatalogueTests {
    @Test func listsDownloadedAndLoadedModels() async throws {
        try await withMockClient { _, client in
            let all = try await client.system.listDownloadedModels()
            #expect(Set(all.map(\.modelKey)) == [chatModel, embeddingModel, notLoadedModel])
            let llms = try await client.llm.listDownloaded()
            #expect(Set(llms.map(\.modelKey)) == [chatModel, notLoadedModel])
            #expect(llms.allSatisfy { $0.type == .llm })
            let qwen = try #require(llms.first { $0.modelKey == chatModel })
            #expect(qwen.trainedForToolUse)
            #expect(qwen.sizeBytes > 0)
            #expect(!qwen.path.isEmpty)
            let embeddings = try await client.embedding.listDownloaded()
            #expect(embeddings.map(\.modelKey) == [embeddingModel])
            #expect(embeddings[0].type == .embedding)

            let loaded = try await client.llm.listLoaded()
            #expect(loaded.map(\.identifier) == [chatModel])
            #expect(loaded[0].modelKey == chatModel)
            #expect(loaded[0].contextLength > 0)
            #expect(loaded[0].type == .llm)
            let loadedEmbeddings = try await client.embedding.listLoaded()
            #expect(loadedEmbeddings.map(\.identifier) == [embeddingModel])
        }
    }

    @Test func modelGetsOrLoadsWithTheDefaultTTL() async throws {
        try await withMockClient { server, client in
            let model = try await client.llm.model(chatModel)
            #expect(model.identifier == chatModel)
            #expect(model.modelKey == chatModel)
            let other = try await client.llm.model(notLoadedModel)
            #expect(other.modelKey == notLoadedModel)
            let requests = received(server, "getOrLoad")
            #expect(requests.count == 2)
            #expect(requests.allSatisfy { $0["creationParameter"]?["loadTtlMs"] == 3_600_000 })
            #expect(try await client.llm.listLoaded().count == 2)
        }
    }

    @Test func modelWithoutKeyReturnsAnyLoadedModel() async throws {
        try await withMockClient { server, client in
            let model = try await client.llm.model()
            #expect(model.identifier == chatModel)
            let embedding = try await client.embedding.model()
            #expect(embedding.identifier == embeddingModel)
            let call = try #require(received(server, "getModelInfo").first)
            #expect(call["parameter"]?["specifier"] == ["type": "query", "query": [:]])
        }
    }

    @Test func sixteenConcurrentModelCallsMakeOneServerRequest() async throws {
        try await withMockClient { server, client in
            server.updateBehavior { $0.loadStepInterval = .milliseconds(20) }
            let identifiers = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<16 { group.addTask { try await client.llm.model(notLoadedModel).identifier } }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(identifiers.count == 16)
            #expect(Set(identifiers).count == 1)
            #expect(received(server, "getOrLoad").count == 1)
            #expect(received(server, "loadModel").isEmpty)
            #expect(try await client.llm.listLoaded().filter { $0.modelKey == notLoadedModel }.count == 1)
        }
    }

    @Test func coalescedRequestsShareAFailure() async throws {
        try await withMockClient { server, client in
            server.updateBehavior { $0.faults = [.delay(endpoint: "getOrLoad", .milliseconds(300))] }
            let codes = try await withThrowingTaskGroup(of: LMStudioError.Code?.self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        do {
                            _ = try await client.llm.model("missing-model")
                            return nil
                        } catch let error as LMStudioError {
                            return error.code
                        } catch {
                            return nil
                        }
                    }
                }
                return try await group.reduce(into: [LMStudioError.Code?]()) { $0.append($1) }
            }
            #expect(codes.allSatisfy { $0 == .modelNotFound })
            #expect(received(server, "getOrLoad").count == 1)
        }
    }

    @Test func loadReportsProgressAndAppliesTheConfiguration() async throws {
        try await withMockClient { server, client in
            let progress = Mutex<[Double]>([])
            let model = try await client.llm.load(
                notLoadedModel, identifier: "mine", ttl: .seconds(90),
                configuration: LLMLoadConfiguration(
                    contextLength: 1024, gpuOffload: .max, flashAttention: true, seed: 7, evalBatchSize: 256,
                    keepModelInMemory: true, useMmap: false, kCacheQuantization: .q8_0, raw: ["llm.load.numExperts": 2]
                ),
                onProgress: { value in progress.withLock { $0.append(value) } }
            )
            #expect(model.identifier == "mine")
            #expect(try await model.contextLength() == 1024)
            let values = progress.withLock { $0 }
            #expect(values == values.sorted())
            #expect(values.last == 1)
            let request = try #require(received(server, "loadModel").first?["creationParameter"])
            #expect(request["modelKey"] == .string(notLoadedModel))
            #expect(request["identifier"] == "mine")
            #expect(request["ttlMs"] == 90_000)
            let fields = try KVConfigStack(jsonValue: try #require(request["loadConfigStack"])).collapsed
            #expect(fields["llm.load.contextLength"] == 1024)
            #expect(fields["llm.load.llama.acceleration.offloadRatio"] == "max")
            #expect(fields["llm.load.llama.flashAttention"] == true)
            #expect(fields["llm.load.seed"] == ["checked": true, "value": 7])
            #expect(fields["llm.load.llama.evalBatchSize"] == 256)
            #expect(fields["llm.load.llama.keepModelInMemory"] == true)
            #expect(fields["llm.load.llama.tryMmap"] == false)
            #expect(fields["llm.load.llama.kCacheQuantizationType"] == ["checked": true, "value": "q8_0"])
            #expect(fields["llm.load.numExperts"] == 2)

            let config = try await model.loadConfiguration()
            #expect(config.contextLength == 1024)

            try await model.unload()
            #expect(try await client.llm.listLoaded().map(\.identifier) == [chatModel])
        }
    }

    @Test func loadingReportsProgressAsAnAsyncSequence() async throws {
        try await withMockClient { _, client in
            let loading = try client.embedding.loading(embeddingModel, identifier: "second-embedder")
            var values: [Double] = []
            for try await value in loading { values.append(value) }
            #expect(values == [0.25, 0.5, 0.75, 1])
            let model = try await loading.model()
            #expect(model.identifier == "second-embedder")
            try await client.embedding.unload("second-embedder")
        }
    }

    @Test func cancellingALoadSendsCancel() async throws {
        try await withMockClient { server, client in
            server.updateBehavior {
                $0.loadStepInterval = .milliseconds(200)
                $0.loadProgressSteps = 50
            }
            let started = Mutex(false)
            let task = Task {
                try await client.llm.load(notLoadedModel, onProgress: { _ in started.withLock { $0 = true } })
            }
            while !started.withLock({ $0 }) { await Task.yield() }
            task.cancel()
            await #expect(throws: LMStudioError.self) { try await task.value }
            // The cancel packet reaches the server.
            let deadline = ContinuousClock.now + .seconds(5)
            while ContinuousClock.now < deadline {
                if server.receivedMessages.compactMap(\.json).contains(where: { $0["message"]?["type"] == "cancel" }) { break }
                await Task.yield()
            }
            #expect(server.receivedMessages.compactMap(\.json).contains { $0["message"]?["type"] == "cancel" })
        }
    }

    @Test func unknownModelsMapToModelNotFound() async throws {
        try await withMockClient { _, client in
            await #expect(throws: LMStudioError.self) { try await client.llm.model("no-such-model") }
            do {
                _ = try await client.llm.model("no-such-model")
            } catch let error as LMStudioError {
                #expect(error.code == .modelNotFound)
            }
            do {
                _ = try await client.llm.load("no-such-model")
            } catch let error as LMStudioError {
                #expect(error.code == .modelNotFound)
            }
            let model = try await client.llm.model(chatModel)
            try await model.unload()
            do {
                _ = try await model.info()
                Issue.record("expected an error")
            } catch let error as LMStudioError {
                #expect(error.code == .modelNotFound)
            }
            do {
                _ = try await model.respond("Hi")
                Issue.record("expected an error")
            } catch let error as LMStudioError {
                #expect(error.code == .modelNotFound)
            }
            do {
                _ = try await client.llm.model()
                Issue.record("expected an error")
            } catch let error as LMStudioError {
                #expect(error.code == .modelNotFound)
            }
        }
    }

    @Test func ttlDefaults() async throws {
        try await withMockClient { server, client in
            _ = try await client.llm.load(notLoadedModel, identifier: "explicit-load")
            #expect(received(server, "loadModel").first?["creationParameter"]?["ttlMs"] == nil)
        }
        var configuration = LMStudioClient.Configuration()
        configuration.defaultModelTTL = nil
        try await withMockClient(clientConfiguration: configuration) { server, client in
            _ = try await client.llm.model(notLoadedModel)
            let request = try #require(received(server, "getOrLoad").first?["creationParameter"])
            #expect(request["loadTtlMs"] == nil)
        }
    }

    @Test func invalidArgumentsFailBeforeAnyIO() async throws {
        try await withMockClient { server, client in
            do {
                _ = try await client.llm.load(notLoadedModel, ttl: .milliseconds(10))
                Issue.record("expected an error")
            } catch let error as LMStudioError {
                #expect(error.code == .invalidArgument)
            }
            do {
                _ = try await client.llm.model("")
                Issue.record("expected an error")
            } catch let error as LMStudioError {
                #expect(error.code == .invalidArgument)
            }
            for key in [String(repeating: "k", count: 1025), "tab\there"] {
                do {
                    _ = try await client.llm.model(key)
                    Issue.record("expected an error")
                } catch let error as LMStudioError {
                    #expect(error.code == .invalidArgument)
                }
            }
            #expect(received(server, "loadModel").isEmpty)
            #expect(received(server, "getOrLoad").isEmpty)
        }
    }
}

@Suite("Model handles")
struct HandleTests {
    @Test func llmHandleRPCs() async throws {
        try await withMockClient { _, client in
            let model = try await client.llm.model(chatModel)
            let info = try await model.info()
            #expect(info.identifier == chatModel)
            #expect(info.trainedForToolUse)
            #expect(try await model.contextLength() == info.contextLength)
            let tokens = try await model.tokenize("Hello, world")
            #expect(tokens.count == 3)
            let batch = try await model.tokenize(["Hello", "Hello, world", "a b c"])
            #expect(batch.map(\.count) == [1, 3, 3])
            #expect(batch[1] == tokens)
            #expect(try await model.countTokens("Hello, world") == 3)
            var chat = Chat(system: "Be brief.")
            chat.append(.user("Hi"))
            let formatted = try await model.applyPromptTemplate(chat)
            #expect(formatted.contains("<|im_start|>system\nBe brief."))
            #expect(formatted.hasSuffix("<|im_start|>assistant\n"))
            let config = try await model.loadConfiguration()
            #expect(config.contextLength == info.contextLength)
        }
    }

    @Test func embeddingHandleRPCs() async throws {
        try await withMockClient { _, client in
            let model = try await client.embedding.model(embeddingModel)
            let vector = try await model.embed("Hello")
            #expect(vector.count == 8)
            let norm = vector.reduce(0) { $0 + $1 * $1 }
            #expect(abs(norm - 1) < 1e-6)
            let vectors = try await model.embed(["Hello", "World", "Hello"])
            #expect(vectors.count == 3)
            #expect(vectors[0] == vector)
            #expect(vectors[2] == vector)
            #expect(vectors[1] != vector)
            #expect(try await model.tokenize("a b").count == 2)
            #expect(try await model.tokenize(["a", "b c"]).map(\.count) == [1, 2])
            #expect(try await model.countTokens("a b c") == 3)
            #expect(try await model.contextLength() > 0)
            #expect(try await model.info().type == .embedding)
            #expect(try await model.loadConfiguration().contextLength == model.loadedInfo.contextLength)
        }
    }

    @Test func largeBatchesKeepTheirOrder() async throws {
        try await withMockClient { _, client in
            let model = try await client.embedding.model(embeddingModel)
            let texts = (0..<100).map { "text number \($0)" }
            let vectors = try await model.embed(texts)
            #expect(vectors.count == 100)
            #expect(vectors[42] == (try await model.embed(texts[42])))
            let llm = try await client.llm.model(chatModel)
            let tokens = try await llm.tokenize(texts)
            #expect(tokens.map(\.count) == texts.map { _ in 3 })
            #expect(client.inFlightCounts.calls == 0)
        }
    }

    @Test func serverVersion() async throws {
        try await withMockClient { _, client in
            let version = try await client.system.version()
            #expect(version.version == "0.3.31")
            #expect(version.build == 7)
        }
    }
}

@Suite("Repository and diagnostics")
struct RepositoryTests {
    @Test func searchDownloadAndLoad() async throws {
        try await withMockClient { server, client in
            let hits = try await client.repository.search("gemma", limit: 5)
            let hit = try #require(hits.first)
            #expect(hit.name == "gemma-3-270m-it")
            let options = try await client.repository.downloadOptions(for: hit)
            let option = try #require(options.first)
            #expect(option.isRecommended)
            #expect(option.sizeBytes > 0)
            let progress = Mutex<[DownloadProgress]>([])
            let finalizing = Mutex(false)
            let key = try await client.repository.download(
                downloadIdentifier: option.downloadIdentifier,
                onProgress: { update in progress.withLock { $0.append(update) } },
                onFinalizing: { finalizing.withLock { $0 = true } }
            )
            #expect(key == "gemma-3-270m-it")
            let updates = progress.withLock { $0 }
            #expect(updates.count == 4)
            #expect(updates.last?.fraction == 1)
            #expect(finalizing.withLock { $0 })
            #expect(try await client.llm.listDownloaded().contains { $0.modelKey == key })
            let model = try await client.llm.model(key)
            #expect(try await model.respond("Hi").content == defaultReply)
            let search = try #require(received(server, "searchModels").first?["parameter"])
            #expect(search == ["opts": ["searchTerm": "gemma", "limit": 5]])
        }
    }

    @Test func cancellingADownloadSendsCancel() async throws {
        try await withMockClient { server, client in
            server.updateBehavior {
                $0.loadStepInterval = .milliseconds(100)
                $0.loadProgressSteps = 100
            }
            let option = try #require(try await client.repository.downloadOptions(for: try await client.repository.search("gemma")[0]).first)
            let started = Mutex(false)
            let task = Task {
                try await client.repository.download(option) { _ in started.withLock { $0 = true } }
            }
            while !started.withLock({ $0 }) { await Task.yield() }
            task.cancel()
            do {
                _ = try await task.value
                Issue.record("expected an error")
            } catch let error as LMStudioError {
                #expect(error.code == .cancelled)
            }
            #expect(await waitForPacket(server, type: "cancel"))
            #expect(try await !client.llm.listDownloaded().contains { $0.modelKey == "gemma-3-270m-it" })
        }
    }

    @Test func emptySearchTermIsRejected() async throws {
        try await withMockClient { _, client in
            do {
                _ = try await client.repository.search("")
                Issue.record("expected an error")
            } catch let error as LMStudioError {
                #expect(error.code == .invalidArgument)
            }
        }
    }

    @Test func streamLogsDeliversPredictionInputsAndStops() async throws {
        try await withMockClient { server, client in
            let model = try await client.llm.model(chatModel)
            let logs = client.diagnostics.streamLogs()
            let done = Mutex(false)
            let reader = Task { () async throws -> LogEvent? in
                defer { done.withLock { $0 = true } }
                for try await entry in logs { return entry }
                return nil
            }
            // The log channel opens asynchronously: predict until the reader has an entry.
            while !done.withLock({ $0 }) { _ = try await model.respond("Log me") }
            let entry = try #require(try await reader.value)
            guard case .predictionInput(let identifier, _, let input) = entry.kind else {
                Issue.record("unexpected log entry \(entry)")
                return
            }
            #expect(identifier == chatModel)
            #expect(input.contains("Log me"))
            #expect(entry.timestamp > 0)
            logs.stop()
            var rest = 0
            for try await _ in logs { rest += 1 }  // ends when the server closes the channel
            #expect(rest >= 0)
            #expect(server.receivedMessages.compactMap(\.json).contains { $0["message"] == ["type": "stop"] })
        }
    }
}

@Suite("Files and queries")
struct FilesAndQueryTests {
    @Test func uploadAFileAndAttachIt() async throws {
        try await withMockClient { server, client in
            let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2]
            let part = try await client.files.upload(name: "cat.png", contents: png)
            #expect(part.fileType == "image")
            #expect(part.sizeBytes == png.count)
            let upload = try #require(received(server, "uploadFileBase64").first?["parameter"])
            #expect(upload["contentBase64"] == "iVBORw0KGgoBAg==")
            let model = try await client.llm.model(chatModel)
            _ = try await model.respond([.user("What is this?", files: [part])])
            let history = try #require(received(server, "predict").first?["creationParameter"]?["history"])
            #expect(history["messages"]?.arrayValue?.first?["content"]?.arrayValue?[1]["identifier"] == .string(part.identifier))
        }
    }

    @Test func base64MatchesRFC4648() {
        let cases: [(String, String)] = [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")]
        for (plain, encoded) in cases { #expect(Base64.encode(Array(plain.utf8)) == encoded) }
    }

    @Test func modelMatchingAQuery() async throws {
        try await withMockClient { _, client in
            let model = try await client.llm.model(matching: ModelQuery(identifier: chatModel))
            #expect(model.identifier == chatModel)
            let embedder = try await client.embedding.model(matching: ModelQuery(identifier: embeddingModel))
            #expect(embedder.identifier == embeddingModel)
            do {
                _ = try await client.llm.model(matching: ModelQuery(identifier: "nothing-like-this"))
                Issue.record("expected an error")
            } catch let error as LMStudioError {
                #expect(error.code == .modelNotFound)
            }
        }
    }
}
