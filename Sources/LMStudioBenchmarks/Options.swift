/// The command line of `lmstudio-bench`, parsed without any dependency.
struct Options: Sendable {
    enum Workload: String, Sendable, CaseIterable {
        case all, connect, rpc, stream, concurrent
        /// Not part of `all`: the server's own ceilings, measured without the SDK: a raw
        /// websocket client that only counts the frames of 64 streams, and a C libwebsockets
        /// client making the `rpc` workload's calls.
        case serverCeiling = "server-ceiling"
    }

    static let usage = """
        OVERVIEW: Benchmarks of the LM Studio Swift SDK (see docs/performance.md).

        USAGE: lmstudio-bench [--host <url>] [--workload <name>] [--runs <n>]

        OPTIONS:
          --host <url>        The server to measure (host:port or ws://…). Without it, a mock
                              server is started in this process in benchmark mode.
          --workload <name>   all (default), connect, rpc, stream, concurrent, or
                              server-ceiling (the server's own rates, measured without the SDK:
                              64 streams counted by a raw websocket client, and sequential
                              getModelInfo calls by a C libwebsockets client; not part of all).
          --runs <n>          Timed runs per workload, after one short warm-up; the figure
                              printed is their median (default 3).
          -h, --help          Show this help.

        Output, one figure a line:
          connect_auth_first_rpc_ms: X ms
          rpc_roundtrips_per_s: X calls/s
          stream_fragments_per_s: X fragments/s
          concurrent64_fragments_per_s: X fragments/s
          peak_rss_mb: X MiB
        server-ceiling prints instead:
          server_ceiling_concurrent64_fragments_per_s: X fragments/s
          server_ceiling_rpc_roundtrips_per_s: X calls/s
          peak_rss_mb: X MiB
        """

    var host: String?
    var workload = Workload.all
    var runs = 3
    /// Hidden: multiplies every workload size (for the smoke test), clamped to at least 1 item.
    var scale = 1.0
    var showHelp = false

    struct UsageError: Error {
        var message: String
    }

    init(arguments: some Sequence<String>) throws(UsageError) {
        var remaining = Array(arguments)[...]
        func value(_ option: String) throws(UsageError) -> String {
            guard let next = remaining.popFirst() else { throw UsageError(message: "\(option) needs a value") }
            return next
        }
        while let argument = remaining.popFirst() {
            switch argument {
            case "-h", "--help": showHelp = true
            case "--host": host = try value(argument)
            case "--workload":
                let name = try value(argument)
                guard let parsed = Workload(rawValue: name) else {
                    let names = Workload.allCases.map(\.rawValue).joined(separator: "|")
                    throw UsageError(message: "--workload must be one of \(names), got \"\(name)\"")
                }
                workload = parsed
            case "--runs":
                let text = try value(argument)
                guard let parsed = Int(text), parsed >= 1 else {
                    throw UsageError(message: "--runs needs a positive integer, got \"\(text)\"")
                }
                runs = parsed
            case "--scale":
                let text = try value(argument)
                guard let parsed = Double(text), parsed > 0, parsed <= 1 else {
                    throw UsageError(message: "--scale needs a number in (0, 1], got \"\(text)\"")
                }
                scale = parsed
            default: throw UsageError(message: "unknown option \(argument)")
            }
        }
    }
}
