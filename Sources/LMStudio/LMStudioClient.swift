@_exported public import LMStudioProtocol
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A client of one LM Studio server.
///
/// The client opens one websocket per namespace (`llm`, `embedding`, `system`, …) the first
/// time it is used and multiplexes every call of that namespace over it. Construction does no
/// network I/O: it only checks the host and the credentials.
///
/// ```swift
/// let client = try LMStudioClient()                       // discovers a local LM Studio
/// let model = try await client.llm.model("qwen2.5-7b-instruct")
/// print(try await model.respond("Hello!").content)
/// await client.close()
/// ```
///
/// **Credentials.** `apiToken` nil reads `LMSTUDIO_API_TOKEN`, then `LM_API_TOKEN`; an empty
/// string (argument or environment) connects as a guest even when the environment holds a
/// token. A malformed token throws ``LMStudioError/Code/invalidToken`` here, before any I/O.
public final class LMStudioClient: Sendable {
    /// Settings of a client.
    public struct Configuration: Sendable {
        /// The default deadline for one RPC (nil: wait forever). The server never answers a
        /// call it rejects, so a deadline turns silence into ``LMStudioError/Code/timeout``.
        public var requestTimeout: Duration? = .seconds(60)
        /// The deadline for connecting and authenticating one namespace socket.
        public var connectTimeout: Duration = .seconds(10)
        /// Websocket ping/pong keep-alive (nil turns it off).
        public var keepAlive: KeepAlive? = KeepAlive()
        /// Certificate checks for `wss://` hosts.
        public var tls = TLSOptions()
        /// The largest message accepted from the server.
        public var maxMessageSize = 64 << 20
        /// Ports probed on 127.0.0.1 when no host is given.
        public var discoveryPorts = ServerAddress.defaultPorts
        /// Where diagnostics go (secrets are always scrubbed).
        public var logger = LMStudioLogger()
        /// The time-to-live given to models that `model(_:)` loads (nil: the server's default).
        public var defaultModelTTL: Duration? = .seconds(3600)
        /// How long the client's network thread keeps polling instead of sleeping after it
        /// last had work (nil: it always sleeps when idle). A caller's next request, or a fast
        /// server's reply, that arrives inside the window is handled without waking a sleeping
        /// thread, which costs about 20 µs on a virtual machine: sequential calls run up to
        /// 1.6 times as fast. The price is CPU time spent polling, only inside the window.
        public var busyPollWindow: Duration? = .microseconds(100)

        /// Creates the default settings.
        public init() {}
    }

    /// Websocket keep-alive: a ping after `interval` of silence, and the connection is
    /// declared dead when nothing arrives for a further `timeout`.
    public struct KeepAlive: Sendable, Hashable {
        public var interval: Duration
        public var timeout: Duration

        /// Creates a keep-alive policy (defaults: 20 s and 20 s, like the Python SDK's).
        public init(interval: Duration = .seconds(20), timeout: Duration = .seconds(20)) {
            self.interval = interval
            self.timeout = timeout
        }
    }

    /// Certificate checks for `wss://`.
    public struct TLSOptions: Sendable, Hashable {
        /// A PEM bundle of trusted CAs to use instead of the system store.
        public var caFile: String?
        /// Accepts self-signed certificates and skips the host-name check. For tests only.
        public var allowSelfSigned: Bool

        public init(caFile: String? = nil, allowSelfSigned: Bool = false) {
            self.caFile = caFile
            self.allowSelfSigned = allowSelfSigned
        }
    }

    let core: ClientCore

    /// Creates a client.
    ///
    /// - Parameters:
    ///   - host: `host:port`, `ws://…`, `wss://…`, `http://…` or `https://…` (optionally with a
    ///     path prefix). Nil discovers a local LM Studio on the default ports.
    ///   - apiToken: An LM Studio API token (`sk-lm-…`). Nil reads `LMSTUDIO_API_TOKEN`, then
    ///     `LM_API_TOKEN`; an empty string forces a guest identity.
    ///   - configuration: Timeouts, TLS, logging and other settings.
    /// - Throws: ``LMStudioError`` with code `invalidHost` or `invalidToken`.
    public convenience init(host: String? = nil, apiToken: String? = nil, configuration: Configuration = Configuration()) throws(LMStudioError) {
        let credentials: ClientCredentials
        do {
            credentials = try ClientCredentials.resolve(apiToken: apiToken, environment: Self.environment())
        } catch {
            throw LMStudioError(.invalidToken, error.description, underlying: error)
        }
        try self.init(host: host, credentials: credentials, configuration: configuration)
    }

