import Dispatch
import LMStudio
import LMStudioMockServer
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the built `lms-swift` executable as a subprocess.
///
/// The test target depends on the `LMStudioCLI` executable target, so `swift test` (and
/// `swift build --build-tests`) compiles and links `lms-swift` before the tests run. The tests
/// look for it in the build-products directory of the test bundle:
/// `<build-path>/<configuration>/lms-swift` (also with a custom `--build-path`).
/// `LMS_SWIFT_BINARY` overrides the location.
enum CLI {
    /// Fails the calling test when the binary is missing.
    static func requireBinary() throws {
        guard access(binary, X_OK) == 0 else {
            throw TestFailure(
                "\(binary) does not exist; run `swift build` with the same --build-path and configuration, or set LMS_SWIFT_BINARY"
            )
        }
    }

    static let binary: String = {
        if let override = getenv("LMS_SWIFT_BINARY") { return String(cString: override) }
        var directories: [String] = []
        // The test runner (…/debug/<package>PackageTests.xctest, or a bundle inside it on macOS).
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if length > 0 {
            let path = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            directories.append(parent(path))
        }
        if let first = CommandLine.arguments.first { directories.append(parent(first)) }
        var candidates: [String] = []
        for directory in directories {
            var current = directory
            for _ in 0..<5 {
                candidates.append(current + "/lms-swift")
                current = parent(current)
            }
        }
        return candidates.first { access($0, X_OK) == 0 } ?? (directories.first ?? ".") + "/lms-swift"
    }()

    private static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    struct Result: Sendable, CustomStringConvertible {
        var status: Int32
        var stdout: String
        var stderr: String

        var description: String { "status \(status)\n--- stdout:\n\(stdout)\n--- stderr:\n\(stderr)" }
    }

    /// The child's environment: no LM Studio variables from the caller, plus `environment`.
    static func environment(_ extra: [String: String]) -> [String] {
        var values: [String: String] = [:]
        for name in ["PATH", "HOME", "LANG", "TMPDIR"] {
            if let value = getenv(name) { values[name] = String(cString: value) }
        }
        values.merge(extra) { $1 }
        return values.map { "\($0.key)=\($0.value)" }
    }

    /// Runs `lms-swift arguments…` with `stdin` as standard input (empty when nil) and waits.
    static func run(
        _ arguments: [String], stdin: String? = nil, environment extra: [String: String] = [:],
        timeout: Duration = .seconds(30)
    ) async throws -> Result {
        let process = try Process(arguments, stdin: stdin, environment: extra)
        return try await process.wait(timeout: timeout)
    }

    /// A running `lms-swift` whose standard output and error go to temporary files.
    final class Process: Sendable {
        let pid: pid_t
        let outPath: String
        let errPath: String

        init(_ arguments: [String], stdin: String?, environment extra: [String: String]) throws {
            try CLI.requireBinary()
            let directory = try temporaryDirectory()
            outPath = directory + "/stdout"
            errPath = directory + "/stderr"
            let inPath = directory + "/stdin"
            try writeFile(inPath, stdin ?? "")
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, inPath, O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            pid = try spawn([CLI.binary] + arguments, environment: CLI.environment(extra), actions: &actions)
        }

        var stdout: String { readFile(outPath) }
        var stderr: String { readFile(errPath) }

        func signal(_ number: Int32) { kill(pid, number) }

        func wait(timeout: Duration) async throws -> Result {
            let status = try await waitForExit(pid, timeout: timeout)
            return Result(status: status, stdout: stdout, stderr: stderr)
        }

