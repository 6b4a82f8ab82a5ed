import LMStudioProtocol
import Testing

@Suite struct ChatHistoryDataTests {
    static let example = #"""
        {"messages":[
          {"role":"system","content":[{"type":"text","text":"You describe images."}]},
          {"role":"user","content":[
             {"type":"text","text":"What is in this picture?"},
             {"type":"file","name":"cat.png","identifier":"file-1","sizeBytes":48213,"fileType":"image"}]},
          {"role":"assistant","content":[{"type":"text","text":"Calling."},
             {"type":"toolCallRequest","toolCallRequest":{"type":"function","name":"lookup","id":"call-1","arguments":{"q":"cat"}}}]},
          {"role":"tool","content":[{"type":"toolCallResult","content":"{\"ok\":true}","toolCallId":"call-1"}]},
          {"role":"assistant","content":[{"type":"hologram","data":[1]}]}
        ]}
        """#

    @Test func decodesTheProtocolExample() throws {
        let history = try ChatHistoryData(jsonValue: JSONValue(parsing: Self.example))
        #expect(history.messages.count == 5)
        #expect(history.messages[0] == .text(.system, "You describe images."))
        #expect(
            history.messages[1].content[1]
                == .file(FilePartData(name: "cat.png", identifier: "file-1", sizeBytes: 48213, fileType: "image")))
        #expect(
            history.messages[2].content[1]
                == .toolCallRequest(ToolCallRequestData(name: "lookup", id: "call-1", arguments: ["q": "cat"])))
        #expect(history.messages[3].role == .tool)
        #expect(
            history.messages[3].content == [
                .toolCallResult(ToolCallResultData(content: #"{"ok":true}"#, toolCallId: "call-1"))
            ])
        #expect(history.messages[4].content == [.unknown(["type": "hologram", "data": [1]])])
    }

    @Test func roundTrips() throws {
        let value = try JSONValue(parsing: Self.example)
        let history = try ChatHistoryData(jsonValue: value)
        #expect(history.jsonValue == value)
        #expect(try JSONValueEncoder().encode(history) == value)
        #expect(try JSONValueDecoder().decode(ChatHistoryData.self, from: history.jsonValue) == history)
    }

    @Test func textMessagesUsePartArrays() throws {
        #expect(
            ChatMessageData.text(.user, "Hi").jsonValue.serialized(sortedKeys: true)
                == #"{"content":[{"text":"Hi","type":"text"}],"role":"user"}"#)
    }

    @Test func rejectsBrokenKnownParts() throws {
        #expect(throws: DecodingError.self) { try ChatMessagePartData(jsonValue: ["type": "text"]) }
        #expect(throws: DecodingError.self) { try ChatMessagePartData(jsonValue: ["type": "file", "name": "x"]) }
        #expect(throws: DecodingError.self) { try ChatMessagePartData(jsonValue: ["type": "toolCallRequest"]) }
        #expect(
            try ChatMessagePartData(jsonValue: ["type": "toolCallRequest", "toolCallRequest": ["name": "f"]])
                == .toolCallRequest(ToolCallRequestData(name: "f")))
    }
}

@Suite struct PredictionDataTests {
    @Test func fragmentDefaultsMissingMembers() throws {
        let minimal = try JSONValueDecoder().decode(PredictionFragmentData.self, from: ["content": "Hi"])
        #expect(minimal == PredictionFragmentData(content: "Hi"))
        let full: JSONValue = [
            "content": " the", "tokensCount": 1, "containsDrafted": true, "reasoningType": "reasoning",
            "isStructural": true, "future": 1,
        ]
        let fragment = try JSONValueDecoder().decode(PredictionFragmentData.self, from: full)
        #expect(
            fragment
                == PredictionFragmentData(
                    content: " the", tokensCount: 1, containsDrafted: true, reasoningType: "reasoning",
                    isStructural: true))
        #expect(throws: DecodingError.self) {
            try JSONValueDecoder().decode(PredictionFragmentData.self, from: ["tokensCount": 1])
        }
    }

    @Test func statsDecodeLeniently() throws {
        let value: JSONValue = [
            "stopReason": "somethingNew", "tokensPerSecond": 41.5, "predictedTokensCount": 12, "numGpuLayers": 28,
            "extra": [:],
        ]
        let stats = try JSONValueDecoder().decode(PredictionStatsData.self, from: value)
        #expect(stats.stopReason == "somethingNew")
        #expect(stats.tokensPerSecond == 41.5)
        #expect(stats.predictedTokensCount == 12)
        #expect(stats.numGpuLayers == 28)
        #expect(stats.timeToFirstTokenSec == nil)
        var encoded = PredictionStatsData(stopReason: PredictionStatsData.eosFound)
        encoded.totalTokensCount = 3
        #expect(try JSONValueEncoder().encode(encoded) == ["stopReason": "eosFound", "totalTokensCount": 3])
    }

    @Test func modelInfoOldAndNewServers() throws {
        let old: JSONValue = [
            "type": "llm", "modelKey": "qwen2.5-7b-instruct", "format": "gguf", "displayName": "Qwen2.5 7B Instruct",
            "path": "lmstudio-community/Qwen2.5-7B-Instruct-GGUF/q.gguf", "sizeBytes": 4_683_073_536,
            "vision": false, "trainedForToolUse": true, "maxContextLength": 32768,
        ]
        let info = try JSONValueDecoder().decode(ModelInfoData.self, from: old)
        #expect(info.modelKey == "qwen2.5-7b-instruct")
        #expect(info.sizeBytes == 4_683_073_536)
        #expect(!info.isLoadedInstance)

        guard case .object(var members) = old else { return }
        members["identifier"] = "qwen"
        members["instanceReference"] = "ref-1"
        members["contextLength"] = 4096
        members["ttlMs"] = nil
        members["deviceIdentifier"] = nil
        members["quantization"] = ["name": "Q4_K_M", "bits": 4]
        members["publisher"] = "lmstudio-community"
        let instance = try JSONValueDecoder().decode(ModelInfoData.self, from: .object(members))
        #expect(instance.isLoadedInstance)
        #expect(instance.contextLength == 4096)
        #expect(instance.ttlMs == nil)
        #expect(instance.quantization == .init(name: "Q4_K_M", bits: 4))
        #expect(
            try JSONValueDecoder().decode(ModelInfoData.self, from: JSONValueEncoder().encode(instance)) == instance)
        #expect(throws: DecodingError.self) { try JSONValueDecoder().decode(ModelInfoData.self, from: ["type": "llm"]) }
    }
}
