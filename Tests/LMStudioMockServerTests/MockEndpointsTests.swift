import LMStudioProtocol
import Testing

@testable import LMStudioMockServer

@Suite("Catalogue and RPC endpoints")
struct MockEndpointsTests {
    @Test func listDownloadedModelsHasTheDefaultCatalogue() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "system")
            let models = try #require(try await client.result("listDownloadedModels")?.arrayValue)
            #expect(models.count == 3)
            #expect(models.compactMap { $0["type"]?.stringValue }.sorted() == ["embedding", "llm", "llm"])
            let llm = try #require(models.first { $0["modelKey"] == "qwen2.5-0.5b-instruct" })
            #expect(llm["trainedForToolUse"] == true)
            for member in ["format", "displayName", "path", "sizeBytes", "maxContextLength"] {
                #expect(llm[member] != nil, "missing \(member)")
            }
        }
    }

    @Test func listLoadedIsPerNamespace() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let llm = try await TestClient.authenticated(server, namespace: "llm")
            let embedding = try await TestClient.authenticated(server, namespace: "embedding")
            let loadedLLMs = try #require(try await llm.result("listLoaded")?.arrayValue)
            #expect(loadedLLMs.map { $0["identifier"] } == ["qwen2.5-0.5b-instruct"])
            #expect(loadedLLMs.first?["instanceReference"]?.stringValue != nil)
            let loadedEmbeddings = try #require(try await embedding.result("listLoaded")?.arrayValue)
            #expect(loadedEmbeddings.map { $0["type"] } == ["embedding"])
        }
    }

    @Test func getModelInfoFindsAndMisses() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            let info = try await client.result(
                "getModelInfo", ["specifier": query("qwen2.5-0.5b-instruct"), "throwIfNotFound": true]
            )
            #expect(info?["contextLength"] == 4096)
            let any = try await client.result("getModelInfo", ["specifier": ["type": "query", "query": [:]], "throwIfNotFound": true])
            #expect(any?["identifier"] == "qwen2.5-0.5b-instruct")
            let missing = try await client.call("getModelInfo", ["specifier": query("nope"), "throwIfNotFound": true])
            #expect(missing["type"] == "rpcError")
            #expect(missing["error"]?["displayData"]?["code"] == "generic.noModelMatchingQuery")
            #expect(missing["error"]?["displayData"]?["totalLoadedModels"] == 1)
            let quiet = try await client.call("getModelInfo", ["specifier": query("nope"), "throwIfNotFound": false])
            #expect(quiet["type"] == "rpcResult")
            #expect(quiet["result"] == nil)
        }
    }

    @Test func getLoadConfigReportsContextLength() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            let config = try await client.result("getLoadConfig", ["specifier": query("qwen2.5-0.5b-instruct")])
            let fields = try #require(config?["fields"]?.arrayValue)
            #expect(fields.contains { $0["key"] == "llm.load.contextLength" && $0["value"] == 4096 })
        }
    }

    @Test func tokenizeAndCountTokensAgree() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            let parameter: JSONValue = ["specifier": query("qwen2.5-0.5b-instruct"), "inputString": "Hello, world!"]
            let tokens = try #require(try await client.result("tokenize", parameter)?["tokens"]?.arrayValue)
            #expect(tokens.count == 4)
            #expect(try await client.result("countTokens", parameter)?["tokenCount"] == 4)
            #expect(try await client.result("tokenize", parameter)?["tokens"]?.arrayValue == tokens)
        }
    }

    @Test func applyPromptTemplateFormatsTheHistory() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            let result = try await client.result(
                "applyPromptTemplate",
                [
                    "specifier": query("qwen2.5-0.5b-instruct"),
                    "history": ["messages": [["role": "user", "content": [["type": "text", "text": "Hi"]]]]],
                    "predictionConfigStack": ["layers": []], "opts": [:],
                ]
            )
            #expect(result?["formatted"] == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
        }
    }

    @Test func embeddingsAreDeterministicUnitVectors() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "embedding")
            let spec = query("text-embedding-nomic-embed-text-v1.5")
            let first = try #require(
                try await client.result("embedString", ["modelSpecifier": spec, "inputString": "hello"])?["embedding"]?
                    .arrayValue?.compactMap(\.doubleValue)
            )
            let again = try await client.result("embedString", ["modelSpecifier": spec, "inputString": "hello"])
            let other = try await client.result("embedString", ["modelSpecifier": spec, "inputString": "world"])
            #expect(first.count == 8)
            #expect(abs(first.reduce(0) { $0 + $1 * $1 } - 1) < 1e-9)
            #expect(again?["embedding"]?.arrayValue?.compactMap(\.doubleValue) == first)
            #expect(other?["embedding"]?.arrayValue?.compactMap(\.doubleValue) != first)
        }
    }

    @Test func embeddingWithAnLLMSpecifierIsNotFound() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "embedding")
            let reply = try await client.call(
                "embedString", ["modelSpecifier": query("qwen2.5-0.5b-instruct"), "inputString": "x"]
            )
            #expect(reply["error"]?["displayData"]?["code"] == "generic.noModelMatchingQuery")
        }
    }

    @Test func uploadFileBase64ReportsTypeAndSize() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "files")
            let result = try await client.result(
                "uploadFileBase64", ["name": "cat.png", "contentBase64": "iVBORw0KGgoAAAANSUhEUg=="]
            )
            #expect(result?["fileType"] == "image")
            #expect(result?["sizeBytes"] == 16)
            #expect(result?["identifier"]?.stringValue?.isEmpty == false)
        }
    }

    @Test func systemVersion() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "system")
            #expect(try await client.result("version") == ["version": "0.3.31", "build": 7])
        }
    }

    @Test func unloadRemovesTheInstance() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            #expect(try await client.call("unloadModel", ["identifier": "qwen2.5-0.5b-instruct"])["type"] == "rpcResult")
            #expect(server.loadedIdentifiers == ["text-embedding-nomic-embed-text-v1.5"])
            let again = try await client.call("unloadModel", ["identifier": "qwen2.5-0.5b-instruct"])
            #expect(again["error"]?["displayData"]?["code"] == "generic.identifierNotFound")
        }
    }
}
