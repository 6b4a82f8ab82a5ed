internal import FoundationEssentials
import LMStudio
import Synchronization

/// The commands that talk to a server. Arguments are checked (`validate`) before connecting, so
/// usage errors never wait on the network.
struct CommandRunner: Sendable {
    let line: ParsedCommandLine
    var json: Bool { line.global.json }

    /// Checks the command's arguments; throws `UsageError`.
    func validate() throws {
        guard let command = line.command else { return }
        switch command {
        case .status: try line.expectPositionals(0...0, "")
        case .ls, .ps:
            try line.expectPositionals(0...0, "")
            if line.flag("--llm") && line.flag("--embedding") {
                throw UsageError(message: "--llm and --embedding cannot be used together", command: command)
            }
        case .load:
            try line.expectPositionals(1...1, "MODEL_KEY")
            _ = try line.seconds("--ttl", minimum: 1)
            _ = try line.integer("--context-length", minimum: 1)
            _ = try gpuRatio()
        case .unload:
            if line.flag("--all") {
                try line.expectPositionals(0...0, "")
            } else {
                try line.expectPositionals(1...1, "IDENTIFIER (or --all)")
            }
        case .chat, .complete:
            try line.expectPositionals(1...2, "MODEL")
            _ = try predictionSettings()
            if command == .complete, line.positionals.count == 1, Console.stdinIsTerminal {
                throw UsageError(
                    message: "missing PROMPT (give it as an argument or on standard input)", command: command)
            }
        case .embed: try line.expectPositionals(2...Int.max, "MODEL and TEXT")
        case .tokenize: try line.expectPositionals(2...2, "MODEL and TEXT")
        case .mock, .help: break
        }
    }

    func run(_ connection: Connection) async throws {
        switch line.command {
        case .status: try await status(connection)
        case .ls: try await listDownloaded(connection)
        case .ps: try await listLoaded(connection)
        case .load: try await load(connection)
        case .unload: try await unload(connection)
        case .chat: try await chat(connection)
        case .complete: try await complete(connection)
        case .embed: try await embed(connection)
        case .tokenize: try await tokenize(connection)
        case .mock, .help, nil: break
        }
    }

    // MARK: status, ls, ps

    private func status(_ connection: Connection) async throws {
        let (version, build) = try await connection.backend.version()
        let address = try await connection.address()
        if json {
            Console.json([
                "address": .string(address), "version": .string(version),
                "build": build.map { .int(Int64($0)) } ?? .null,
            ])
        } else {
            Console.out("Server:    \(address)\nLM Studio: \(version)\(build.map { " (build \($0))" } ?? "")\n")
        }
    }

    private var kinds: [ModelKind] {
        if line.flag("--llm") { return [.llm] }
        if line.flag("--embedding") { return [.embedding] }
        return ModelKind.all
    }

    private func listDownloaded(_ connection: Connection) async throws {
        let models = try await connection.backend.downloaded(kinds)
        if json {
            Console.json(.array(models.map(\.json)))
            return
        }
        if models.isEmpty {
            Console.err("No downloaded models.\n")
            return
        }
        Console.out(
            table(
                ["MODEL KEY", "TYPE", "SIZE", "PATH"],
                models.map { [$0.modelKey, $0.type, formatBytes($0.sizeBytes), $0.path] }
            ))
    }

    private func listLoaded(_ connection: Connection) async throws {
        let models = try await connection.backend.loaded(kinds)
        if json {
            Console.json(.array(models.map(\.json)))
            return
        }
        if models.isEmpty {
            Console.err("No models are loaded.\n")
            return
        }
        Console.out(
            table(
                ["IDENTIFIER", "MODEL KEY", "TYPE", "CONTEXT"],
                models.map { [$0.identifier, $0.modelKey, $0.type, $0.contextLength.map(String.init) ?? "-"] }
            ))
    }

    // MARK: load, unload

    private func gpuRatio() throws(UsageError) -> GPUOffload? {
        switch line.value("--gpu") {
        case nil: return nil
        case "max": return .max
        case "off": return .off
        default: return try line.number("--gpu", in: 0...1).map { .ratio($0) }
        }
    }

