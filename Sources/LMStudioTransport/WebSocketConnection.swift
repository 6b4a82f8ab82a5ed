import Synchronization

/// One websocket connection, client or server side.
///
/// Sends may come from any task or thread: they are queued and written, in order, by the loop
/// thread. Incoming messages are read through ``messages`` by one consumer at a time; when it
/// falls behind, the connection stops reading from the socket until it catches up.
package final class WebSocketConnection: Sendable {
    let core: ConnectionCore

    init(core: ConnectionCore) {
        self.core = core
    }

    /// The request path of the connection (for example `/llm`).
    package var path: String { core.path }

    /// Server role: the `Authorization` header the client sent with its handshake.
    package var handshakeAuthorization: String? { core.authorization }

    /// Queues a text message.
    package func send(text: String) throws(TransportError) {
        var text = text
        if let error = text.withUTF8({ core.send(payload: UnsafeRawBufferPointer($0), text: true) }) { throw error }
    }

    /// Queues a text message whose UTF-8 bytes are given.
    package func send(utf8 bytes: [UInt8]) throws(TransportError) {
        if let error = bytes.withUnsafeBytes({ core.send(payload: $0, text: true) }) { throw error }
    }

    /// Queues a message; `binary` selects a binary rather than a text frame.
    package func send(bytes: [UInt8], binary: Bool) throws(TransportError) {
        if let error = bytes.withUnsafeBytes({ core.send(payload: $0, text: !binary) }) { throw error }
    }

    /// The incoming messages: whole messages in order, ending after a clean close and throwing
    /// the ``TransportError`` that ended the connection otherwise. One consumer at a time.
    package var messages: WebSocketMessages { WebSocketMessages(core: core) }

    /// Starts a graceful close after everything queued so far is written.
    package func close(code: UInt16 = 1000, reason: String = "") {
        core.requestClose(code: code, reason: reason)
    }

    /// Drops the TCP connection without a close handshake.
    package func abort() {
        core.requestAbort()
    }

    /// Stops reading and writing without closing: the peer sees a silent, half-open connection
    /// (its pings go unanswered). For fault-injection tests.
    package func freeze() {
        core.requestFreeze()
    }

    /// Waits until the connection has ended; returns the error that ended it, or nil after a
    /// clean close.
    @discardableResult
    package func waitUntilClosed() async -> TransportError? {
        await core.waitUntilClosed().error
    }

    /// Whether the connection is established and has not ended.
    package var isOpen: Bool { core.state.withLock { $0.established && $0.end == nil } }

    /// Messages received but not yet taken by the consumer.
    package var bufferedMessageCount: Int { core.bufferedCount }

    /// The largest number of messages that were ever buffered at once.
    package var peakBufferedMessageCount: Int { core.maxBufferedCount }
}

/// The incoming messages of a ``WebSocketConnection``.
///
/// The iterator takes every buffered message in one lock and then hands them out without
/// further synchronisation, so a busy stream costs one lock per batch rather than per message.
package struct WebSocketMessages: AsyncSequence, Sendable {
    package typealias Element = [UInt8]
    package typealias Failure = TransportError

    let core: ConnectionCore

    package func makeAsyncIterator() -> Iterator {
        Iterator(core: core)
    }

    /// Iterates the messages of one connection.
    package struct Iterator: AsyncIteratorProtocol {
        let core: ConnectionCore
        var batch: [[UInt8]] = []
        var index = 0

        init(core: ConnectionCore) {
            self.core = core
        }

        package mutating func next(isolation actor: isolated (any Actor)?) async throws(TransportError) -> [UInt8]? {
            if index < batch.count {
                defer { index += 1 }
                return batch[index]
            }
            batch.removeAll(keepingCapacity: true)
            index = 0
            while true {
                switch core.take(into: &batch) {
                case .messages:
                    index = 1
                    return batch[0]
                case .ended(.finished):
                    return nil
                case .ended(.failed(let error)):
                    throw error
                case .empty:
                    if Task.isCancelled { throw .cancelled }
                    await core.waitForMessages(isolation: actor)
                }
            }
        }

        package mutating func next() async throws(TransportError) -> [UInt8]? {
            try await next(isolation: nil)
        }
    }
}
