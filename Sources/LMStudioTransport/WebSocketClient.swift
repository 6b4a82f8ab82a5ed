internal import CLibWebSockets

/// The client role: one lws context and one named loop thread that carry any number of
/// websocket connections and HTTP GET requests.
///
/// Create it with ``start(configuration:)`` and end it with ``shutdown()``, which closes every
/// connection, destroys the context and joins the thread.
package final class WebSocketClient: Sendable {
    /// Keep-alive: a websocket ping after `pingInterval` seconds without traffic, and a hang-up
    /// when nothing at all arrived for `pingInterval + timeout` seconds.
    package struct KeepAlive: Sendable, Hashable {
        package var pingInterval: UInt16
        package var timeout: UInt16

        package init(pingInterval: UInt16 = 20, timeout: UInt16 = 20) {
            self.pingInterval = max(1, pingInterval)
            self.timeout = max(1, timeout)
        }
    }

    /// How server certificates are checked. Verified against the system CAs by default.
    package struct TLSConfiguration: Sendable, Hashable {
        /// A PEM bundle of trusted CAs to use instead of the system store.
        package var caFile: String?
        /// Accepts self-signed certificates. For tests only.
        package var allowSelfSigned = false
        /// Skips the host-name check. For tests only.
        package var skipHostnameVerification = false

        package init(caFile: String? = nil, allowSelfSigned: Bool = false, skipHostnameVerification: Bool = false) {
            self.caFile = caFile
            self.allowSelfSigned = allowSelfSigned
            self.skipHostnameVerification = skipHostnameVerification
        }
    }

    /// Settings of a client.
    package struct Configuration: Sendable {
        /// The largest incoming message accepted; a larger one ends the connection with
        /// ``TransportError/messageTooBig(limit:)``.
        package var maxMessageSize = 64 << 20
        /// Messages (or bytes) buffered per connection before reading pauses.
        package var receiveHighWater = (count: 4096, bytes: 16 << 20)
        /// Protocol-level ping/pong keep-alive; nil turns it off.
        package var keepAlive: KeepAlive? = KeepAlive()
        /// Seconds allowed to connect (TCP, TLS and the handshake).
        package var connectTimeoutSeconds: UInt32 = 10
        /// Certificate checks for `wss://` and `https://`.
        package var tls = TLSConfiguration()
        /// The name of the loop thread.
        package var threadName = "lmstudio.ws"
        /// Whether `wss://` and `https://` can be used (off by default). A TLS-enabled transport
        /// initialises OpenSSL and parses the system CA store, and libwebsockets 4.1.6 leaks its
        /// client `SSL_CTX` when TLS-enabled transports' lifetimes overlap.
        package var tlsEnabled = false
        /// How long the loop thread keeps polling without sleeping after activity, so that the
        /// next request of a caller, or the reply of a fast server, needs no thread wake-up
        /// (about 20 µs each on a virtual machine); nil turns it off. Costs CPU only inside
        /// the window.
        package var busyPollWindow: Duration? = .microseconds(100)

        package init() {}
    }

    let loop: LWSEventLoop
    package let configuration: Configuration

    private init(loop: LWSEventLoop, configuration: Configuration) {
        self.loop = loop
        self.configuration = configuration
    }

    /// Starts the loop thread and its lws context.
    package static func start(configuration: Configuration = Configuration()) async throws(TransportError) -> WebSocketClient {
        var loopConfiguration = EventLoopConfiguration(role: .client, threadName: configuration.threadName)
        loopConfiguration.caFile = configuration.tls.caFile
        loopConfiguration.connectTimeoutSeconds = max(1, configuration.connectTimeoutSeconds)
        loopConfiguration.tls = configuration.tlsEnabled
        loopConfiguration.busyPollWindow = configuration.busyPollWindow
        if let keepAlive = configuration.keepAlive {
            loopConfiguration.keepAlive = (keepAlive.pingInterval, keepAlive.pingInterval &+ keepAlive.timeout)
        }
        let loop = LWSEventLoop(configuration: loopConfiguration)
        _ = try await loop.start()
        return WebSocketClient(loop: loop, configuration: configuration)
    }

    deinit {
        loop.stopDetached()
    }

    /// The loop thread as a task executor. Code run under
    /// `withTaskExecutorPreference(client.taskExecutor)` handles replies on the loop thread
    /// itself, saving a thread hop per message; it must never block.
    package var taskExecutor: any TaskExecutor { loop }

    /// Closes every connection, destroys the context and joins the loop thread.
    package func shutdown() async {
        await loop.stop()
    }

    /// Opens a websocket connection to a `ws://` or `wss://` URL with extra handshake headers.
    package func connect(to url: String, headers: [(String, String)] = []) async throws(TransportError) -> WebSocketConnection {
        let target = try TransportURL(url)
        guard target.websocket else { throw .invalidURL("expected ws:// or wss://") }
        if target.secure && !configuration.tlsEnabled { throw .tlsFailure("TLS is not enabled on this transport") }
        let core = ConnectionCore(
            loop: loop, role: .client, path: target.path, maxMessageSize: configuration.maxMessageSize,
            highWater: configuration.receiveHighWater, headers: headers
        )
        core.target = target
        let flags = connectionFlags(secure: target.secure)
        let result = await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<Void, TransportError>, Never>) in
                core.state.withLock { $0.connectWaiter = continuation }
                let accepted = loop.execute { [loop] in
                    Self.startConnect(core, target: target, flags: flags, method: nil, loop: loop)
                }
                if !accepted { core.finish(.failed(.closed)) }
            }
        } onCancel: {
            core.cancelConnect()
        }
        try result.get()
        return WebSocketConnection(core: core)
    }

    /// Sends `GET url` (http or https) and returns the complete response.
    package func httpGet(_ url: String, headers: [(String, String)] = [], maxBodySize: Int = 1 << 20) async throws(TransportError) -> HTTPResponse {
        let target = try TransportURL(url)
        guard !target.websocket else { throw .invalidURL("expected http:// or https://") }
        if target.secure && !configuration.tlsEnabled { throw .tlsFailure("TLS is not enabled on this transport") }
        let request = HTTPRequestCore(target: target, headers: headers, maxBodySize: maxBodySize)
        let flags = connectionFlags(secure: target.secure)
        let result = await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<HTTPResponse, TransportError>, Never>) in
                request.state.withLock { $0.waiter = continuation }
                let accepted = loop.execute { [loop] in
                    Self.startConnect(request, target: target, flags: flags, method: "GET", loop: loop)
                }
                if !accepted { request.complete(.failure(.closed)) }
            }
        } onCancel: {
            request.complete(.failure(.cancelled))
        }
        return try result.get()
    }

    private func connectionFlags(secure: Bool) -> Int32 {
        guard secure else { return 0 }
        var flags = LCCSCF_USE_SSL.rawValue
        if configuration.tls.allowSelfSigned { flags |= LCCSCF_ALLOW_SELFSIGNED.rawValue }
        if configuration.tls.skipHostnameVerification { flags |= LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK.rawValue }
        return Int32(bitPattern: flags)
    }

    /// Loop thread: hands a connection attempt to lws.
    private static func startConnect(
        _ endpoint: LoopEndpoint, target: TransportURL, flags: Int32, method: String?, loop: LWSEventLoop
    ) {
        func fail(_ error: TransportError) {
            if let core = endpoint as? ConnectionCore { core.finish(.failed(error)) }
            if let request = endpoint as? HTTPRequestCore { request.complete(.failure(error)) }
        }
        guard let context = loop.liveContext else { return fail(.closed) }
        if let core = endpoint as? ConnectionCore, core.state.withLock({ $0.abortRequested || $0.end != nil }) {
            return fail(.cancelled)
        }
        loop.register(endpoint)
        if target.secure {
            TLSGate.beginHandshake()
            endpoint.holdsTLSGate = true
        }
        var info = lws_client_connect_info()
        info.context = context
        info.port = Int32(target.port)
        info.ssl_connection = flags
        info.ietf_version_or_minus_one = -1
        info.opaque_user_data = Unmanaged.passUnretained(endpoint).toOpaque()
        info.alpn = UnsafePointer(loop.alpnHTTP1)
        if method == nil { info.retry_and_idle_policy = loop.keepAlivePolicy }
        let wsi: WSI? = target.host.withCString { host in
            target.path.withCString { path in
                target.hostHeader.withCString { hostHeader in
                    info.address = host
                    info.path = path
                    info.host = hostHeader
                    info.origin = hostHeader
                    if method != nil {
                        // Naming the protocol binds it to the HTTP client wsi; without the bind,
                        // lws swallows the response body instead of passing it to the callback.
                        info.method = UnsafePointer(loop.methodGET)
                        info.protocol = loop.protocolName
                    }
                    return LWS.connect(&info)
                }
            }
        }
        if let wsi {
            if let core = endpoint as? ConnectionCore, core.wsi == nil { core.wsi = wsi }
        } else {
            // lws failed synchronously; it may or may not have reported CONNECTION_ERROR.
            endpoint.releaseTLSGate()
            fail(.dnsFailure(host: target.host))
            loop.unregister(endpoint)
        }
    }

    /// Connections the loop still tracks (tests use it to prove nothing leaks).
    package func registeredConnectionCount() async -> Int {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Int, Never>) in
            let accepted = loop.execute { [loop] in continuation.resume(returning: loop.registeredCount) }
            if !accepted { continuation.resume(returning: 0) }
        }
    }
}