    private func load(_ connection: Connection) async throws {
        let key = line.positionals[0]
        let bar = ProgressBar(label: "Loading \(key)")
        bar.update(0)
        let entry: LoadedEntry
        do {
            entry = try await connection.backend.load(
                modelKey: key, identifier: line.value("--identifier"), ttl: try line.seconds("--ttl", minimum: 1),
                contextLength: try line.integer("--context-length", minimum: 1), gpu: try gpuRatio(),
                onProgress: { bar.update($0) }
            )
        } catch {
            bar.finish()
            throw error
        }
        bar.finish()
        if json {
            Console.json(entry.json)
        } else {
            Console.out(entry.identifier + "\n")
        }
    }

    private func unload(_ connection: Connection) async throws {
        let identifiers =
            line.flag("--all")
            ? try await connection.backend.loaded(ModelKind.all).map(\.identifier) : [line.positionals[0]]
        for identifier in identifiers {
            try await connection.backend.unload(identifier)
            // Printed as each one goes, so a failure part-way leaves an accurate record.
            if !json { Console.out(identifier + "\n") }
        }
        if json {
            Console.json(["unloaded": .array(identifiers.map { .string($0) })])
        } else if identifiers.isEmpty {
            Console.err("No models are loaded.\n")
        }
    }

    // MARK: chat, complete

    private struct PredictionSettings {
        var temperature: Double?
        var maxTokens: Int?
    }

    private func predictionSettings() throws(UsageError) -> PredictionSettings {
        PredictionSettings(
            temperature: try line.number("--temperature", in: 0...2),
            maxTokens: try line.integer("--max-tokens", minimum: 1)
        )
    }

    private func loadSchema() throws -> JSONValue? {
        guard let path = line.value("--schema") else { return nil }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw UsageError(message: "cannot read the schema file '\(path)'", command: line.command)
        }
        do {
            let schema = try JSONValue(parsing: String(decoding: data, as: UTF8.self))
            guard schema.objectValue != nil else {
                throw UsageError(message: "the schema in '\(path)' is not a JSON object", command: line.command)
            }
            return schema
        } catch let error as UsageError {
            throw error
        } catch {
            throw UsageError(message: "the schema in '\(path)' is not valid JSON: \(error)", command: line.command)
        }
    }

    /// The prompt from the arguments, or from standard input; nil for an interactive chat.
    private func prompt() async throws -> String? {
        if line.positionals.count == 2, line.positionals[1] != "-" { return line.positionals[1] }
        if line.positionals.count == 1, Console.stdinIsTerminal { return nil }
        var text = await Console.readAllStandardInput()
        while text.last?.isNewline == true { text.removeLast() }
        guard !text.allSatisfy(\.isWhitespace) else {
            throw UsageError(message: "the prompt on standard input is empty", command: line.command)
        }
        return text
    }

    private func chat(_ connection: Connection) async throws {
        let model = line.positionals[0]
        let schema = try loadSchema()
        let settings = try predictionSettings()
        var history: [(role: String, text: String)] = []
        if let system = line.value("--system") { history.append(("system", system)) }

        if let prompt = try await prompt() {
            history.append(("user", prompt))
            _ = try await predict(connection, model: model, input: .chat(history), settings: settings, schema: schema)
            return
        }

        // Interactive conversation.
        let interactiveOutput = Console.stdoutIsTerminal && !json
        Console.err("Chatting with \(model). Type a message and press Return; Ctrl-D or /exit to quit.\n")
        while true {
            if interactiveOutput { Console.out("> ") }
            guard let input = await Console.readLine() else {
                if interactiveOutput { Console.out("\n") }
                break
            }
            try Task.checkCancellation()
            let text = input.trimmedWhitespace
            if text.isEmpty { continue }
            if text == "/exit" || text == "/quit" { break }
            history.append(("user", input))
            let outcome = try await predict(
                connection, model: model, input: .chat(history), settings: settings, schema: schema)
            history.append(("assistant", outcome.content))
        }
        try Task.checkCancellation()
    }

    private func complete(_ connection: Connection) async throws {
        let model = line.positionals[0]
        let schema = try loadSchema()
        guard let prompt = try await prompt() else {
            throw UsageError(message: "missing PROMPT", command: .complete)
        }
        _ = try await predict(
            connection, model: model, input: .raw(prompt), settings: predictionSettings(), schema: schema)
    }

    /// Runs one prediction: streams it to stdout (or prints the JSON document), then the stats.
    private func predict(
        _ connection: Connection, model: String, input: PredictionRequest.Input, settings: PredictionSettings,
        schema: JSONValue?
    ) async throws -> PredictionOutcome {
        let request = PredictionRequest(
            model: model, input: input, temperature: settings.temperature, maxTokens: settings.maxTokens,
            schema: schema,
            idleTimeout: line.global.timeout
        )
        let streaming = !json
        let printed = Printed()
        let outcome: PredictionOutcome
        do {
            outcome = try await connection.backend.predict(
                request,
                onFragment: { piece in
                    if streaming {
                        Console.out(piece)
                        printed.record(piece)
                    }
                }
            )
        } catch {
            if streaming, printed.count > 0, !printed.endsWithNewline { Console.out("\n") }
            throw error
        }
        if streaming {
            if !printed.endsWithNewline { Console.out("\n") }
        } else {
            var document: [String: JSONValue] = [
                "content": .string(outcome.content), "stats": outcome.stats,
                "modelIdentifier": .string(outcome.modelIdentifier),
            ]
            if schema != nil { document["parsed"] = outcome.parsed ?? .null }
            Console.json(.object(document))
        }
        if line.flag("--stats") { Console.err(formatStats(outcome.stats)) }
        return outcome
    }

    // MARK: embed, tokenize

    private func embed(_ connection: Connection) async throws {
        let texts = Array(line.positionals.dropFirst())
        let vectors = try await connection.backend.embed(line.positionals[0], texts: texts)
        Console.json(.array(vectors.map { .array($0.map { .double($0) }) }))
    }

    private func tokenize(_ connection: Connection) async throws {
        let model = line.positionals[0]
        let text = line.positionals[1]
        if line.flag("--count") {
            let count = try await connection.backend.countTokens(model, text: text)
            if json {
                Console.json(["count": .int(Int64(count))])
            } else {
                Console.out("\(count)\n")
            }
        } else {
            let tokens = try await connection.backend.tokenize(model, text: text)
            Console.json(.array(tokens.map { .int(Int64($0)) }))
        }
    }
}

