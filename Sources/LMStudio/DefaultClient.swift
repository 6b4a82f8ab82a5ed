import Synchronization

/// The process-wide default client, for scripts and small programs.
///
/// ```swift
/// try LMStudioClient.configureDefault(host: "127.0.0.1:1234", apiToken: token)
/// let client = try LMStudioClient.shared()
/// ```
extension LMStudioClient {
    private struct DefaultState: ~Copyable {
        var settings: (host: String?, apiToken: String?, configuration: Configuration)?
        var client: LMStudioClient?
    }

    private static let defaultState = Mutex(DefaultState())

    /// Sets how the default client is created. Throws ``LMStudioError/Code/alreadyConfigured``
    /// once the default client exists, and `invalidHost` / `invalidToken` for bad input.
    public static func configureDefault(host: String? = nil, apiToken: String? = nil, configuration: Configuration = Configuration()) throws(LMStudioError) {
        // Validate now so the mistake surfaces at configuration time.
        let probe = try LMStudioClient(host: host, apiToken: apiToken, configuration: configuration)
        _ = probe
        try defaultState.withLock { state throws(LMStudioError) in
            if state.client != nil {
                throw LMStudioError(.alreadyConfigured, "the default client already exists; configure it before first use (or reset it)")
            }
            state.settings = (host, apiToken, configuration)
        }
    }

    /// The default client, created on first use from ``configureDefault(host:apiToken:configuration:)``
    /// (or with discovery and the environment's token when not configured).
    public static func shared() throws(LMStudioError) -> LMStudioClient {
        try defaultState.withLock { state throws(LMStudioError) -> LMStudioClient in
            if let client = state.client { return client }
            let settings = state.settings
            let client = try LMStudioClient(
                host: settings?.host, apiToken: settings?.apiToken, configuration: settings?.configuration ?? Configuration()
            )
            state.client = client
            return client
        }
    }

    /// Closes and forgets the default client and its configuration (for tests).
    public static func resetDefault() async {
        let client = defaultState.withLock { state -> LMStudioClient? in
            defer {
                state.client = nil
                state.settings = nil
            }
            return state.client
        }
        await client?.close()
    }
}
