import LMStudioProtocol
import Testing

@Suite struct KVConfigTests {
    @Test func emptyAPIOverrideStackMatchesTheSDKs() throws {
        let stack = KVConfigStack.apiOverride()
        #expect(
            stack.jsonValue.serialized(sortedKeys: true)
                == #"{"layers":[{"config":{"fields":[]},"layerName":"apiOverride"}]}"#)
        #expect(try JSONValueEncoder().encode(stack) == stack.jsonValue)
        #expect(KVConfigStack.empty.jsonValue.serialized() == #"{"layers":[]}"#)
    }

    @Test func buildsFields() throws {
        var config = KVConfig()
            .setting("llm.prediction.temperature", to: 0.7)
            .setting("llm.prediction.maxPredictedTokens", to: KVConfig.checkbox(true, value: 100))
            .setting("llm.prediction.temperature", to: 0.2)
        #expect(config.fields.map(\.key) == ["llm.prediction.temperature", "llm.prediction.maxPredictedTokens"])
        #expect(config["llm.prediction.temperature"] == 0.2)
        #expect(config["llm.prediction.maxPredictedTokens"] == ["checked": true, "value": 100])
        config.set("llm.load.llama.acceleration.offloadRatio", to: "max")
        #expect(config.contains("llm.load.llama.acceleration.offloadRatio"))
        config["llm.prediction.temperature"] = nil
        #expect(!config.contains("llm.prediction.temperature"))
        #expect(config.fields.count == 2)
    }

    @Test func roundTripsThroughJSON() throws {
        let config = KVConfig(fields: [
            KVConfigField(key: "llm.load.contextLength", value: 8192),
            KVConfigField(
                key: "load.gpuSplitConfig",
                value: ["disabledGpus": [1, 2], "strategy": "evenly", "priority": [], "customRatio": []]),
            KVConfigField(key: "no.value", value: nil),
        ])
        let stack = KVConfigStack.apiOverride(config).appending(
            .completeModeFormatting, KVConfig().setting("k", to: "v"))
        let text = stack.jsonValue.serialized()
        let parsed = try JSONValue(parsing: text)
        #expect(try KVConfigStack(jsonValue: parsed) == stack)
        #expect(try JSONValueDecoder().decode(KVConfigStack.self, from: parsed) == stack)
        #expect(try KVConfig(jsonValue: config.jsonValue) == config)
        #expect(config.jsonValue["fields"]?.arrayValue?[2] == ["key": "no.value"], "a nil value is absent")
        #expect(try JSONValueEncoder().encode(config) == config.jsonValue)
    }

    @Test func decodingIsLenient() throws {
        let value: JSONValue = [
            "layers": [
                [
                    "layerName": "someFutureLayer", "config": ["fields": [["key": "a", "value": 1, "extra": true]]],
                    "x": 1,
                ]
            ],
            "unknown": "ignored",
        ]
        let stack = try KVConfigStack(jsonValue: value)
        #expect(stack.layers.first?.layerName == KVConfigLayerName(rawValue: "someFutureLayer"))
        #expect(stack.layers.first?.config["a"] == 1)
        #expect(throws: DecodingError.self) { try KVConfig(jsonValue: ["fields": [["value": 1]]]) }
        #expect(throws: DecodingError.self) { try KVConfigStack(jsonValue: ["layers": 3]) }
    }

    @Test func laterLayersWin() {
        let stack = KVConfigStack(layers: [
            .init(layerName: .preset, config: KVConfig().setting("a", to: 1).setting("b", to: 2)),
            .init(layerName: .apiOverride, config: KVConfig().setting("b", to: 3).setting("c", to: 4)),
        ])
        #expect(stack.collapsed == KVConfig().setting("a", to: 1).setting("b", to: 3).setting("c", to: 4))
    }

    @Test func knownLayerNames() {
        #expect(KVConfigLayerName.known.count == 14)
        #expect(KVConfigLayerName.known.contains(.apiOverride))
        #expect(KVConfigLayerName.apiOverride.description == "apiOverride")
    }
}
