import Synchronization

/// A protocol-faithful mock of LM Studio's SDK websocket API, for testing applications that
/// talk to LM Studio without running it.
///
/// The server implements the greeting endpoint, authentication (guests, first-come-first-served
/// passkeys, an optional required API token), the envelope rules (RPCs, channels, warnings,
/// keep-alive) and the endpoints the official SDKs use: model listing, loading and unloading,
/// predictions with fragments, tool calls and structured output, tokenization, embeddings and
/// file uploads. Everything it receives is recorded for assertions, and its behaviour can be
/// scripted: replies, pacing, benchmark-sized streams and injected faults.
///
/// It runs in two modes: ``Mode/live`` listens on a real websocket port on `127.0.0.1`;
/// ``Mode/inMemory`` serves ``InMemoryConnection``s only.
///
/// ```swift
/// try await MockServer.withServer { server in
///     let client = try await LMStudioClient(host: "127.0.0.1", port: server.port)
///     let reply = try await client.llm.model("qwen2.5-0.5b-instruct").respond("Hi")
///     #expect(reply.content == "Hello! I am a mock LM Studio model.")
///     #expect(server.receivedMessages.contains { $0.namespace == "llm" })
/// }
/// ```
public final class MockServer: Sendable {
    /// Where the server accepts connections.
    public enum Mode: Sendable, Hashable {
        /// A real websocket listener on ``Configuration/host`` and ``Configuration/port``, plus
        /// in-memory connections.
        case live
        /// In-memory connections only (``connect(path:)``); no sockets.
        case inMemory
    }

    /// Why a server could not start.
    public struct StartupError: Error, Sendable, CustomStringConvertible {
        /// What went wrong, e.g. the port was taken.
        public var message: String

        /// A description of the failure.
        public var description: String { "MockServer.StartupError: \(message)" }
    }

    typealias Job = @Sendable () async -> Void

    let state: MockServerState
    private let jobs: AsyncStream<Job>.Continuation
    private let runner: Mutex<Task<Void, Never>?>
    private let listener: Mutex<(any MockListener)?>
    private let boundPort: Int

    /// The TCP port the live listener is bound to (the real port when ``Configuration/port`` was
    /// 0); `0` in ``Mode/inMemory`` mode.
    public var port: Int { boundPort }

    /// The `host:port` to give a client (the form the Python SDK's `api_host` takes).
    public var address: String { "\(state.configuration.host):\(boundPort)" }

    /// The configuration the server started with (the behaviour may have changed since; see
    /// ``behavior``).
    public var configuration: MockServer.Configuration { state.configuration }

    private init(state: MockServerState, listener: (any MockListener)?, jobs: AsyncStream<Job>.Continuation,
        runner: Task<Void, Never>)
    {
        self.state = state
        self.jobs = jobs
        self.runner = Mutex(runner)
        self.listener = Mutex(listener)
        self.boundPort = listener?.port ?? 0
    }

    /// Starts a server.
    ///
    /// Call ``shutdown()`` when done, or use ``withServer(configuration:mode:_:)``, which does it
    /// for you.
    ///
    /// - Parameters:
    ///   - configuration: models, credentials, behaviour; the default admits guests.
    ///   - mode: ``Mode/live`` (default) for a websocket listener, ``Mode/inMemory`` for none.
    /// - Returns: the running server.
    /// - Throws: ``StartupError`` when the listener cannot bind.
    public static func start(configuration: Configuration = Configuration(), mode: Mode = .live) async throws
        -> MockServer
    {
        let state = MockServerState(configuration: configuration)
        let (stream, jobs) = AsyncStream.makeStream(of: Job.self)
        let runner = Task {
            await withDiscardingTaskGroup { group in
                for await job in stream { group.addTask { await job() } }
                group.cancelAll()
            }
        }
        var listener: (any MockListener)?
        if mode == .live {
            do {
                listener = try await MockLiveListener.start(state: state, jobs: jobs)
            } catch {
                jobs.finish()
                await runner.value
                throw error
            }
        }
        return MockServer(state: state, listener: listener, jobs: jobs, runner: runner)
    }

