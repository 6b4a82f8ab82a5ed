import LMStudio
import LMStudioMockServer
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Parses the single JSON document a command printed.
func document(_ result: CLI.Result) throws -> JSONValue {
    let lines = result.stdout.split(separator: "\n")
    #expect(lines.count == 1, "one JSON document on one line: \(result)")
    return try JSONValue(parsing: result.stdout)
}

@Suite("lms-swift: help, usage errors and argument parsing", .serialized)
struct CLIUsageTests {
    @Test("--help describes every command and the exit statuses")
    func toolHelp() async throws {
        let result = try await CLI.run(["--help"])
        #expect(result.status == 0)
        for command in ["status", "ls", "ps", "load", "unload", "chat", "complete", "embed", "tokenize", "mock"] {
            #expect(result.stdout.contains("\n  \(command) "), "\(command) listed")
        }
        for line in [
            "0    success", "2    usage error", "3    model not found", "4    authentication failed", "5    no server",
            "6    timeout", "130  interrupted",
        ] {
            #expect(result.stdout.contains(line))
        }
        #expect(result.stderr.isEmpty)
    }

    @Test(
        "every command has --help, also before the command and via `help`",
        arguments: [
            "status", "ls", "ps", "load", "unload", "chat", "complete", "embed", "tokenize", "mock",
        ])
    func commandHelp(command: String) async throws {
        for arguments in [[command, "--help"], ["-h", command], ["help", command]] {
            let result = try await CLI.run(arguments)
            #expect(result.status == 0, "\(arguments): \(result)")
            #expect(result.stdout.contains("USAGE: lms-swift \(command)"), "\(arguments): \(result)")
        }
    }

    @Test(
        "usage errors exit 2 with one error line and a pointer to help",
        arguments: [
            [],
            ["frobnicate"],
            ["status", "--frob"],
            ["--frob", "status"],
            ["chat"],
            ["load"],
            ["unload"],
            ["unload", "x", "--all"],
            ["embed", "model"],
            ["tokenize", "model"],
            ["tokenize", "model", "a", "b"],
            ["ls", "--llm", "--embedding"],
            ["status", "--timeout", "soon"],
            ["status", "--timeout", "-1"],
            ["status", "--host"],
            ["chat", "m", "hi", "--temperature", "5"],
            ["chat", "m", "hi", "--max-tokens", "0"],
            ["load", "m", "--gpu", "2"],
            ["load", "m", "--context-length", "many"],
            ["load", "m", "--ttl", "0.5"],
            ["--mock", "chat", "", "hi"],
            ["--json=yes", "status"],
            ["--mock", "--host", "127.0.0.1:1", "status"],
            ["--host", "ws://", "status"],
            ["--mock", "chat", "qwen2.5-0.5b-instruct", "hi", "--schema", "/nonexistent/schema.json"],
        ])
    func usageErrors(arguments: [String]) async throws {
        let result = try await CLI.run(arguments)
        #expect(result.status == 2, "\(arguments): \(result)")
        #expect(result.stderr.contains("error: "), "\(arguments): \(result)")
        #expect(result.stdout.isEmpty, "\(arguments): \(result)")
    }

    @Test("usage errors are reported before any connection is made")
    func usageBeforeNetwork() async throws {
        // Port 9 (discard) on loopback is closed: a connection attempt would fail with 5.
        let result = try await CLI.run(["--host", "127.0.0.1:9", "chat", "m", "hi", "--temperature", "9"])
        #expect(result.status == 2, "\(result)")
    }

    @Test("global options are accepted before and after the command, in --name=value form too")
    func globalOptionPositions() async throws {
        try await withMock { server in
            for arguments in [
                ["--json", "--host", server.address, "status"],
                ["status", "--json", "--host", server.address],
                ["--host=\(server.address)", "status", "--json", "--timeout=5"],
            ] {
                let result = try await CLI.run(arguments)
                #expect(result.status == 0, "\(arguments): \(result)")
                #expect(try document(result)["version"] == "0.3.31")
            }
        }
    }

    @Test("`--` ends option parsing: a prompt may start with a dash")
    func doubleDash() async throws {
        try await withMock(mockConfiguration { $0.behavior = .echo }) { server in
            let result = try await CLI.run(
                server.hostArguments + ["chat", "qwen2.5-0.5b-instruct", "--", "--not-an-option"])
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout == "--not-an-option\n")
        }
    }
}

