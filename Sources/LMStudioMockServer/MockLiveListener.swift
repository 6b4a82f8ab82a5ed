import LMStudioTransport

/// The live listener: the transport's websocket server role, serving the greeting endpoint and
/// handing every accepted connection to a ``MockConnection``.
final class MockLiveListener: MockListener {
    private let server: WebSocketServer

    var port: Int { server.port }

    private init(server: WebSocketServer) {
        self.server = server
    }

    static func start(state: MockServerState, jobs: AsyncStream<MockServer.Job>.Continuation) async throws
        -> MockLiveListener
    {
        var configuration = WebSocketServer.Configuration()
        configuration.host = state.configuration.host
        configuration.port = state.configuration.port
        configuration.busyPollWindow = state.configuration.busyPollWindow
        let server: WebSocketServer
        do {
            server = try await WebSocketServer.start(
                configuration: configuration,
                acceptsPath: { path in MockEndpoints.namespaces.contains(namespace(of: path)) },
                httpHandler: greeting
            )
        } catch {
            throw MockServer.StartupError(
                message: "cannot listen on \(configuration.host):\(configuration.port): \(error)"
            )
        }
        jobs.yield {
            await withDiscardingTaskGroup { group in
                for await connection in server.connections {
                    let core = MockConnection(
                        namespace: namespace(of: connection.path), peer: TransportPeer(connection: connection),
                        server: state
                    )
                    // The dispatcher runs on the server's loop thread: an RPC is read, answered and
                    // written with no thread hop. Channel handlers and delayed answers leave it
                    // (see MockConnection), so nothing long runs there.
                    group.addTask(executorPreference: server.taskExecutor) {
                        await core.run(messages: connection.messages.map { String(decoding: $0, as: UTF8.self) })
                    }
                }
                group.cancelAll()
            }
        }
        return MockLiveListener(server: server)
    }

    func shutdown() async {
        await server.shutdown()
    }

    /// `GET /lmstudio-greeting` → `{"lmstudio":true}` (§2.2); anything else is the transport's 404.
    @Sendable static func greeting(_ request: HTTPRequestHead) -> HTTPResponse? {
        guard request.method == "GET", request.path.split(separator: "?").first == "/lmstudio-greeting" else {
            return nil
        }
        return HTTPResponse(status: 200, contentType: "application/json", body: Array(#"{"lmstudio":true}"#.utf8))
    }

    /// The namespace of a websocket path: `/llm` → `llm` (query ignored, no trailing slash).
    static func namespace(of path: String) -> String {
        let pathOnly = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return pathOnly.hasPrefix("/") ? String(pathOnly.dropFirst()) : String(pathOnly)
    }
}

/// A transport connection as a ``MockPeer``.
struct TransportPeer: MockPeer {
    let connection: WebSocketConnection

    func send(_ text: String) {
        // A send on a closed connection fails; the peer is gone, so there is nobody to tell.
        try? connection.send(text: text)
    }

    func close() { connection.close() }
    func abort() { connection.abort() }
    func freeze() { connection.freeze() }
}
