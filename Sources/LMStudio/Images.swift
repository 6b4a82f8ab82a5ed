public import LMStudioProtocol
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension FilesNamespace {
    /// Uploads an image file from disk and returns the part to attach to a user message
    /// (``ChatMessage/user(_:files:)``). The corresponding LM Studio endpoint is
    /// `files.uploadFileBase64`; the display name is the file's base name.
    ///
    /// ```swift
    /// let photo = try await client.files.prepareImage(path: "/tmp/cat.png")
    /// let reply = try await model.respond(Chat([.user("What is in this picture?", files: [photo])]))
    /// ```
    ///
    /// - Parameter path: The image's path.
    /// - Throws: `invalidArgument` when the file cannot be read, or the server's error.
    public func prepareImage(path: String) async throws(LMStudioError) -> FilePartData {
        try await prepareFile(path: path)
    }

    /// Uploads image bytes and returns the part to attach to a user message. The corresponding
    /// LM Studio endpoint is `files.uploadFileBase64`.
    ///
    /// - Parameters:
    ///   - name: The display name, such as `"cat.png"` (the server detects the type from the
    ///     name and the contents).
    ///   - bytes: The image's bytes.
    public func prepareImage(name: String, bytes: [UInt8]) async throws(LMStudioError) -> FilePartData {
        try await upload(name: name, contents: bytes)
    }

    /// Uploads a file (an image, a text file, a PDF, …) from disk and returns the part to
    /// attach to a user message. The corresponding LM Studio endpoint is
    /// `files.uploadFileBase64`; the display name is the file's base name.
    ///
    /// - Parameter path: The file's path.
    /// - Throws: `invalidArgument` when the file cannot be read, or the server's error.
    public func prepareFile(path: String) async throws(LMStudioError) -> FilePartData {
        let bytes = try Self.readFile(path)
        let name = path.split(separator: "/", omittingEmptySubsequences: true).last.map(String.init) ?? path
        return try await upload(name: name, contents: bytes)
    }

    /// Uploads file bytes and returns the part to attach to a user message. The corresponding
    /// LM Studio endpoint is `files.uploadFileBase64`.
    ///
    /// ```swift
    /// let notes = try await client.files.prepareFile(name: "notes.txt", bytes: Array("Buy milk".utf8))
    /// ```
    ///
    /// - Parameters:
    ///   - name: The display name, such as `"notes.txt"`.
    ///   - bytes: The file's bytes.
    public func prepareFile(name: String, bytes: [UInt8]) async throws(LMStudioError) -> FilePartData {
        try await upload(name: name, contents: bytes)
    }

    /// Reads a whole file, without Foundation.
    static func readFile(_ path: String) throws(LMStudioError) -> [UInt8] {
        guard let file = fopen(path, "rb") else {
            throw LMStudioError(.invalidArgument, "cannot read \(path) (errno \(errno))", endpoint: "uploadFileBase64")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if count > 0 { bytes.append(contentsOf: buffer[0..<count]) }
            if count < buffer.count {
                if ferror(file) != 0 {
                    throw LMStudioError(.invalidArgument, "cannot read \(path)", endpoint: "uploadFileBase64")
                }
                break
            }
        }
        return bytes
    }
}
