import Dispatch
import LMStudioMockServer
import Synchronization

/// Runs the selected workloads and prints their figures.
enum Runner {
    /// One figure: its name, unit, decimals, and how to measure one run of it.
    struct Figure: Sendable {
        var workload: Options.Workload
        var name: String
        var unit: String
        var decimals: Int
        var measure: @Sendable (Workloads) async throws -> Double
    }

    // The line formats are read by scripts/bench-compare.sh and other programs: keep them exact.
    static let figures: [Figure] = [
        Figure(workload: .connect, name: "connect_auth_first_rpc_ms", unit: "ms", decimals: 2) {
            try await $0.connect()
        },
        Figure(workload: .rpc, name: "rpc_roundtrips_per_s", unit: "calls/s", decimals: 0) { try await $0.rpc() },
        Figure(workload: .stream, name: "stream_fragments_per_s", unit: "fragments/s", decimals: 0) {
            try await $0.stream()
        },
        Figure(workload: .concurrent, name: "concurrent64_fragments_per_s", unit: "fragments/s", decimals: 0) {
            try await $0.concurrent()
        },
        Figure(
            workload: .serverCeiling, name: "server_ceiling_concurrent64_fragments_per_s", unit: "fragments/s",
            decimals: 0
        ) {
            workloads in
            try await ServerCeiling.measure(
                host: workloads.host, streams: workloads.sizes.concurrentStreams,
                fragmentsPerStream: workloads.sizes.fragmentsPerConcurrentStream
            )
        },
        Figure(workload: .serverCeiling, name: "server_ceiling_rpc_roundtrips_per_s", unit: "calls/s", decimals: 0) {
            workloads in
            try await ServerCeiling.measureRPC(host: workloads.host, calls: workloads.sizes.rpcCalls)
        },
    ]

    /// Runs the benchmarks and returns the process exit status.
    static func run(_ options: Options) async -> Int32 {
        do {
            try await runBenchmarks(options)
            return 0
        } catch {
            Measure.warn("Error: \(error)")
            return 1
        }
    }

    private static func runBenchmarks(_ options: Options) async throws {
        let sizes = Sizes().scaled(by: options.scale)
        var server: MockServer?
        let host: String
        if let given = options.host {
            host = given
        } else {
            // Benchmark mode: every prediction streams as fast as it can, up to the fragments
            // the client asks for (maxTokens); no record of the messages; the network thread
            // polls briefly after activity instead of sleeping.
            var configuration = MockServer.Configuration()
            configuration.behavior = .stream(fragments: max(sizes.streamFragments, sizes.fragmentsPerConcurrentStream))
            configuration.recordsMessages = false
            configuration.busyPollWindow = .microseconds(200)
            let started = try await MockServer.start(configuration: configuration)
            server = started
            host = started.address
        }
        do {
            // A short warm-up (a tenth of the work) before the timed runs of each workload.
            let warmUp = Workloads(host: host, sizes: sizes.scaled(by: 0.1))
            let timed = Workloads(host: host, sizes: sizes)
            for figure in figures
            where options.workload == figure.workload || (options.workload == .all && figure.workload != .serverCeiling)
            {
                _ = try await figure.measure(warmUp)
                var values: [Double] = []
                for _ in 0..<options.runs { values.append(try await figure.measure(timed)) }
                Measure.emit(
                    "\(figure.name): \(Measure.fixed(Measure.median(values), decimals: figure.decimals)) \(figure.unit)"
                )
            }
            if let peak = Measure.peakResidentMiB() {
                Measure.emit("peak_rss_mb: \(Measure.fixed(peak, decimals: 1)) MiB")
            }
        } catch {
            await server?.shutdown()
            throw error
        }
        await server?.shutdown()
    }

    /// Runs `body` on the concurrency pool and blocks the calling thread until it is done.
    ///
    /// `main.swift` uses this instead of top-level `await`: async top-level code parks the main
    /// thread in `dispatch_main`, which valgrind (3.19) cannot run, and the benchmarks are meant
    /// to be profiled with callgrind.
    static func blockingRun(_ body: @escaping @Sendable () async -> Int32) -> Int32 {
        let status = Status()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            status.value.store(await body(), ordering: .relaxed)
            done.signal()
        }
        done.wait()
        return status.value.load(ordering: .relaxed)
    }

    private final class Status: Sendable {
        let value = Atomic<Int32>(0)
    }
}
