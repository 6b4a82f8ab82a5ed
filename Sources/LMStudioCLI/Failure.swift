import LMStudio

/// The documented exit statuses.
enum ExitStatus: Int32, Sendable {
    case success = 0
    case failure = 1
    case usage = 2
    case modelNotFound = 3
    case authentication = 4
    case noServer = 5
    case timeout = 6
    case interrupted = 130

    init(_ code: LMStudioError.Code) {
        switch code {
        case .modelNotFound: self = .modelNotFound
        case .invalidToken, .authenticationFailed: self = .authentication
        case .noServerFound, .connectionFailed, .connectionLost: self = .noServer
        case .timeout: self = .timeout
        case .cancelled: self = .interrupted
        // The user's own input, rejected by the SDK before any request.
        case .invalidHost, .invalidArgument: self = .usage
        default: self = .failure
        }
    }
}

/// An error the CLI reports: one clear first line, then optional detail lines.
struct CLIFailure: Error, Sendable {
    var status: ExitStatus
    var message: String
    var details: [String] = []

    init(_ status: ExitStatus, _ message: String, details: [String] = []) {
        self.status = status
        self.message = message
        self.details = details
    }

    init(_ error: LMStudioError) {
        status = ExitStatus(error.code)
        if let server = error.serverError {
            message = server.headline
            if let cause = server.cause, !cause.isEmpty { details.append("cause: \(cause)") }
            if let suggestion = server.suggestion, !suggestion.isEmpty { details.append("suggestion: \(suggestion)") }
        } else {
            let lines = error.message.split(separator: "\n", omittingEmptySubsequences: true)
            message = lines.first.map(String.init) ?? error.code.description
            details = lines.dropFirst().map { $0.trimmingLeadingSpaces() }
            if status == .noServer, error.code == .connectionFailed {
                details.append("suggestion: start LM Studio's server, or check --host / $LMSTUDIO_HOST")
            }
        }
    }

    init(_ error: UsageError) {
        status = .usage
        message = error.message
        let help = error.command.map { "lms-swift \($0.rawValue) --help" } ?? "lms-swift --help"
        details = [
            "usage: \(error.command?.usage ?? "lms-swift [global options] COMMAND [arguments] [options]")",
            "see '\(help)'",
        ]
    }

    /// Writes the error to stderr.
    func report() {
        var text = "error: \(message)\n"
        for line in details { text += "  \(line)\n" }
        Console.err(text)
    }
}

/// Converts any thrown error into a CLI failure.
func cliFailure(_ error: any Error) -> CLIFailure {
    switch error {
    case let failure as CLIFailure: return failure
    case let error as LMStudioError: return CLIFailure(error)
    case let error as UsageError: return CLIFailure(error)
    case is CancellationError: return CLIFailure(.interrupted, "interrupted")
    default: return CLIFailure(.failure, "\(error)")
    }
}

extension Substring {
    func trimmingLeadingSpaces() -> String { String(drop { $0 == " " }) }
}
