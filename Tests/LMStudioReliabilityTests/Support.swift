import Foundation
import LMStudio
import LMStudioMockServer
import LMStudioTestSupport
import LMStudioTransport

let testToken = "sk-lm-rELtest7:Zq9Xw8Vu7Ts6Rp5On4Ml"
let testPasskey = "Zq9Xw8Vu7Ts6Rp5On4Ml"
let chatModel = "qwen2.5-0.5b-instruct"




/// Runs `body` with a scripted server and a client of it.
func withScriptedClient<T: Sendable>(
    _ options: ScriptedServer.Options = .init(),
    clientConfiguration: LMStudioClient.Configuration = .init(),
    apiToken: String? = "",
    _ body: (ScriptedServer, LMStudioClient) async throws -> T
) async throws -> T {
    let server = try await ScriptedServer.start(options)
    let client = try LMStudioClient(host: server.address, apiToken: apiToken, configuration: clientConfiguration)
    do {
        let result = try await body(server, client)
        await client.close()
        await server.shutdown()
        return result
    } catch {
        await client.close()
        await server.shutdown()
        throw error
    }
}

/// The auth packets the mock received, by namespace.
func authCount(_ server: MockServer, _ namespace: Namespace) -> Int {
    server.receivedMessages.filter { $0.namespace == namespace.rawValue && $0.json?["authVersion"] != nil }.count
}

func modelQuery(_ identifier: String) -> JSONValue {
    ["type": "query", "query": ["identifier": .string(identifier)]]
}

/// The creation parameter of a `predict` channel with one user message.
func predictParameter(_ prompt: String) -> JSONValue {
    [
        "modelSpecifier": modelQuery(chatModel),
        "history": ["messages": [["role": "user", "content": [["type": "text", "text": .string(prompt)]]]]],
        "predictionConfigStack": ["layers": []],
    ]
}

/// What a consumer of a prediction channel observed: the fragments it received before the
/// channel ended, and how it ended.
struct PredictionOutcome: Sendable {
    var fragments: [String] = []
    var packetTypes: [String] = []
    var error: LMStudioError?
    var text: String { fragments.joined() }
}

/// Reads a raw prediction channel to its end, keeping what arrived before a failure.
func consume(_ channel: RawChannel) async -> PredictionOutcome {
    var outcome = PredictionOutcome()
    do {
        for try await packet in channel {
            let type = packet["type"]?.stringValue ?? "?"
            outcome.packetTypes.append(type)
            if type == "fragment", let content = packet["fragment"]?["content"]?.stringValue {
                outcome.fragments.append(content)
            }
        }
    } catch {
        outcome.error = error
    }
    return outcome
}

/// Polls `condition` every 20 ms until it holds or `limit` passes; returns whether it held.
func eventually(within limit: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + slack(limit)
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}