@Suite("lms-swift: commands against the mock server", .serialized)
struct CLICommandTests {
    @Test("status prints the address and version; --json gives address, version, build")
    func status() async throws {
        try await withMock { server in
            let text = try await CLI.run(server.hostArguments + ["status"])
            #expect(text.status == 0, "\(text)")
            #expect(text.stdout.contains("ws://\(server.address)"))
            #expect(text.stdout.contains("0.3.31"))
            let json = try document(try await CLI.run(server.hostArguments + ["status", "--json"]))
            #expect(json == ["address": .string("ws://\(server.address)"), "version": "0.3.31", "build": 7])
        }
    }

    @Test("ls lists downloaded models; --json has modelKey, type, path, sizeBytes; --llm and --embedding filter")
    func listDownloaded() async throws {
        try await withMock { server in
            let all = try document(try await CLI.run(server.hostArguments + ["ls", "--json"]))
            let models = try #require(all.arrayValue)
            #expect(models.count == 3)
            for model in models {
                #expect(model["modelKey"]?.stringValue != nil)
                #expect(model["type"]?.stringValue != nil)
                #expect(model["path"]?.stringValue != nil)
                #expect(model["sizeBytes"]?.intValue != nil)
            }
            let llms = try document(try await CLI.run(server.hostArguments + ["ls", "--llm", "--json"]))
            #expect(
                llms.arrayValue?.map { $0["modelKey"]?.stringValue } == [
                    "qwen2.5-0.5b-instruct", "llama-3.2-1b-instruct",
                ])
            let embeddings = try document(try await CLI.run(server.hostArguments + ["--json", "ls", "--embedding"]))
            #expect(embeddings.arrayValue?.map { $0["type"] } == ["embedding"])

            let text = try await CLI.run(server.hostArguments + ["ls"])
            #expect(text.status == 0)
            #expect(text.stdout.hasPrefix("MODEL KEY"))
            #expect(text.stdout.contains("llama-3.2-1b-instruct"))
        }
    }

    @Test("ps lists loaded models; --json has identifier, modelKey, type, contextLength")
    func listLoaded() async throws {
        try await withMock { server in
            let loaded = try document(try await CLI.run(server.hostArguments + ["ps", "--json"]))
            let models = try #require(loaded.arrayValue)
            #expect(
                Set(models.compactMap { $0["identifier"]?.stringValue }) == [
                    "qwen2.5-0.5b-instruct", "text-embedding-nomic-embed-text-v1.5",
                ])
            for model in models {
                #expect(model["modelKey"]?.stringValue != nil)
                #expect(model["type"]?.stringValue != nil)
                #expect(model["contextLength"]?.intValue != nil)
            }
            let text = try await CLI.run(server.hostArguments + ["ps"])
            #expect(text.stdout.hasPrefix("IDENTIFIER"))
            #expect(text.stdout.contains("qwen2.5-0.5b-instruct"))
        }
    }

    @Test("load prints the identifier; options reach the server; --json gives {identifier}")
    func load() async throws {
        try await withMock { server in
            let plain = try await CLI.run(server.hostArguments + ["load", "llama-3.2-1b-instruct"])
            #expect(plain.status == 0, "\(plain)")
            #expect(plain.stdout == "llama-3.2-1b-instruct\n")
            #expect(
                server.received(endpoint: "loadModel").last?["creationParameter"]?["ttlMs"] == nil,
                "no TTL unless --ttl")
            // stderr is not a terminal: no progress bar.
            #expect(!plain.stderr.contains("%"))

            let json = try document(
                try await CLI.run(
                    server.hostArguments + [
                        "load", "llama-3.2-1b-instruct", "--identifier", "fast", "--ttl", "90", "--context-length",
                        "2048", "--gpu", "0.5", "--json",
                    ]
                ))
            #expect(json["identifier"] == "fast")
            #expect(json["contextLength"] == 2048)
            #expect(server.loadedIdentifiers.contains("fast"))
            let request = try #require(server.received(endpoint: "loadModel").last)
            #expect(request["creationParameter"]?["identifier"] == "fast")
            #expect(request["creationParameter"]?["ttlMs"] == 90_000)

            let embedding = try await CLI.run(
                server.hostArguments + ["load", "text-embedding-nomic-embed-text-v1.5", "--identifier", "e2"])
            #expect(embedding.status == 0, "\(embedding)")
            #expect(server.received(endpoint: "loadModel").last?["channelId"] != nil)
            let loaded = try document(try await CLI.run(server.hostArguments + ["ps", "--embedding", "--json"]))
            #expect(loaded.arrayValue?.contains { $0["identifier"] == "e2" } == true)
        }
    }

    @Test("load of an unknown model exits 3 with the server's cause and suggestion")
    func loadNotFound() async throws {
        try await withMock { server in
            let result = try await CLI.run(server.hostArguments + ["load", "no-such-model"])
            #expect(result.status == 3, "\(result)")
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.first?.hasPrefix("error: ") == true)
            #expect(result.stderr.contains("cause: "))
            #expect(result.stderr.contains("suggestion: "))
            #expect(result.stdout.isEmpty)
        }
    }

    @Test("unload IDENTIFIER and unload --all; an unknown identifier exits 3")
    func unload() async throws {
        try await withMock { server in
            let one = try await CLI.run(server.hostArguments + ["unload", "qwen2.5-0.5b-instruct"])
            #expect(one.status == 0, "\(one)")
            #expect(one.stdout == "qwen2.5-0.5b-instruct\n")
            #expect(server.loadedIdentifiers == ["text-embedding-nomic-embed-text-v1.5"])

            let missing = try await CLI.run(server.hostArguments + ["unload", "qwen2.5-0.5b-instruct"])
            #expect(missing.status == 3, "\(missing)")

            _ = try await CLI.run(server.hostArguments + ["load", "llama-3.2-1b-instruct"])
            let all = try document(try await CLI.run(server.hostArguments + ["unload", "--all", "--json"]))
            #expect(
                Set(all["unloaded"]?.arrayValue ?? []) == [
                    "text-embedding-nomic-embed-text-v1.5", "llama-3.2-1b-instruct",
                ])
            #expect(server.loadedIdentifiers.isEmpty)
        }
    }

    @Test("chat streams the reply to stdout")
    func chat() async throws {
        try await withMock { server in
            let result = try await CLI.run(server.hostArguments + ["chat", "qwen2.5-0.5b-instruct", "Say hello"])
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout == "Hello! I am a mock LM Studio model.\n")
            let request = try #require(server.received(endpoint: "predict").last)
            let messages = request["creationParameter"]?["history"]?["messages"]?.arrayValue ?? []
            #expect(messages.count == 1)
            #expect(messages.first?["role"] == "user")
        }
    }

    @Test("chat reads the prompt from stdin when it is not given")
    func chatFromStandardInput() async throws {
        try await withMock(mockConfiguration { $0.behavior = .echo }) { server in
            let result = try await CLI.run(
                server.hostArguments + ["chat", "qwen2.5-0.5b-instruct"], stdin: "What is 2+2?\n")
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout == "What is 2+2?\n")
            let dash = try await CLI.run(
                server.hostArguments + ["chat", "qwen2.5-0.5b-instruct", "-"], stdin: "line one\nline two\n")
            #expect(dash.stdout == "line one\nline two\n")
            let json = try document(
                try await CLI.run(server.hostArguments + ["--json", "chat", "qwen2.5-0.5b-instruct"], stdin: "piped"))
            #expect(json["content"] == "piped")
            let empty = try await CLI.run(server.hostArguments + ["chat", "qwen2.5-0.5b-instruct"], stdin: "")
            #expect(empty.status == 2, "\(empty)")
        }
    }

    @Test("chat options reach the server: system prompt, temperature, max tokens")
    func chatOptions() async throws {
        try await withMock { server in
            let result = try await CLI.run(
                server.hostArguments + [
                    "chat", "qwen2.5-0.5b-instruct", "Hi", "--system", "Be terse.", "--temperature", "0.25",
                    "--max-tokens", "3",
                ]
            )
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout == "Hello! I am\n")
            let request = try #require(server.received(endpoint: "predict").last?["creationParameter"])
            let messages = request["history"]?["messages"]?.arrayValue ?? []
            #expect(messages.map { $0["role"] } == ["system", "user"])
            let fields = (request["predictionConfigStack"]?["layers"]?.arrayValue ?? []).flatMap {
                $0["config"]?["fields"]?.arrayValue ?? []
            }
            let temperature = fields.first { $0["key"] == "llm.prediction.temperature" }?["value"]?.doubleValue
            #expect(temperature == 0.25)
        }
    }

    @Test("chat --json prints {content, stats, modelIdentifier}; --schema adds parsed; --stats goes to stderr")
    func chatJSON() async throws {
        try await withMock { server in
            let result = try await CLI.run(
                server.hostArguments + ["chat", "qwen2.5-0.5b-instruct", "Hi", "--json", "--stats"])
            #expect(result.status == 0, "\(result)")
            let json = try document(result)
            #expect(json["content"] == "Hello! I am a mock LM Studio model.")
            #expect(json["modelIdentifier"] == "qwen2.5-0.5b-instruct")
            #expect(json["stats"]?["stopReason"] == "eosFound")
            #expect(json["parsed"] == nil)
            #expect(result.stderr.contains("stats: "))

            let directory = try temporaryDirectory()
            let schemaPath = directory + "/schema.json"
            try writeFile(
                schemaPath, #"{"type":"object","properties":{"answer":{"type":"integer"}},"required":["answer"]}"#)
            let structured = try document(
                try await CLI.run(
                    server.hostArguments + [
                        "chat", "qwen2.5-0.5b-instruct", "What is 2+2?", "--schema", schemaPath, "--json",
                    ]
                ))
            #expect(structured["parsed"]?["answer"]?.intValue != nil)
            #expect(structured["content"]?.stringValue?.hasPrefix("{") == true)
        }
    }

    @Test("chat loads a model that is not loaded yet (get-or-load), and a missing model exits 3")
    func chatGetOrLoad() async throws {
        try await withMock { server in
            let result = try await CLI.run(server.hostArguments + ["chat", "llama-3.2-1b-instruct", "Hi"])
            #expect(result.status == 0, "\(result)")
            #expect(server.loadedIdentifiers.contains("llama-3.2-1b-instruct"))
            #expect(server.received(endpoint: "getOrLoad").last?["creationParameter"]?["loadTtlMs"] == 3_600_000)
            let missing = try await CLI.run(server.hostArguments + ["chat", "no-such-model", "Hi"])
            #expect(missing.status == 3, "\(missing)")
            #expect(missing.stderr.hasPrefix("error: "))
        }
    }

    @Test("complete streams a raw completion; --json shape as for chat")
    func complete() async throws {
        try await withMock(mockConfiguration { $0.behavior.defaultReply = "jumps over the lazy dog." }) { server in
            let result = try await CLI.run(
                server.hostArguments + ["complete", "qwen2.5-0.5b-instruct", "The quick brown fox"])
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout == "jumps over the lazy dog.\n")
            let request = try #require(server.received(endpoint: "predict").last?["creationParameter"])
            let messages = request["history"]?["messages"]?.arrayValue ?? []
            #expect(messages.last?["content"]?.arrayValue?.first?["text"] == "The quick brown fox")
            let layers = request["predictionConfigStack"]?["layers"]?.arrayValue ?? []
            #expect(layers.contains { $0["layerName"] == "completeModeFormatting" }, "raw completion, no chat template")
            let json = try document(
                try await CLI.run(server.hostArguments + ["--json", "complete", "qwen2.5-0.5b-instruct", "The quick"]))
            #expect(json["content"] == "jumps over the lazy dog.")
            #expect(json["stats"]?.objectValue != nil)
            #expect(json["modelIdentifier"] == "qwen2.5-0.5b-instruct")
        }
    }

    @Test("embed prints a JSON array with one vector per text")
    func embed() async throws {
        try await withMock { server in
            let result = try await CLI.run(
                server.hostArguments + ["embed", "text-embedding-nomic-embed-text-v1.5", "first", "second text"])
            #expect(result.status == 0, "\(result)")
            let vectors = try #require(try document(result).arrayValue)
            #expect(vectors.count == 2)
            #expect(
                vectors.allSatisfy { $0.arrayValue?.count == 8 && $0.arrayValue!.allSatisfy { $0.doubleValue != nil } })
            #expect(vectors[0] != vectors[1])
        }
    }

    @Test("tokenize prints token ids, or the count with --count")
    func tokenize() async throws {
        try await withMock { server in
            let ids = try document(
                try await CLI.run(server.hostArguments + ["tokenize", "qwen2.5-0.5b-instruct", "Hello, world"]))
            #expect(ids.arrayValue?.count == 3)
            #expect(ids.arrayValue?.allSatisfy { $0.intValue != nil } == true)
            let count = try await CLI.run(
                server.hostArguments + ["tokenize", "qwen2.5-0.5b-instruct", "Hello, world", "--count"])
            #expect(count.stdout == "3\n")
            let json = try document(
                try await CLI.run(
                    server.hostArguments + ["tokenize", "qwen2.5-0.5b-instruct", "Hello, world", "--count", "--json"]))
            #expect(json == ["count": 3])
        }
    }

    @Test("--mock runs the command against an in-process mock: the README's first command")
    func inProcessMock() async throws {
        let result = try await CLI.run(["--mock", "chat", "qwen2.5-0.5b-instruct", "Say hello"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout == "Hello! I am a mock LM Studio model.\n")
        let ls = try document(try await CLI.run(["ls", "--mock", "--json"]))
        #expect(ls.arrayValue?.count == 3)
    }

    @Test("LMSTUDIO_HOST is the default host")
    func hostFromEnvironment() async throws {
        try await withMock { server in
            let result = try await CLI.run(["status", "--json"], environment: ["LMSTUDIO_HOST": server.address])
            #expect(result.status == 0, "\(result)")
            #expect(try document(result)["address"] == .string("ws://\(server.address)"))
        }
    }

    @Test("--verbose writes diagnostics to stderr without the API token's secret")
    func verbose() async throws {
        try await withMock(mockConfiguration { $0.apiToken = testToken }) { server in
            let result = try await CLI.run(server.hostArguments + ["--verbose", "--api-token", testToken, "status"])
            #expect(result.status == 0, "\(result)")
            #expect(result.stderr.contains("debug"))
            #expect(!result.stderr.contains("abcDEF7890abcDEF7890"))
            #expect(!result.stdout.contains("abcDEF7890abcDEF7890"))
        }
    }
}

