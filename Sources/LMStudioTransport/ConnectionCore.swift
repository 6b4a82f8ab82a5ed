internal import CLibWebSockets

/// How a websocket connection ended, as seen by its reader.
enum ConnectionEnd: Sendable {
    /// A clean close (1000/1001, or one we started).
    case finished
    case failed(TransportError)

    var error: TransportError? {
        if case .failed(let error) = self { return error }
        return nil
    }
}

/// One outgoing frame: `LWS.pre` bytes of headroom followed by the payload.
struct OutFrame: Sendable {
    var storage: [UInt8]
    var text: Bool
    /// Whether this frame starts a message (false: a continuation frame).
    var first = true
    /// Whether this frame ends its message (false: more fragments follow).
    var final = true

    init(payload: UnsafeRawBufferPointer, text: Bool) {
        let pre = LWS.pre
        storage = [UInt8](unsafeUninitializedCapacity: pre + payload.count) { buffer, count in
            buffer.baseAddress!.initialize(repeating: 0, count: pre)
            if let base = payload.baseAddress, payload.count > 0 {
                (buffer.baseAddress! + pre).initialize(from: base.assumingMemoryBound(to: UInt8.self), count: payload.count)
            }
            count = pre + payload.count
        }
        self.text = text
    }
}

/// The loop-side state of one websocket connection, client or server role.
///
/// Fields marked "loop thread" are touched only on the loop thread; everything other threads
/// see lives in `state`.
final class ConnectionCore: LoopEndpoint, @unchecked Sendable {
    enum Role: Sendable { case client, server }

    struct State: ~Copyable {
        var established = false
        var end: ConnectionEnd?
        // Outgoing.
        var outbox: [OutFrame] = []
        var writeArmed = false
        var scheduled = false
        var closeRequest: (code: UInt16, reason: String)?
        var abortRequested = false
        var freezeRequested = false
        var frozen = false
        var resumeRequested = false
        // Incoming.
        var inbox: [[UInt8]] = []
        var inboxBytes = 0
        var paused = false
        var maxBuffered = 0
        var waiter: UnsafeContinuation<Void, Never>?
        // Lifecycle waiters.
        var connectWaiter: UnsafeContinuation<Result<Void, TransportError>, Never>?
        var closeWaiters: [UnsafeContinuation<Void, Never>] = []
    }

    let loop: LWSEventLoop
    let role: Role
    let path: String
    let maxMessageSize: Int
    let highWater: (count: Int, bytes: Int)
    let headers: [(String, String)]
    let state = LockedValue(State())
    /// Server role: the handshake's `Authorization` header (set before the connection is shared).
    nonisolated(unsafe) var authorization: String?

    // Loop thread.
    var wsi: WSI?
    var target: TransportURL?
    private var reassembly: [UInt8] = []
    private var writing: [OutFrame] = []
    private var writingHead = 0
    private var peerClose: (code: UInt16, reason: String)?
    private var closingLocally = false
    private var failure: TransportError?
    /// Set once an oversized message was refused: later input is dropped until the hang-up.
    private var discarding = false
    private var lastReceive = ContinuousClock.now

    /// Frames written per WRITEABLE callback before yielding back to lws.
    private static let writeBatch = 16

    init(
        loop: LWSEventLoop, role: Role, path: String, maxMessageSize: Int,
        highWater: (count: Int, bytes: Int), headers: [(String, String)]
    ) {
        self.loop = loop
        self.role = role
        self.path = path
        self.maxMessageSize = maxMessageSize
        self.highWater = highWater
        self.headers = headers
    }

    // MARK: Any thread

    /// Queues one frame; returns the error that prevents sending, if any.
    func send(payload: UnsafeRawBufferPointer, text: Bool, first: Bool = true, final: Bool = true) -> TransportError? {
        var frame = OutFrame(payload: payload, text: text)
        frame.first = first
        frame.final = final
        let outcome = state.withLock { state -> Result<Bool, TransportError> in
            if let end = state.end { return .failure(end.error ?? .closed) }
            if state.closeRequest != nil || state.abortRequested { return .failure(.closed) }
            state.outbox.append(frame)
            return .success(armWrite(&state))
        }
        switch outcome {
        case .success(let schedule):
            if schedule { loop.schedule(self) }
            return nil
        case .failure(let error):
            return error
        }
    }

    /// Marks the connection as needing the loop's attention; true when the caller must
    /// schedule it (it was not scheduled yet).
    private func armWrite(_ state: inout State) -> Bool {
        if state.writeArmed { return false }
        state.writeArmed = true
        if state.scheduled { return false }
        state.scheduled = true
        return true
    }

