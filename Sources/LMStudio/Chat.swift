public import LMStudioProtocol

/// One message of a ``Chat``: a role and its parts (text, files, tool calls, tool results).
///
/// Sent inside `history` by `llm.predict` and `llm.applyPromptTemplate` (PROTOCOL.md §10.1).
/// `Codable` as the wire message `{"role":…,"content":[…parts]}`.
///
/// ```swift
/// let message = ChatMessage.user("What is in this picture?", files: [photo])
/// ```
public struct ChatMessage: Sendable, Hashable, Codable {
    /// A part of a message's content (the wire `ChatMessagePartData`).
    public typealias Part = ChatMessagePartData

    /// Who wrote the message.
    public var role: ChatRole
    /// The parts, in order.
    public var content: [Part]

    /// Creates a message from parts.
    ///
    /// - Parameters:
    ///   - role: Who wrote the message.
    ///   - content: The parts, in order.
    public init(role: ChatRole, content: [Part]) {
        self.role = role
        self.content = content
    }

    /// A system prompt.
    public static func system(_ text: String) -> ChatMessage { ChatMessage(role: .system, content: [.text(text)]) }

    /// A user message: the text first, then any attached files (uploaded with `files.uploadFileBase64`).
    public static func user(_ text: String, files: [FilePartData] = []) -> ChatMessage {
        ChatMessage(role: .user, content: [.text(text)] + files.map(Part.file))
    }

    /// A model response, optionally with the tool calls it requested.
    public static func assistant(_ text: String, toolCalls: [ToolCallRequestData] = []) -> ChatMessage {
        var parts: [Part] = text.isEmpty && !toolCalls.isEmpty ? [] : [.text(text)]
        parts += toolCalls.map(Part.toolCallRequest)
        return ChatMessage(role: .assistant, content: parts)
    }

    /// The model's response from a prediction result: its content and the tool calls it
    /// requested (what the next `llm.predict` round of a tool loop needs in the history).
    public static func assistant(_ result: PredictionResult) -> ChatMessage {
        .assistant(result.content, toolCalls: result.toolCallRequests)
    }

    /// A tool message carrying results of tool calls.
    public static func tool(_ results: [ToolCallResultData]) -> ChatMessage {
        ChatMessage(role: .tool, content: results.map(Part.toolCallResult))
    }

    /// The concatenated text parts.
    public var text: String {
        var result = ""
        for part in content { if case .text(let text) = part { result += text } }
        return result
    }

    /// The tool calls requested in this message.
    public var toolCallRequests: [ToolCallRequestData] {
        content.compactMap { if case .toolCallRequest(let request) = $0 { request } else { nil } }
    }

    var data: ChatMessageData { ChatMessageData(role: role, content: content) }

    /// Decodes the wire message.
    public init(from decoder: any Decoder) throws {
        let data = try ChatMessageData(from: decoder)
        self.init(role: data.role, content: data.content)
    }

    /// Encodes the wire message.
    public func encode(to encoder: any Encoder) throws {
        try data.encode(to: encoder)
    }
}

/// A conversation to send to `llm.predict` (the wire `ChatHistoryData`, PROTOCOL.md §10.1).
///
/// `Codable` to and from the wire `{"messages":[…]}`. A string literal is a one-message
/// user chat.
///
/// ```swift
/// var chat = Chat(system: "You are terse.")
/// chat.append(.user("Name a prime number."))
/// let result = try await model.respond(chat)
/// chat.append(.assistant(result.content))
/// ```
public struct Chat: Sendable, Hashable, Codable, ExpressibleByStringLiteral {
    /// The messages, oldest first.
    public var messages: [ChatMessage]

    /// Creates a chat, optionally starting with a system prompt.
    ///
    /// - Parameter system: The system prompt.
    public init(system: String? = nil) {
        messages = system.map { [.system($0)] } ?? []
    }

    /// Creates a chat from messages.
    ///
    /// - Parameter messages: The messages, oldest first.
    public init(_ messages: [ChatMessage]) {
        self.messages = messages
    }

    /// A chat with one user message.
    public init(stringLiteral value: String) {
        messages = [.user(value)]
    }

    /// Appends a message.
    public mutating func append(_ message: ChatMessage) {
        messages.append(message)
    }

    /// A copy with a message appended.
    public func appending(_ message: ChatMessage) -> Chat {
        var copy = self
        copy.messages.append(message)
        return copy
    }

    /// The wire history.
    public var historyData: ChatHistoryData { ChatHistoryData(messages: messages.map(\.data)) }

    /// Creates a chat from the wire history.
    public init(_ history: ChatHistoryData) {
        messages = history.messages.map { ChatMessage(role: $0.role, content: $0.content) }
    }

    var jsonValue: JSONValue { .object(["messages": .array(messages.map { $0.data.jsonValue })]) }

    /// Decodes the wire `{"messages":[…]}`.
    public init(from decoder: any Decoder) throws {
        self.init(try ChatHistoryData(from: decoder))
    }

    /// Encodes the wire `{"messages":[…]}`.
    public func encode(to encoder: any Encoder) throws {
        try historyData.encode(to: encoder)
    }
}
