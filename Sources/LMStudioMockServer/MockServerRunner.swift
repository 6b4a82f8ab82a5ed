import Dispatch
import LMStudioTransport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a live mock server as a standalone process: the engine of `lms-swift mock`.
///
/// The first line written to standard output is the bound port number alone (flushed at once),
/// so a script can start the process and read the port; the process then serves until it
/// receives `SIGINT` or `SIGTERM`.
///
/// ```
/// $ lms-swift mock --port 0 --record /tmp/record.jsonl
/// 41873
/// LM Studio mock listening on 127.0.0.1:41873 (guests admitted)
/// ```
public enum MockServerRunner {
    /// The usage text printed by `--help`.
    public static let usage = """
        OVERVIEW: Run a mock LM Studio server for tests.

        USAGE: lms-swift mock [options]

        OPTIONS:
          --host <address>          Address to bind (default 127.0.0.1).
          --port <n>                Port to bind; 0 picks a free one (default 0).
          --api-token <token>       Require this API token (sk-lm-<id>:<key>).
          --api-token-env <name>    Require the API token held by this environment variable.
          --reply <text>            Reply of every prediction.
          --fragments <n>           Stream exactly n fragments per prediction (benchmark mode).
          --fragment-interval-ms <n>
                                    Pause between fragments, in milliseconds (default 0).
          --prompt-interval-ms <prompt>=<n>
                                    Pause n milliseconds between fragments when the last user
                                    message is exactly <prompt> (repeatable).
          --busy-poll-us <n>        Keep polling for n microseconds after activity instead of
                                    sleeping, to answer sequential requests faster (default 0).
          --record <file>           Write every received message as JSON Lines at exit.
          -h, --help                Show this help.

        The first line on standard output is the bound port. Stop with SIGINT or SIGTERM.
        """

    /// Parses `arguments` (the options after the subcommand), serves until `SIGINT` or `SIGTERM`,
    /// and returns the process exit code.
    ///
    /// - Parameter arguments: the options, without the executable or subcommand name.
    /// - Returns: `0` after a clean stop, `64` for a usage error, `1` when the server cannot
    ///   start or the record cannot be written.
    public static func run(arguments: [String]) async -> Int32 {
        let options: Options
        do throws(UsageError) {
            options = try Options(arguments: arguments)
        } catch {
            writeError("Error: \(error.message)\nUsage: lms-swift mock [options] (see --help)\n")
            return 64
        }
        if options.showHelp {
            write(usage + "\n", to: STDOUT_FILENO)
            return 0
        }
        var configuration = options.configuration
        configuration.recordsMessages = options.recordPath != nil
        // Ignore the default handlers first so the signals reach the dispatch sources.
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let server: MockServer
        do {
            server = try await MockServer.start(configuration: configuration, mode: .live)
        } catch {
            writeError("Error: cannot start the mock server: \(error)\n")
            return 1
        }
        // Unbuffered writes: the port must reach a reading script at once.
        write("\(server.port)\n", to: STDOUT_FILENO)
        let access = options.configuration.apiToken == nil ? "guests admitted" : "API token required"
        write("LM Studio mock listening on \(server.address) (\(access))\n", to: STDOUT_FILENO)

        await waitForTerminationSignal()
        await server.shutdown()
        if let path = options.recordPath {
            if !writeFile(path, contents: server.receivedMessagesJSONLines) {
                writeError("Error: cannot write the record to \(path): \(String(cString: strerror(errno)))\n")
                return 1
            }
        }
        return 0
    }

    /// Writes `contents` to `path` with plain POSIX calls (this module needs no Foundation).
    private static func writeFile(_ path: String, contents: String) -> Bool {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        return write(contents, to: descriptor)
    }

    private static func writeError(_ text: String) {
        write(text, to: STDERR_FILENO)
    }

    /// Writes all of `text`; false if the descriptor refused it.
    @discardableResult
    private static func write(_ text: String, to descriptor: Int32) -> Bool {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { buffer in
                #if canImport(Glibc)
                Glibc.write(descriptor, buffer.baseAddress, buffer.count)
                #else
                Darwin.write(descriptor, buffer.baseAddress, buffer.count)
                #endif
            }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return false }
            bytes = bytes.dropFirst(written)
        }
        return true
    }

    private static func waitForTerminationSignal() async {
        let queue = DispatchQueue(label: "lmstudio.mock.signals")
        let termination = TerminationSignal()
        let sources = [SIGINT, SIGTERM].map { number in
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { termination.fire() }
            source.resume()
            return source
        }
        await termination.wait()
        for source in sources { source.cancel() }
    }

    struct UsageError: Error {
        var message: String
    }

    struct Options {
        var configuration = MockServer.Configuration()
        var recordPath: String?
        var showHelp = false

        init(arguments: [String]) throws(UsageError) {
            var remaining = arguments[...]
            func value(_ option: String) throws(UsageError) -> String {
                guard let next = remaining.popFirst() else { throw UsageError(message: "\(option) needs a value") }
                return next
            }
            func number(_ option: String) throws(UsageError) -> Int {
                let text = try value(option)
                guard let parsed = Int(text), parsed >= 0 else {
                    throw UsageError(message: "\(option) needs a non-negative integer, got \"\(text)\"")
                }
                return parsed
            }
            while let argument = remaining.popFirst() {
                switch argument {
                case "-h", "--help": showHelp = true
                case "--host": configuration.host = try value(argument)
                case "--port": configuration.port = try number(argument)
                case "--api-token": configuration.apiToken = try token(value(argument))
                case "--api-token-env":
                    let name = try value(argument)
                    guard let raw = getenv(name) else { throw UsageError(message: "\(name) is not set") }
                    configuration.apiToken = try token(String(cString: raw))
                case "--reply": configuration.behavior.defaultReply = try value(argument)
                case "--fragments": configuration.behavior.fragmentCount = try number(argument)
                case "--fragment-interval-ms":
                    configuration.behavior.fragmentInterval = .milliseconds(try number(argument))
                case "--prompt-interval-ms":
                    let pair = try value(argument)
                    guard let separator = pair.lastIndex(of: "="), let milliseconds = Int(pair[pair.index(after: separator)...]),
                        milliseconds >= 0
                    else { throw UsageError(message: "\(argument) needs <prompt>=<milliseconds>, got \"\(pair)\"") }
                    configuration.behavior.fragmentIntervalsByPrompt[String(pair[..<separator])] = .milliseconds(milliseconds)
                case "--busy-poll-us":
                    let microseconds = try number(argument)
                    configuration.busyPollWindow = microseconds > 0 ? .microseconds(microseconds) : nil
                case "--record": recordPath = try value(argument)
                default: throw UsageError(message: "unknown option \(argument)")
                }
            }
        }

        private func token(_ text: String) throws(UsageError) -> String {
            guard MockAPIToken(text) != nil else {
                throw UsageError(message: "the API token does not have the form sk-lm-<8 letters/digits>:<20 letters/digits>")
            }
            return text
        }
    }
}

/// A one-shot event: `wait()` returns once `fire()` has been called (before or after).
private final class TerminationSignal: Sendable {
    private struct State {
        var fired = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = LockedValue(State())

    func fire() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.fired = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let fired = state.withLock { state -> Bool in
                if state.fired { return true }
                state.waiter = continuation
                return false
            }
            if fired { continuation.resume() }
        }
    }
}
