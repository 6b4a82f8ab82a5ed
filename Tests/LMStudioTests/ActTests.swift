import LMStudioTestSupport
import LMStudio
import LMStudioMockServer
import LMStudioProtocol
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

struct Sum: Decodable, Sendable {
    var a: Int
    var b: Int
}

let addSchema: JSONValue = [
    "type": "object", "properties": ["a": ["type": "integer"], "b": ["type": "integer"]], "required": ["a", "b"],
]

/// The `creationParameter`s of the `predict` channels the server received, in order.
func predictRequests(_ server: MockServer) -> [JSONValue] {
    received(server, "predict").compactMap { $0["creationParameter"] }
}

/// Tracks how many tool calls run at once.
final class ConcurrencyProbe: Sendable {
    private let state = Mutex<(current: Int, maximum: Int, started: Int)>((0, 0, 0))

    func enter() { state.withLock { $0.current += 1; $0.started += 1; $0.maximum = max($0.maximum, $0.current) } }
    func leave() { state.withLock { $0.current -= 1 } }
    var maximum: Int { state.withLock { $0.maximum } }
    var started: Int { state.withLock { $0.started } }
}

/// Collects callback events for assertions.
final class EventLog: Sendable {
    private let lines = Mutex<[String]>([])

    @Sendable func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

@Suite("Tool use (act)")
struct ActTests {
    @Test func twoRoundsRunTheToolAndReturnTheFinalAnswer() async throws {
        try await withMockClient { server, client in
            server.updateBehavior { $0.toolCallArguments["add"] = ["a": 2, "b": 3] }
            let model = try await client.llm.model(chatModel)
            let calls = Mutex<[(Int, Int)]>([])
            let add = Tool(name: "add", description: "Add two integers.", arguments: Sum.self, parameters: addSchema) { sum in
                calls.withLock { $0.append((sum.a, sum.b)) }
                return sum.a + sum.b
            }
            let events = EventLog()
            let log = events.append
            let callbacks = ActCallbacks(
                onRoundStart: { log("start \($0)") }, onRoundEnd: { log("end \($0)") },
                onFragment: { _, round in log("fragment \(round)") },
                onToolCallEvent: { event, round in if case .ended = event { log("requested \(round)") } },
                onPredictionCompleted: { _, round in log("completed \(round)") },
                onToolCallStart: { request, _ in log("tool \(request.name)") },
                onToolCallResult: { _, result, _ in log("result \(result.content)") },
                onMessage: { log("message \($0.role)") }
            )
            let result = try await model.act("What is 2 + 3?", tools: [add], callbacks: callbacks)

            #expect(calls.withLock { $0.map { [$0.0, $0.1] } } == [[2, 3]])
            #expect(result.rounds.count == 2)
            #expect(result.rounds[0].stats.stopReason == .toolCalls)
            #expect(result.content == "The tool returned 5.")
            #expect(result.totalTime > .zero)
            #expect(result.chat.messages.map(\.role) == [.user, .assistant, .tool, .assistant])
            let logged = events.all
            #expect(logged.prefix(7) == ["start 0", "requested 0", "completed 0", "message assistant", "tool add", "result 5", "message tool"])
            #expect(logged.contains("fragment 1"))
            #expect(!logged.contains("fragment 0"))
            #expect(logged.last == "end 1")
            #expect(logged.filter { $0.hasPrefix("end") } == ["end 0", "end 1"])

            // The second round carries the request and the JSON-encoded result with its id.
            let requests = predictRequests(server)
            #expect(requests.count == 2)
            let id = try #require(result.rounds[0].toolCallRequests.first?.id)
            let history = try #require(requests[1]["history"]?["messages"]?.arrayValue)
            #expect(history.count == 3)
            #expect(
                history[1] == [
                    "role": "assistant",
                    "content": [
                        ["type": "text", "text": ""],
                        [
                            "type": "toolCallRequest",
                            "toolCallRequest": ["type": "function", "id": .string(id), "name": "add", "arguments": ["a": 2, "b": 3]],
                        ],
                    ],
                ]
            )
            #expect(history[2] == ["role": "tool", "content": [["type": "toolCallResult", "content": "5", "toolCallId": .string(id)]]])
            for request in requests {
                let fields = request["predictionConfigStack"]?["layers"]?.arrayValue?.first?["config"]?["fields"]?.arrayValue ?? []
                #expect(fields.contains { $0["key"] == "llm.prediction.tools" })
            }
        }
    }