        /// Waits until standard output contains `text`.
        func waitForOutput(_ text: String, timeout: Duration = .seconds(20)) async throws {
            let deadline = ContinuousClock.now + timeout
            while !stdout.contains(text) {
                guard ContinuousClock.now < deadline else {
                    kill(pid, SIGKILL)
                    throw TestFailure("no '\(text)' on stdout; stdout: \(stdout) stderr: \(stderr)")
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Spawns a process; returns its pid.
func spawn(_ arguments: [String], environment: [String], actions: inout posix_spawn_file_actions_t) throws -> pid_t {
    var pid: pid_t = 0
    let argv = arguments.map { strdup($0) } + [nil]
    let envp = environment.map { strdup($0) } + [nil]
    defer {
        for pointer in argv { free(pointer) }
        for pointer in envp { free(pointer) }
    }
    let result = posix_spawn(&pid, arguments[0], &actions, nil, argv, envp)
    guard result == 0 else {
        throw TestFailure(
            "cannot run \(arguments[0]): \(String(cString: strerror(result))) (build it with swift build --product lms-swift, or set LMS_SWIFT_BINARY)"
        )
    }
    return pid
}

/// Waits for a child to exit and returns its exit status (128 + n when killed by signal n).
func waitForExit(_ pid: pid_t, timeout: Duration) async throws -> Int32 {
    let deadline = ContinuousClock.now + timeout
    while true {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid {
            let signalled = status & 0x7f
            return signalled == 0 ? (status >> 8) & 0xff : 128 + signalled
        }
        if result < 0 { throw TestFailure("waitpid failed: \(errno)") }
        if ContinuousClock.now >= deadline {
            kill(pid, SIGKILL)
            _ = waitpid(pid, &status, 0)
            throw TestFailure("the process did not exit within \(timeout)")
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}

func temporaryDirectory() throws -> String {
    let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    var template = Array("\(base)/lms-swift-test-XXXXXX".utf8CString)
    guard let result = mkdtemp(&template) else { throw TestFailure("mkdtemp failed") }
    return String(cString: result)
}

func writeFile(_ path: String, _ text: String) throws {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard descriptor >= 0 else { throw TestFailure("cannot write \(path)") }
    defer { close(descriptor) }
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written > 0 else { throw TestFailure("cannot write \(path)") }
        offset += written
    }
}

func readFile(_ path: String) -> String {
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else { return "" }
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count <= 0 { break }
        bytes += chunk[0..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}

// MARK: Pseudo-terminal

/// `lms-swift` with a pseudo-terminal as its standard input, output and error, driven from the
/// master side like a person at a terminal.
final class TerminalDriver: Sendable {
    let pid: pid_t
    let master: Int32
    private let transcript = Mutex("")

    init(_ arguments: [String], environment extra: [String: String] = [:]) throws {
        try CLI.requireBinary()
        let pty = try PseudoTerminalFunctions()
        let master = pty.openpt(O_RDWR | O_NOCTTY)
        guard master >= 0, pty.grantpt(master) == 0, pty.unlockpt(master) == 0, let name = pty.ptsname(master) else {
            throw TestFailure("no pseudo-terminal available")
        }
        let slavePath = String(cString: name)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addclose(&actions, master)
        for descriptor: Int32 in [0, 1, 2] {
            posix_spawn_file_actions_addopen(&actions, descriptor, slavePath, O_RDWR, 0)
        }
        self.master = master
        pid = try spawn(
            [CLI.binary] + arguments, environment: CLI.environment(extra.merging(["TERM": "dumb"]) { $1 }),
            actions: &actions)
    }

    deinit { close(master) }

    /// Types `text` (a line needs its "\n"; Ctrl-D is "\u{4}").
    func type(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
    }

    /// Everything the terminal has shown so far.
    var screen: String { transcript.withLock { $0 } }

    /// Reads the terminal until `predicate` holds for the transcript.
    func waitFor(timeout: Duration = .seconds(20), _ predicate: (String) -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !predicate(screen) {
            guard ContinuousClock.now < deadline else {
                kill(pid, SIGKILL)
                throw TestFailure("terminal did not show the expected text; screen:\n\(screen)")
            }
            drain(milliseconds: 50)
            await Task.yield()
        }
    }

    /// Reads what is available (waiting up to `milliseconds` for the first byte).
    func drain(milliseconds: Int32) {
        var descriptor = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        while poll(&descriptor, 1, milliseconds) > 0 {
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = chunk.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
            if count <= 0 { return }
            let text = String(decoding: chunk[0..<count], as: UTF8.self)
            transcript.withLock { $0 += text }
        }
    }

    func wait(timeout: Duration = .seconds(20)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while true {
            drain(milliseconds: 0)
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f) }
            if ContinuousClock.now >= deadline {
                kill(pid, SIGKILL)
                throw TestFailure("the process did not exit; screen:\n\(screen)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// The XSI pseudo-terminal functions, looked up at run time: Swift's Glibc module leaves them
/// out (they need `_XOPEN_SOURCE`).
struct PseudoTerminalFunctions {
    typealias Open = @convention(c) (Int32) -> Int32
    typealias Name = @convention(c) (Int32) -> UnsafeMutablePointer<CChar>?

    let openpt: Open
    let grantpt: Open
    let unlockpt: Open
    let ptsname: Name

    init() throws {
        let handle = dlopen(nil, RTLD_NOW)
        func symbol(_ name: String) throws -> UnsafeMutableRawPointer {
            guard let pointer = dlsym(handle, name) else { throw TestFailure("\(name) is not available") }
            return pointer
        }
        openpt = unsafeBitCast(try symbol("posix_openpt"), to: Open.self)
        grantpt = unsafeBitCast(try symbol("grantpt"), to: Open.self)
        unlockpt = unsafeBitCast(try symbol("unlockpt"), to: Open.self)
        ptsname = unsafeBitCast(try symbol("ptsname"), to: Name.self)
    }
}

// MARK: Mock server

let testToken = "sk-lm-abcDEF78:abcDEF7890abcDEF7890"

/// A mock configuration: the default, edited by `edit`.
func mockConfiguration(_ edit: (inout MockServer.Configuration) -> Void) -> MockServer.Configuration {
    var configuration = MockServer.Configuration()
    edit(&configuration)
    return configuration
}

/// Runs `body` with a live in-process mock server.
func withMock<T: Sendable>(
    _ configuration: MockServer.Configuration = MockServer.Configuration(),
    _ body: (MockServer) async throws -> T
) async throws -> T {
    try await MockServer.withServer(configuration: configuration, body)
}

extension MockServer {
    /// `--host` for this server.
    var hostArguments: [String] { ["--host", address] }

    /// The JSON of every received message on `endpoint` (RPC calls and channel creations).
    func received(endpoint: String) -> [JSONValue] {
        receivedMessages.compactMap(\.json).filter { $0["endpoint"]?.stringValue == endpoint }
    }
}
