/// The commands and their help texts.
enum Command: String, CaseIterable, Sendable {
    case status, ls, ps, load, unload, chat, complete, embed, tokenize, mock, help

    var summary: String {
        switch self {
        case .status: "Show the server address and LM Studio version."
        case .ls: "List downloaded models."
        case .ps: "List loaded models."
        case .load: "Load a model."
        case .unload: "Unload a model (or all of them)."
        case .chat: "Chat with a model (a prompt, stdin, or interactively)."
        case .complete: "Complete a raw text prompt."
        case .embed: "Embed texts (JSON array of vectors)."
        case .tokenize: "Tokenize a text (JSON array of token ids, or the count)."
        case .mock: "Run the mock LM Studio server (first stdout line: the port)."
        case .help: "Show help for a command."
        }
    }

    var usage: String {
        switch self {
        case .status: "lms-swift status"
        case .ls: "lms-swift ls [--llm | --embedding]"
        case .ps: "lms-swift ps [--llm | --embedding]"
        case .load: "lms-swift load MODEL_KEY [--identifier ID] [--ttl SECONDS] [--context-length N] [--gpu RATIO]"
        case .unload: "lms-swift unload IDENTIFIER | --all"
        case .chat:
            "lms-swift chat MODEL [PROMPT] [--system TEXT] [--temperature T] [--max-tokens N] [--schema FILE] [--stats]"
        case .complete: "lms-swift complete MODEL PROMPT [--temperature T] [--max-tokens N] [--schema FILE] [--stats]"
        case .embed: "lms-swift embed MODEL TEXT..."
        case .tokenize: "lms-swift tokenize MODEL TEXT [--count]"
        case .mock: "lms-swift mock [--port N] [--require-token TOKEN] [mock options]"
        case .help: "lms-swift help [COMMAND]"
        }
    }

    static let predictionOptions: [OptionSpec] = [
        OptionSpec("--temperature", value: "T", "Sampling temperature (0…2)."),
        OptionSpec("--max-tokens", value: "N", "Stop after N predicted tokens."),
        OptionSpec("--schema", value: "FILE", "Structured output: a JSON schema file; the reply is JSON matching it."),
        OptionSpec("--stats", "Print prediction statistics on stderr after the reply."),
    ]

    var options: [OptionSpec] {
        switch self {
        case .ls, .ps:
            [OptionSpec("--llm", "Only LLMs."), OptionSpec("--embedding", "Only embedding models.")]
        case .load:
            [
                OptionSpec(
                    "--identifier", value: "ID", "Identifier of the new instance (default: chosen by the server)."),
                OptionSpec(
                    "--ttl", value: "SECONDS", "Unload the instance after this long without use (default: never)."),
                OptionSpec("--context-length", value: "N", "Context length in tokens."),
                OptionSpec("--gpu", value: "RATIO", "Share of the model offloaded to the GPU (0…1, or 'max' / 'off')."),
            ]
        case .unload:
            [OptionSpec("--all", "Unload every loaded model.")]
        case .chat:
            [OptionSpec("--system", value: "TEXT", "System prompt.")] + Self.predictionOptions
        case .complete:
            Self.predictionOptions
        case .tokenize:
            [OptionSpec("--count", "Print the number of tokens instead of the ids.")]
        case .status, .embed, .mock, .help:
            []
        }
    }

