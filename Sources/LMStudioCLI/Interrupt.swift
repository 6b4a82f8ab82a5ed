import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Ctrl-C handling: the first SIGINT cancels the running command (a prediction in flight is
/// cancelled on the server by the SDK) and the process exits with 130 once the command has
/// wound down, or after a grace period; a second SIGINT exits at once.
enum Interrupt {
    private static let state = Mutex<(task: Task<Int32, Never>?, count: Int)>((nil, 0))
    nonisolated(unsafe) private static var source: (any DispatchSourceSignal)?

    /// Runs `body` as a cancellable task and returns its exit status.
    static func run(_ body: @escaping @Sendable () async -> Int32) async -> Int32 {
        let task = Task { await body() }
        state.withLock { $0.task = task }
        install()
        return await task.value
    }

    private static func install() {
        signal(SIGINT, SIG_IGN)
        let signalSource = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        signalSource.setEventHandler { fire() }
        signalSource.resume()
        source = signalSource
    }

    private static func fire() {
        let (task, count) = state.withLock { state -> (Task<Int32, Never>?, Int) in
            state.count += 1
            return (state.task, state.count)
        }
        if count > 1 { exit(ExitStatus.interrupted.rawValue) }
        task?.cancel()
        // Give the server's cancellation a moment to round-trip, then leave regardless.
        DispatchQueue.global().asyncAfter(deadline: .now() + 3) {
            exit(ExitStatus.interrupted.rawValue)
        }
    }

    static var wasInterrupted: Bool { state.withLock { $0.count > 0 } }
}
