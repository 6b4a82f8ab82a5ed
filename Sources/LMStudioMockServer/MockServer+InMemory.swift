import Synchronization

extension MockServer {
    /// A client-side handle on an in-memory connection to the mock: no sockets, no C, the same
    /// protocol core as the live listener.
    ///
    /// Send text frames with ``send(_:)`` and read the server's frames from ``messages``:
    ///
    /// ```swift
    /// let connection = try server.connect(path: "/llm")
    /// connection.send(#"{"authVersion":1,"clientIdentifier":"guest:a","clientPasskey":"b"}"#)
    /// var frames = connection.messages.makeAsyncIterator()
    /// #expect(await frames.next() == #"{"success":true}"#)
    /// ```
    public final class InMemoryConnection: Sendable {
        /// How the connection ended, as observed by the client.
        public enum Closure: Sendable, Hashable {
            /// Still open.
            case open
            /// The server sent a close frame (or the client closed).
            case closed
            /// The server dropped the connection without a close frame.
            case aborted
            /// The server stopped reading and writing (half-open).
            case frozen
        }

        /// The websocket path, e.g. `/llm`.
        public let path: String
        /// Frames the server sent, in order; finishes when the connection closes or aborts.
        public let messages: AsyncStream<String>

        let peer: InMemoryPeer
        let inbound: AsyncStream<String>

        init(path: String) {
            self.path = path
            let (messages, outbound) = AsyncStream.makeStream(of: String.self)
            let (inbound, inboundContinuation) = AsyncStream.makeStream(of: String.self)
            self.messages = messages
            self.inbound = inbound
            peer = InMemoryPeer(outbound: outbound, inbound: inboundContinuation)
        }

        /// Sends one text frame to the server. Ignored once the connection is no longer open.
        public func send(_ text: String) {
            peer.clientSend(text)
        }

        /// Closes the connection from the client side; the server then ends its open channels.
        public func close() {
            peer.finish(.closed)
        }

        /// How the connection ended so far.
        public var closure: Closure { peer.closure }
    }
}

/// The server's view of an in-memory connection.
final class InMemoryPeer: MockPeer {
    struct State: Sendable {
        var closure: MockServer.InMemoryConnection.Closure = .open
    }

    private let outbound: AsyncStream<String>.Continuation
    private let inbound: AsyncStream<String>.Continuation
    private let state = Mutex(State())

    init(outbound: AsyncStream<String>.Continuation, inbound: AsyncStream<String>.Continuation) {
        self.outbound = outbound
        self.inbound = inbound
    }

    var closure: MockServer.InMemoryConnection.Closure { state.withLock { $0.closure } }

    func clientSend(_ text: String) {
        guard closure == .open else { return }
        inbound.yield(text)
    }

    func send(_ text: String) {
        guard closure == .open else { return }
        outbound.yield(text)
    }

    func finish(_ closure: MockServer.InMemoryConnection.Closure) {
        let changed = state.withLock { state -> Bool in
            guard state.closure == .open else { return false }
            state.closure = closure
            return true
        }
        guard changed else { return }
        if closure != .frozen { outbound.finish() }
        inbound.finish()
    }

    func close() { finish(.closed) }
    func abort() { finish(.aborted) }
    func freeze() { finish(.frozen) }
}
