import LMStudioTestSupport
import LMStudio
import LMStudioMockServer
import Testing

// The code between `// snippet:` and `// end snippet` markers below appears verbatim in
// README.md (the test checks it), so the documented tool-use example compiles and runs
// against the mock server.

// snippet: tools-arguments
struct AddArguments: Decodable {
    var a: Int
    var b: Int
}
// end snippet

struct LookupUnavailable: Error {}

/// The snippets of a Swift file: name → the lines between the markers, indentation removed.
func snippets(inFile path: String) -> [String: String] {
    guard let text = readTextFile(path) else { return [:] }
    var result: [String: String] = [:]
    var current: (name: String, lines: [Substring], indent: Int)?
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        let trimmed = line.drop { $0 == " " }
        if trimmed.hasPrefix("// snippet: ") {
            current = (String(trimmed.dropFirst("// snippet: ".count)), [], line.count - trimmed.count)
        } else if trimmed.hasPrefix("// end snippet"), let open = current {
            result[open.name] = open.lines.map { String($0.dropFirst(min(open.indent, $0.prefix { $0 == " " }.count))) }
                .joined(separator: "\n")
            current = nil
        } else {
            current?.lines.append(line)
        }
    }
    return result
}

@Suite("Tool use: documentation")
struct ActDocTests {
    @Test func theToolUseExampleRuns() async throws {
        var configuration = MockServer.Configuration()
        configuration.models.append(MockServer.Model(kind: .llm, modelKey: "qwen2.5-7b-instruct", isLoaded: true))
        configuration.behavior.toolCallArguments["add"] = ["a": 2, "b": 3]
        try await MockServer.withServer(configuration: configuration) { server in
            let host = server.address
            // snippet: tools-act
            let client = try LMStudioClient(host: host)
            let model = try await client.llm.model("qwen2.5-7b-instruct")

            let add = try Tool(name: "add", description: "Add two integers.", arguments: AddArguments.self) { arguments in
                arguments.a + arguments.b
            }
            let result = try await model.act(
                "What is 2 + 3?", tools: [add],
                configuration: ActConfiguration(maxPredictionRounds: 5),
                callbacks: ActCallbacks(
                    onFragment: { fragment, _ in print(fragment.content, terminator: "") },
                    onToolCallResult: { request, result, _ in print("[\(request.name) → \(result.content)]") }
                )
            )
            print("\n\(result.rounds.count) rounds in \(result.totalTime)")
            await client.close()
            // end snippet
            #expect(result.content == "The tool returned 5.")
            #expect(result.rounds.count == 2)
        }
    }

    @Test func failurePolicyAndParallelism() async throws {
        try await withMockClient { server, client in
            server.updateBehavior { $0.toolCallNames = ["lookup", "lookup"] }
            let model = try await client.llm.model(chatModel)
            let lookup = Tool(name: "lookup", description: "Looks something up.") { _ in throw LookupUnavailable() }
            // snippet: tools-policy
            let configuration = ActConfiguration(
                maxParallelToolCalls: 4,  // run up to four tool calls of a round at once
                handleToolFailure: { failure in
                    switch failure.kind {
                    case .toolThrew: return #"{"error":"the lookup service is down"}"#  // tell the model
                    default: throw failure  // end act with LMStudioError code .toolFailure
                    }
                }
            )
            let result = try await model.act("Look up the weather", tools: [lookup], configuration: configuration)
            // end snippet
            let tool = try #require(result.chat.messages.first { $0.role == .tool })
            #expect(tool.content.count == 2)
            #expect(result.content.contains("the lookup service is down"))
        }
    }

    @Test func theDocumentationShowsTheTestedCode() throws {
        let tests = String(#filePath.dropLast("ActDocTests.swift".count))
        let found = snippets(inFile: tests + "ActDocTests.swift").merging(snippets(inFile: tests + "ActTests.swift")) { a, _ in a }
        let document = try #require(readTextFile(tests + "../../README.md"))
        #expect(found.count >= 4)
        for (name, code) in found {
            #expect(document.contains(code), "README.md does not show snippet \(name):\n\(code)")
        }
    }
}
