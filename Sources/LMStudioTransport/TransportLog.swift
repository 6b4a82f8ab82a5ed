import Synchronization
#if canImport(Glibc)
import Glibc
#endif
internal import CLibWebSockets

/// Where transport diagnostics go. Silent by default; the client library installs its logger.
/// Messages never contain payloads or credentials.
package enum TransportLog {
    private static let sink = Mutex<(@Sendable (String) -> Void)?>(nil)

    /// Installs (or with nil removes) the function that receives transport diagnostics.
    package static func setHandler(_ handler: (@Sendable (String) -> Void)?) {
        sink.withLock { $0 = handler }
    }

    static func emit(_ message: @autoclosure () -> String) {
        guard let handler = sink.withLock({ $0 }) else { return }
        handler(message())
    }

    private static let lwsLoggerInstalled: Bool = {
        let verbose = getenv("LMSTUDIO_LWS_DEBUG") != nil
        if verbose { setHandler { message in let line = message + "\n"; _ = line.withCString { write(2, $0, strlen($0)) } } }
        LWS.setLogLevel(verbose: verbose, { _, line in
            guard let line else { return }
            var text = String(cString: line)
            while text.last == "\n" { text.removeLast() }
            TransportLog.emit("libwebsockets: \(text)")
        })
        return true
    }()

    /// Routes lws's own errors and warnings here (process-wide, once).
    static func installLWSLogger() {
        _ = lwsLoggerInstalled
    }
}
