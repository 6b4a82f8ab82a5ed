import LMStudio

/// libFuzzer entry point: one inbound websocket frame through the envelope decoder and router.
///
/// Invariants checked besides "no crash": the router owns no ids afterwards, and no log line
/// (built at the most verbose level) contains the client's passkey.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInboundFrame(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    InboundFrameRouter.route(UnsafeRawBufferPointer(start: data, count: size))
    let counts = InboundFrameRouter.inFlightCounts
    precondition(counts.calls == 0 && counts.channels == 0, "the router registered an id it does not own")
    return 0
}

#if !LIBFUZZER
import FuzzReplay

/// Without libFuzzer: replays the inputs named on the command line (see `FuzzReplay`).
@main
struct Replayer {
    static func main() {
        FuzzReplay.run(arguments: Array(CommandLine.arguments.dropFirst()), fuzzInboundFrame)
    }
}
#endif
