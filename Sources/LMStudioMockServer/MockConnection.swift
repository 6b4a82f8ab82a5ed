import LMStudioProtocol
import LMStudioTransport
import Synchronization

/// One open channel on a connection.
final class MockChannel: Sendable {
    let id: Int
    let endpoint: String
    private let cancelled = Atomic<Bool>(false)
    /// Packets the client sent on this channel (`channelSend.message`).
    let inbound: AsyncStream<JSONValue>
    private let continuation: AsyncStream<JSONValue>.Continuation

    init(id: Int, endpoint: String) {
        self.id = id
        self.endpoint = endpoint
        (inbound, continuation) = AsyncStream.makeStream(of: JSONValue.self)
    }

    /// Whether the client asked to stop (`cancel` or `stop`).
    var isCancelled: Bool { cancelled.load(ordering: .acquiring) }

    func deliver(_ packet: JSONValue) {
        if let type = packet["type"]?.stringValue, type == "cancel" || type == "stop" || type == "discardSession" {
            cancelled.store(true, ordering: .releasing)
        }
        continuation.yield(packet)
    }

    func finish() { continuation.finish() }
}

/// How a channel handler ended.
enum MockChannelEnd: Sendable {
    /// Send `channelClose`.
    case close
    /// Send `channelError`.
    case error(MockServer.ServerError)
    /// Send nothing (the connection is gone or the handler was told never to answer).
    case silent
}

/// The answer of an RPC handler.
enum MockRPCOutcome: Sendable {
    /// `rpcResult`, with `result` absent for `nil`.
    case result(JSONValue?)
    /// `rpcResult` whose `result` is this JSON text, already serialised.
    case serializedResult(String)
    /// `rpcError`.
    case error(MockServer.ServerError)
    /// The parameter failed validation: `rpcParameterTypeError` warning, no answer.
    case invalid(String)
}

/// What to do with a `channelCreate`.
enum MockChannelPlan: Sendable {
    /// The creation parameter failed validation: warning, no answer.
    case invalid(String)
    /// Run this handler.
    case run(@Sendable (MockChannelContext) async -> MockChannelEnd)
}

/// What a channel handler may do.
struct MockChannelContext: Sendable {
    let connection: MockConnection
    let channel: MockChannel

    /// Sends one packet as `channelSend`.
    func send(_ packet: JSONValue) {
        connection.peer.send(
            MockJSON.serialize(["type": "channelSend", "channelId": .int(Int64(channel.id)), "message": packet])
        )
    }

    /// Whether the client sent `cancel`/`stop`.
    var isCancelled: Bool { channel.isCancelled }
}

/// The server side of one websocket connection: authentication (§4.3), then the envelope
/// dispatcher (§5). Independent of any transport: feed it received text, it answers through its
/// ``MockPeer``.
final class MockConnection: Sendable {
    enum Phase: Sendable {
        case awaitingAuthentication
        case authenticated(identifier: String)
        case closed
    }

    struct State: Sendable {
        var phase: Phase = .awaitingAuthentication
        var warningsSent = 0
        var envelopesReceived = 0
        var channels: [Int: MockChannel] = [:]
    }

    /// Maximum number of `communicationWarning`s sent per connection (§5.7).
    static let warningLimit = 5

    let id: Int
    let namespace: String
    let peer: any MockPeer
    let server: MockServerState
    let state = LockedValue(State())

    init(namespace: String, peer: any MockPeer, server: MockServerState) {
        self.namespace = namespace
        self.peer = peer
        self.server = server
        self.id = server.register(peer: peer)
    }

    /// Serves the connection until `messages` ends (the peer went away) or the server closes it.
    func run<Messages: AsyncSequence>(messages: Messages) async where Messages.Element == String {
        await withDiscardingTaskGroup { group in
            let timeout = server.configuration.authenticationTimeout
            group.addTask {
                do { try await Task.sleep(for: timeout) } catch { return }
                self.authenticationTimedOut()
            }
            do {
                for try await text in messages {
                    receive(text, group: &group)
                    if case .closed = state.withLock({ $0.phase }) { break }
                }
            } catch {
                // A transport error ends the connection like a close does.
            }
            connectionEnded()
            group.cancelAll()
        }
    }

    // MARK: Receiving

    func receive(_ text: String, group: inout DiscardingTaskGroup) {
        server.record(MockServer.RecordedMessage(connectionID: id, namespace: namespace, text: text))
        switch state.withLock({ $0.phase }) {
        case .closed:
            return
        case .awaitingAuthentication:
            receiveAuthentication(text)
        case .authenticated:
            if shouldDrop() {
                peer.abort()
                state.withLock { $0.phase = .closed }
                return
            }
            guard let message = MockJSON.parse(text), let type = message["type"]?.stringValue else {
                return  // not JSON or not an envelope: logged and dropped (§5.11)
            }
            dispatch(type: type, message: message, group: &group)
        }
    }