@Suite("lms-swift: exit statuses", .serialized)
struct CLIExitStatusTests {
    @Test("a malformed API token exits 4 before any connection")
    func malformedToken() async throws {
        let result = try await CLI.run(["--host", "127.0.0.1:9", "--api-token", "not-a-token", "status"])
        #expect(result.status == 4, "\(result)")
        #expect(result.stderr.hasPrefix("error: "))
        #expect(!result.stderr.contains("not-a-token"))
        // The same from the environment; --api-token "" forces a guest instead.
        try await withMock { server in
            let fromEnvironment = try await CLI.run(
                server.hostArguments + ["status"], environment: ["LMSTUDIO_API_TOKEN": "garbage"])
            #expect(fromEnvironment.status == 4, "\(fromEnvironment)")
            let guest = try await CLI.run(
                server.hostArguments + ["status", "--api-token", ""], environment: ["LMSTUDIO_API_TOKEN": "garbage"])
            #expect(guest.status == 0, "\(guest)")
        }
    }

    @Test("a wrong token against `lms-swift mock --require-token` exits 4; the right one works")
    func wrongToken() async throws {
        let mock = try CLI.Process(["mock", "--port", "0", "--require-token", testToken], stdin: nil, environment: [:])
        try await mock.waitForOutput("\n")
        let port = try #require(Int(mock.stdout.split(separator: "\n").first ?? ""))
        let host = ["--host", "127.0.0.1:\(port)"]

        let wrong = try await CLI.run(host + ["--api-token", "sk-lm-abcDEF78:zzzzzzzzzzzzzzzzzzzz", "ps"])
        #expect(wrong.status == 4, "\(wrong)")
        #expect(wrong.stderr.hasPrefix("error: authentication failed"))
        let guest = try await CLI.run(host + ["--api-token", "", "ps"])
        #expect(guest.status == 4, "\(guest)")
        let right = try await CLI.run(host + ["ps", "--json"], environment: ["LMSTUDIO_API_TOKEN": testToken])
        #expect(right.status == 0, "\(right)")

        mock.signal(SIGTERM)
        let stopped = try await mock.wait(timeout: .seconds(10))
        #expect(stopped.status == 0, "\(stopped)")
    }