    private func requestService(_ state: inout State) -> Bool {
        if state.scheduled { return false }
        state.scheduled = true
        return true
    }

    func requestClose(code: UInt16, reason: String) {
        let schedule = state.withLock { state -> Bool in
            guard state.end == nil, state.closeRequest == nil else { return false }
            state.closeRequest = (code, reason)
            state.writeArmed = false
            return armWrite(&state)
        }
        if schedule { loop.schedule(self) }
    }

    func requestAbort() {
        let schedule = state.withLock { state -> Bool in
            guard state.end == nil, !state.abortRequested else { return false }
            state.abortRequested = true
            return requestService(&state)
        }
        if schedule { loop.schedule(self) }
    }

    func requestFreeze() {
        let schedule = state.withLock { state -> Bool in
            guard state.end == nil, !state.freezeRequested else { return false }
            state.freezeRequested = true
            state.frozen = true
            return requestService(&state)
        }
        if schedule { loop.schedule(self) }
    }

    /// Cancels a pending connect: the waiter gets `.cancelled` and the attempt is torn down.
    func cancelConnect() {
        let waiter = state.withLock { state -> UnsafeContinuation<Result<Void, TransportError>, Never>? in
            defer { state.connectWaiter = nil }
            return state.connectWaiter
        }
        waiter?.resume(returning: .failure(.cancelled))
        requestAbort()
    }

