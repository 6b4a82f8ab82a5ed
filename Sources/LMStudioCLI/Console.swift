import Dispatch
import LMStudio
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Unbuffered output to the standard streams, terminal detection and standard input.
///
/// Writes go straight to the file descriptors, so a streamed reply appears fragment by fragment
/// and stdout and stderr never interleave out of order.
enum Console {
    static func out(_ text: String) { write(text, to: STDOUT_FILENO) }
    static func err(_ text: String) { write(text, to: STDERR_FILENO) }

    /// Writes one JSON document (compact, on one line) to stdout.
    static func json(_ value: JSONValue) { out(value.serialized(sortedKeys: true) + "\n") }

    static var stdinIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }
    static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    static func write(_ text: String, to descriptor: Int32) {
        var text = text
        text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                #if canImport(Glibc)
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                #else
                let written = Darwin.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                #endif
                if written < 0 {
                    if errno == EINTR { continue }
                    if errno == EPIPE { endOfPipe() }
                    return
                }
                offset += written
            }
        }
    }

    /// The reader of our output went away (`… | head -1`): end like any Unix tool, by SIGPIPE.
    /// The transport ignores the signal, so it is restored first; closing the process also
    /// closes the sockets, which stops a prediction on the server.
    private static func endOfPipe() -> Never {
        signal(SIGPIPE, SIG_DFL)
        raise(SIGPIPE)
        exit(128 + SIGPIPE)
    }

    /// All of standard input, as UTF-8 text (invalid bytes are replaced).
    static func readAllStandardInput() async -> String {
        await onReaderThread {
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                bytes.append(contentsOf: chunk[0..<count])
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// The next line of standard input without its newline, nil at end of input. Returns nil at
    /// once when the task is cancelled (the blocked read finishes on its own thread).
    static func readLine() async -> String? {
        let slot = Mutex<CheckedContinuation<String?, Never>?>(nil)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
                slot.withLock { $0 = continuation }
                if Task.isCancelled {
                    slot.withLock { $0.take() }?.resume(returning: nil)
                    return
                }
                readerQueue.async {
                    let line = Swift.readLine(strippingNewline: true)
                    slot.withLock { $0.take() }?.resume(returning: line)
                }
            }
        } onCancel: {
            slot.withLock { $0.take() }?.resume(returning: nil)
        }
    }

    private static let readerQueue = DispatchQueue(label: "lms-swift.stdin")

    private static func onReaderThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            readerQueue.async { continuation.resume(returning: body()) }
        }
    }
}

/// A one-line progress bar on stderr, drawn only when stderr is a terminal. `finish()` clears
/// the line, and only when something was drawn.
final class ProgressBar: Sendable {
    let enabled: Bool
    let label: String
    private let drawn = Mutex(false)

    init(label: String, enabled: Bool = Console.stderrIsTerminal) {
        self.label = label
        self.enabled = enabled
    }

    func update(_ fraction: Double) {
        guard enabled else { return }
        let clamped = min(1, max(0, fraction.isFinite ? fraction : 0))
        let width = 30
        let filled = Int((clamped * Double(width)).rounded(.down))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let percent = Int((clamped * 100).rounded(.down))
        drawn.withLock { drawn in
            drawn = true
            Console.err("\r\u{1B}[2K\(label) \(bar) \(percent)%")
        }
    }

    func finish() {
        guard enabled else { return }
        drawn.withLock { drawn in
            if drawn { Console.err("\r\u{1B}[2K") }
            drawn = false
        }
    }
}
