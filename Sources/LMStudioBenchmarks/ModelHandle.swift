import LMStudio

/// A loaded-model handle over the raw endpoints (`getOrLoad`, `getModelInfo`, `predict`).
struct ModelHandle: Sendable {
    let client: LMStudioClient
    let instanceReference: JSONValue

    /// Gets (or loads) the model, as `client.llm.model(key)` does.
    static func load(_ key: String, on client: LMStudioClient) async throws -> ModelHandle {
        let channel = try await client.rawChannel(
            .llm, endpoint: "getOrLoad",
            creationParameter: ["identifier": .string(key), "loadConfigStack": ["layers": []]]
        )
        for try await packet in channel {
            let type = packet["type"]?.stringValue
            if type == "alreadyLoaded" || type == "loadSuccess", let reference = packet["info"]?["instanceReference"] {
                return ModelHandle(client: client, instanceReference: reference)
            }
        }
        throw BenchmarkError(description: "getOrLoad \(key) ended without a model")
    }

    private var specifier: JSONValue { ["type": "instanceReference", "instanceReference": instanceReference] }

    /// One `getModelInfo` round trip.
    func info() async throws -> JSONValue {
        try await client.rawCall(.llm, endpoint: "getModelInfo", parameter: ["specifier": specifier, "throwIfNotFound": true]) ?? .null
    }

    /// Streams one prediction of exactly `fragments` fragments (`maxTokens`), consuming each
    /// fragment as it arrives; throws if the server sent another number.
    func streamedPrediction(fragments: Int) async throws {
        let channel = try await client.rawChannel(
            .llm, endpoint: "predict",
            creationParameter: [
                "modelSpecifier": specifier,
                "history": ["messages": [["role": "user", "content": [["type": "text", "text": .string(Workloads.prompt)]]]]],
                "predictionConfigStack": [
                    "layers": [
                        [
                            "layerName": "apiOverride",
                            "config": [
                                "fields": [
                                    [
                                        "key": "llm.prediction.maxPredictedTokens",
                                        "value": ["checked": true, "value": .int(Int64(fragments))],
                                    ]
                                ]
                            ],
                        ]
                    ]
                ],
            ]
        )
        var received = 0
        var characters = 0
        var finished = false
        for try await packet in channel {
            switch packet["type"]?.stringValue {
            case "fragment":
                received += 1
                characters += packet["fragment"]?["content"]?.stringValue?.utf8.count ?? 0
            case "success":
                finished = true
            default:
                break
            }
        }
        guard finished, received == fragments, characters > 0 else {
            throw BenchmarkError(
                description: "asked for \(fragments) fragments, got \(received)\(finished ? "" : " and no result"); "
                    + "run the mock in benchmark mode with at least that many (lms-swift mock --fragments N)"
            )
        }
    }
}
