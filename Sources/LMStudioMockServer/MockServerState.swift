import LMStudioProtocol
import LMStudioTransport

/// A client's registration in the first-come-first-served authenticator (§4.3).
struct MockClientRecord: Sendable {
    var passkey: String
    var openSockets: Int
}

/// An uploaded file (`files.uploadFileBase64`).
struct MockUploadedFile: Sendable {
    var identifier: String
    var name: String
    var sizeBytes: Int
    var fileType: String
}

/// Everything the connections of one server share, under one lock.
struct MockSharedState: Sendable {
    var catalogue: MockCatalogue
    var behavior: MockServer.Behavior
    var clients: [String: MockClientRecord] = [:]
    var files: [String: MockUploadedFile] = [:]
    var record: [MockServer.RecordedMessage] = []
    var nextConnectionID = 1
    var nextFileNumber = 1
    var liveConnections: [Int: any MockPeer] = [:]
    var connectionWaiters: [(id: Int, count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    var nextWaiterID = 0
    /// Open `diagnostics.streamLogs` channels by `"<connection>/<channel>"`.
    var logListeners: [String: MockChannelContext] = [:]

    /// Removes and returns the waiters satisfied by the current connection count.
    mutating func satisfiedWaiters() -> [CheckedContinuation<Void, Never>] {
        let count = liveConnections.count
        let ready = connectionWaiters.filter { $0.count == count }
        connectionWaiters.removeAll { $0.count == count }
        return ready.map(\.continuation)
    }
}

/// The state shared by all connections of a server, thread-safe.
final class MockServerState: Sendable {
    let configuration: MockServer.Configuration
    let shared: LockedValue<MockSharedState>

    init(configuration: MockServer.Configuration) {
        self.configuration = configuration
        shared = LockedValue(
            MockSharedState(catalogue: MockCatalogue(models: configuration.models), behavior: configuration.behavior)
        )
    }

    var behavior: MockServer.Behavior { shared.withLock { $0.behavior } }

    func withCatalogue<T>(_ body: (inout MockCatalogue) -> T) -> T {
        shared.withLock { body(&$0.catalogue) }
    }

    func register(peer: any MockPeer) -> Int {
        let (id, ready) = shared.withLock { state in
            let id = state.nextConnectionID
            state.nextConnectionID += 1
            state.liveConnections[id] = peer
            return (id, state.satisfiedWaiters())
        }
        for waiter in ready { waiter.resume() }
        return id
    }

    func unregister(connectionID: Int) {
        let ready = shared.withLock { state in
            state.liveConnections.removeValue(forKey: connectionID)
            return state.satisfiedWaiters()
        }
        for waiter in ready { waiter.resume() }
    }

    /// Returns once exactly `count` connections are open (or the task is cancelled).
    func waitForConnectionCount(_ count: Int) async {
        let id = shared.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = shared.withLock { state -> Bool in
                    if state.liveConnections.count == count || Task.isCancelled { return true }
                    state.connectionWaiters.append((id, count, continuation))
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let waiter = shared.withLock { state -> CheckedContinuation<Void, Never>? in
                guard let index = state.connectionWaiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.connectionWaiters.remove(at: index).continuation
            }
            waiter?.resume()
        }
    }

    func record(_ message: MockServer.RecordedMessage) {
        guard configuration.recordsMessages else { return }
        shared.withLock { $0.record.append(message) }
    }

    /// Authenticates a packet; returns the error text on rejection.
    func authenticate(identifier: String, passkey: String) -> String? {
        let expectedToken = configuration.apiToken.flatMap(MockAPIToken.init)
        return shared.withLock { state -> String? in
            for fault in state.behavior.faults {
                if case .rejectAuthentication(let reason) = fault { return reason }
            }
            if let expectedToken {
                guard identifier == expectedToken.identifier, passkey == expectedToken.passkey else {
                    return identifier.hasPrefix("guest:")
                        ? "Authentication required: this server requires an API token."
                        : "Invalid API token for client \"\(identifier)\"."
                }
            }
            if var client = state.clients[identifier] {
                guard client.passkey == passkey else {
                    return "Failed to validate client: Invalid client passkey for client \"\(identifier)\""
                }
                client.openSockets += 1
                state.clients[identifier] = client
            } else {
                state.clients[identifier] = MockClientRecord(passkey: passkey, openSockets: 1)
            }
            return nil
        }
    }

    /// Releases one socket of a client; the record (and its files) goes with the last one.
    func release(identifier: String) {
        shared.withLock { state in
            guard var client = state.clients[identifier] else { return }
            client.openSockets -= 1
            if client.openSockets <= 0 {
                state.clients[identifier] = nil
            } else {
                state.clients[identifier] = client
            }
        }
    }
}

/// An API token split into its two halves (`sk-lm-<identifier>:<passkey>`).
///
/// Deliberately written again rather than taken from `ClientCredentials`: the mock's codec is
/// the server's side, so a bug in the client's token handling cannot hide in a shared helper.
struct MockAPIToken: Sendable {
    var identifier: String
    var passkey: String

    init?(_ token: String) {
        var text = Substring(token)
        while text.first?.isWhitespace == true { text.removeFirst() }
        while text.last?.isWhitespace == true { text.removeLast() }
        guard text.hasPrefix("sk-lm-") else { return nil }
        let body = text.dropFirst(6)
        let parts = body.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        identifier = String(parts[0])
        passkey = String(parts[1])
        let alphanumeric = { (text: String) in text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } }
        guard identifier.count == 8, passkey.count == 20, alphanumeric(identifier), alphanumeric(passkey) else {
            return nil
        }
    }
}
