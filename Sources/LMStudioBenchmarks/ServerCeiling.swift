import CTransportBench
import Dispatch
import LMStudio
import LMStudioTransport

/// The server's own ceiling: a raw websocket client with no SDK in it authenticates, opens 64
/// `predict` channels at once and only counts the frames that come back (no JSON decoding, no
/// routing, no per-fragment allocation). Whatever it measures is the most any client could get
/// out of that server on this machine.
enum ServerCeiling {
    /// Total fragments per second over `streams` concurrent predictions of `fragmentsPerStream`.
    static func measure(host: String, streams: Int, fragmentsPerStream: Int) async throws -> Double {
        let address = try ServerAddress(parsing: host)
        // A plain loop that sleeps when idle: it reads the largest batches, where busy polling
        // would read frames as they trickle in.
        var settings = WebSocketClient.Configuration()
        settings.busyPollWindow = nil
        let transport = try await WebSocketClient.start(configuration: settings)
        do {
            let rate = try await run(
                transport: transport, url: address.websocketURL(namespace: .llm),
                streams: streams, fragmentsPerStream: fragmentsPerStream
            )
            await transport.shutdown()
            return rate
        } catch {
            await transport.shutdown()
            throw error
        }
    }

    /// Sequential `getModelInfo` calls per second made by a client written in C directly on
    /// libwebsockets (`ctb_rpc_run` in Modules/CTransportBench): the `rpc` workload's calls
    /// with no runtime, JSON decoding or thread hand-offs of a client's own, polling without
    /// ever sleeping.
    static func measureRPC(host: String, calls: Int) async throws -> Double {
        let address = try ServerAddress(parsing: host)
        guard address.scheme == .ws else {
            throw BenchmarkError(description: "the RPC ceiling client speaks plain ws:// only")
        }
        // The C client blocks its thread until it is done: not one of the concurrency pool's.
        let (status, rate) = await withCheckedContinuation { continuation in
            DispatchQueue(label: "lmstudio-bench.c-rpc-client").async {
                var rate = 0.0
                let status = ctb_rpc_run(address.host, Int32(address.port), Workloads.modelKey, Int32(calls), &rate)
                continuation.resume(returning: (status, rate))
            }
        }
        guard status == 0, rate > 0 else {
            throw BenchmarkError(description: "the C RPC client failed against \(host) (status \(status))")
        }
        return rate
    }

    private static let fragmentPrefix = Array(#"{"type":"channelSend","channelId":"#.utf8)

    private static func run(transport: WebSocketClient, url: String, streams: Int, fragmentsPerStream: Int) async throws
        -> Double
    {
        let connection = try await transport.connect(to: url)
        defer { connection.close() }
        var messages = connection.messages.makeAsyncIterator()
        try connection.send(
            text:
                #"{"authVersion":1,"clientIdentifier":"guest:lmstudio-bench-ceiling","clientPasskey":"lmstudio-bench"}"#
        )
        guard let reply = try await messages.next(), String(decoding: reply, as: UTF8.self).contains(#""success":true"#)
        else {
            throw BenchmarkError(description: "the server did not accept a guest")
        }
        let requests = (1...streams).map { id in
            #"{"type":"channelCreate","endpoint":"predict","channelId":\#(id),"creationParameter":{"#
                + #""modelSpecifier":{"type":"query","query":{"identifier":"\#(Workloads.modelKey)"}},"#
                + #""history":{"messages":[{"role":"user","content":"#
                + #"[{"type":"text","text":"\#(Workloads.prompt)"}]}]},"#
                + #""predictionConfigStack":{"layers":[{"layerName":"apiOverride","config":{"fields":["#
                + #"{"key":"llm.prediction.maxPredictedTokens","#
                + #""value":{"checked":true,"value":\#(fragmentsPerStream)}}]}}]}}}"#
        }
        var fragments = 0
        var closed = 0
        let elapsed = try await Measure.time {
            for request in requests { try connection.send(text: request) }
            while closed < streams, let frame = try await messages.next() {
                if frame.starts(with: fragmentPrefix) {
                    fragments += 1
                    continue
                }
                // A few frames per stream are not fragments (progress, success, close): only
                // these are parsed, to see the streams end and to catch errors.
                let packet = try JSONValue(parsing: String(decoding: frame, as: UTF8.self))
                switch packet["type"]?.stringValue {
                case "channelClose": closed += 1
                case "channelSend": break
                default:
                    throw BenchmarkError(
                        description: "unexpected frame: \(String(decoding: frame.prefix(300), as: UTF8.self))")
                }
            }
        }
        guard closed == streams, fragments == streams * fragmentsPerStream else {
            throw BenchmarkError(
                description:
                    "counted \(fragments) fragments on \(closed) streams; expected \(streams * fragmentsPerStream)")
        }
        return Double(fragments) / elapsed.seconds
    }
}
