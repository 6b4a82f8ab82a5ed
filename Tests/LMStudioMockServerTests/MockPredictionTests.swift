import LMStudioProtocol
import Testing

@testable import LMStudioMockServer

@Suite("The predict channel")
struct MockPredictionTests {
    @Test func predictStreamsProgressFragmentsAndSuccess() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            let id = client.openChannel("predict", predictParameter("Hi", fields: ["llm.prediction.temperature": 0.2]))
            let (packets, end) = try await client.collectChannel(id)
            #expect(end["type"] == "channelClose")
            #expect(packets.prefix(2).map { $0["type"] } == ["promptProcessingProgress", "promptProcessingProgress"])
            #expect(content(of: packets) == "Hello! I am a mock LM Studio model.")
            let success = try #require(packets.last)
            #expect(success["type"] == "success")
            #expect(success["stats"]?["stopReason"] == "eosFound")
            #expect(success["stats"]?["predictedTokensCount"] == 8)
            #expect(success["modelInfo"]?["identifier"] == "qwen2.5-0.5b-instruct")
            #expect(success["predictionConfig"]?["fields"]?.arrayValue?.first?["key"] == "llm.prediction.temperature")
            let fragment = try #require(packets.first { $0["type"] == "fragment" }?["fragment"])
            #expect(fragment["tokensCount"] == 1)
            #expect(fragment["reasoningType"] == "none")
            #expect(fragment["containsDrafted"] == false)
        }
    }

    @Test func repliesCanBeScriptedPerPromptAndPerModel() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.repliesByPrompt = ["Capital of France?": "Paris."]
        configuration.behavior.repliesByModel = ["qwen2.5-0.5b-instruct": "Model reply."]
        try await MockServer.withServer(configuration: configuration, mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            let first = client.openChannel("predict", predictParameter("Capital of France?"))
            #expect(content(of: try await client.collectChannel(first).packets) == "Paris.")
            let second = client.openChannel("predict", predictParameter("Something else"))
            #expect(content(of: try await client.collectChannel(second).packets) == "Model reply.")
        }
    }

    @Test func maxTokensLimitsFragments() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            let id = client.openChannel(
                "predict",
                predictParameter("Hi", fields: ["llm.prediction.maxPredictedTokens": ["checked": true, "value": 2]])
            )
            let (packets, _) = try await client.collectChannel(id)
            #expect(content(of: packets) == "Hello! I")
            #expect(packets.last?["stats"]?["stopReason"] == "maxPredictedTokensReached")
        }
    }

    @Test func uncheckedMaxTokensIsIgnored() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            let id = client.openChannel(
                "predict",
                predictParameter("Hi", fields: ["llm.prediction.maxPredictedTokens": ["checked": false, "value": 1]])
            )
            #expect(try await client.collectChannel(id).packets.last?["stats"]?["stopReason"] == "eosFound")
        }
    }

    @Test func stopStringsTruncateTheReply() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            let id = client.openChannel(
                "predict", predictParameter("Hi", fields: ["llm.prediction.stopStrings": ["mock", "I am"]])
            )
            let (packets, _) = try await client.collectChannel(id)
            #expect(content(of: packets) == "Hello! ")
            #expect(packets.last?["stats"]?["stopReason"] == "stopStringFound")
            #expect(packets.last?["stats"]?["stopString"] == "I am")
        }
    }

    @Test func cancelEndsWithUserStopped() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.fragmentCount = 10_000
        configuration.behavior.fragmentInterval = .milliseconds(5)
        try await MockServer.withServer(configuration: configuration, mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            let id = client.openChannel("predict", predictParameter("Hi"))
            var fragments = 0
            while fragments < 3 {
                if try await client.nextJSON()["message"]?["type"] == "fragment" { fragments += 1 }
            }
            client.cancel(channel: id)
            let (packets, end) = try await client.collectChannel(id)
            #expect(end["type"] == "channelClose")
            let success = try #require(packets.last)
            #expect(success["stats"]?["stopReason"] == "userStopped")
            #expect((success["stats"]?["predictedTokensCount"]?.intValue ?? 0) < 10_000)
        }
    }

    @Test func benchmarkModeStreamsExactlyNFragments() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.fragmentCount = 5_000
        try await MockServer.withServer(configuration: configuration, mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            let id = client.openChannel("predict", predictParameter("Hi"))
            let (packets, _) = try await client.collectChannel(id)
            #expect(packets.filter { $0["type"] == "fragment" }.count == 5_000)
            #expect(packets.last?["stats"]?["predictedTokensCount"] == 5_000)
        }
    }

    @Test func unknownModelFailsWithNoModelMatchingQuery() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            let id = client.openChannel("predict", predictParameter("Hi", model: "nope"))
            let (packets, end) = try await client.collectChannel(id)
            #expect(packets.isEmpty)
            #expect(end["type"] == "channelError")
            #expect(end["error"]?["displayData"]?["code"] == "generic.noModelMatchingQuery")
            #expect(end["error"]?["displayData"]?["query"] == ["identifier": "nope"])
        }
    }

    @Test func unknownPresetFailsWithPresetNotFound() async throws {
        var configuration = MockServer.Configuration()
        configuration.presets = ["concise"]
        try await MockServer.withServer(configuration: configuration, mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            guard case .object(var parameter) = predictParameter("Hi") else { return }
            parameter["fuzzyPresetIdentifier"] = "verbose"
            let failing = client.openChannel("predict", .object(parameter))
            let (_, end) = try await client.collectChannel(failing)
            #expect(end["error"]?["displayData"]?["code"] == "generic.presetNotFound")
            parameter["fuzzyPresetIdentifier"] = "concise"
            let working = client.openChannel("predict", .object(parameter))
            #expect(try await client.collectChannel(working).end["type"] == "channelClose")
        }
    }

    static let addTool: JSONValue = [
        "type": "toolArray",
        "tools": [
            [
                "type": "function",
                "function": [
                    "name": "add", "description": "Add two integers",
                    "parameters": [
                        "type": "object", "properties": ["a": ["type": "integer"], "b": ["type": "integer"]],
                        "required": ["a", "b"],
                    ],
                ],
            ]
        ],
    ]

    @Test func offeredToolsProduceAToolCallRequest() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.toolCallArguments = ["add": ["a": 2, "b": 3]]
        try await MockServer.withServer(configuration: configuration, mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            let id = client.openChannel(
                "predict", predictParameter("What is 2+3?", fields: ["llm.prediction.tools": Self.addTool])
            )
            let (packets, _) = try await client.collectChannel(id)
            let types = packets.compactMap { $0["type"]?.stringValue }.filter { $0.hasPrefix("toolCall") }
            #expect(
                types == [
                    "toolCallGenerationStart", "toolCallGenerationNameReceived",
                    "toolCallGenerationArgumentFragmentGenerated", "toolCallGenerationEnd",
                ]
            )
            let end = try #require(packets.first { $0["type"] == "toolCallGenerationEnd" })
            #expect(end["toolCallRequest"]?["name"] == "add")
            #expect(end["toolCallRequest"]?["arguments"] == ["a": 2, "b": 3])
            #expect(end["toolCallRequest"]?["type"] == "function")
            #expect(packets.last?["stats"]?["stopReason"] == "toolCalls")
        }
    }

    @Test func toolResultsProduceAFinalAnswer() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            let history: JSONValue = [
                "messages": [
                    ["role": "user", "content": [["type": "text", "text": "What is 2+3?"]]],
                    [
                        "role": "assistant",
                        "content": [
                            ["type": "text", "text": ""],
                            [
                                "type": "toolCallRequest",
                                "toolCallRequest": ["type": "function", "id": "c1", "name": "add", "arguments": ["a": 2, "b": 3]],
                            ],
                        ],
                    ],
                    ["role": "tool", "content": [["type": "toolCallResult", "toolCallId": "c1", "content": "5"]]],
                ]
            ]
            let id = client.openChannel(
                "predict",
                [
                    "modelSpecifier": query("qwen2.5-0.5b-instruct"), "history": history,
                    "predictionConfigStack": stack(["llm.prediction.tools": Self.addTool]),
                ]
            )
            let (packets, _) = try await client.collectChannel(id)
            #expect(content(of: packets) == "The tool returned 5.")
            #expect(packets.last?["stats"]?["stopReason"] == "eosFound")
        }
    }

    @Test func structuredOutputSatisfiesTheSchema() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            let schema: JSONValue = [
                "type": "object",
                "properties": ["name": ["type": "string"], "age": ["type": "integer", "minimum": 1]],
                "required": ["name", "age"],
            ]
            let id = client.openChannel(
                "predict",
                predictParameter(
                    "Tell me a person", fields: ["llm.prediction.structured": ["type": "json", "jsonSchema": schema]]
                )
            )
            let text = content(of: try await client.collectChannel(id).packets)
            #expect(MockJSON.parse(text) == ["name": "", "age": 1])
        }
    }

    @Test func responderWinsOverEverything() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.responder = { request in "echo: \(request.lastUserText)" }
        try await MockServer.withServer(configuration: configuration, mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            let id = client.openChannel("predict", predictParameter("ping", fields: ["llm.prediction.tools": Self.addTool]))
            #expect(content(of: try await client.collectChannel(id).packets) == "echo: ping")
        }
    }

    @Test func completeRawTextStreamsLikePredict() async throws {
        try await MockServer.withServer(mode: .inMemory) { server in
            let client = try await TestClient.authenticated(server, namespace: "llm")
            let id = client.openChannel(
                "completeRawText",
                ["modelSpecifier": query("qwen2.5-0.5b-instruct"), "rawPrompt": "Once", "predictionConfigStack": stack()]
            )
            let (packets, end) = try await client.collectChannel(id)
            #expect(end["type"] == "channelClose")
            #expect(packets.last?["type"] == "success")
        }
    }
}
