import LMStudioProtocol
import LMStudioTransport
import Synchronization

extension LMStudioError {
    /// Maps a transport failure to the SDK's error codes.
    init(transport error: any Error, context: String) {
        guard let error = error as? TransportError else {
            self.init(.connectionFailed, context, underlying: nil)
            return
        }
        let code: Code
        switch error {
        case .invalidURL: code = .invalidHost
        case .connectionRefused, .dnsFailure, .tlsFailure, .handshakeRejected, .connectFailed, .startFailed:
            code = .connectionFailed
        case .closedByPeer, .connectionLost: code = .connectionLost
        case .timedOut: code = .timeout
        case .messageTooBig: code = .messageTooBig
        case .closed: code = .clientClosed
        case .cancelled: code = .cancelled
        }
        self.init(code, "\(context): \(error)", underlying: error)
    }
}

/// What every namespace connection of one client shares: settings, credentials, the logger,
/// the transport (started on first use) and the server address (discovered on first use).
final class ClientCore: Sendable {
    let configuration: LMStudioClient.Configuration
    let credentials: ClientCredentials
    let log: ClientLog
    let explicitAddress: ServerAddress?

    private let transportFuture = LockedValue<SharedFuture<WebSocketClient>?>(nil)
    private let addressFuture = LockedValue<SharedFuture<ServerAddress>?>(nil)
    private let closed = Atomic<Bool>(false)
    private let connectionsStorage = LockedValue<[Namespace: NamespaceConnection]>([:])

    init(configuration: LMStudioClient.Configuration, credentials: ClientCredentials, address: ServerAddress?) {
        self.configuration = configuration
        self.credentials = credentials
        self.explicitAddress = address
        let secrets = credentials.kind == .guest ? [credentials.passkey] : [credentials.passkey, credentials.identifier]
        self.log = ClientLog(logger: configuration.logger, secrets: secrets)
    }

    /// The connection of `namespace` (created on first use; it connects on its first call).
    func connection(_ namespace: Namespace) -> NamespaceConnection {
        connectionsStorage.withLock { connections in
            if let existing = connections[namespace] { return existing }
            let connection = NamespaceConnection(namespace: namespace, client: self)
            connections[namespace] = connection
            return connection
        }
    }

    var allConnections: [NamespaceConnection] { connectionsStorage.withLock { Array($0.values) } }

    /// The transport, started once.
    func transport() async throws(LMStudioError) -> WebSocketClient {
        if closed.load(ordering: .relaxed) { throw LMStudioError(.clientClosed, "the client was closed") }
        let (future, start) = transportFuture.withLock { slot -> (SharedFuture<WebSocketClient>, Bool) in
            if let future = slot { return (future, false) }
            let future = SharedFuture<WebSocketClient>()
            slot = future
            return (future, true)
        }
        if start {
            var settings = WebSocketClient.Configuration()
            settings.maxMessageSize = configuration.maxMessageSize
            settings.busyPollWindow = configuration.busyPollWindow
            settings.connectTimeoutSeconds = UInt32(max(1, configuration.connectTimeout.components.seconds))
            settings.keepAlive = configuration.keepAlive.map {
                WebSocketClient.KeepAlive(pingInterval: UInt16(clamping: $0.interval.components.seconds), timeout: UInt16(clamping: $0.timeout.components.seconds))
            }
            // Discovery probes plain http://127.0.0.1; only an explicit wss:// host needs TLS.
            settings.tlsEnabled = explicitAddress?.scheme == .wss
            settings.tls = .init(
                caFile: configuration.tls.caFile, allowSelfSigned: configuration.tls.allowSelfSigned,
                skipHostnameVerification: configuration.tls.allowSelfSigned
            )
            Task.detached {
                do {
                    future.resolve(.success(try await WebSocketClient.start(configuration: settings)))
                } catch {
                    future.resolve(.failure(LMStudioError(transport: error, context: "the transport could not start")))
                }
            }
        }
        return try await future.value()
    }

    /// The server address: the configured one, or the first local LM Studio that answers the
    /// greeting on a default port.
    func address() async throws(LMStudioError) -> ServerAddress {
        if let explicitAddress { return explicitAddress }
        let (future, start) = addressFuture.withLock { slot -> (SharedFuture<ServerAddress>, Bool) in
            if let future = slot { return (future, false) }
            let future = SharedFuture<ServerAddress>()
            slot = future
            return (future, true)
        }
        if start {
            let transport = try await transport()
            Task.detached { [self] in
                let result = await Discovery.probe(transport: transport, ports: configuration.discoveryPorts, log: log)
                if case .failure = result { addressFuture.withLock { $0 = nil } }  // try again next time
                future.resolve(result)
            }
        }
        return try await future.value()
    }

    /// Closes every connection and stops the transport.
    func close() async {
        guard !closed.exchange(true, ordering: .relaxed) else { return }
        // Closing also breaks the reference cycle between the core and its connections.
        let connections = connectionsStorage.withLock { storage in
            defer { storage = [:] }
            return Array(storage.values)
        }
        for connection in connections { connection.close() }
        let future = transportFuture.withLock { $0 }
        if let future, let transport = try? await future.value() {
            await transport.shutdown()
        }
    }

    var isClosed: Bool { closed.load(ordering: .relaxed) }
}

/// Finds a local LM Studio when no host is given (PROTOCOL.md §2.3).
enum Discovery {
    /// Probes `GET /lmstudio-greeting` on 127.0.0.1 at every port concurrently and returns the
    /// first that answers `{"lmstudio":true}`.
    static func probe(transport: WebSocketClient, ports: [Int], log: ClientLog) async -> Result<ServerAddress, LMStudioError> {
        let found = await withTaskGroup(of: Int?.self) { group -> Int? in
            for port in ports {
                group.addTask {
                    do {
                        let response = try await transport.httpGet("http://127.0.0.1:\(port)\(ServerAddress.greetingPath)")
                        if response.status == 200 && ServerAddress.isLMStudioGreeting(response.body) { return port }
                        log.debug("port \(port) answered, but not as LM Studio (status \(response.status))")
                    } catch {
                        log.trace("no LM Studio on port \(port): \(error)")
                    }
                    return nil
                }
            }
            for await port in group {
                if let port {
                    group.cancelAll()
                    return port
                }
            }
            return nil
        }
        if let found {
            log.debug("found LM Studio on 127.0.0.1:\(found)")
            return .success(.local(port: found))
        }
        let tried = ports.map(String.init).joined(separator: ", ")
        return .failure(LMStudioError(
            .noServerFound,
            "no LM Studio server answered on 127.0.0.1 ports \(tried); start LM Studio (or `lms server start`) or pass a host"
        ))
    }
}
