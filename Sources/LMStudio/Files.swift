public import LMStudioProtocol

extension LMStudioClient {
    /// File uploads for chat attachments (the `files` namespace socket).
    public var files: FilesNamespace { FilesNamespace(core: core) }
}

/// Uploads files to attach to chat messages, over the `files` namespace socket (PROTOCOL.md §7.6).
///
/// The upload is scoped to this client's credentials, so use the returned part with the same
/// client.
///
/// ```swift
/// let photo = try await client.files.upload(name: "cat.png", contents: pngBytes)
/// let reply = try await model.respond(Chat([.user("What is in this picture?", files: [photo])]))
/// ```
public struct FilesNamespace: Sendable {
    let core: ClientCore

    /// Uploads a file and returns the chat part that refers to it. The corresponding LM Studio
    /// endpoint is `files.uploadFileBase64`.
    ///
    /// - Parameters:
    ///   - name: The display name (the file's base name, such as `"cat.png"`).
    ///   - contents: The file's bytes (sent base64-encoded in one message).
    /// - Throws: `invalidArgument` for an empty name, or the server's error.
    public func upload(name: String, contents: [UInt8]) async throws(LMStudioError) -> FilePartData {
        guard !name.isEmpty else { throw LMStudioError(.invalidArgument, "the file name is empty", endpoint: "uploadFileBase64") }
        let result = try await core.connection(.files).call(
            "uploadFileBase64", parameter: ["name": .string(name), "contentBase64": .string(Base64.encode(contents))]
        )
        guard let identifier = result?["identifier"]?.stringValue else {
            throw LMStudioError.unexpected("uploadFileBase64 without an identifier", endpoint: "uploadFileBase64")
        }
        return FilePartData(
            name: name, identifier: identifier, sizeBytes: result?["sizeBytes"]?.intValue ?? contents.count,
            fileType: result?["fileType"]?.stringValue ?? "unknown"
        )
    }
}

/// Standard, padded base64 (RFC 4648 §4), without Foundation.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 2 < bytes.count {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out.append(alphabet[Int(value >> 18 & 63)])
            out.append(alphabet[Int(value >> 12 & 63)])
            out.append(alphabet[Int(value >> 6 & 63)])
            out.append(alphabet[Int(value & 63)])
            index += 3
        }
        let rest = bytes.count - index
        if rest > 0 {
            let value = UInt32(bytes[index]) << 16 | (rest == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
            out.append(alphabet[Int(value >> 18 & 63)])
            out.append(alphabet[Int(value >> 12 & 63)])
            out.append(rest == 2 ? alphabet[Int(value >> 6 & 63)] : UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }
}

