import LMStudioProtocol
import LMStudioTransport

/// One live, authenticated websocket of a namespace.
final class NamespaceSocket: Sendable {
    let connection: WebSocketConnection
    let generation: Int
    let namespace: Namespace

    init(connection: WebSocketConnection, generation: Int, namespace: Namespace) {
        self.connection = connection
        self.generation = generation
        self.namespace = namespace
    }

    func send(_ message: ClientMessage, endpoint: String) throws(LMStudioError) {
        do {
            try connection.send(utf8: message.serialized())
        } catch {
            throw LMStudioError(.connectionLost, "could not send on the \(namespace.rawValue) connection", endpoint: endpoint, underlying: error)
        }
    }
}

/// Multiplexes every RPC and channel of one namespace over one websocket.
///
/// The socket is opened lazily by the first call and shared by all later ones; call and channel
/// ids come from per-connection counters that never repeat. A reader task decodes each frame
/// and routes it by `callId` or `channelId`. When the socket drops, every call and channel in
/// flight fails with `connectionLost` and the next call opens a new socket.
final class NamespaceConnection: Sendable {
    private struct PendingCall {
        let continuation: UnsafeContinuation<Result<JSONValue?, LMStudioError>, Never>
        let endpoint: String
        let deadline: ContinuousClock.Instant?
    }

    private enum Phase {
        case idle
        case connecting(SharedFuture<NamespaceSocket>)
        case connected(NamespaceSocket)
        case closed
    }

    private struct State: ~Copyable {
        var phase: Phase = .idle
        var nextCallId = 1
        var nextChannelId = 1
        var nextGeneration = 1
        var calls: [Int: PendingCall] = [:]
        var channels: [Int: ChannelCore] = [:]
        var unknownTypesSeen: Set<String> = []
    }

    let namespace: Namespace
    let client: ClientCore
    private let state = LockedValue(State())

    init(namespace: Namespace, client: ClientCore) {
        self.namespace = namespace
        self.client = client
    }

    private var log: ClientLog { client.log }

    // MARK: Counts (tests assert that nothing is left behind)

    var pendingCallCount: Int { state.withLock { $0.calls.count } }
    var openChannelCount: Int { state.withLock { $0.channels.count } }
    var isConnected: Bool {
        state.withLock { state in
            if case .connected = state.phase { return true }
            return false
        }
    }

    // MARK: Calls

