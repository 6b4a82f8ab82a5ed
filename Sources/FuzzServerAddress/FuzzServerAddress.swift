import LMStudioProtocol
import LMStudioTransport

/// libFuzzer entry point: the user-facing host parser (`ServerAddress(parsing:)`) and the
/// transport's URL parser.
///
/// Invariants besides "no crash": an accepted address has a port in 1…65535, a non-empty host
/// and no user info; its websocket URLs parse again in the transport with the same host, port
/// and TLS choice (no downgrade from `wss`); re-parsing the address's own URL form gives the
/// same address.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzServerAddress(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? TransportURL(text)
    guard let address = try? ServerAddress(parsing: text) else { return 0 }
    precondition((1...65535).contains(address.port), "port out of range")
    precondition(!address.host.isEmpty, "empty host")
    precondition(!address.host.contains("@"), "user info in the host")
    for namespace in Namespace.allCases {
        let url = address.websocketURL(namespace: namespace)
        guard let parsed = try? TransportURL(url) else {
            preconditionFailure("the transport rejects the address's own URL")
        }
        precondition(parsed.secure == (address.scheme == .wss), "the TLS choice changed")
        precondition(parsed.port == address.port, "the port changed")
        precondition(parsed.host.lowercased() == address.host.lowercased(), "the host changed")
    }
    let host = address.host.contains(":") ? "[\(address.host)]" : address.host
    let again = try? ServerAddress(parsing: "\(address.scheme.rawValue)://\(host):\(address.port)\(address.pathPrefix)")
    precondition(again == address, "the address does not survive a round trip")
    return 0
}

#if !LIBFUZZER
import FuzzReplay

/// Without libFuzzer: replays the inputs named on the command line (see `FuzzReplay`).
@main
struct Replayer {
    static func main() {
        FuzzReplay.run(arguments: Array(CommandLine.arguments.dropFirst()), fuzzServerAddress)
    }
}
#endif