    /// Counts an envelope message; whether a ``MockServer/Fault/disconnect(afterReceiving:)``
    /// fault fires on it.
    private func shouldDrop() -> Bool {
        let count = state.withLock { state in
            state.envelopesReceived += 1
            return state.envelopesReceived
        }
        return server.behavior.faults.contains { fault in
            if case .disconnect(afterReceiving: let limit) = fault { return limit == count }
            return false
        }
    }

    /// Validates the packet as the reference server does (§4.3). Not `AuthPacket.decode`: the
    /// server side is written independently of the client's codec.
    private func receiveAuthentication(_ text: String) {
        guard let packet = MockJSON.parse(text),
            packet["authVersion"]?.intValue == 1,
            let identifier = packet["clientIdentifier"]?.stringValue, identifier.count <= 256,
            let passkey = packet["clientPasskey"]?.stringValue, passkey.count <= 256
        else {
            return  // not a valid authentication packet: ignored, keep waiting (§4.3)
        }
        if let failure = server.authenticate(identifier: identifier, passkey: passkey) {
            reject(failure)
            return
        }
        let accepted = state.withLock { state -> Bool in
            guard case .awaitingAuthentication = state.phase else { return false }
            state.phase = .authenticated(identifier: identifier)
            return true
        }
        if accepted {
            peer.send(#"{"success":true}"#)
        } else {
            server.release(identifier: identifier)
        }
    }

    private func reject(_ reason: String) {
        let wasWaiting = state.withLock { state -> Bool in
            guard case .awaitingAuthentication = state.phase else { return false }
            state.phase = .closed
            return true
        }
        guard wasWaiting else { return }
        peer.send(MockJSON.serialize(["success": false, "error": .string(reason)]))
        peer.close()
    }

    private func authenticationTimedOut() {
        reject("Authentication timed out")
    }

    private func connectionEnded() {
        let (phase, channels) = state.withLock { state in
            let result = (state.phase, state.channels)
            state.phase = .closed
            state.channels = [:]
            return result
        }
        for channel in channels.values { channel.finish() }
        if case .authenticated(let identifier) = phase { server.release(identifier: identifier) }
        server.unregister(connectionID: id)
    }

    // MARK: Envelope dispatch

    private func dispatch(type: String, message: JSONValue, group: inout DiscardingTaskGroup) {
        switch type {
        case "keepAlive":
            peer.send(#"{"type":"keepAliveAck"}"#)
        case "rpcCall":
            guard let endpoint = message["endpoint"]?.stringValue, let callID = message["callId"]?.intValue else {
                return
            }
            rpcCall(endpoint: endpoint, callID: callID, parameter: message["parameter"], group: &group)
        case "channelCreate":
            guard let endpoint = message["endpoint"]?.stringValue, let channelID = message["channelId"]?.intValue
            else { return }
            channelCreate(endpoint: endpoint, channelID: channelID, parameter: message["creationParameter"], group: &group)
        case "channelSend":
            guard let channelID = message["channelId"]?.intValue, let packet = message["message"] else { return }
            guard let channel = state.withLock({ $0.channels[channelID] }) else {
                warn(.channelUnknown, "Received channelSend for unknown channel \(channelID)")
                return
            }
            guard let packetType = packet["type"]?.stringValue,
                MockEndpoints.clientPacketTypes(endpoint: channel.endpoint).contains(packetType)
            else {
                warn(.channelMessageTypeError, "Invalid packet for channel \(channelID) (\(channel.endpoint))")
                return
            }
            channel.deliver(packet)
        case "channelAck":
            guard let channelID = message["channelId"]?.intValue, message["ackId"]?.intValue != nil else { return }
            if state.withLock({ $0.channels[channelID] }) == nil {
                warn(.channelUnknown, "Received channelAck for unknown channel \(channelID)")
            }
        case "signalSubscribe":
            guard let endpoint = message["endpoint"]?.stringValue, message["subscribeId"]?.intValue != nil else {
                return
            }
            warn(.signalEndpointUnknown, "Signal endpoint \(endpoint) not found in namespace \(namespace)")
        case "writableSignalSubscribe":
            guard let endpoint = message["endpoint"]?.stringValue, message["subscribeId"]?.intValue != nil else {
                return
            }
            warn(.writableSignalEndpointUnknown, "Writable signal endpoint \(endpoint) not found in \(namespace)")
        case "writableSignalUpdate":
            guard let subscribeID = message["subscribeId"]?.intValue else { return }
            warn(.writableSignalUnknown, "Received update for unknown writable signal \(subscribeID)")
        default:
            // signalUnsubscribe, writableSignalUnsubscribe, communicationWarning: nothing to say.
            return
        }
    }

    /// The kinds of `communicationWarning` the mock sends.
    enum WarningKind: String {
        case channelUnknown, channelMessageTypeError, channelCreationParameterTypeError, channelEndpointUnknown
        case channelAlreadyOpen, rpcParameterTypeError, rpcEndpointUnknown
        case signalEndpointUnknown, writableSignalEndpointUnknown, writableSignalUnknown
    }

    /// Sends a `communicationWarning`, at most ``warningLimit`` per connection.
    func warn(_ kind: WarningKind, _ text: String) {
        let allowed = state.withLock { state -> Bool in
            guard state.warningsSent < Self.warningLimit else { return false }
            state.warningsSent += 1
            return true
        }
        guard allowed else { return }
        peer.send(
            MockJSON.serialize(["type": "communicationWarning", "warning": .string(text), "kind": .string(kind.rawValue)])
        )
    }

    // MARK: RPC

    private func rpcCall(endpoint: String, callID: Int, parameter: JSONValue?, group: inout DiscardingTaskGroup) {
        guard let handler = MockEndpoints.rpc(namespace: namespace, endpoint: endpoint) else {
            warn(.rpcEndpointUnknown, "Received rpcCall for unknown endpoint \(endpoint) in namespace \(namespace)")
            return
        }
        let plan = faultPlan(endpoint: endpoint)
        if plan.noReply { return }
        let run: @Sendable () -> Void = { [self] in
            let outcome: MockRPCOutcome = plan.error.map { .error($0) } ?? handler(self, parameter)
            self.answer(callID: callID, endpoint: endpoint, outcome: outcome)
        }
        if let delay = plan.delay {
            group.addTask(executorPreference: globalConcurrentExecutor) {
                do { try await Task.sleep(for: delay) } catch { return }
                run()
            }
        } else {
            run()
        }
    }

    private func answer(callID: Int, endpoint: String, outcome: MockRPCOutcome) {
        switch outcome {
        case .result(let result):
            var members: [String: JSONValue] = ["type": "rpcResult", "callId": .int(Int64(callID))]
            if let result { members["result"] = result }
            peer.send(MockJSON.serialize(.object(members)))
        case .serializedResult(let text):
            // The members in the order `serialize` sorts them into.
            peer.send(#"{"callId":\#(callID),"result":\#(text),"type":"rpcResult"}"#)
        case .error(let error):
            peer.send(MockJSON.serialize(["type": "rpcError", "callId": .int(Int64(callID)), "error": error.json]))
        case .invalid(let reason):
            warn(.rpcParameterTypeError, "Received invalid parameter for rpcCall \(endpoint): \(reason)")
        }
    }

    // MARK: Channels

    private func channelCreate(
        endpoint: String, channelID: Int, parameter: JSONValue?, group: inout DiscardingTaskGroup
    ) {
        guard let factory = MockEndpoints.channel(namespace: namespace, endpoint: endpoint) else {
            warn(.channelEndpointUnknown, "Channel endpoint \(endpoint) not found in namespace \(namespace)")
            return
        }
        if state.withLock({ $0.channels[channelID] }) != nil {
            warn(.channelAlreadyOpen, "Channel \(channelID) is already open")
            return
        }
        let handler: @Sendable (MockChannelContext) async -> MockChannelEnd
        switch factory(self, parameter) {
        case .invalid(let reason):
            warn(
                .channelCreationParameterTypeError,
                "Received invalid creation parameter for channel \(endpoint): \(reason)"
            )
            return
        case .run(let body):
            handler = body
        }
        let channel = MockChannel(id: channelID, endpoint: endpoint)
        state.withLock { $0.channels[channelID] = channel }
        let plan = faultPlan(endpoint: endpoint)
        if plan.noReply { return }
        let context = MockChannelContext(connection: self, channel: channel)
        group.addTask(executorPreference: globalConcurrentExecutor) {
            if let delay = plan.delay {
                do { try await Task.sleep(for: delay) } catch { return }
            }
            let end: MockChannelEnd
            if let error = plan.error {
                end = .error(error)
            } else {
                end = await handler(context)
            }
            self.finishChannel(channel, end: end)
        }
    }

    private func finishChannel(_ channel: MockChannel, end: MockChannelEnd) {
        let wasOpen = state.withLock { $0.channels.removeValue(forKey: channel.id) != nil }
        channel.finish()
        guard wasOpen, !Task.isCancelled else { return }
        switch end {
        case .close:
            peer.send(#"{"type":"channelClose","channelId":\#(channel.id)}"#)
        case .error(let error):
            peer.send(
                MockJSON.serialize(["type": "channelError", "channelId": .int(Int64(channel.id)), "error": error.json])
            )
        case .silent:
            return
        }
    }

    // MARK: Faults

    struct FaultPlan {
        var error: MockServer.ServerError?
        var delay: Duration?
        var noReply = false
    }

    private func faultPlan(endpoint: String) -> FaultPlan {
        var plan = FaultPlan()
        for fault in server.behavior.faults {
            switch fault {
            case .error(let target, let error) where target == endpoint: plan.error = error
            case .delay(let target, let delay) where target == endpoint: plan.delay = delay
            case .noReply(let target) where target == endpoint: plan.noReply = true
            default: continue
            }
        }
        return plan
    }
}