/// What the streamed reply has printed so far (fragments arrive on SDK tasks).
private final class Printed: Sendable {
    private let state = Mutex((count: 0, lastIsNewline: false))

    var count: Int { state.withLock { $0.count } }
    var endsWithNewline: Bool { state.withLock { $0.count == 0 || $0.lastIsNewline } }

    func record(_ piece: String) {
        guard !piece.isEmpty else { return }
        state.withLock {
            $0.count += piece.count
            $0.lastIsNewline = piece.last?.isNewline == true
        }
    }
}

// MARK: Formatting

func table(_ header: [String], _ rows: [[String]]) -> String {
    var widths = header.map(\.count)
    for row in rows {
        for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
    }
    func format(_ row: [String]) -> String {
        row.enumerated().map { index, cell in
            index == row.count - 1 ? cell : cell.padding(toLength: widths[index] + 1)
        }.joined().trimmingTrailingSpaces() + "\n"
    }
    return ([header] + rows).map(format).joined()
}

func formatBytes(_ bytes: Int) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1000, unit < units.count - 1 {
        value /= 1000
        unit += 1
    }
    if unit == 0 { return "\(bytes) B" }
    let rounded = (value * 10).rounded() / 10
    return "\(rounded) \(units[unit])"
}

func formatStats(_ stats: JSONValue) -> String {
    var parts: [String] = []
    if let predicted = stats["predictedTokensCount"]?.intValue {
        var tokens = "\(predicted) tokens"
        if let prompt = stats["promptTokensCount"]?.intValue { tokens += " (prompt \(prompt))" }
        parts.append(tokens)
    }
    if let speed = stats["tokensPerSecond"]?.doubleValue { parts.append(String(format2: speed) + " tok/s") }
    if let first = stats["timeToFirstTokenSec"]?.doubleValue {
        parts.append("first token " + String(format2: first) + " s")
    }
    if let reason = stats["stopReason"]?.stringValue { parts.append("stop: \(reason)") }
    return "stats: " + (parts.isEmpty ? stats.serialized(sortedKeys: true) : parts.joined(separator: " · ")) + "\n"
}

extension String {
    init(format2 value: Double) {
        guard value.isFinite else {
            self = "\(value)"
            return
        }
        let hundredths = Int64((value * 100).rounded())
        let whole = hundredths / 100
        let fraction = abs(hundredths % 100)
        self = "\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    var trimmedWhitespace: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }

    func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
