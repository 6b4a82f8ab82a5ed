import LMStudio

/// What every workload does with a model, written exactly as an application would with the
/// SDK's public API (`client.llm.model(_:)`, `LLM.info()`, `LLM.respondStream(_:configuration:)`).
extension LLM {
    /// Streams one prediction of exactly `fragments` fragments (`maxTokens`), consuming each
    /// fragment as it arrives with `for try await`, then takes the result; throws if the server
    /// sent another number.
    func streamedPrediction(fragments: Int) async throws {
        let stream = respondStream(Workloads.prompt, configuration: PredictionConfiguration(maxTokens: fragments))
        var received = 0
        var characters = 0
        for try await fragment in stream {
            received += 1
            characters += fragment.content.utf8.count
        }
        let result = try await stream.result()
        guard received == fragments, characters > 0, result.content.utf8.count == characters else {
            throw BenchmarkError(
                description:
                    "asked for \(fragments) fragments, got \(received) (stop reason \(result.stats.stopReason)); "
                    + "run the mock in benchmark mode with at least that many (lms-swift mock --fragments N)"
            )
        }
    }
}