    @Test func aRoundLimitOfOneSendsNoTools() async throws {
        try await withMockClient { server, client in
            let model = try await client.llm.model(chatModel)
            let called = Mutex(false)
            let add = Tool(name: "add", description: "Add two integers.", parameters: addSchema) { _ in
                called.withLock { $0 = true }
                return 0
            }
            let result = try await model.act("What is 2 + 3?", tools: [add], configuration: ActConfiguration(maxPredictionRounds: 1))
            #expect(result.rounds.count == 1)
            #expect(result.content == defaultReply)
            #expect(!called.withLock { $0 })
            let requests = predictRequests(server)
            #expect(requests.count == 1)
            #expect(requests[0]["predictionConfigStack"] == ["layers": [["layerName": "apiOverride", "config": ["fields": []]]]])

            // With two rounds, the first offers the tools and the second does not.
            server.clearReceivedMessages()
            let two = try await model.act("What is 2 + 3?", tools: [add], configuration: ActConfiguration(maxPredictionRounds: 2))
            #expect(two.rounds.count == 2)
            #expect(two.content == "The tool returned 0.")
            let offered = predictRequests(server).map { $0["predictionConfigStack"]?["layers"]?.arrayValue?.first?["config"]?["fields"]?.arrayValue?.count }
            #expect(offered == [1, 0])
            await #expect(throws: LMStudioError.self) {
                try await model.act("x", tools: [add], configuration: ActConfiguration(maxPredictionRounds: 0))
            }
            await #expect(throws: LMStudioError.self) { try await model.act("x", tools: [add, add]) }
        }
    }

    struct Boom: Error, CustomStringConvertible {
        var description: String { "boom" }
    }

    @Test func aThrowingToolIsReportedToTheModel() async throws {
        try await withMockClient { server, client in
            let model = try await client.llm.model(chatModel)
            let failing = Tool(name: "fail", description: "Always fails.") { _ in throw Boom() }
            let result = try await model.act("Try it", tools: [failing])
            let expected = #""Unhandled Swift error: boom""#
            #expect(result.content == "The tool returned \(expected).")
            let history = try #require(predictRequests(server).last?["history"]?["messages"]?.arrayValue)
            #expect(history.last?["content"]?.arrayValue?.first?["content"] == .string(expected))

            // A handler may rewrite the report, or end act.
            let rewritten = try await model.act(
                "Try it", tools: [failing],
                configuration: ActConfiguration(handleToolFailure: { failure in
                    #expect(failure.kind == .toolThrew)
                    #expect(failure.underlying is Boom)
                    return "{\"error\":\"unavailable\"}"
                })
            )
            #expect(rewritten.content == #"The tool returned {"error":"unavailable"}."#)
            do {
                _ = try await model.act(
                    "Try it", tools: [failing], configuration: ActConfiguration(handleToolFailure: { failure in throw failure })
                )
                Issue.record("act should have thrown")
            } catch let error as LMStudioError {
                #expect(error.code == .toolFailure)
            }
        }
    }

    @Test func unknownToolsAndUndecodableArgumentsAreReported() async throws {
        try await withMockClient { server, client in
            let model = try await client.llm.model(chatModel)
            let ran = Mutex(0)
            let add = Tool(name: "add", description: "Add two integers.", arguments: Sum.self, parameters: addSchema) { sum in
                ran.withLock { $0 += 1 }
                return sum.a + sum.b
            }
            server.updateBehavior { $0.toolCallNames = ["nonexistent"] }
            let unknown = try await model.act("What is 2 + 3?", tools: [add])
            #expect(unknown.content == "The tool returned Cannot find tool with name nonexistent..")
            #expect(unknown.rounds.count == 2)

            server.updateBehavior {
                $0.toolCallNames = nil
                $0.toolCallArguments["add"] = ["a": "two", "b": 3]
            }
            let kinds = Mutex<[ToolCallFailure.Kind]>([])
            let invalid = try await model.act(
                "What is 2 + 3?", tools: [add],
                configuration: ActConfiguration(handleToolFailure: { failure in
                    kinds.withLock { $0.append(failure.kind) }
                    return failure.message
                })
            )
            #expect(kinds.withLock { $0 } == [.invalidArguments])
            #expect(invalid.content.hasPrefix("The tool returned Failed to parse arguments for tool add:"))
            #expect(ran.withLock { $0 } == 0)
        }
    }

    @Test func anUnparsableToolCallEndsActUnlessTheHandlerGoesOn() async throws {
        try await withMockClient { server, client in
            server.updateBehavior { $0.failsToolCalls = true }
            let model = try await client.llm.model(chatModel)
            let add = Tool(name: "add", description: "Add two integers.", parameters: addSchema) { _ in 0 }
            do {
                _ = try await model.act("What is 2 + 3?", tools: [add])
                Issue.record("act should have thrown")
            } catch let error as LMStudioError {
                #expect(error.code == .toolFailure)
                #expect(error.serverError?.title == "Failed to parse tool call")
            }
            let kinds = Mutex<[ToolCallFailure.Kind]>([])
            let result = try await model.act(
                "What is 2 + 3?", tools: [add],
                configuration: ActConfiguration(maxPredictionRounds: 2, handleToolFailure: { failure in
                    kinds.withLock { $0.append(failure.kind) }
                    return ""
                })
            )
            #expect(kinds.withLock { $0 } == [.unparsableRequest])
            #expect(result.rounds.count == 2)
            #expect(result.content == defaultReply)
        }
    }

    @Test(arguments: [1, 2, 3])
    func parallelToolCallsRespectTheBound(bound: Int) async throws {
        try await withMockClient { server, client in
            server.updateBehavior { $0.toolCallNames = Array(repeating: "slow", count: 6) }
            let model = try await client.llm.model(chatModel)
            let probe = ConcurrencyProbe()
            let counter = Mutex(0)
            let slow = Tool(name: "slow", description: "Takes a while.") { _ in
                probe.enter()
                defer { probe.leave() }
                let number = counter.withLock { $0 += 1; return $0 }
                try await Task.sleep(for: .milliseconds(40 * (7 - number)))  // later calls finish first
                return .int(Int64(number))
            }
            let result = try await model.act(
                "Go", tools: [slow], configuration: ActConfiguration(maxParallelToolCalls: bound)
            )
            #expect(probe.started == 6)
            #expect(probe.maximum == bound)
            // One tool message, results in request order with their ids.
            let tool = try #require(result.chat.messages.first { $0.role == .tool })
            let ids = result.rounds[0].toolCallRequests.map(\.id)
            let answered: [String?] = tool.content.map { if case .toolCallResult(let r) = $0 { r.toolCallId } else { nil } }
            #expect(answered == ids)
            #expect(Set(ids).count == 6)
            if bound == 1 {
                #expect(tool.content.map { if case .toolCallResult(let r) = $0 { r.content } else { "" } } == ["1", "2", "3", "4", "5", "6"])
            }
        }
    }

    @Test func cancellationDuringAToolRoundStartsNothingMore() async throws {
        try await withMockClient { server, client in
            server.updateBehavior { $0.toolCallNames = ["block", "block"] }
            let model = try await client.llm.model(chatModel)
            let probe = ConcurrencyProbe()
            let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
            let block = Tool(name: "block", description: "Blocks.") { _ in
                probe.enter()
                defer { probe.leave() }
                startedContinuation.yield()
                try await Task.sleep(for: .seconds(30))
                return "done"
            }
            let task = Task { try await model.act("Go", tools: [block]) }
            var iterator = started.makeAsyncIterator()
            _ = await iterator.next()
            task.cancel()
            do {
                _ = try await task.value
                Issue.record("act should have thrown")
            } catch let error as LMStudioError {
                #expect(error.code == .cancelled)
            }
            try await Task.sleep(for: .milliseconds(100))
            #expect(probe.started == 1)
            #expect(predictRequests(server).count == 1)
        }
    }

    @Test func cancellationDuringAPredictionCancelsItOnTheServer() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior.fragmentIntervalsByPrompt["Go slowly"] = .milliseconds(200)
        try await withMockClient(serverConfiguration: configuration) { server, client in
            let model = try await client.llm.model(chatModel)
            let tool = Tool(name: "quick", description: "Returns at once.") { _ in "ok" }
            let (fragments, continuation) = AsyncStream.makeStream(of: Int.self)
            let task = Task {
                try await model.act("Go slowly", tools: [tool], callbacks: ActCallbacks(onFragment: { _, round in continuation.yield(round) }))
            }
            var iterator = fragments.makeAsyncIterator()
            #expect(await iterator.next() == 1)
            task.cancel()
            await #expect(throws: LMStudioError.self) { try await task.value }
            let cancels = server.receivedMessages.compactMap(\.json).filter { $0["type"] == "channelSend" && $0["message"] == ["type": "cancel"] }
            #expect(cancels.count == 1)
            #expect(predictRequests(server).count == 2)
        }
    }

    @Test func anAttachedImageReachesTheServerAsAFilePart() async throws {
        try await withMockClient { server, client in
            let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52]
            let path = "/tmp/lmstudio-act-test-\(getpid())-pixel.png"
            let file = try #require(fopen(path, "wb"))
            _ = png.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
            fclose(file)
            defer { unlink(path) }

            let model = try await client.llm.model(chatModel)
            // snippet: tools-images
            let image = try await client.files.prepareImage(path: path)
            let notes = try await client.files.prepareFile(name: "notes.txt", bytes: Array("Buy milk".utf8))
            let reply = try await model.respond(Chat([.user("Describe", files: [image, notes])]))
            // end snippet
            #expect(image.name == "lmstudio-act-test-\(getpid())-pixel.png")
            #expect(image.fileType == "image")
            #expect(image.sizeBytes == png.count)
            #expect(notes.fileType == "text/plain")
            #expect(reply.content == defaultReply)

            let uploads = received(server, "uploadFileBase64").compactMap { $0["parameter"]?["name"]?.stringValue }
            #expect(uploads == [image.name, "notes.txt"])
            let content = try #require(predictRequests(server).first?["history"]?["messages"]?.arrayValue?.first?["content"]?.arrayValue)
            #expect(content.count == 3)
            #expect(content[0] == ["type": "text", "text": "Describe"])
            #expect(
                content[1] == [
                    "type": "file", "name": .string(image.name), "identifier": .string(image.identifier),
                    "sizeBytes": .int(Int64(image.sizeBytes)), "fileType": "image",
                ]
            )
            #expect(content[2]["identifier"] == .string(notes.identifier))

            await #expect(throws: LMStudioError.self) { try await client.files.prepareImage(path: "/nonexistent/x.png") }
        }
    }
}

