/// Command-line parsing: global options (accepted before or after the command), the command
/// name, the command's own options and its positional arguments.
///
/// Options take their value as the next argument or after `=` (`--timeout 5`, `--timeout=5`).
/// `--` ends option parsing: everything after it is positional (for prompts that start with `-`).

/// An option a command (or the tool) accepts.
struct OptionSpec: Sendable {
    /// The long name, with the dashes (`--timeout`).
    var name: String
    /// A short alias (`-h`), if any.
    var alias: String?
    /// The placeholder of its value (`SECONDS`), nil for a flag.
    var value: String?
    /// One line of help.
    var help: String

    init(_ name: String, alias: String? = nil, value: String? = nil, _ help: String) {
        self.name = name
        self.alias = alias
        self.value = value
        self.help = help
    }

    var takesValue: Bool { value != nil }
}

/// The global options.
struct GlobalOptions: Sendable {
    var host: String?
    var apiToken: String?
    var json = false
    var timeout: Duration?
    var verbose = false
    var mock = false

    static let specs: [OptionSpec] = [
        OptionSpec(
            "--host", value: "HOST",
            "Server: host:port, ws://, wss://, http:// or https:// URL (default: $LMSTUDIO_HOST, else discovery on the default local ports)."
        ),
        OptionSpec(
            "--api-token", value: "TOKEN",
            "LM Studio API token (default: $LMSTUDIO_API_TOKEN, then $LM_API_TOKEN; \"\" connects as a guest)."),
        OptionSpec("--json", "Machine-readable output: one JSON document on stdout (JSON Lines in interactive chat)."),
        OptionSpec(
            "--timeout", value: "SECONDS",
            "Deadline for connecting and for each request (default: 10 s to connect, 60 s per request)."),
        OptionSpec("--verbose", "Diagnostics on stderr (secrets are redacted)."),
        OptionSpec("--mock", "Start the built-in mock LM Studio in-process and run the command against it."),
        OptionSpec("--help", alias: "-h", "Show help (for the tool, or for a command after its name)."),
    ]
}

/// What the command line asks for.
struct ParsedCommandLine: Sendable {
    var global = GlobalOptions()
    var command: Command?
    var help = false
    /// Command option values by long name; flags map to `[""]`. Repeated options append.
    var options: [String: [String]] = [:]
    var positionals: [String] = []
    /// For `mock`: every argument after the command name, untouched.
    var passthrough: [String] = []

    func flag(_ name: String) -> Bool { options[name] != nil }
    func value(_ name: String) -> String? { options[name]?.last }
}

/// A usage mistake: exit code 2, with a pointer to the relevant help.
struct UsageError: Error, Sendable {
    var message: String
    var command: Command?
}

enum ArgumentParser {
    static func parse(_ arguments: [String]) throws(UsageError) -> ParsedCommandLine {
        var result = ParsedCommandLine()
        var index = 0
        var onlyPositionals = false

        func takeValue(_ name: String, inline: String?) throws(UsageError) -> String {
            if let inline { return inline }
            index += 1
            guard index < arguments.count else {
                throw UsageError(message: "\(name) needs a value", command: result.command)
            }
            return arguments[index]
        }

        while index < arguments.count {
            defer { index += 1 }
            let argument = arguments[index]
            if result.command == .mock {
                // The mock server parses its own options (its --host is the bind address).
                result.passthrough.append(argument)
                continue
            }
            if onlyPositionals || argument == "-" || !argument.hasPrefix("-") {
                if result.command == nil && !onlyPositionals {
                    guard let command = Command(rawValue: argument) else {
                        throw UsageError(message: "unknown command '\(argument)'", command: nil)
                    }
                    result.command = command
                } else if result.command == nil {
                    throw UsageError(message: "missing command before '\(argument)'", command: nil)
                } else {
                    result.positionals.append(argument)
                }
                continue
            }
            if argument == "--" {
                onlyPositionals = true
                continue
            }
            var name = argument
            var inline: String?
            if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inline = String(argument[argument.index(after: equals)...])
            }
            // Global options first: they are accepted anywhere.
            if let spec = GlobalOptions.specs.first(where: { $0.name == name || $0.alias == name }) {
                if !spec.takesValue, inline != nil {
                    throw UsageError(message: "\(spec.name) does not take a value", command: result.command)
                }
                switch spec.name {
                case "--host": result.global.host = try takeValue(spec.name, inline: inline)
                case "--api-token": result.global.apiToken = try takeValue(spec.name, inline: inline)
                case "--json": result.global.json = true
                case "--verbose": result.global.verbose = true
                case "--mock": result.global.mock = true
                case "--help": result.help = true
                case "--timeout":
                    let text = try takeValue(spec.name, inline: inline)
                    guard let seconds = Double(text), seconds > 0, seconds.isFinite else {
                        throw UsageError(
                            message: "--timeout needs a positive number of seconds, got '\(text)'",
                            command: result.command)
                    }
                    result.global.timeout = .milliseconds(Int64((seconds * 1000).rounded(.up)))
                default: break
                }
                continue
            }
            guard let command = result.command else {
                throw UsageError(message: "unknown option '\(name)'", command: nil)
            }
            guard let spec = command.options.first(where: { $0.name == name || $0.alias == name }) else {
                throw UsageError(message: "unknown option '\(name)' for '\(command.rawValue)'", command: command)
            }
            if spec.takesValue {
                result.options[spec.name, default: []].append(try takeValue(spec.name, inline: inline))
            } else {
                if inline != nil { throw UsageError(message: "\(spec.name) does not take a value", command: command) }
                result.options[spec.name, default: []].append("")
            }
        }
        return result
    }
}

// MARK: Typed option values

extension ParsedCommandLine {
    func integer(_ name: String, minimum: Int) throws(UsageError) -> Int? {
        guard let text = value(name) else { return nil }
        guard let number = Int(text), number >= minimum else {
            throw UsageError(message: "\(name) needs an integer ≥ \(minimum), got '\(text)'", command: command)
        }
        return number
    }

    func number(_ name: String, in range: ClosedRange<Double>) throws(UsageError) -> Double? {
        guard let text = value(name) else { return nil }
        guard let number = Double(text), range.contains(number) else {
            throw UsageError(
                message:
                    "\(name) needs a number in \(formatBound(range.lowerBound))…\(formatBound(range.upperBound)), got '\(text)'",
                command: command)
        }
        return number
    }

    func seconds(_ name: String, minimum: Double = 0) throws(UsageError) -> Duration? {
        guard let text = value(name) else { return nil }
        guard let number = Double(text), number > 0, number >= minimum, number.isFinite else {
            let bound = minimum > 0 ? "at least \(formatBound(minimum))" : "a positive number of"
            throw UsageError(message: "\(name) needs \(bound) seconds, got '\(text)'", command: command)
        }
        return .milliseconds(Int64((number * 1000).rounded(.up)))
    }

    /// Checks the number of positional arguments.
    func expectPositionals(_ range: ClosedRange<Int>, _ what: String) throws(UsageError) {
        if positionals.count < range.lowerBound {
            throw UsageError(message: "missing \(what)", command: command)
        }
        if positionals.count > range.upperBound {
            let extra = positionals[range.upperBound]
            throw UsageError(
                message: "unexpected argument '\(extra)' (quote text that contains spaces)", command: command)
        }
    }
}

private func formatBound(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
}
