import LMStudio
import LMStudioMockServer
import LMStudioTestSupport
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

let testToken = "sk-lm-abcDEF78:abcDEF7890abcDEF7890"
let chatModel = "qwen2.5-0.5b-instruct"
let embeddingModel = "text-embedding-nomic-embed-text-v1.5"
let notLoadedModel = "llama-3.2-1b-instruct"



/// The auth packets the server received, in order.
func authPackets(_ server: MockServer) -> [(namespace: String, identifier: String, passkey: String)] {
    server.receivedMessages.compactMap { message in
        guard let json = message.json, json["authVersion"] != nil,
            let identifier = json["clientIdentifier"]?.stringValue, let passkey = json["clientPasskey"]?.stringValue
        else { return nil }
        return (message.namespace, identifier, passkey)
    }
}

func modelQuery(_ identifier: String) -> JSONValue {
    ["type": "query", "query": ["identifier": .string(identifier)]]
}

