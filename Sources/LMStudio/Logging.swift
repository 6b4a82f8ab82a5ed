import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where the SDK's diagnostics go, and how many of them.
///
/// The default writes warnings and errors to standard error. Whatever the level, log lines never
/// contain API tokens or passkeys: the client registers its secrets with the logger, and every
/// line is scrubbed before it reaches the handler.
public struct LMStudioLogger: Sendable {
    /// How important a message is.
    public enum Level: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
        case trace, debug, info, warning, error

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }

        public var description: String {
            switch self {
            case .trace: "trace"
            case .debug: "debug"
            case .info: "info"
            case .warning: "warning"
            case .error: "error"
            }
        }
    }

    /// Messages below this level are dropped before they are built.
    public var level: Level
    /// Receives each message that passes the level, already scrubbed of secrets. It may be
    /// called on the client's network thread, so it should return quickly (hand slow work,
    /// such as writing to a remote sink, to another task).
    public var handler: @Sendable (Level, String) -> Void

    /// Creates a logger.
    public init(level: Level = .warning, handler: @escaping @Sendable (Level, String) -> Void = LMStudioLogger.standardError) {
        self.level = level
        self.handler = handler
    }

    /// Writes `lmstudio: <level>: <message>` lines to standard error.
    public static let standardError: @Sendable (Level, String) -> Void = { level, message in
        let line = "lmstudio: \(level): \(message)\n"
        _ = line.withCString { write(STDERR_FILENO, $0, strlen($0)) }
    }

    /// A logger that drops everything.
    public static let disabled = LMStudioLogger(level: .error, handler: { _, _ in })
}

/// The logger a client actually uses: the user's logger plus the secrets to scrub.
struct ClientLog: Sendable {
    let logger: LMStudioLogger
    let secrets: [String]

    init(logger: LMStudioLogger, secrets: [String]) {
        self.logger = logger
        self.secrets = secrets.filter { $0.count >= 4 }
    }

    func enabled(_ level: LMStudioLogger.Level) -> Bool { level >= logger.level }

    func log(_ level: LMStudioLogger.Level, _ message: @autoclosure () -> String) {
        guard level >= logger.level else { return }
        logger.handler(level, redact(message()))
    }

    func trace(_ message: @autoclosure () -> String) { log(.trace, message()) }
    func debug(_ message: @autoclosure () -> String) { log(.debug, message()) }
    func info(_ message: @autoclosure () -> String) { log(.info, message()) }
    func warning(_ message: @autoclosure () -> String) { log(.warning, message()) }
    func error(_ message: @autoclosure () -> String) { log(.error, message()) }

    /// Replaces every registered secret in `text`.
    func redact(_ text: String) -> String {
        var text = text
        for secret in secrets where text.contains(secret) {
            text = text.replacing(secret, with: "<redacted>")
        }
        return text
    }
}
