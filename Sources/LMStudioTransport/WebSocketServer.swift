/// The server role: a listening lws context on its own loop thread that accepts websocket
/// connections by path and answers plain HTTP requests with a handler.
package final class WebSocketServer: Sendable {
    /// Settings of a server.
    package struct Configuration: Sendable {
        /// The interface to listen on.
        package var host = "127.0.0.1"
        /// The port; 0 picks a free one (read ``WebSocketServer/port``).
        package var port = 0
        /// The largest incoming message accepted.
        package var maxMessageSize = 64 << 20
        /// Messages (or bytes) buffered per connection before reading pauses.
        package var receiveHighWater = (count: 4096, bytes: 16 << 20)
        /// PEM certificate and key for `wss://`; both nil serves plain `ws://`.
        package var tlsCertificateFile: String?
        package var tlsPrivateKeyFile: String?
        /// The name of the loop thread.
        package var threadName = "lmstudio.srv"
        /// How long the loop thread keeps polling without sleeping after activity (see
        /// `WebSocketClient.Configuration.busyPollWindow`); nil, the default, always sleeps.
        package var busyPollWindow: Duration? = nil

        package init() {}
    }

    let loop: LWSEventLoop
    /// The port the server listens on.
    package let port: Int
    /// Every accepted websocket connection, in order.
    package let connections: AsyncStream<WebSocketConnection>
    private let continuation: AsyncStream<WebSocketConnection>.Continuation

    private init(
        loop: LWSEventLoop, port: Int, connections: AsyncStream<WebSocketConnection>,
        continuation: AsyncStream<WebSocketConnection>.Continuation
    ) {
        self.loop = loop
        self.port = port
        self.connections = connections
        self.continuation = continuation
    }

    /// Starts listening. `acceptsPath` decides which websocket paths are accepted (others are
    /// refused during the handshake); `httpHandler` answers plain HTTP requests (nil → 404).
    /// Both run on the loop thread and must be quick.
    package static func start(
        configuration: Configuration = Configuration(),
        acceptsPath: @escaping @Sendable (String) -> Bool = { _ in true },
        httpHandler: @escaping @Sendable (HTTPRequestHead) -> HTTPResponse? = { _ in nil }
    ) async throws(TransportError) -> WebSocketServer {
        var loopConfiguration = EventLoopConfiguration(
            role: .server(
                host: configuration.host, port: configuration.port,
                certificateFile: configuration.tlsCertificateFile, privateKeyFile: configuration.tlsPrivateKeyFile
            ),
            threadName: configuration.threadName
        )
        // A plain server needs no OpenSSL context (see EventLoopConfiguration.tls).
        loopConfiguration.tls = configuration.tlsCertificateFile != nil
        loopConfiguration.busyPollWindow = configuration.busyPollWindow
        let loop = LWSEventLoop(configuration: loopConfiguration)
        let (stream, continuation) = AsyncStream<WebSocketConnection>.makeStream()
        loop.acceptsPath = acceptsPath
        loop.httpHandler = httpHandler
        loop.serverMaxMessageSize = configuration.maxMessageSize
        loop.serverHighWater = configuration.receiveHighWater
        loop.onAccept = { connection in continuation.yield(connection) }
        let port = try await loop.start()
        return WebSocketServer(loop: loop, port: port, connections: stream, continuation: continuation)
    }

    deinit {
        continuation.finish()
        loop.stopDetached()
    }

    /// The loop thread as a task executor. Connection handlers run under
    /// `withTaskExecutorPreference(server.taskExecutor)` read and answer on the loop thread
    /// itself, with no thread hop per message; they must never block.
    package var taskExecutor: any TaskExecutor { loop }

    /// Stops listening, drops every connection (without a close handshake, as a crashed or
    /// restarted server would) and joins the loop thread.
    package func shutdown() async {
        await loop.stop()
        continuation.finish()
    }
}
