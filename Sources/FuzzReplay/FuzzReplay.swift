#if canImport(Glibc)
import Glibc
#endif

/// Without libFuzzer, each fuzz target's `main` replays the files named on its command line
/// (crash reproducers, or a corpus directory's files) through its entry point, so a regression
/// can be rerun with a plain build.
public enum FuzzReplay {
    /// Feeds every file under `arguments` (files or directories) to `entry`; prints the count.
    public static func run(arguments: [String], _ entry: (UnsafePointer<UInt8>, Int) -> CInt) {
        var count = 0
        for path in arguments {
            for file in files(at: path) {
                let bytes = read(file)
                bytes.withUnsafeBufferPointer { buffer in
                    _ = entry(buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!, buffer.count)
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