    @Test("no server exits 5: a closed port, and discovery that finds nothing")
    func noServer() async throws {
        // Bind a port, then close it, so nothing listens there.
        let port = try await withMock { $0.port }
        let result = try await CLI.run(["--host", "127.0.0.1:\(port)", "status"])
        #expect(result.status == 5, "\(result)")
        #expect(result.stderr.hasPrefix("error: "))
    }

    @Test("a server that does not answer in time exits 6 with --timeout")
    func timeout() async throws {
        try await withMock(mockConfiguration { $0.behavior.faults = [.delay(endpoint: "version", .seconds(5))] }) {
            server in
            let start = ContinuousClock.now
            let result = try await CLI.run(server.hostArguments + ["status", "--timeout", "0.5"])
            #expect(result.status == 6, "\(result)")
            #expect(result.stderr.hasPrefix("error: "))
            #expect(ContinuousClock.now - start < .seconds(4))
        }
    }

    @Test("a prediction that stalls longer than --timeout exits 6")
    func stalledPrediction() async throws {
        try await withMock(mockConfiguration { $0.behavior.fragmentIntervalsByPrompt["slow"] = .seconds(10) }) {
            server in
            let result = try await CLI.run(
                server.hostArguments + ["chat", "qwen2.5-0.5b-instruct", "slow", "--timeout", "0.5"])
            #expect(result.status == 6, "\(result)")
            #expect(result.stdout == "Hello!\n", "the part that arrived, then a newline")
        }
    }

