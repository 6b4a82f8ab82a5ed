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
                    _ = fuzzInboundFrame(buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!, buffer.count)
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
