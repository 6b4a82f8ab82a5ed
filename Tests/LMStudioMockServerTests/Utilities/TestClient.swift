import LMStudioProtocol
import Synchronization
import Testing

@testable import LMStudioMockServer

struct TimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Buffers a connection's frames so that a wait can time out without ending the stream
/// (cancelling `AsyncStream.next()` would terminate it).
final class Inbox: Sendable {
    private enum Event: Sendable {
        case frame(String)
        case end
    }

    private struct State: Sendable {
        var buffer: [Event] = []
        var waiter: (id: Int, continuation: CheckedContinuation<Event?, Never>)?
        var nextWaiter = 0
    }

    private final class Box: Sendable {
        let state = Mutex(State())

        func deliver(_ event: Event) {
            let waiter = state.withLock { state -> CheckedContinuation<Event?, Never>? in
                if let waiter = state.waiter {
                    state.waiter = nil
                    return waiter.continuation
                }
                state.buffer.append(event)
                return nil
            }
            waiter?.resume(returning: event)
        }
    }

    private let box = Box()
    private let pump: Task<Void, Never>

    init(_ stream: AsyncStream<String>) {
        let box = self.box
        pump = Task {
            for await frame in stream { box.deliver(.frame(frame)) }
            box.deliver(.end)
        }
    }

    deinit { pump.cancel() }

    /// The next frame; `nil` at the end of the connection; throws ``TimedOut`` after `limit`.
    func next(_ limit: Duration) async throws -> String? {
        let box = self.box
        let event: Event? = await withCheckedContinuation { continuation in
            let id = box.state.withLock { state -> Int? in
                if !state.buffer.isEmpty {
                    let event = state.buffer.removeFirst()
                    if case .end = event { state.buffer.insert(.end, at: 0) }
                    continuation.resume(returning: event)
                    return nil
                }
                state.nextWaiter += 1
                state.waiter = (state.nextWaiter, continuation)
                return state.nextWaiter
            }
            guard let id else { return }
            Task {
                try? await Task.sleep(for: limit)
                let expired = box.state.withLock { state -> CheckedContinuation<Event?, Never>? in
                    guard let waiter = state.waiter, waiter.id == id else { return nil }
                    state.waiter = nil
                    return waiter.continuation
                }
                expired?.resume(returning: nil)
            }
        }
        switch event {
        case .frame(let text): return text
        case .end: return nil
        case nil: throw TimedOut(what: "a message")
        }
    }
}

/// Runs `body`, failing with ``TimedOut`` after `limit`.
func withTimeout<T: Sendable>(
    _ limit: Duration = .seconds(5), _ what: String = "a message", _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw TimedOut(what: what)
        }
        let result = try await group.next()!
        group.cancelAll()
        return result
    }
}

/// A minimal scripted client over an in-memory connection.
final class TestClient: Sendable {
    let connection: MockServer.InMemoryConnection
    let inbox: Inbox

    init(_ server: MockServer, namespace: String) throws {
        connection = try server.connect(path: "/\(namespace)")
        inbox = Inbox(connection.messages)
    }

    /// Connects and authenticates as a guest (or with the given pair); expects success.
    static func authenticated(
        _ server: MockServer, namespace: String, identifier: String = "guest:test-client", passkey: String = "pass"
    ) async throws -> TestClient {
        let client = try TestClient(server, namespace: namespace)
        client.sendAuth(identifier: identifier, passkey: passkey)
        let reply = try await client.nextJSON()
        #expect(reply == ["success": true])
        return client
    }

    func sendAuth(identifier: String, passkey: String) {
        send(["authVersion": 1, "clientIdentifier": .string(identifier), "clientPasskey": .string(passkey)])
    }

    func send(_ value: JSONValue) { connection.send(MockJSON.serialize(value)) }

    /// The next frame, or `nil` when the connection ended.
    func next(_ limit: Duration = .seconds(5)) async throws -> String? {
        try await inbox.next(limit)
    }