    @Test("a connection lost during a reply exits 5 after what arrived")
    func connectionLost() async throws {
        try await withMock(mockConfiguration { $0.behavior.faults = [.dropConnection(afterFragments: 2)] }) { server in
            let result = try await CLI.run(server.hostArguments + ["chat", "qwen2.5-0.5b-instruct", "Hi"])
            #expect(result.status == 5, "\(result)")
            #expect(result.stdout == "Hello! I\n")
            #expect(result.stderr.hasPrefix("error: "))
        }
    }

    @Test("Ctrl-C during load cancels the load and exits 130")
    func interruptLoad() async throws {
        try await withMock(
            mockConfiguration {
                $0.behavior.loadProgressSteps = 50
                $0.behavior.loadStepInterval = .milliseconds(100)
            }
        ) { server in
            let process = try CLI.Process(
                server.hostArguments + ["load", "llama-3.2-1b-instruct"], stdin: nil, environment: [:])
            let deadline = ContinuousClock.now + .seconds(10)
            while server.received(endpoint: "loadModel").isEmpty, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            try await Task.sleep(for: .milliseconds(200))
            process.signal(SIGINT)
            let result = try await process.wait(timeout: .seconds(10))
            #expect(result.status == 130, "\(result)")
            #expect(result.stdout.isEmpty)
            #expect(!server.loadedIdentifiers.contains("llama-3.2-1b-instruct"))
        }
    }

