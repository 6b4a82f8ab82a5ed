import LMStudioTestSupport
import LMStudio
import LMStudioMockServer
import LMStudioProtocol
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The prompt of the `act()` scenario of `Tests/Conformance/conformance.py`.
let actWirePrompt = "What is 2 + 3?"

/// The client messages of an act run, normalised as `conformance.py actwire` does: the `predict`
/// channels whose history starts with ``actWirePrompt`` and the packets sent on them, with
/// `id` / `toolCallId` strings replaced by their order of appearance.
func actWireSequence(_ record: [MockServer.RecordedMessage]) -> JSONValue {
    var channels: Set<String> = []
    var ids: [String: String] = [:]
    func normalise(_ node: JSONValue, key: String? = nil) -> JSONValue {
        switch node {
        case .object(let members):
            var out: [String: JSONValue] = [:]
            for (name, value) in members { out[name] = normalise(value, key: name) }
            return .object(out)
        case .array(let items):
            return .array(items.map { normalise($0) })
        case .string(let text) where key == "id" || key == "toolCallId":
            if let known = ids[text] { return .string(known) }
            let replaced = "id#\(ids.count + 1)"
            ids[text] = replaced
            return .string(replaced)
        default:
            return node
        }
    }
    var sequence: [JSONValue] = []
    for entry in record where entry.namespace == "llm" {
        guard let message = entry.json, message.objectValue != nil else { continue }
        let key = "\(entry.connectionID)/\(message["channelId"]?.int64Value ?? -1)"
        if message["type"] == "channelCreate", message["endpoint"] == "predict", let parameter = message["creationParameter"] {
            let first = parameter["history"]?["messages"]?.arrayValue?.first?["content"]
            if first == [["type": "text", "text": .string(actWirePrompt)]] {
                channels.insert(key)
                sequence.append(["type": "channelCreate", "endpoint": "predict", "creationParameter": normalise(parameter)])
            }
        } else if message["type"] == "channelSend", channels.contains(key) {
            sequence.append(["type": "channelSend", "message": normalise(message["message"] ?? .null)])
        }
    }
    return .array(sequence)
}

/// The wire comparison with the official Python SDK: `Tests/Conformance/act-wire.json` is the
/// normalised sequence lmstudio-python's `act()` sends for the conformance scenario (checked
/// against a fresh Python run by `scripts/conformance.sh`); this test replays the scenario's
/// inputs through lmstudio-swift's `act` against the same mock and requires the same sequence.
@Suite("Tool use: wire parity with lmstudio-python")
struct ActWireTests {
    @Test func actSendsWhatThePythonSDKSends() async throws {
        let fixturePath = String(#filePath.dropLast("LMStudioTests/ActWireTests.swift".count)) + "Conformance/act-wire.json"
        let fixture = try JSONValue(parsing: try #require(readTextFile(fixturePath)))
        try await withMockClient { server, client in
            let model = try await client.llm.model(chatModel)
            // def add(a: int, b: int) -> int: """Add two integers.""" (schema derived, as in Python)
            let add = try Tool(name: "add", description: "Add two integers.", arguments: Sum.self) { $0.a + $0.b }
            let rounds = EventLog()
            let result = try await model.act(
                actWirePrompt, tools: [add], callbacks: ActCallbacks(onRoundEnd: { rounds.append("\($0)") })
            )
            #expect(result.rounds.count == 2)
            #expect(rounds.all == ["0", "1"])
            let sequence = actWireSequence(server.receivedMessages)
            #expect(sequence.arrayValue?.count == 2)
            #expect(sequence == fixture, "swift: \(sequence.serialized(sortedKeys: true))")
        }
    }
}