    /// Waits until the connection has ended and returns how.
    func waitUntilClosed() async -> ConnectionEnd {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            let ended = state.withLock { state -> Bool in
                if state.end != nil { return true }
                state.closeWaiters.append(continuation)
                return false
            }
            if ended { continuation.resume() }
        }
        return state.withLock { $0.end } ?? .finished
    }

    // MARK: Consumer side

    enum TakeOutcome {
        case messages
        case ended(ConnectionEnd)
        case empty
    }

    /// Moves every buffered message into `batch` (which must be empty) in one lock.
    func take(into batch: inout [[UInt8]]) -> TakeOutcome {
        var schedule = false
        let outcome = state.withLock { state -> TakeOutcome in
            if !state.inbox.isEmpty {
                swap(&state.inbox, &batch)
                state.inboxBytes = 0
                if state.paused {
                    state.paused = false
                    state.resumeRequested = true
                    schedule = requestService(&state)
                }
                return .messages
            }
            if let end = state.end { return .ended(end) }
            return .empty
        }
        if schedule { loop.schedule(self) }
        return outcome
    }

    /// Suspends until a message arrives, the connection ends or the task is cancelled.
    func waitForMessages(isolation: isolated (any Actor)? = #isolation) async {
        await withTaskCancellationHandler {
            await withUnsafeContinuation(isolation: isolation) { (continuation: UnsafeContinuation<Void, Never>) in
                let ready = state.withLock { state -> Bool in
                    if !state.inbox.isEmpty || state.end != nil || Task.isCancelled { return true }
                    state.waiter = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> UnsafeContinuation<Void, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }

    var bufferedCount: Int { state.withLock { $0.inbox.count } }
    var maxBufferedCount: Int { state.withLock { $0.maxBuffered } }

    // MARK: Loop thread

    /// Finishes the connection once: records how it ended and wakes every waiter.
    func finish(_ end: ConnectionEnd) {
        let (waiter, connectWaiter, closeWaiters) = state.withLock { state in
            if state.end == nil { state.end = end }
            state.outbox = []
            let waiters = (state.waiter, state.connectWaiter, state.closeWaiters)
            state.waiter = nil
            state.connectWaiter = nil
            state.closeWaiters = []
            return waiters
        }
        waiter?.resume()
        connectWaiter?.resume(returning: .failure(end.error ?? .closed))
        for closeWaiter in closeWaiters { closeWaiter.resume() }
    }

    override func serviceRequests() {
        let (abort, freeze, resume, write) = state.withLock { state in
            state.scheduled = false
            defer {
                state.freezeRequested = false
                state.resumeRequested = false
            }
            return (
                state.abortRequested, state.freezeRequested, state.resumeRequested && !state.paused,
                state.writeArmed || state.closeRequest != nil
            )
        }
        guard let wsi, state.withLock({ $0.established }) else {
            // Not connected yet: ESTABLISHED re-checks; an abort of a pending connect kills it.
            if abort, let wsi { LWS.killAsync(wsi) }
            return
        }
        if abort {
            failure = failure ?? .closed
            // Frames queued before the abort still go out (a crashing peer's last writes do);
            // WRITEABLE drops the connection once they are written.
            if write { LWS.requestWritable(wsi) } else { LWS.killAsync(wsi) }
            return
        }
        if freeze { LWS.pauseReceive(wsi) }
        if resume { LWS.resumeReceive(wsi) }
        if write { LWS.requestWritable(wsi) }
    }

    override func handle(_ reason: lws_callback_reasons, wsi: WSI, input: UnsafeMutableRawPointer?, length: Int) -> Int32 {
        switch reason {
        case LWS_CALLBACK_CLIENT_RECEIVE, LWS_CALLBACK_RECEIVE:
            return loop.handlingIO { receive(wsi, input, length) }
        case LWS_CALLBACK_CLIENT_WRITEABLE, LWS_CALLBACK_SERVER_WRITEABLE:
            return loop.handlingIO { writeable(wsi) }
        case LWS_CALLBACK_CLIENT_ESTABLISHED, LWS_CALLBACK_ESTABLISHED:
            established(wsi)
            return 0
        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
            peerClose = Self.parseClose(input, length)
            return 0
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
            let text = input.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? ""
            let error = classifyConnectError(text, status: LWS.httpResponseStatus(wsi))
            TransportLog.emit("connect to \(target?.description ?? path) failed: \(error)")
            finish(.failed(error))
            return 0
        case LWS_CALLBACK_CLIENT_CLOSED, LWS_CALLBACK_CLOSED:
            finish(closedEnd())
            return 0
        case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
            return LWS.appendHandshakeHeaders(wsi, cursor: input, space: length, headers: headers) ? 0 : -1
        case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
            lastReceive = .now
            return 0
        default:
            return LWS.defaultCallback(wsi, reason, nil, input, length)
        }
    }

    override func destroyed() {
        wsi = nil
        writing = []
        reassembly = []
        finish(failure.map { .failed($0) } ?? (loop.liveContext == nil ? .failed(.closed) : .failed(.connectionLost)))
    }

    private func established(_ wsi: WSI) {
        self.wsi = wsi
        lastReceive = .now
        let (waiter, write, abort, freeze) = state.withLock { state in
            state.established = true
            defer { state.connectWaiter = nil }
            return (state.connectWaiter, state.writeArmed || state.closeRequest != nil, state.abortRequested, state.frozen)
        }
        if abort {
            LWS.killAsync(wsi)
            return
        }
        if freeze { LWS.pauseReceive(wsi) }
        if write { LWS.requestWritable(wsi) }
        if role == .server {
            loop.onAccept?(WebSocketConnection(core: self))
        }
        waiter?.resume(returning: .success(()))
    }

    private func receive(_ wsi: WSI, _ input: UnsafeMutableRawPointer?, _ length: Int) -> Int32 {
        if discarding { return 0 }
        lastReceive = .now
        let first = LWS.isFirstFragment(wsi)
        let final = LWS.isFinalFragment(wsi)
        let chunk = UnsafeRawBufferPointer(start: input, count: input == nil ? 0 : length)
        let message: [UInt8]
        if first && final && reassembly.isEmpty {
            message = Array(chunk)
        } else {
            if first { reassembly.removeAll(keepingCapacity: false) }
            guard reassembly.count + chunk.count <= maxMessageSize else { return tooBig(wsi) }
            reassembly.append(contentsOf: chunk)
            guard final else { return 0 }
            message = reassembly
            reassembly = []
        }
        guard message.count <= maxMessageSize else { return tooBig(wsi) }
        let (waiter, pause) = state.withLock { state in
            state.inbox.append(message)
            state.inboxBytes += message.count
            let count = state.inbox.count
            if count > state.maxBuffered { state.maxBuffered = count }
            let pause = count >= highWater.count || state.inboxBytes >= highWater.bytes
            if pause { state.paused = true }
            defer { state.waiter = nil }
            return (state.waiter, pause)
        }
        if pause { LWS.pauseReceive(wsi) }
        waiter?.resume()
        return 0
    }

    private func tooBig(_ wsi: WSI) -> Int32 {
        failure = .messageTooBig(limit: maxMessageSize)
        reassembly = []
        discarding = true
        TransportLog.emit("incoming message on \(path) exceeds \(maxMessageSize) bytes; closing")
        // Returning -1 from a client RECEIVE callback while lws 4.1.6 still buffers more input
        // from the same read makes it free that buffer twice (heap corruption, seen with an
        // oversized frame right behind smaller ones). Drop the rest and hang up on the next
        // service pass instead; the peer sees the connection drop.
        LWS.pauseReceive(wsi)
        LWS.killAsync(wsi)
        return 0
    }

    private func writeable(_ wsi: WSI) -> Int32 {
        if writingHead == writing.count {
            writing.removeAll(keepingCapacity: true)
            writingHead = 0
            let frozen = state.withLock { state -> Bool in
                if state.frozen { return true }
                swap(&state.outbox, &writing)
                return false
            }
            if frozen { return 0 }
        }
        var written = 0
        while writingHead < writing.count && written < Self.writeBatch {
            let (text, first, final) = (writing[writingHead].text, writing[writingHead].first, writing[writingHead].final)
            let pre = LWS.pre
            let result = writing[writingHead].storage.withUnsafeMutableBufferPointer { buffer in
                LWS.writeFrame(wsi, payload: buffer.baseAddress! + pre, count: buffer.count - pre, text: text, first: first, final: final)
            }
            writing[writingHead].storage = []
            writingHead += 1
            written += 1
            if result < 0 {
                failure = failure ?? .connectionLost
                return -1
            }
            // lws holds the unsent tail of that frame: the next frame must wait for the next
            // WRITEABLE, which lws sends once the tail is flushed.
            if LWS.hasPartialWrite(wsi) { break }
        }
        if writingHead < writing.count {
            LWS.requestWritable(wsi)
            return 0
        }
        let (more, close, abort) = state.withLock { state -> (Bool, (code: UInt16, reason: String)?, Bool) in
            if !state.outbox.isEmpty { return (true, nil, false) }
            if state.abortRequested { return (false, nil, true) }
            if let close = state.closeRequest { return (false, close, false) }
            state.writeArmed = false
            return (false, nil, false)
        }
        if (abort || close != nil) && written > 0 {
            // lws may still hold the tail of a large frame; it only calls WRITEABLE again once
            // that is flushed, so end the connection on the next callback.
            LWS.requestWritable(wsi)
            return 0
        }
        if abort {
            // No close reason: lws hangs up without a close frame.
            return -1
        }
        if more {
            LWS.requestWritable(wsi)
            return 0
        }
        if let close {
            closingLocally = true
            LWS.setCloseReason(wsi, code: close.code, reason: close.reason)
            return -1
        }
        return 0
    }

    private func closedEnd() -> ConnectionEnd {
        if let failure { return .failed(failure) }
        if closingLocally { return .finished }
        if let peerClose {
            if peerClose.code == 1000 || peerClose.code == 1001 { return .finished }
            return .failed(.closedByPeer(code: peerClose.code, reason: peerClose.reason))
        }
        // lws hangs up a link that stayed silent past the keep-alive deadline without a close
        // frame; silence for at least a ping interval before the drop identifies that case.
        if let keepAlive = loop.configuration.keepAlive, role == .client,
            ContinuousClock.now - lastReceive >= .seconds(Int(keepAlive.ping)) - .milliseconds(250)
        {
            return .failed(.timedOut("no answer from the server for \(keepAlive.hangup) s (keep-alive)"))
        }
        return .failed(.connectionLost)
    }

    private static func parseClose(_ input: UnsafeMutableRawPointer?, _ length: Int) -> (UInt16, String) {
        guard let input, length >= 2 else { return (1005, "") }
        let bytes = UnsafeRawBufferPointer(start: input, count: length)
        let code = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        let reason = String(decoding: bytes[2...], as: UTF8.self)
        return (code, reason)
    }

    private func classifyConnectError(_ text: String, status: Int) -> TransportError {
        let lower = text.lowercased()
        let host = target?.host ?? ""
        if status > 0 && status != 101 { return .handshakeRejected(status: status) }
        if lower.contains("ssl") || lower.contains("tls") || lower.contains("certificate") || lower.contains("x509") {
            return .tlsFailure(text)
        }
        if lower.contains("getaddrinfo") || lower.contains("dns") || lower.contains("resolve") {
            return .dnsFailure(host: host)
        }
        if lower.contains("unable to connect") || lower.contains("refused") || lower.contains("connect failed") {
            return .connectionRefused(host: host, port: target?.port ?? 0)
        }
        if lower.contains("timeout") || lower.contains("timed out") {
            return .timedOut("connecting to \(target?.hostHeader ?? host)")
        }
        return .connectFailed(text.isEmpty ? "unknown error" : text)
    }
}