    /// Creates a client with explicit credentials (an identifier and passkey pair, as LM
    /// Studio's plugin runner hands out) instead of an API token.
    public init(host: String? = nil, credentials: ClientCredentials, configuration: Configuration = Configuration()) throws(LMStudioError) {
        var address: ServerAddress?
        if let host {
            do {
                address = try ServerAddress(parsing: host)
            } catch {
                throw LMStudioError(.invalidHost, error.description, underlying: error)
            }
        }
        core = ClientCore(configuration: configuration, credentials: credentials, address: address)
    }

    deinit {
        let core = self.core
        if !core.isClosed {
            Task.detached { await core.close() }
        }
    }

    /// Closes every connection and stops the transport thread. Calls in flight fail with
    /// ``LMStudioError/Code/clientClosed``.
    public func close() async {
        await core.close()
    }

    /// The server address, discovering it if no host was given.
    public func serverAddress() async throws(LMStudioError) -> ServerAddress {
        try await core.address()
    }

    /// The kind of identity this client presents (guest, API token or explicit credentials).
    public var identityKind: ClientCredentials.Kind { core.credentials.kind }

    // MARK: Low-level access

    /// Calls any RPC endpoint of a namespace with a raw JSON parameter and returns the raw
    /// result (nil for a void result). For endpoints this SDK does not wrap yet.
    public func rawCall(
        _ namespace: Namespace, endpoint: String, parameter: JSONValue? = nil, timeout: Duration?? = nil
    ) async throws(LMStudioError) -> JSONValue? {
        try await core.connection(namespace).call(endpoint, parameter: parameter, timeout: timeout)
    }

    /// Opens any channel endpoint of a namespace and returns its raw packets; `send` pushes
    /// packets to the server on the same channel.
    public func rawChannel(
        _ namespace: Namespace, endpoint: String, creationParameter: JSONValue? = nil
    ) async throws(LMStudioError) -> RawChannel {
        RawChannel(core: try await core.connection(namespace).openChannel(endpoint, creationParameter: creationParameter))
    }

    /// Internal counters, for leak checks in tests: calls waiting for a reply and channels
    /// still open, over every namespace.
    public var inFlightCounts: (calls: Int, channels: Int) {
        core.allConnections.reduce((0, 0)) { ($0.0 + $1.pendingCallCount, $0.1 + $1.openChannelCount) }
    }

    static func environment() -> [String: String] {
        var result: [String: String] = [:]
        for name in [ClientCredentials.primaryTokenVariable, ClientCredentials.secondaryTokenVariable, "LMSTUDIO_HOST"] {
            if let value = getenv(name) { result[name] = String(cString: value) }
        }
        return result
    }
}

/// A raw channel: the server's packets as JSON, and a way to send packets back.
public struct RawChannel: Sendable, AsyncSequence {
    public typealias Element = JSONValue
    public typealias Failure = LMStudioError

    let core: ChannelCore

    /// The channel id on its socket.
    public var id: Int { core.id }

    /// Sends a packet on the channel.
    public func send(_ message: JSONValue) throws(LMStudioError) {
        try core.send(message)
    }

    public func makeAsyncIterator() -> Iterator { Iterator(base: core.messages.makeAsyncIterator()) }

    /// Iterates the channel's packets until `channelClose` (or throws at `channelError`).
    public struct Iterator: AsyncIteratorProtocol {
        var base: ChannelMessages.Iterator

        public mutating func next(isolation actor: isolated (any Actor)?) async throws(LMStudioError) -> JSONValue? {
            try await base.next(isolation: actor)
        }

        public mutating func next() async throws(LMStudioError) -> JSONValue? {
            try await base.next(isolation: nil)
        }
    }
}
