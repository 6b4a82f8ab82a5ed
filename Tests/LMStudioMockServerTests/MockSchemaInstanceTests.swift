import LMStudioProtocol
import Testing

@testable import LMStudioMockServer

@Suite("Minimal schema instances")
struct MockSchemaInstanceTests {
    @Test func pydanticStyleSchemaWithDefs() {
        let schema: JSONValue = [
            "$defs": ["Pet": ["type": "object", "properties": ["kind": ["enum": ["cat", "dog"]]], "required": ["kind"]]],
            "type": "object",
            "properties": [
                "name": ["type": "string", "minLength": 2],
                "pets": ["type": "array", "items": ["$ref": "#/$defs/Pet"], "minItems": 1],
                "nickname": ["anyOf": [["type": "null"], ["type": "string"]]],
                "score": ["type": "number", "exclusiveMinimum": 0],
                "ok": ["type": "boolean"],
            ],
            "required": ["name", "pets"],
        ]
        #expect(
            MockSchemaInstance.instance(of: schema) == [
                "name": "aa", "pets": [["kind": "cat"]], "nickname": "", "score": .double(1), "ok": false,
            ]
        )
    }

    @Test func constAndTypeArrays() {
        #expect(MockSchemaInstance.instance(of: ["const": 42]) == 42)
        #expect(MockSchemaInstance.instance(of: ["type": ["null", "integer"]]) == 0)
    }
}
