import LMStudioTestSupport
import LMStudio
import LMStudioMockServer
import Testing

/// Smoke checks of the hot paths (the real numbers come from `lmstudio-bench` in release builds).
/// Sized to stay light under ThreadSanitizer, where other suites with tight deadlines run
/// alongside.
@Suite("Hot paths")
struct PerformanceSmokeTests {
    @Test func aLongStreamArrivesComplete() async throws {
        var configuration = MockServer.Configuration()
        configuration.behavior = .stream(fragments: 20_000)
        configuration.recordsMessages = false
        try await withMockClient(serverConfiguration: configuration) { _, client in
            let model = try await client.llm.model(chatModel)
            let start = ContinuousClock.now
            let stream = model.respondStream("Go")
            var count = 0
            var characters = 0
            for try await fragment in stream {
                count += 1
                characters += fragment.content.utf8.count
            }
            let result = try await stream.result()
            let elapsed = start.duration(to: .now)
            #expect(count == 20_000)
            #expect(result.content.utf8.count == characters)
            #expect(result.stats.predictedTokensCount == 20_000)
            print("20,000 fragments in \(elapsed)")
        }
    }

    @Test func sequentialModelInfoCalls() async throws {
        var configuration = MockServer.Configuration()
        configuration.recordsMessages = false
        try await withMockClient(serverConfiguration: configuration) { _, client in
            let model = try await client.llm.model(chatModel)
            let start = ContinuousClock.now
            for _ in 0..<500 { _ = try await model.info() }
            print("500 getModelInfo calls in \(start.duration(to: .now))")
        }
    }
}
