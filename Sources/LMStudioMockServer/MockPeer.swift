/// The far end of one websocket connection, as the protocol core sees it.
///
/// The live listener wraps a transport connection in it; the in-memory transport
/// (``MockServer/InMemoryConnection``) implements it with async streams. Every method may be
/// called from any thread and must not block.
protocol MockPeer: Sendable {
    /// Queues one text frame.
    func send(_ text: String)
    /// Closes the connection gracefully (close frame).
    func close()
    /// Drops the connection without a close frame.
    func abort()
    /// Stops reading and writing, leaving the peer half-open.
    func freeze()
}