struct Forecast: Decodable, Sendable {
    struct Place: Decodable, Sendable {
        var city: String
        var country: String?
    }
    var place: Place
    var days: Int?
    var units: [String]
    var detailed: Bool
    var threshold: Double
}

enum Mood: String, Decodable {
    case happy, sad
}

struct WithEnum: Decodable {
    var mood: Mood
}

struct WithAnything: Decodable {
    var payload: JSONValue
}

@Suite("Tool use: schemas")
struct ToolSchemaTests {
    @Test func derivesTheSchemaPythonDerivesForSimpleStructs() throws {
        #expect(try ToolSchema.derive(Sum.self) == addSchema)
        #expect(ToolSchema.object(["a": .integer, "b": .integer]) == addSchema)
        let forecast = try ToolSchema.derive(Forecast.self)
        #expect(
            forecast == [
                "type": "object",
                "properties": [
                    "place": [
                        "type": "object", "properties": ["city": ["type": "string"], "country": ["type": "string"]],
                        "required": ["city"],
                    ],
                    "days": ["type": "integer"],
                    "units": ["type": "array", "items": ["type": "string"]],
                    "detailed": ["type": "boolean"],
                    "threshold": ["type": "number"],
                ],
                "required": ["place", "units", "detailed", "threshold"],
            ]
        )
        #expect(throws: ToolSchemaError.self) { try ToolSchema.derive(WithEnum.self) }
        #expect(try ToolSchema.derive(WithAnything.self) == ["type": "object", "properties": ["payload": [:]], "required": ["payload"]])
    }

    @Test func aDerivedToolDecodesItsArguments() async throws {
        let add = try Tool(name: "add", description: "Add two integers.", arguments: Sum.self) { $0.a + $0.b }
        #expect(add.definition["function"]?["parameters"] == addSchema)
        #expect(try await add.implementation(["a": 2, "b": 3]) == 5)
        await #expect(throws: ToolArgumentError.self) { try await add.implementation(["a": "two"]) }
    }
}
