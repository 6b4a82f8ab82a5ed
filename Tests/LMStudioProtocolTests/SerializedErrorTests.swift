import LMStudioProtocol
import Testing

@Suite struct SerializedErrorTests {
    @Test func decodesAllMembersAndDropsTheStack() throws {
        let value = try JSONValue(
            parsing: #"""
                {"title":"No loaded model satisfies the query","rootTitle":"No loaded model satisfies the query",
                 "cause":"c","suggestion":"s","errorData":{"k":1},
                 "displayData":{"code":"generic.noModelMatchingQuery","query":{"identifier":"no-such-model"},
                                "loadedModelsSample":["qwen2.5-7b-instruct"],"totalLoadedModels":1},
                 "stack":"Error: at somewhere"}
                """#)
        let error = SerializedError(value)
        #expect(error.title == "No loaded model satisfies the query")
        #expect(error.rootTitle == "No loaded model satisfies the query")
        #expect(error.cause == "c")
        #expect(error.suggestion == "s")
        #expect(error.errorData == ["k": 1])
        #expect(error.displayCode == "generic.noModelMatchingQuery")
        #expect(error.kind == .modelNotFound)
        #expect(error.jsonValue["stack"] == nil)
        #expect(!error.formattedDescription(endpoint: "predict").contains("somewhere"))
        #expect(try JSONValueDecoder().decode(SerializedError.self, from: value) == error)
        #expect(try JSONValueEncoder().encode(error) == error.jsonValue)
        #expect(SerializedError(error.jsonValue) == error)
    }

    @Test func decodesLeniently() throws {
        #expect(SerializedError("plain text") == SerializedError(title: "plain text"))
        #expect(
            SerializedError(["cause": 5, "title": ["x"], "suggestion": "try", "displayData": "nope"])
                == SerializedError(title: "Unknown error", suggestion: "try"))
        #expect(SerializedError(42) == SerializedError(title: "Unknown error", cause: "42"))
        #expect(SerializedError(nil) == SerializedError(title: "Unknown error", cause: "null"))
        #expect(try JSONValueDecoder().decode(SerializedError.self, from: "bare") == SerializedError(title: "bare"))
    }

    @Test(arguments: [
        ("generic.noModelMatchingQuery", ServerErrorKind.modelNotFound),
        ("generic.pathNotFound", .modelNotFound),
        ("generic.presetNotFound", .presetNotFound),
        ("generic.identifierNotFound", .other("generic.identifierNotFound")),
        ("generic.specificModelUnloaded", .other("generic.specificModelUnloaded")),
        ("generic.domainMismatch", .other("generic.domainMismatch")),
    ])
    func classifiesDisplayCodes(code: String, kind: ServerErrorKind) {
        let error = SerializedError(title: "t", displayData: ["code": .string(code)])
        #expect(error.kind == kind)
        #expect(error.displayCode == code)
    }

    @Test func withoutCodeIsOther() {
        #expect(SerializedError(title: "t").kind == .other(nil))
        #expect(SerializedError(title: "t", displayData: ["code": 3]).kind == .other(nil))
    }

    @Test func formatsLikeThePythonSDK() {
        let error = SerializedError(title: "Model not loaded", cause: "It was unloaded", suggestion: "Load it again")
        #expect(
            error.formattedDescription(endpoint: "countTokens") == """
                RPC error: 

                  Model not loaded

                  Reported cause:
                    It was unloaded

                  Suggested potential remedy:
                    Load it again
                """)
        #expect(
            SerializedError(title: "Plain").formattedDescription(endpoint: "loadModel") == "Model load error: Plain")
        #expect(SerializedError(title: "A", rootTitle: "Root").formattedDescription(prefix: "X") == "X: Root: A")
        #expect(SerializedError(title: "Same", rootTitle: "Same").formattedDescription(prefix: "X") == "X: Same")
    }

    @Test func formatsDataSectionsInOrder() {
        let error = SerializedError(
            title: "No model", cause: "none loaded", suggestion: "load one",
            errorData: ["b": 2], displayData: ["code": "generic.pathNotFound", "path": "a/b"]
        )
        #expect(
            error.formattedDescription(endpoint: "getOrLoad") == """
                Model get/load error: 

                  No model

                  Additional information from server:
                    {
                      "code": "generic.pathNotFound",
                      "path": "a/b"
                    }

                  Error details from server:
                    {
                      "b": 2
                    }

                  Reported cause:
                    none loaded

                  Suggested potential remedy:
                    load one
                """)
    }

    @Test func authenticationFailureFormatting() {
        // PY wraps the auth failure string as {"title":"Server API error","cause":<string>}.
        let error = SerializedError(title: "Server API error", cause: "Authentication timed out")
        #expect(
            error.formattedDescription(prefix: "Authentication failed") == """
                Authentication failed: 

                  Server API error

                  Reported cause:
                    Authentication timed out
                """)
    }

    @Test func prefixes() {
        #expect(SerializedError.messagePrefix(forEndpoint: "downloadModel") == "Model download error")
        #expect(SerializedError.messagePrefix(forEndpoint: "predict") == "Chat response error")
        #expect(SerializedError.messagePrefix(forEndpoint: nil) == "Server error")
    }
}
