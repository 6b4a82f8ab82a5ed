import Testing

@testable import LMStudioMockServer

@Suite("Standalone runner options")
struct MockServerRunnerTests {
    @Test func parsesEveryOption() throws {
        let options = try MockServerRunner.Options(arguments: [
            "--host", "127.0.0.2", "--port", "0", "--api-token", "sk-lm-abcDEF78:abcDEF7890abcDEF7890",
            "--reply", "Hi there", "--fragments", "100000", "--fragment-interval-ms", "5",
            "--prompt-interval-ms", "slow = prompt=50", "--busy-poll-us", "200", "--record", "/tmp/record.jsonl",
        ])
        #expect(options.configuration.host == "127.0.0.2")
        #expect(options.configuration.port == 0)
        #expect(options.configuration.apiToken == "sk-lm-abcDEF78:abcDEF7890abcDEF7890")
        #expect(options.configuration.behavior.defaultReply == "Hi there")
        #expect(options.configuration.behavior.fragmentCount == 100_000)
        #expect(options.configuration.behavior.fragmentInterval == .milliseconds(5))
        #expect(options.configuration.behavior.fragmentIntervalsByPrompt == ["slow = prompt": .milliseconds(50)])
        #expect(options.configuration.busyPollWindow == .microseconds(200))
        #expect(options.recordPath == "/tmp/record.jsonl")
        #expect(!options.showHelp)
        #expect(try MockServerRunner.Options(arguments: ["--busy-poll-us", "0"]).configuration.busyPollWindow == nil)
    }

    @Test(arguments: [
        ["--port"], ["--port", "-1"], ["--fragments", "many"], ["--api-token", "sk-lm-short:key"], ["--what"],
        ["--prompt-interval-ms", "no-equals"], ["--busy-poll-us", "-5"], ["--busy-poll-us"],
    ])
    func rejectsBadUsage(arguments: [String]) {
        #expect(throws: MockServerRunner.UsageError.self) { try MockServerRunner.Options(arguments: arguments) }
    }

    @Test func usageErrorsExitWith64() async {
        #expect(await MockServerRunner.run(arguments: ["--bogus"]) == 64)
    }

    @Test(arguments: [
        ("sk-lm-abcDEF78:abcDEF7890abcDEF7890", true), (" sk-lm-abcDEF78:abcDEF7890abcDEF7890\n", true),
        ("missing-token-prefix", false), ("sk-lm-missing-id-and-key-separator", false),
        ("sk-lm-invalid_id:invalid_key", false), ("sk-lm-idtoolong:abcDEF7890abcDEF7890", false),
        ("sk-lm-abcDEF78:keytooshort", false),
    ])
    func apiTokenFormat(token: String, valid: Bool) {
        #expect((MockAPIToken(token) != nil) == valid)
    }
}