    @Test("a reader that goes away ends the process by SIGPIPE, as for any Unix tool")
    func brokenPipe() async throws {
        try await withMock(mockConfiguration { $0.behavior.fragmentInterval = .milliseconds(100) }) { server in
            var fds: [Int32] = [0, 0]
            #expect(pipe(&fds) == 0)
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
            posix_spawn_file_actions_addclose(&actions, fds[0])
            posix_spawn_file_actions_addclose(&actions, fds[1])
            try CLI.requireBinary()
            let pid = try spawn(
                [CLI.binary] + server.hostArguments + ["chat", "qwen2.5-0.5b-instruct", "Hi"],
                environment: CLI.environment([:]), actions: &actions)
            close(fds[1])
            var byte: UInt8 = 0
            #expect(read(fds[0], &byte, 1) == 1)
            close(fds[0])
            let status = try await waitForExit(pid, timeout: .seconds(10))
            #expect(status == 128 + SIGPIPE)
        }
    }

    @Test("a server error's cause and suggestion follow the first error line")
    func serverErrorDetails() async throws {
        try await withMock(
            mockConfiguration {
                $0.behavior.faults = [
                    .error(
                        endpoint: "listDownloadedModels",
                        .init(title: "Disk on fire", cause: "The disk is hot.", suggestion: "Cool it."))
                ]
            }
        ) { server in
            let result = try await CLI.run(server.hostArguments + ["ls"])
            #expect(result.status == 1, "\(result)")
            #expect(result.stderr == "error: Disk on fire\n  cause: The disk is hot.\n  suggestion: Cool it.\n")
        }
    }

