import LMStudio
import LMStudioMockServer
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

let testToken = "sk-lm-abcDEF78:abcDEF7890abcDEF7890"
let chatModel = "qwen2.5-0.5b-instruct"
let embeddingModel = "text-embedding-nomic-embed-text-v1.5"
let notLoadedModel = "llama-3.2-1b-instruct"

/// Collects log lines for assertions.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    var logger: LMStudioLogger {
        LMStudioLogger(level: .trace) { [self] level, message in
            lines.withLock { $0.append("\(level): \(message)") }
        }
    }

    var all: [String] { lines.withLock { $0 } }
}

/// Runs `body` with a live mock server and a guest client connected to it.
func withMockClient<T: Sendable>(
    serverConfiguration: MockServer.Configuration = .init(),
    clientConfiguration: LMStudioClient.Configuration = .init(),
    apiToken: String? = "",
    _ body: (MockServer, LMStudioClient) async throws -> T
) async throws -> T {
    try await MockServer.withServer(configuration: serverConfiguration) { server in
        let client = try LMStudioClient(host: server.address, apiToken: apiToken, configuration: clientConfiguration)
        do {
            let result = try await body(server, client)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }
}

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

/// Set by scripts/sanitize.sh: sanitized runs are 5–20× slower, so time bounds stretch.
let underSanitizer = getenv("LMSTUDIO_SANITIZER") != nil

/// A time bound, stretched under a sanitizer.
func slack(_ bound: Duration) -> Duration { underSanitizer ? bound * 10 : bound }
