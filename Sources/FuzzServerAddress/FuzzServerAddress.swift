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
#if canImport(Glibc)
import Glibc
#endif

/// Without libFuzzer: replays the files named on the command line (crash reproducers, or a
/// corpus directory's files) through the same entry point, so a regression can be rerun with
/// a plain build.
@main
struct Replayer {
    static func main() {
        var count = 0
        for path in CommandLine.arguments.dropFirst() {
            for file in files(at: path) {
                let bytes = read(file)
                bytes.withUnsafeBufferPointer { buffer in
                    _ = fuzzServerAddress(buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!, buffer.count)
                }
                count += 1
            }
        }
        print("replayed \(count) inputs")
    }

    static func files(at path: String) -> [String] {
        guard let directory = opendir(path) else { return [path] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if !name.hasPrefix(".") { names.append(path + "/" + name) }
        }
        return names.sorted()
    }

    static func read(_ path: String) -> [UInt8] {
        guard let file = fopen(path, "rb") else { return [] }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return bytes
    }
}
#endif