    func nextJSON(_ limit: Duration = .seconds(5)) async throws -> JSONValue {
        let text = try #require(try await next(limit), "connection ended")
        return try #require(MockJSON.parse(text), "not JSON: \(text)")
    }

    /// Expects no frame within `limit`.
    func expectSilence(_ limit: Duration = .milliseconds(200)) async throws {
        do {
            let frame = try await next(limit)
            Issue.record("expected silence, got \(frame ?? "end of connection")")
        } catch is TimedOut {}
    }

    private let ids = Counter()

    /// Calls an RPC and returns the reply envelope (`rpcResult` or `rpcError`).
    func call(_ endpoint: String, _ parameter: JSONValue? = nil) async throws -> JSONValue {
        let id = ids.next()
        var message: [String: JSONValue] = ["type": "rpcCall", "endpoint": .string(endpoint), "callId": .int(Int64(id))]
        if let parameter { message["parameter"] = parameter }
        send(.object(message))
        let reply = try await nextJSON()
        #expect(reply["callId"]?.intValue == id)
        return reply
    }

    /// Calls an RPC and returns its `result`, failing on `rpcError`.
    func result(_ endpoint: String, _ parameter: JSONValue? = nil) async throws -> JSONValue? {
        let reply = try await call(endpoint, parameter)
        #expect(reply["type"] == "rpcResult", "\(endpoint): \(reply)")
        return reply["result"]
    }

    /// Opens a channel and returns its id.
    func openChannel(_ endpoint: String, _ parameter: JSONValue? = nil) -> Int {
        let id = ids.next()
        var message: [String: JSONValue] = [
            "type": "channelCreate", "endpoint": .string(endpoint), "channelId": .int(Int64(id)),
        ]
        if let parameter { message["creationParameter"] = parameter }
        send(.object(message))
        return id
    }

    /// Reads a channel's messages up to and including its terminal message.
    func collectChannel(_ id: Int, limit: Duration = .seconds(10)) async throws -> (packets: [JSONValue], end: JSONValue) {
        var packets: [JSONValue] = []
        while true {
            let message = try await nextJSON(limit)
            #expect(message["channelId"]?.intValue == id, "\(message)")
            switch message["type"]?.stringValue {
            case "channelSend": packets.append(message["message"] ?? .null)
            default: return (packets, message)
            }
        }
    }

    func cancel(channel id: Int) {
        send(["type": "channelSend", "channelId": .int(Int64(id)), "message": ["type": "cancel"]])
    }
}

final class Counter: Sendable {
    private let value = Atomic(1)
    func next() -> Int { value.add(1, ordering: .relaxed).oldValue }
}

/// A `ModelSpecifier` by identifier.
func query(_ identifier: String) -> JSONValue {
    ["type": "query", "query": ["identifier": .string(identifier)]]
}

/// An empty `apiOverride` stack, optionally with fields.
func stack(_ fields: [String: JSONValue] = [:]) -> JSONValue {
    [
        "layers": [
            [
                "layerName": "apiOverride",
                "config": ["fields": .array(fields.keys.sorted().map { ["key": .string($0), "value": fields[$0]!] })],
            ]
        ]
    ]
}

/// A `predict` creation parameter with one user message.
func predictParameter(
    _ prompt: String, model: String = "qwen2.5-0.5b-instruct", fields: [String: JSONValue] = [:]
) -> JSONValue {
    [
        "modelSpecifier": query(model),
        "history": ["messages": [["role": "user", "content": [["type": "text", "text": .string(prompt)]]]]],
        "predictionConfigStack": stack(fields),
    ]
}

/// Concatenates the `fragment` contents of predict packets.
func content(of packets: [JSONValue]) -> String {
    packets.filter { $0["type"] == "fragment" }.compactMap { $0["fragment"]?["content"]?.stringValue }.joined()
}
