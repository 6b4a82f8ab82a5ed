import LMStudio

/// How much work each workload does. The same numbers are used by the Python side
/// (`scripts/bench/python_bench.py`), so the figures compare like with like.
struct Sizes: Sendable {
    /// Fresh clients per `connect` run; the run's figure is their median.
    var connects = 20
    /// Sequential `getModelInfo` calls per `rpc` run.
    var rpcCalls = 2_000
    /// Fragments of the one `stream` prediction.
    var streamFragments = 100_000
    /// Predictions streamed at once by `concurrent` (always 64: the figure's name says so).
    var concurrentStreams = 64
    /// Fragments of each concurrent prediction: 64 × 2,000 = 128,000 in total, about the same
    /// volume as `stream`, and long enough that opening a channel is a small part of each stream.
    var fragmentsPerConcurrentStream = 2_000

    /// The sizes multiplied by `factor` (each at least 1; the stream count stays 64).
    func scaled(by factor: Double) -> Sizes {
        func scale(_ value: Int) -> Int { max(1, Int((Double(value) * factor).rounded())) }
        var sizes = self
        sizes.connects = scale(connects)
        sizes.rpcCalls = scale(rpcCalls)
        sizes.streamFragments = scale(streamFragments)
        sizes.fragmentsPerConcurrentStream = scale(fragmentsPerConcurrentStream)
        return sizes
    }
}

/// A workload failed in a way that makes its figure meaningless.
struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
}

/// The four SDK workloads, each measured the way an application would use the SDK.
struct Workloads: Sendable {
    /// The model every workload uses; the mock serves it loaded.
    static let modelKey = "qwen2.5-0.5b-instruct"
    /// The prompt of every prediction.
    static let prompt = "Benchmark prompt"

    let host: String
    let sizes: Sizes

    /// `connect`: the median time for a fresh client to connect, authenticate and complete one
    /// RPC (`llm.listLoaded`), in milliseconds. Closing is not timed.
    func connect() async throws -> Double {
        var times: [Double] = []
        for _ in 0..<sizes.connects {
            let clock = ContinuousClock()
            let start = clock.now
            try await withClient { client in
                _ = try await client.llm.listLoaded()
                times.append(start.duration(to: clock.now).seconds * 1000)
            }
        }
        return Measure.median(times)
    }

    /// `rpc`: sequential `getModelInfo` calls per second on one loaded-model handle.
    func rpc() async throws -> Double {
        try await withClient { client in
            let model = try await client.llm.model(Self.modelKey)
            let calls = sizes.rpcCalls
            let elapsed = try await Measure.time {
                for _ in 0..<calls {
                    let info = try await model.info()
                    guard info.identifier == model.identifier else {
                        throw BenchmarkError(description: "getModelInfo returned \(info)")
                    }
                }
            }
            return Double(calls) / elapsed.seconds
        }
    }

    /// `stream`: fragments per second of one streamed prediction consumed with `for try await`.
    func stream() async throws -> Double {
        try await withClient { client in
            let model = try await client.llm.model(Self.modelKey)
            let fragments = sizes.streamFragments
            let elapsed = try await Measure.time {
                try await model.streamedPrediction(fragments: fragments)
            }
            return Double(fragments) / elapsed.seconds
        }
    }

    /// `concurrent`: total fragments per second of 64 predictions streamed at once on one client.
    func concurrent() async throws -> Double {
        try await withClient { client in
            let model = try await client.llm.model(Self.modelKey)
            let streams = sizes.concurrentStreams
            let each = sizes.fragmentsPerConcurrentStream
            let elapsed = try await Measure.time {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<streams {
                        group.addTask { try await model.streamedPrediction(fragments: each) }
                    }
                    try await group.waitForAll()
                }
            }
            return Double(streams * each) / elapsed.seconds
        }
    }

    /// A client for the duration of `body`, closed afterwards.
    private func withClient<T: Sendable>(_ body: (LMStudioClient) async throws -> T) async throws -> T {
        let client = try LMStudioClient(host: host)
        do {
            let result = try await body(client)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }
}
