import LMStudio
import LMStudioMockServer

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A connected client (and, with `--mock`, the in-process mock server it talks to).
struct Connection: Sendable {
    let client: LMStudioClient
    let backend: Backend
    let mock: MockServer?
    let options: GlobalOptions

    /// Creates the client from the global options; with `--mock`, starts the mock first.
    static func open(_ options: GlobalOptions, command: Command?) async throws -> Connection {
        var host = options.host
        var apiToken = options.apiToken
        var mock: MockServer?
        if options.mock {
            if options.host != nil {
                throw UsageError(message: "--mock and --host cannot be used together", command: nil)
            }
            var configuration = MockServer.Configuration()
            // A visible pace, so the reply streams on a terminal like a real model's would.
            configuration.behavior.fragmentInterval = .milliseconds(25)
            configuration.recordsMessages = false
            do {
                mock = try await MockServer.start(configuration: configuration, mode: .live)
            } catch {
                throw CLIFailure(.failure, "cannot start the mock server: \(error)")
            }
            host = mock?.address
            // The mock admits guests; a token from the environment is not needed.
            if apiToken == nil { apiToken = "" }
        } else if host == nil, let value = getenv("LMSTUDIO_HOST"), !String(cString: value).isEmpty {
            host = String(cString: value)
        }
        var configuration = LMStudioClient.Configuration()
        // An explicit `load` keeps the model until it is unloaded (or --ttl); models that
        // chat, embed and tokenize load on demand get the SDK's default TTL (one hour).
        if command == .load { configuration.defaultModelTTL = nil }
        if let timeout = options.timeout {
            configuration.requestTimeout = timeout
            configuration.connectTimeout = timeout
        }
        // Without --verbose the SDK stays quiet: the CLI reports failures itself, as one error.
        configuration.logger = options.verbose ? LMStudioLogger(level: .debug) : .disabled
        do {
            let client = try LMStudioClient(host: host, apiToken: apiToken, configuration: configuration)
            return Connection(client: client, backend: Backend(client: client), mock: mock, options: options)
        } catch {
            await mock?.shutdown()
            throw error
        }
    }

    func close() async {
        await client.close()
        await mock?.shutdown()
    }

    /// The server address as the client resolved it (discovering it if needed).
    func address() async throws(LMStudioError) -> String {
        try await client.serverAddress().description
    }
}
