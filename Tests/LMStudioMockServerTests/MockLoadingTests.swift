import LMStudioProtocol
import Testing

@testable import LMStudioMockServer

@Suite("Loading channels")
struct MockLoadingTests {
    @Test func loadModelReportsResolvedProgressAndSuccess() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            let id = client.openChannel(
                "loadModel",
                ["modelKey": "llama-3.2-1b-instruct", "ttlMs": 3_600_000, "loadConfigStack": stack(["llm.load.contextLength": 8192])]
            )
            let (packets, end) = try await client.collectChannel(id)
            #expect(end == ["type": "channelClose", "channelId": .int(Int64(id))])
            #expect(packets.first?["type"] == "resolved")
            let progress = packets.filter { $0["type"] == "progress" }.compactMap { $0["progress"]?.doubleValue }
            #expect(progress == [0.25, 0.5, 0.75, 1])
            let success = try #require(packets.last)
            #expect(success["type"] == "success")
            #expect(success["info"]?["identifier"] == "llama-3.2-1b-instruct")
            #expect(success["info"]?["contextLength"] == 8192)
            #expect(success["info"]?["ttlMs"] == 3_600_000)
            #expect(server.loadedIdentifiers.contains("llama-3.2-1b-instruct"))
        }
    }

    @Test func loadingTwiceAppendsANumber() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            let id = client.openChannel("loadModel", ["modelKey": "qwen2.5-0.5b-instruct", "loadConfigStack": stack()])
            let (packets, _) = try await client.collectChannel(id)
            #expect(packets.last?["info"]?["identifier"] == "qwen2.5-0.5b-instruct:2")
        }
    }

    @Test func loadingAnUnknownKeyFailsWithPathNotFound() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            let id = client.openChannel("loadModel", ["modelKey": "no-such-model", "loadConfigStack": stack()])
            let (packets, end) = try await client.collectChannel(id)
            #expect(packets.isEmpty)
            #expect(end["type"] == "channelError")
            #expect(end["error"]?["displayData"]?["code"] == "generic.pathNotFound")
            #expect(end["error"]?["displayData"]?["path"] == "no-such-model")
        }
    }

    @Test func loadingAnEmbeddingModelAsLLMIsADomainMismatch() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            let id = client.openChannel(
                "loadModel", ["modelKey": "text-embedding-nomic-embed-text-v1.5", "loadConfigStack": stack()]
            )
            let (_, end) = try await client.collectChannel(id)
            #expect(end["error"]?["displayData"]?["code"] == "generic.domainMismatch")
        }
    }

    @Test func getOrLoadReturnsAnAlreadyLoadedInstance() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            let id = client.openChannel(
                "getOrLoad", ["identifier": "qwen2.5-0.5b-instruct", "loadTtlMs": 3_600_000, "loadConfigStack": stack()]
            )
            let (packets, end) = try await client.collectChannel(id)
            #expect(packets.map { $0["type"] } == ["alreadyLoaded"])
            #expect(end["type"] == "channelClose")
        }
    }

    @Test func getOrLoadLoadsADownloadedModel() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            let id = client.openChannel("getOrLoad", ["identifier": "llama-3.2-1b-instruct", "loadConfigStack": stack()])
            let (packets, _) = try await client.collectChannel(id)
            #expect(
                packets.map { $0["type"] } == [
                    "startLoading", "loadProgress", "loadProgress", "loadProgress", "loadProgress", "loadSuccess",
                ]
            )
            #expect(packets.last?["info"]?["path"]?.stringValue?.hasSuffix(".gguf") == true)
        }
    }

    @Test func loadCanBeCancelled() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.loadStepInterval = .milliseconds(50)
        configuration.behavior.loadProgressSteps = 100
        try await MockServer.withServer(configuration: configuration, mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            let id = client.openChannel("loadModel", ["modelKey": "llama-3.2-1b-instruct", "loadConfigStack": stack()])
            #expect(try await client.nextJSON()["message"]?["type"] == "resolved")
            client.cancel(channel: id)
            let (packets, end) = try await client.collectChannel(id)
            #expect(packets.allSatisfy { $0["type"] == "progress" })
            #expect(end["type"] == "channelError")
            #expect(!server.loadedIdentifiers.contains("llama-3.2-1b-instruct"))
        }
    }
}
