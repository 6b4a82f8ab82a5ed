import Synchronization

/// A value produced once and awaited by any number of tasks; each waiter can be cancelled on
/// its own without affecting the producer or the other waiters.
final class SharedFuture<Value: Sendable>: Sendable {
    private struct State: ~Copyable {
        var result: Result<Value, LMStudioError>?
        var waiters: [Int: UnsafeContinuation<Result<Value, LMStudioError>, Never>] = [:]
        var nextWaiter = 0
    }

    private let state = Mutex(State())

    /// Resolves the future; later calls are ignored. Returns whether this call resolved it.
    @discardableResult
    func resolve(_ result: Result<Value, LMStudioError>) -> Bool {
        let waiters = state.withLock { state -> [UnsafeContinuation<Result<Value, LMStudioError>, Never>]? in
            guard state.result == nil else { return nil }
            state.result = result
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        guard let waiters else { return false }
        for waiter in waiters { waiter.resume(returning: result) }
        return true
    }

    var isResolved: Bool { state.withLock { $0.result != nil } }

    /// Waits for the value; throws `.cancelled` if the waiting task is cancelled first.
    func value() async throws(LMStudioError) -> Value {
        let token = state.withLock { state -> Int in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        let result = await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<Value, LMStudioError>, Never>) in
                let ready = state.withLock { state -> Result<Value, LMStudioError>? in
                    if let result = state.result { return result }
                    if Task.isCancelled { return .failure(LMStudioError(.cancelled, "cancelled while waiting")) }
                    state.waiters[token] = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: token) }
            waiter?.resume(returning: .failure(LMStudioError(.cancelled, "cancelled while waiting")))
        }
        return try result.get()
    }
}