    /// Calls an RPC endpoint and returns its result (nil for a void result).
    func call(_ endpoint: String, parameter: JSONValue?, timeout: Duration?? = nil) async throws(LMStudioError) -> JSONValue? {
        let socket = try await connectedSocket()
        let limit = timeout ?? client.configuration.requestTimeout
        let deadline = limit.map { ContinuousClock.now + $0 }
        let callId = state.withLock { state -> Int in
            defer { state.nextCallId += 1 }
            return state.nextCallId
        }
        let message = ClientMessage.rpcCall(callId: callId, endpoint: endpoint, parameter: parameter)
        log.trace("\(namespace.rawValue) → rpcCall \(endpoint) #\(callId)")
        let result = await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<JSONValue?, LMStudioError>, Never>) in
                let registered = state.withLock { state -> Bool in
                    guard case .connected(let current) = state.phase, current === socket else { return false }
                    state.calls[callId] = PendingCall(continuation: continuation, endpoint: endpoint, deadline: deadline)
                    return true
                }
                guard registered else {
                    continuation.resume(returning: .failure(LMStudioError(.connectionLost, "the \(namespace.rawValue) connection dropped", endpoint: endpoint)))
                    return
                }
                if Task.isCancelled {
                    complete(callId, .failure(LMStudioError(.cancelled, "call cancelled", endpoint: endpoint)))
                    return
                }
                do throws(LMStudioError) {
                    try socket.send(message, endpoint: endpoint)
                } catch {
                    complete(callId, .failure(error))
                }
            }
        } onCancel: {
            complete(callId, .failure(LMStudioError(.cancelled, "call cancelled", endpoint: endpoint)))
        }
        return try result.get()
    }

    private func complete(_ callId: Int, _ result: Result<JSONValue?, LMStudioError>) {
        guard let call = state.withLock({ $0.calls.removeValue(forKey: callId) }) else { return }
        call.continuation.resume(returning: result)
    }

    // MARK: Channels

    /// Opens a channel; its packets arrive on the returned channel's `messages`.
    func openChannel(_ endpoint: String, creationParameter: JSONValue?) async throws(LMStudioError) -> ChannelCore {
        let socket = try await connectedSocket()
        let channel = state.withLock { state -> ChannelCore? in
            guard case .connected(let current) = state.phase, current === socket else { return nil }
            let channel = ChannelCore(id: state.nextChannelId, endpoint: endpoint, socket: socket)
            state.nextChannelId += 1
            state.channels[channel.id] = channel
            return channel
        }
        guard let channel else {
            throw LMStudioError(.connectionLost, "the \(namespace.rawValue) connection dropped", endpoint: endpoint)
        }
        log.trace("\(namespace.rawValue) → channelCreate \(endpoint) #\(channel.id)")
        do {
            try socket.send(.channelCreate(channelId: channel.id, endpoint: endpoint, creationParameter: creationParameter), endpoint: endpoint)
        } catch {
            _ = state.withLock { $0.channels.removeValue(forKey: channel.id) }
            throw error
        }
        return channel
    }

    // MARK: Connection lifecycle

    private enum ConnectAction {
        case ready(NamespaceSocket)
        case wait(SharedFuture<NamespaceSocket>)
        case start(SharedFuture<NamespaceSocket>, generation: Int)
        case closed
    }

    /// The live socket, connecting (once, shared by concurrent callers) if needed.
    func connectedSocket() async throws(LMStudioError) -> NamespaceSocket {
        let action = state.withLock { state -> ConnectAction in
            switch state.phase {
            case .connected(let socket): return .ready(socket)
            case .connecting(let future): return .wait(future)
            case .closed: return .closed
            case .idle:
                let future = SharedFuture<NamespaceSocket>()
                state.phase = .connecting(future)
                defer { state.nextGeneration += 1 }
                return .start(future, generation: state.nextGeneration)
            }
        }
        switch action {
        case .ready(let socket):
            return socket
        case .wait(let future):
            return try await future.value()
        case .closed:
            throw LMStudioError(.clientClosed, "the client was closed")
        case .start(let future, let generation):
            Task.detached { [self] in
                // The reader runs on the transport's loop thread: a reply is decoded and routed
                // where it arrives, with no hop to the thread pool first.
                guard let transport = try? await client.transport() else {
                    await self.runSocket(generation: generation, future: future)
                    return
                }
                await withTaskExecutorPreference(transport.taskExecutor) {
                    await self.runSocket(generation: generation, future: future)
                }
            }
            return try await future.value()
        }
    }

    /// Connects, authenticates, publishes the socket, then reads until the socket ends.
    private func runSocket(generation: Int, future: SharedFuture<NamespaceSocket>) async {
        let connection: WebSocketConnection
        do throws(LMStudioError) {
            let transport = try await client.transport()
            let address = try await client.address()
            let url = address.websocketURL(namespace: namespace)
            log.debug("connecting to \(url)")
            do {
                connection = try await transport.connect(to: url)
            } catch {
                throw LMStudioError(transport: error, context: "could not connect to \(url)")
            }
        } catch {
            failConnect(future, error)
            return
        }

        let watchdog = Task {
            try? await Task.sleep(for: client.configuration.connectTimeout)
            if !future.isResolved {
                future.resolve(.failure(LMStudioError(.timeout, "the server did not answer authentication within \(client.configuration.connectTimeout)")))
                connection.abort()
            }
        }
        defer { watchdog.cancel() }

        var iterator = connection.messages.makeAsyncIterator()
        let socket = NamespaceSocket(connection: connection, generation: generation, namespace: namespace)
        do {
            try connection.send(utf8: AuthPacket(credentials: client.credentials).serialized())
            guard let first = try await iterator.next() else {
                throw LMStudioError(.connectionLost, "the server closed the \(namespace.rawValue) connection during authentication")
            }
            let result: AuthResult
            do {
                result = try first.withUnsafeBytes { bytes throws(EnvelopeError) in try AuthResult.decode(bytes) }
            } catch {
                throw LMStudioError(.protocolViolation, "the server's authentication reply could not be read", underlying: error)
            }
            if case .failure(let message) = result {
                connection.close(code: 1000, reason: "")
                // The server may quote the identifier back; never let a credential into an error.
                throw LMStudioError(.authenticationFailed, "authentication failed: \(log.redact(message))")
            }
        } catch let error as LMStudioError {
            connection.abort()
            failConnect(future, error)
            return
        } catch let error as TransportError {
            connection.abort()
            failConnect(future, LMStudioError(transport: error, context: "authentication on \(namespace.rawValue) failed"))
            return
        } catch {
            connection.abort()
            failConnect(future, LMStudioError(.connectionFailed, "authentication on \(namespace.rawValue) failed", underlying: nil))
            return
        }

        let published = state.withLock { state -> Bool in
            guard case .connecting(let current) = state.phase, current === future, future.resolve(.success(socket)) else {
                return false
            }
            state.phase = .connected(socket)
            return true
        }
        guard published else {
            // Timed out or closed while authenticating.
            connection.abort()
            failConnect(future, LMStudioError(.timeout, "authentication did not complete in time"))
            return
        }
        watchdog.cancel()
        log.debug("authenticated on \(namespace.rawValue) as \(client.credentials.kind.rawValue)")

        let sweeper = Task { [self] in await sweepDeadlines() }
        var failure: LMStudioError
        do {
            while let frame = try await iterator.next() {
                await route(frame)
            }
            failure = LMStudioError(.connectionLost, "the server closed the \(namespace.rawValue) connection")
        } catch {
            failure = LMStudioError(transport: error, context: "the \(namespace.rawValue) connection was lost")
        }
        sweeper.cancel()
        log.debug("\(namespace.rawValue) connection ended: \(failure.message)")
        tearDown(generation: generation, failure)
    }

    /// Routes one frame to the call or channel it belongs to.
    private func route(_ frame: [UInt8]) async {
        if let full = frame.withUnsafeBytes({ routeFrame($0) }) { await full.waitForSpace() }
    }

    /// Decodes one frame and hands it to its call or channel; returns the channel when its
    /// buffer is full (the reader then waits for the consumer). Anything malformed or
    /// addressed to nobody is logged and dropped.
    func routeFrame(_ frame: UnsafeRawBufferPointer) -> ChannelCore? {
        let message: ServerMessage
        do {
            message = try ServerMessage.decode(frame)
        } catch {
            log.warning("dropped a malformed message on \(namespace.rawValue): \(error)")
            return nil
        }
        switch message {
        case .channelSend(let channelId, let payload, _):
            guard let channel = state.withLock({ $0.channels[channelId] }) else {
                log.debug("dropped a packet for unknown channel \(channelId) on \(namespace.rawValue)")
                return nil
            }
            if channel.deliver(payload) { return channel }
        case .rpcResult(let callId, let result):
            complete(callId, .success(result))
        case .rpcError(let callId, let error):
            let endpoint = state.withLock { $0.calls[callId]?.endpoint }
            complete(callId, .failure(LMStudioError(server: log.redact(error), endpoint: endpoint)))
        case .channelClose(let channelId):
            state.withLock { $0.channels.removeValue(forKey: channelId) }?.finish(.closed)
        case .channelError(let channelId, let error):
            if let channel = state.withLock({ $0.channels.removeValue(forKey: channelId) }) {
                channel.finish(.failed(LMStudioError(server: log.redact(error), endpoint: channel.endpoint)))
            }
        case .communicationWarning(let warning, let kind):
            log.warning("server warning on \(namespace.rawValue)\(kind.map { " (\($0))" } ?? ""): \(warning)")
        case .keepAliveAck, .channelAck:
            break
        case .signalUpdate, .signalError, .writableSignalUpdate, .writableSignalError:
            log.debug("ignored a signal message on \(namespace.rawValue)")
        case .unknown(let type, _):
            let name = type ?? "<no type>"
            let first = state.withLock { $0.unknownTypesSeen.insert(name).inserted }
            if first { log.warning("ignored a message of unknown type \(name) on \(namespace.rawValue)") }
        }
        return nil
    }

    /// Fails calls whose deadline passed (the server never answers a call it rejects).
    private func sweepDeadlines() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(100))
            let now = ContinuousClock.now
            let expired = state.withLock { state -> [(Int, PendingCall)] in
                let expired = state.calls.filter { $0.value.deadline.map { $0 <= now } ?? false }
                for (id, _) in expired { state.calls.removeValue(forKey: id) }
                return Array(expired)
            }
            for (_, call) in expired {
                log.warning("\(call.endpoint) on \(namespace.rawValue) got no answer in time")
                call.continuation.resume(returning: .failure(LMStudioError(
                    .timeout, "no answer from the server in time (it does not answer calls it rejects)", endpoint: call.endpoint
                )))
            }
        }
    }

    /// After the socket ended: every call and channel in flight fails; the next call reconnects.
    private func tearDown(generation: Int, _ failure: LMStudioError) {
        let (calls, channels) = state.withLock { state -> ([Int: PendingCall], [Int: ChannelCore]) in
            if case .connected(let socket) = state.phase, socket.generation == generation { state.phase = .idle }
            defer {
                state.calls = [:]
                state.channels = [:]
            }
            return (state.calls, state.channels)
        }
        for call in calls.values {
            var error = failure
            error.endpoint = call.endpoint
            call.continuation.resume(returning: .failure(error))
        }
        for channel in channels.values {
            var error = failure
            error.endpoint = channel.endpoint
            channel.finish(.failed(error))
        }
    }

    private func failConnect(_ future: SharedFuture<NamespaceSocket>, _ error: LMStudioError) {
        state.withLock { state in
            if case .connecting(let current) = state.phase, current === future { state.phase = .idle }
        }
        future.resolve(.failure(error))
    }

    /// Closes the socket for good; calls in flight fail with `clientClosed`.
    func close() {
        let (socket, calls, channels) = state.withLock { state in
            var socket: NamespaceSocket?
            if case .connected(let current) = state.phase { socket = current }
            state.phase = .closed
            defer {
                state.calls = [:]
                state.channels = [:]
            }
            return (socket, state.calls, state.channels)
        }
        socket?.connection.close()
        let error = LMStudioError(.clientClosed, "the client was closed")
        for call in calls.values { call.continuation.resume(returning: .failure(error)) }
        for channel in channels.values { channel.finish(.failed(error)) }
    }
}
