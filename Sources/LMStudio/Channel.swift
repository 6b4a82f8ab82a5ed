import LMStudioProtocol
import LMStudioTransport

/// One open channel on a namespace socket: the packets the server sends on it, and a way to
/// send packets back.
///
/// The server's packets are buffered until the consumer takes them; the consumer takes every
/// buffered packet in one lock. When the buffer is full, the socket reader waits for the
/// consumer (so the transport stops reading from the socket) instead of buffering without bound.
final class ChannelCore: Sendable {
    enum End: Sendable {
        case closed
        case failed(LMStudioError)
    }

    private struct State: ~Copyable {
        var buffer: [JSONValue] = []
        var end: End?
        var waiter: UnsafeContinuation<Void, Never>?
        var spaceWaiter: UnsafeContinuation<Void, Never>?
        var detached = false
    }

    let id: Int
    let endpoint: String
    let socket: NamespaceSocket
    private let state = LockedValue(State())
    /// Buffered packets above which the reader waits for the consumer.
    static let highWater = 256

    init(id: Int, endpoint: String, socket: NamespaceSocket) {
        self.id = id
        self.endpoint = endpoint
        self.socket = socket
    }

    // MARK: Producer (the socket reader)

    /// Buffers a packet; returns true when the buffer is full and the reader should wait.
    func deliver(_ message: JSONValue) -> Bool {
        let (waiter, full) = state.withLock { state -> (UnsafeContinuation<Void, Never>?, Bool) in
            guard state.end == nil, !state.detached else { return (nil, false) }
            state.buffer.append(message)
            defer { state.waiter = nil }
            return (state.waiter, state.buffer.count >= Self.highWater)
        }
        waiter?.resume()
        return full
    }

    /// Suspends the reader until the consumer has taken the buffered packets.
    func waitForSpace() async {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.buffer.count < Self.highWater || state.end != nil || state.detached { return true }
                state.spaceWaiter = continuation
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Ends the channel (first end wins) and wakes the consumer.
    func finish(_ end: End) {
        let (waiter, spaceWaiter) = state.withLock { state in
            if state.end == nil { state.end = end }
            defer {
                state.waiter = nil
                state.spaceWaiter = nil
            }
            return (state.waiter, state.spaceWaiter)
        }
        waiter?.resume()
        spaceWaiter?.resume()
    }

    // MARK: Consumer

    enum TakeOutcome {
        case messages
        case ended(End)
        case empty
    }

    func take(into batch: inout [JSONValue]) -> TakeOutcome {
        let (outcome, spaceWaiter) = state.withLock { state -> (TakeOutcome, UnsafeContinuation<Void, Never>?) in
            if !state.buffer.isEmpty {
                swap(&state.buffer, &batch)
                defer { state.spaceWaiter = nil }
                return (.messages, state.spaceWaiter)
            }
            if let end = state.end { return (.ended(end), nil) }
            return (.empty, nil)
        }
        spaceWaiter?.resume()
        return outcome
    }

    func waitForMessages(isolation: isolated (any Actor)? = #isolation, cancellable: Bool = true) async {
        func suspend() async {
            await withUnsafeContinuation(isolation: isolation) { (continuation: UnsafeContinuation<Void, Never>) in
                let ready = state.withLock { state -> Bool in
                    if !state.buffer.isEmpty || state.end != nil || (cancellable && Task.isCancelled) { return true }
                    state.waiter = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        }
        guard cancellable else {
            // Used after a cancel packet was sent: wait for the server's final packets even
            // though the consuming task is cancelled.
            await suspend()
            return
        }
        await withTaskCancellationHandler {
            await suspend()
        } onCancel: {
            let waiter = state.withLock { state -> UnsafeContinuation<Void, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }

    /// The consumer went away: drop what is buffered and anything that still arrives.
    func detach() {
        let spaceWaiter = state.withLock { state -> UnsafeContinuation<Void, Never>? in
            state.detached = true
            state.buffer = []
            defer { state.spaceWaiter = nil }
            return state.spaceWaiter
        }
        spaceWaiter?.resume()
    }

    var isFinished: Bool { state.withLock { $0.end != nil } }

    // MARK: Sending

    /// Sends a packet to the server on this channel.
    func send(_ message: JSONValue) throws(LMStudioError) {
        try socket.send(.channelSend(channelId: id, message: message, ackId: nil), endpoint: endpoint)
    }

    /// The packets of this channel, in order. The sequence ends at `channelClose` and throws
    /// the mapped error at `channelError` or when the connection drops. One consumer.
    var messages: ChannelMessages { ChannelMessages(core: self) }
}

/// The packets of one channel.
struct ChannelMessages: AsyncSequence, Sendable {
    typealias Element = JSONValue
    typealias Failure = LMStudioError

    let core: ChannelCore

    func makeAsyncIterator() -> Iterator { Iterator(core: core) }

    /// Iterates one channel's packets; dropping the iterator detaches the channel.
    struct Iterator: AsyncIteratorProtocol {
        let core: ChannelCore
        private let detacher: Detacher
        private var batch: [JSONValue] = []
        private var index = 0
        /// When set, a cancelled consuming task keeps waiting for packets instead of throwing
        /// `cancelled` (to read the server's answer to a cancel packet).
        var ignoresCancellation = false

        init(core: ChannelCore) {
            self.core = core
            self.detacher = Detacher(core: core)
        }

        mutating func next(isolation actor: isolated (any Actor)?) async throws(LMStudioError) -> JSONValue? {
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
                case .ended(.closed):
                    return nil
                case .ended(.failed(let error)):
                    throw error
                case .empty:
                    if !ignoresCancellation && Task.isCancelled {
                        throw LMStudioError(.cancelled, "cancelled", endpoint: core.endpoint)
                    }
                    await core.waitForMessages(isolation: actor, cancellable: !ignoresCancellation)
                }
            }
        }

        mutating func next() async throws(LMStudioError) -> JSONValue? {
            try await next(isolation: nil)
        }
    }

    /// Detaches the channel when the last copy of an iterator goes away, so an abandoned
    /// stream cannot stall the socket reader.
    private final class Detacher: Sendable {
        let core: ChannelCore
        init(core: ChannelCore) { self.core = core }
        deinit { core.detach() }
    }
}
