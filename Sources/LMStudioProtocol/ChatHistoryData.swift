/// The role of a chat message on the wire (PROTOCOL.md §10.1).
///
/// Open, so roles added by newer servers still decode.
public struct ChatRole: OpenStringValue {
    /// The wire name.
    public var rawValue: String

    /// Creates a role from its wire name.
    ///
    /// - Parameter rawValue: The wire name, such as `"user"`.
    public init(rawValue: String) { self.rawValue = rawValue }





    /// A system prompt (text parts only).
    public static let system: ChatRole = "system"
    /// User input (text and file parts).
    public static let user: ChatRole = "user"
    /// A model response (text, file and tool-call-request parts).
    public static let assistant: ChatRole = "assistant"
    /// Tool results (tool-call-result parts only).
    public static let tool: ChatRole = "tool"
}

/// A chat history as the `predict` endpoint takes it: `{"messages":[…]}` (PROTOCOL.md §10.1).
///
/// Message content is always an array of parts on the wire, never a bare string.
///
/// ```swift
/// let history = ChatHistoryData(messages: [
///     .text(.system, "You are terse."),
///     .text(.user, "Hello"),
/// ])
/// let parameter: JSONValue = ["history": history.jsonValue]
/// ```
public struct ChatHistoryData: Sendable, Hashable, Codable {
    /// The messages, oldest first.
    public var messages: [ChatMessageData]

    /// Creates a history.
    ///
    /// - Parameter messages: The messages, oldest first.
    public init(messages: [ChatMessageData] = []) {
        self.messages = messages
    }

    /// The history as its JSON object.
    public var jsonValue: JSONValue {
        .object(["messages": .array(messages.map(\.jsonValue))])
    }

    /// Decodes a history from its JSON object.
    ///
    /// - Parameter jsonValue: The `{"messages":[…]}` object.
    /// - Throws: `DecodingError` naming the offending member.
    public init(jsonValue: JSONValue) throws {
        self = try JSONValueDecoder().decode(ChatHistoryData.self, from: jsonValue)
    }
}

/// One message of a ``ChatHistoryData``: a role and an array of parts.
public struct ChatMessageData: Sendable, Hashable, Codable {
    /// Who wrote the message.
    public var role: ChatRole
    /// The message's parts, in order.
    public var content: [ChatMessagePartData]

    /// Creates a message.
    ///
    /// - Parameters:
    ///   - role: Who wrote the message.
    ///   - content: The message's parts, in order.
    public init(role: ChatRole, content: [ChatMessagePartData]) {
        self.role = role
        self.content = content
    }

    /// A message with a single text part.
    ///
    /// - Parameters:
    ///   - role: Who wrote the message.
    ///   - text: The text.
    /// - Returns: The message.
    public static func text(_ role: ChatRole, _ text: String) -> ChatMessageData {
        ChatMessageData(role: role, content: [.text(text)])
    }

    /// The message as its JSON object.
    public var jsonValue: JSONValue {
        .object(["role": .string(role.rawValue), "content": .array(content.map(\.jsonValue))])
    }
}

/// One part of a chat message's content (PROTOCOL.md §10.1).
///
/// Parts of a `type` this SDK does not know are kept as ``unknown(_:)`` and written back
/// unchanged.
public enum ChatMessagePartData: Sendable, Hashable, Codable {
    /// `{"type":"text","text":…}`.
    case text(String)
    /// `{"type":"file",…}`: an attachment uploaded with `uploadFileBase64`.
    case file(FilePartData)
    /// `{"type":"toolCallRequest","toolCallRequest":{…}}`: a tool call the model asked for.
    case toolCallRequest(ToolCallRequestData)
    /// `{"type":"toolCallResult",…}`: the result of a tool call.
    case toolCallResult(ToolCallResultData)
    /// A part of an unknown `type`, verbatim.
    case unknown(JSONValue)

    /// The part as its JSON object.
    public var jsonValue: JSONValue {
        switch self {
        case .text(let text):
            return ["type": "text", "text": .string(text)]
        case .file(let file):
            return [
                "type": "file", "name": .string(file.name), "identifier": .string(file.identifier),
                "sizeBytes": .int(Int64(file.sizeBytes)), "fileType": .string(file.fileType),
            ]
        case .toolCallRequest(let request):
            return ["type": "toolCallRequest", "toolCallRequest": request.jsonValue]
        case .toolCallResult(let result):
            var members: [String: JSONValue] = ["type": "toolCallResult", "content": .string(result.content)]
            if let id = result.toolCallId { members["toolCallId"] = .string(id) }
            if let name = result.name { members["name"] = .string(name) }
            return .object(members)
        case .unknown(let raw):
            return raw
        }
    }