/// One plain HTTP request in flight on the client loop.
final class HTTPRequestCore: LoopEndpoint, @unchecked Sendable {
    struct State: ~Copyable {
        var waiter: UnsafeContinuation<Result<HTTPResponse, TransportError>, Never>?
        var done = false
    }

    let target: TransportURL
    let headers: [(String, String)]
    let maxBodySize: Int
    let state = LockedValue(State())

    // Loop thread.
    private var status = 0
    private var body: [UInt8] = []
    private var tooBig = false

    init(target: TransportURL, headers: [(String, String)], maxBodySize: Int) {
        self.target = target
        self.headers = headers
        self.maxBodySize = maxBodySize
    }

    func complete(_ result: Result<HTTPResponse, TransportError>) {
        let waiter = state.withLock { state -> UnsafeContinuation<Result<HTTPResponse, TransportError>, Never>? in
            guard !state.done else { return nil }
            state.done = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: result)
    }

    override func handle(_ reason: lws_callback_reasons, wsi: WSI, input: UnsafeMutableRawPointer?, length: Int) -> Int32 {
        switch reason {
        case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
            status = LWS.httpResponseStatus(wsi)
            return 0
        case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
            return LWS.drainHTTPClient(wsi) ? 0 : -1
        case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
            if body.count + length > maxBodySize {
                tooBig = true
                complete(.failure(.messageTooBig(limit: maxBodySize)))
                return -1
            }
            if let input { body.append(contentsOf: UnsafeRawBufferPointer(start: input, count: length)) }
            return 0
        case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
            complete(.success(HTTPResponse(status: status, contentType: "", body: body)))
            LWS.killAsync(wsi)
            return 0
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
            let text = input.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? ""
            complete(.failure(classify(text)))
            return 0
        case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
            return LWS.appendHandshakeHeaders(wsi, cursor: input, space: length, headers: headers) ? 0 : -1
        case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
            complete(.failure(.connectionLost))
            return 0
        default:
            return LWS.defaultCallback(wsi, reason, nil, input, length)
        }
    }

    override func destroyed() {
        complete(.failure(.connectionLost))
    }

    private func classify(_ text: String) -> TransportError {
        let lower = text.lowercased()
        if lower.contains("ssl") || lower.contains("tls") || lower.contains("certificate") { return .tlsFailure(text) }
        if lower.contains("getaddrinfo") || lower.contains("dns") { return .dnsFailure(host: target.host) }
        if lower.contains("unable to connect") || lower.contains("refused") {
            return .connectionRefused(host: target.host, port: target.port)
        }
        if lower.contains("timeout") || lower.contains("timed out") { return .timedOut("GET \(target)") }
        return .connectFailed(text.isEmpty ? "unknown error" : text)
    }
}