    @Test("Ctrl-C during chat cancels the prediction on the server and exits 130")
    func interruptChat() async throws {
        try await withMock(mockConfiguration { $0.behavior.fragmentInterval = .milliseconds(300) }) { server in
            let process = try CLI.Process(
                server.hostArguments + ["chat", "qwen2.5-0.5b-instruct", "Tell me a story"], stdin: nil,
                environment: [:])
            try await process.waitForOutput("Hello!")
            process.signal(SIGINT)
            let result = try await process.wait(timeout: .seconds(10))
            #expect(result.status == 130, "\(result)")
            #expect(!result.stdout.contains("mock LM Studio model."), "the reply was cut short")
            // The server may read the cancel packet just after the process has exited.
            var cancels: [JSONValue] = []
            let deadline = ContinuousClock.now + .seconds(5)
            while cancels.isEmpty, ContinuousClock.now < deadline {
                cancels = server.receivedMessages.compactMap(\.json).filter {
                    $0["type"] == "channelSend" && $0["message"]?["type"] == "cancel"
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(cancels.count == 1, "the CLI sent a cancel packet")
        }
    }
}

@Suite("lms-swift: the mock command")
struct CLIMockCommandTests {
    @Test("mock prints the port first, serves until SIGINT, and maps usage errors to 2")
    func mockCommand() async throws {
        let mock = try CLI.Process(["mock", "--port", "0"], stdin: nil, environment: [:])
        try await mock.waitForOutput("\n")
        let port = try #require(Int(mock.stdout.split(separator: "\n").first ?? ""))
        let status = try await CLI.run(["--host", "127.0.0.1:\(port)", "status", "--json"])
        #expect(status.status == 0, "\(status)")
        mock.signal(SIGINT)
        #expect(try await mock.wait(timeout: .seconds(10)).status == 0)

        let bad = try await CLI.run(["mock", "--port", "many"])
        #expect(bad.status == 2, "\(bad)")
        let badToken = try await CLI.run(["mock", "--require-token", "nope"])
        #expect(badToken.status == 2, "\(badToken)")
    }
}

@Suite("lms-swift: interactive chat in a terminal")
struct CLITerminalTests {
    @Test("chat without a prompt on a terminal answers two turns with history and exits on EOF")
    func interactiveChat() async throws {
        try await withMock(mockConfiguration { $0.behavior = .echo }) { server in
            let terminal = try TerminalDriver(
                server.hostArguments + ["chat", "qwen2.5-0.5b-instruct", "--system", "Be brief."])
            try await terminal.waitFor { $0.contains("> ") }
            terminal.type("first question\n")
            // The echo reply, on its own line after the typed line.
            try await terminal.waitFor { $0.components("first question").count >= 3 && $0.hasSuffix("> ") }
            terminal.type("second question\n")
            try await terminal.waitFor { $0.components("second question").count >= 3 && $0.hasSuffix("> ") }
            terminal.type("\u{4}")
            let status = try await terminal.wait()
            #expect(status == 0, "screen:\n\(terminal.screen)")

            let predictions = server.received(endpoint: "predict")
            #expect(predictions.count == 2)
            let history = predictions.last?["creationParameter"]?["history"]?["messages"]?.arrayValue ?? []
            #expect(
                history.map { $0["role"] } == ["system", "user", "assistant", "user"],
                "the second turn carries the first")
        }
    }
}

extension CLITerminalTests {
    @Test("interactive chat with --json prints one JSON line per turn")
    func interactiveJSON() async throws {
        try await withMock(mockConfiguration { $0.behavior = .echo }) { server in
            let terminal = try TerminalDriver(server.hostArguments + ["chat", "qwen2.5-0.5b-instruct", "--json"])
            try await terminal.waitFor { $0.contains("Ctrl-D") }
            terminal.type("one\n")
            try await terminal.waitFor { $0.contains(#""content":"one""#) }
            terminal.type("two\n")
            try await terminal.waitFor { $0.contains(#""content":"two""#) }
            terminal.type("\u{4}")
            #expect(try await terminal.wait() == 0, "screen:\n\(terminal.screen)")
            let documents = terminal.screen.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("{") }
            #expect(documents.count == 2, "screen:\n\(terminal.screen)")
            for line in documents {
                let json = try JSONValue(parsing: String(line))
                #expect(json["modelIdentifier"] == "qwen2.5-0.5b-instruct")
                #expect(json["stats"]?.objectValue != nil)
            }
        }
    }
}

extension String {
    /// The pieces of the string around `separator` (so `count - 1` occurrences).
    func components(_ separator: String) -> [Substring] {
        split(separator: separator, omittingEmptySubsequences: false)
    }
}