    /// Runs `body` with a started server and shuts the server down afterwards, also when `body`
    /// throws.
    ///
    /// ```swift
    /// try await MockServer.withServer(mode: .inMemory) { server in
    ///     let connection = try server.connect(path: "/system")
    ///     …
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - configuration: models, credentials, behaviour.
    ///   - mode: live websockets (default) or in-memory only.
    ///   - body: the test.
    /// - Returns: what `body` returns.
    /// - Throws: ``StartupError``, or what `body` throws.
    @discardableResult
    public static func withServer<Result: Sendable>(
        configuration: Configuration = Configuration(), mode: Mode = .live,
        _ body: (MockServer) async throws -> Result
    ) async throws -> Result {
        let server = try await start(configuration: configuration, mode: mode)
        do {
            let result = try await body(server)
            await server.shutdown()
            return result
        } catch {
            await server.shutdown()
            throw error
        }
    }

    /// Stops listening, closes every connection and waits for all connection work to end.
    /// Idempotent.
    public func shutdown() async {
        let listener = self.listener.withLock { value -> (any MockListener)? in
            defer { value = nil }
            return value
        }
        closeAllConnections()
        await listener?.shutdown()
        jobs.finish()
        let task = runner.withLock { $0 }
        await task?.value
    }

    /// Opens an in-memory connection to `path` (e.g. `/llm`); works in both modes.
    ///
    /// - Parameter path: `/` followed by a namespace name.
    /// - Returns: the client side of the connection; send the authentication packet first.
    /// - Throws: ``StartupError`` when the path names no namespace.
    public func connect(path: String) throws -> InMemoryConnection {
        let namespace = String(path.drop { $0 == "/" })
        guard MockEndpoints.namespaces.contains(namespace) else {
            throw StartupError(message: "No namespace at path \(path)")
        }
        let connection = InMemoryConnection(path: path)
        let core = MockConnection(namespace: namespace, peer: connection.peer, server: state)
        let inbound = connection.inbound
        let result = jobs.yield { await core.run(messages: inbound) }
        if case .terminated = result { connection.peer.finish(.closed) }
        return connection
    }

    // MARK: Record

    /// Every text message received so far, on every connection, in arrival order
    /// (authentication packets included).
    public var receivedMessages: [RecordedMessage] { state.shared.withLock { $0.record } }

    /// The received messages as JSON Lines, one ``RecordedMessage/jsonLine`` per line.
    public var receivedMessagesJSONLines: String {
        receivedMessages.map { $0.jsonLine + "\n" }.joined()
    }

    /// Forgets the messages received so far.
    public func clearReceivedMessages() {
        state.shared.withLock { $0.record.removeAll() }
    }

    // MARK: Behaviour and state

    /// The current scripted behaviour.
    public var behavior: Behavior { state.behavior }

    /// Changes the scripted behaviour; later calls and predictions see the change.
    ///
    /// ```swift
    /// server.updateBehavior { $0.faults = [.error(endpoint: "listLoaded", .init(title: "Boom"))] }
    /// ```
    ///
    /// - Parameter body: edits the behaviour in place.
    public func updateBehavior(_ body: (inout Behavior) -> Void) {
        state.shared.withLock { body(&$0.behavior) }
    }

    /// The identifiers of the loaded model instances, in load order.
    public var loadedIdentifiers: [String] { state.withCatalogue { $0.loaded.map(\.identifier) } }

    /// The number of connections currently open.
    public var openConnectionCount: Int { state.shared.withLock { $0.liveConnections.count } }

    /// Closes every open connection gracefully (close frame).
    public func closeAllConnections() {
        for peer in state.shared.withLock({ Array($0.liveConnections.values) }) { peer.close() }
    }

    /// Drops every open connection without a close frame.
    public func dropAllConnections() {
        for peer in state.shared.withLock({ Array($0.liveConnections.values) }) { peer.abort() }
    }
}

/// The live websocket listener, as the server sees it.
protocol MockListener: Sendable {
    /// The bound port.
    var port: Int { get }
    /// Stops accepting and closes the listening socket.
    func shutdown() async
}
