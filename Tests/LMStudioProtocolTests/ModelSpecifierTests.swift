import LMStudioProtocol
import Testing

@Suite struct ModelSpecifierTests {
    @Test func identifierQueryMatchesThePythonSDK() {
        #expect(
            ModelSpecifier.identifier("qwen2.5-7b-instruct").jsonValue.serialized(sortedKeys: true)
                == #"{"query":{"identifier":"qwen2.5-7b-instruct"},"type":"query"}"#)
    }

    @Test func instanceReference() throws {
        let specifier = ModelSpecifier.instanceReference("abc123")
        #expect(specifier.jsonValue == ["type": "instanceReference", "instanceReference": "abc123"])
        #expect(try ModelSpecifier(jsonValue: specifier.jsonValue) == specifier)
    }

    @Test func fullQueryRoundTrips() throws {
        for device in [nil, ModelQuery.Device.local, .identifier("gpu-box")] {
            let query = ModelQuery(
                domain: .llm, identifier: "id", path: "lmstudio-community/qwen", vision: true, device: device)
            let specifier = ModelSpecifier.query(query)
            #expect(try ModelSpecifier(jsonValue: specifier.jsonValue) == specifier)
            #expect(
                try JSONValueDecoder().decode(ModelSpecifier.self, from: JSONValueEncoder().encode(specifier))
                    == specifier)
        }
        #expect(ModelQuery(device: .local).jsonValue == ["deviceIdentifier": nil])
        #expect(ModelQuery().jsonValue == [:])
    }

    @Test func decodingIsLenientButChecksTheType() throws {
        #expect(try ModelQuery(jsonValue: ["identifier": 5, "vision": "yes", "future": 1]) == ModelQuery())
        #expect(throws: EnvelopeError.self) { try ModelSpecifier(jsonValue: ["type": "other"]) }
        #expect(throws: EnvelopeError.self) { try ModelSpecifier(jsonValue: ["type": "query"]) }
        #expect(throws: DecodingError.self) { try JSONValueDecoder().decode(ModelSpecifier.self, from: ["query": [:]]) }
    }
}