    /// Decodes a part from its JSON object.
    ///
    /// - Parameter jsonValue: The part object.
    /// - Throws: `DecodingError` when a known part lacks a required member.
    public init(jsonValue: JSONValue) throws {
        let decoder = JSONValueDecoder()
        switch jsonValue["type"]?.stringValue {
        case "text":
            guard let text = jsonValue["text"]?.stringValue else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: [], debugDescription: "A text part needs a string 'text'."))
            }
            self = .text(text)
        case "file":
            self = .file(try decoder.decode(FilePartData.self, from: jsonValue))
        case "toolCallRequest":
            guard let request = jsonValue["toolCallRequest"] else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: [], debugDescription: "A toolCallRequest part needs a 'toolCallRequest' object.")
                )
            }
            self = .toolCallRequest(try decoder.decode(ToolCallRequestData.self, from: request))
        case "toolCallResult":
            self = .toolCallResult(try decoder.decode(ToolCallResultData.self, from: jsonValue))
        default:
            self = .unknown(jsonValue)
        }
    }

    /// Decodes a part through any decoder.
    ///
    /// - Parameter decoder: The decoder.
    /// - Throws: `DecodingError` when a known part lacks a required member.
    public init(from decoder: any Decoder) throws {
        try self.init(jsonValue: JSONValue(from: decoder))
    }

    /// Encodes the part as its JSON object.
    ///
    /// - Parameter encoder: The encoder.
    /// - Throws: Errors from the encoder.
    public func encode(to encoder: any Encoder) throws {
        try jsonValue.encode(to: encoder)
    }
}

/// A file attachment part; copy every member from the `uploadFileBase64` reply.
public struct FilePartData: Sendable, Hashable, Codable {
    /// The file's base name.
    public var name: String
    /// The server-side identifier returned by the upload.
    public var identifier: String
    /// The size in bytes.
    public var sizeBytes: Int
    /// The file type the server detected, such as `"image"`.
    public var fileType: String

    /// Creates a file part.
    ///
    /// - Parameters:
    ///   - name: The file's base name.
    ///   - identifier: The server-side identifier.
    ///   - sizeBytes: The size in bytes.
    ///   - fileType: The detected file type.
    public init(name: String, identifier: String, sizeBytes: Int, fileType: String) {
        self.name = name
        self.identifier = identifier
        self.sizeBytes = sizeBytes
        self.fileType = fileType
    }
}

/// A tool call the model requested (PROTOCOL.md §10.2).
///
/// `{"type":"function","name":…,"id":…,"arguments":{…}}`. Absent `arguments` mean `{}`.
public struct ToolCallRequestData: Sendable, Hashable, Codable {
    /// The call type; `"function"` for every known server.
    public var type: String
    /// The tool's name.
    public var name: String
    /// The call id, echoed back as ``ToolCallResultData/toolCallId``.
    public var id: String?
    /// The arguments by parameter name, or `nil` when absent.
    public var arguments: [String: JSONValue]?

    /// Creates a request.
    ///
    /// - Parameters:
    ///   - name: The tool's name.
    ///   - id: The call id.
    ///   - arguments: The arguments by parameter name.
    ///   - type: The call type.
    public init(name: String, id: String? = nil, arguments: [String: JSONValue]? = nil, type: String = "function") {
        self.type = type
        self.name = name
        self.id = id
        self.arguments = arguments
    }

    /// Decodes a request; `type` defaults to `"function"` when absent.
    ///
    /// - Parameter decoder: The decoder.
    /// - Throws: `DecodingError` when `name` is missing or a member has the wrong type.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decodeIfPresent(String.self, forKey: .type) ?? "function"
        name = try container.decode(String.self, forKey: .name)
        id = try container.decodeIfPresent(String.self, forKey: .id)
        arguments = try container.decodeIfPresent([String: JSONValue].self, forKey: .arguments)
    }

    /// The request as its JSON object.
    public var jsonValue: JSONValue {
        var members: [String: JSONValue] = ["type": .string(type), "name": .string(name)]
        if let id { members["id"] = .string(id) }
        if let arguments { members["arguments"] = .object(arguments) }
        return .object(members)
    }
}

/// The result of a tool call, sent back in a `tool` message (PROTOCOL.md §10.1).
public struct ToolCallResultData: Sendable, Hashable, Codable {
    /// The result text (JSON-encoded return value, or an error text).
    public var content: String
    /// The ``ToolCallRequestData/id`` this answers.
    public var toolCallId: String?
    /// The tool's name (newer servers only).
    public var name: String?

    /// Creates a result.
    ///
    /// - Parameters:
    ///   - content: The result text.
    ///   - toolCallId: The id of the request this answers.
    ///   - name: The tool's name.
    public init(content: String, toolCallId: String? = nil, name: String? = nil) {
        self.content = content
        self.toolCallId = toolCallId
        self.name = name
    }
}