    var details: String {
        switch self {
        case .status:
            """
            Connects, authenticates and prints the server address and LM Studio version.
            --json: {"address": …, "version": …, "build": …}
            """
        case .ls:
            """
            --json: an array of objects with modelKey, type, path, sizeBytes, displayName
            and format.
            """
        case .ps:
            """
            --json: an array of objects with identifier, modelKey, type, contextLength and
            path.
            """
        case .load:
            """
            Shows a progress bar on stderr when stderr is a terminal, then prints the instance
            identifier. --json: {"identifier": …, "modelKey": …, "type": …, "contextLength": …}
            """
        case .unload:
            """
            Prints the identifiers that were unloaded. --json: {"unloaded": [identifiers]}
            """
        case .chat:
            """
            MODEL is a model key or a loaded instance identifier; a model that is not
            loaded is loaded first (and unloaded after an hour without use). The reply
            streams to stdout as it arrives.

            The prompt is PROMPT ("-" for standard input), else standard input when it is
            not a terminal. With neither, on a terminal, chat is an interactive
            conversation with history: one message per line, until end of input (Ctrl-D)
            or /exit.

            Ctrl-C cancels the prediction on the server and exits with status 130.

            --json: {"content": …, "stats": {…}, "modelIdentifier": …} (with --schema also
            "parsed": the reply as JSON); one line per turn in an interactive conversation.
            """
        case .complete:
            """
            Completes PROMPT as raw text (no chat template). PROMPT "-" or no PROMPT reads
            standard input. Output and --json as for chat.
            """
        case .embed:
            """
            Prints a JSON array with one vector per TEXT (the same with or without --json).
            """
        case .tokenize:
            """
            Prints a JSON array of token ids, or with --count the number of tokens
            (--json --count: {"count": N}).
            """
        case .mock:
            """
            Runs the built-in mock LM Studio on 127.0.0.1 until SIGINT or SIGTERM. The first
            line on stdout is the port number; guests are admitted unless --require-token is
            given. Global options do not apply.

            Options:
              --port N                  Port to bind; 0 picks a free one (default 0).
              --require-token TOKEN     Require this API token (sk-lm-<8>:<20>).
              --reply TEXT              Reply of every prediction.
              --fragment-interval-ms N  Pause between streamed fragments.
              --record FILE             Write every received message as JSON Lines at exit.
              (and every other option of the mock server runner; see docs/mock-server.md)
            """
        case .help:
            "Shows the help of COMMAND, or of the tool."
        }
    }

    var helpText: String {
        var text = "OVERVIEW: \(summary)\n\nUSAGE: \(usage)\n"
        let details = self.details
        if !details.isEmpty { text += "\n\(details)\n" }
        if !options.isEmpty {
            text += "\nOPTIONS:\n" + formatOptions(options)
        }
        if self != .mock {
            text += "\nGLOBAL OPTIONS (before or after the command):\n" + formatOptions(GlobalOptions.specs)
        }
        return text
    }
}

enum Help {
    static var tool: String {
        var text = """
            OVERVIEW: A command-line client for LM Studio.

            USAGE: lms-swift [global options] COMMAND [arguments] [options]

            COMMANDS:

            """
        for command in Command.allCases {
            text += "  " + command.rawValue.padding(toLength: 12) + command.summary + "\n"
        }
        text += "\nGLOBAL OPTIONS (before or after the command):\n" + formatOptions(GlobalOptions.specs)
        text += """

            EXIT STATUS:
              0    success
              1    other error
              2    usage error
              3    model not found
              4    authentication failed or invalid API token
              5    no server reachable, or connection lost
              6    timeout
              130  interrupted (Ctrl-C)

            EXAMPLES:
              lms-swift --mock chat qwen2.5-0.5b-instruct "Say hello"
              lms-swift ls --json
              echo "Summarise: …" | lms-swift chat qwen2.5-7b-instruct --max-tokens 200
              lms-swift load qwen2.5-7b-instruct --identifier q7 --ttl 600

            Run 'lms-swift COMMAND --help' for a command's options.

            """
        return text
    }
}

private func formatOptions(_ options: [OptionSpec]) -> String {
    let column = 24
    return options.map { option in
        var left = option.alias.map { "\($0), " } ?? ""
        left += option.name
        if let value = option.value { left += " \(value)" }
        let lines = wrap(option.help, width: 80 - column)
        let indent = String(repeating: " ", count: column)
        var text =
            left.count >= column - 2
            ? "  \(left)\n" + indent + lines[0] : "  " + left.padding(toLength: column - 2) + lines[0]
        for line in lines.dropFirst() { text += "\n" + indent + line }
        return text + "\n"
    }.joined()
}

/// Splits `text` into lines of at most `width` characters, at spaces.
func wrap(_ text: String, width: Int) -> [String] {
    var lines: [String] = []
    var current = ""
    for word in text.split(separator: " ") {
        if !current.isEmpty, current.count + 1 + word.count > width {
            lines.append(current)
            current = ""
        }
        current += current.isEmpty ? String(word) : " " + word
    }
    lines.append(current)
    return lines
}

extension String {
    func padding(toLength length: Int) -> String {
        count >= length ? self + " " : self + String(repeating: " ", count: length - count)
    }
}
