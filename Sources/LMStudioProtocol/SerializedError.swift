/// A structured error reported by the LM Studio server.
///
/// Carried by `rpcError`, `channelError`, `signalError` and `writableSignalError` envelopes
/// (see ``ServerMessage``) and inside some channel packets. Decoding is deliberately forgiving,
/// as upstream's is: every member is checked on its own, a member of the wrong type counts as
/// absent, a bare string becomes the ``title``, and the server's `stack` is dropped.
///
/// ```swift
/// if case .rpcError(_, let error) = message {
///     switch error.kind {
///     case .modelNotFound: print("load the model first")
///     case .presetNotFound: print("unknown preset")
///     case .other(let code): print(error.formattedDescription(endpoint: "countTokens"), code ?? "")
///     }
/// }
/// ```
public struct SerializedError: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The short headline. `"Unknown error"` when the server sent none.
    public var title: String
    /// An explanation of the cause, if the server gave one.
    public var cause: String?
    /// A suggested remedy, if the server gave one.
    public var suggestion: String?
    /// Free-form machine-readable data (an object), if any.
    public var errorData: JSONValue?
    /// A structured description whose `code` member identifies the situation (see ``displayCode``).
    public var displayData: JSONValue?
    /// The headline of the root error; the server usually sets it equal to ``title``.
    public var rootTitle: String?

    /// The title used when the server sent none (or one that is not a string).
    public static let unknownTitle = "Unknown error"

    /// Creates an error from its parts.
    ///
    /// - Parameters:
    ///   - title: The short headline.
    ///   - cause: An explanation of the cause.
    ///   - suggestion: A suggested remedy.
    ///   - errorData: Free-form machine-readable data.
    ///   - displayData: Structured display data with a `code` member.
    ///   - rootTitle: The headline of the root error.
    public init(
        title: String,
        cause: String? = nil,
        suggestion: String? = nil,
        errorData: JSONValue? = nil,
        displayData: JSONValue? = nil,
        rootTitle: String? = nil
    ) {
        self.title = title
        self.cause = cause
        self.suggestion = suggestion
        self.errorData = errorData
        self.displayData = displayData
        self.rootTitle = rootTitle
    }

    /// Decodes an error leniently from whatever the server put in the `error` member.
    ///
    /// This never fails. An object contributes each member that has the right type; a string
    /// becomes the ``title``; any other value produces ``unknownTitle`` with the value's JSON
    /// text as the ``cause``.
    ///
    /// - Parameter value: The JSON value of the `error` member.
    public init(_ value: JSONValue) {
        switch value {
        case .object(let members):
            func object(_ member: JSONValue?) -> JSONValue? {
                if let member, case .object = member { return member }
                return nil
            }
            self.init(
                title: members["title"]?.stringValue ?? Self.unknownTitle,
                cause: members["cause"]?.stringValue,
                suggestion: members["suggestion"]?.stringValue,
                errorData: object(members["errorData"]),
                displayData: object(members["displayData"]),
                rootTitle: members["rootTitle"]?.stringValue
            )
        case .string(let text):
            self.init(title: text)
        default:
            self.init(title: Self.unknownTitle, cause: value.serialized(sortedKeys: true))
        }
    }

    /// The error as the JSON object the protocol uses (without a `stack`).
    public var jsonValue: JSONValue {
        var members: [String: JSONValue] = ["title": .string(title)]
        if let cause { members["cause"] = .string(cause) }
        if let suggestion { members["suggestion"] = .string(suggestion) }
        if let errorData { members["errorData"] = errorData }
        if let displayData { members["displayData"] = displayData }
        if let rootTitle { members["rootTitle"] = .string(rootTitle) }
        return .object(members)
    }

    /// Decodes leniently through any decoder; see ``init(_:)``.
    ///
    /// - Parameter decoder: The decoder to read a single JSON value from.
    /// - Throws: Only if the decoder cannot produce a JSON value at all.
    public init(from decoder: any Decoder) throws {
        self.init(try JSONValue(from: decoder))
    }

    /// Encodes the error as its JSON object (see ``jsonValue``).
    ///
    /// - Parameter encoder: The encoder to write to.
    /// - Throws: Errors from the encoder.
    public func encode(to encoder: any Encoder) throws {
        try jsonValue.encode(to: encoder)
    }

    /// The `code` member of ``displayData``, such as `"generic.noModelMatchingQuery"`.
    public var displayCode: String? {
        displayData?["code"]?.stringValue
    }

    /// The client-side classification of this error, from ``displayCode``.
    ///
    /// Mirrors the Python SDK's mapping: `generic.noModelMatchingQuery` and
    /// `generic.pathNotFound` mean the model was not found, `generic.presetNotFound` that the
    /// preset was not found; everything else is ``ServerErrorKind/other(_:)`` with the code.
    public var kind: ServerErrorKind {
        ServerErrorKind(displayCode: displayCode)
    }

    /// The header line: `rootTitle: title` when both exist and differ, else the title.
    public var headline: String {
        if let rootTitle, rootTitle != title { return "\(rootTitle): \(title)" }
        return title
    }

    /// The prefix the Python SDK puts in front of an error raised by `endpoint`.
    ///
    /// `loadModel` → `"Model load error"`, `getOrLoad` → `"Model get/load error"`,
    /// `downloadModel` → `"Model download error"`, `predict` → `"Chat response error"`,
    /// any other endpoint → `"RPC error"`, and no endpoint → `"Server error"`.
    ///
    /// - Parameter endpoint: The endpoint name, such as `"countTokens"`.
    /// - Returns: The message prefix.
    public static func messagePrefix(forEndpoint endpoint: String?) -> String {
        switch endpoint {
        case nil: return "Server error"
        case "loadModel": return "Model load error"
        case "getOrLoad": return "Model get/load error"
        case "downloadModel": return "Model download error"
        case "predict": return "Chat response error"
        default: return "RPC error"
        }
    }

    /// The multi-line message the Python SDK shows for this error, for the given endpoint.
    ///
    /// Equivalent to ``formattedDescription(prefix:)`` with
    /// ``messagePrefix(forEndpoint:)``. See that method for the layout.
    ///
    /// - Parameter endpoint: The endpoint that failed, or `nil` if unknown.
    /// - Returns: The formatted message.
    public func formattedDescription(endpoint: String?) -> String {
        formattedDescription(prefix: Self.messagePrefix(forEndpoint: endpoint))
    }

    /// The multi-line message the Python SDK shows for this error, after `prefix`.
    ///
    /// Without cause, suggestion, display data or error data the result is one line,
    /// `"<prefix>: <headline>"`. Otherwise it is `"<prefix>: "`, a blank line, the headline
    /// indented by two spaces, and then these sections in order, each after a blank line with a
    /// two-space heading and its content indented by four: "Additional information from
    /// server:" (display data as sorted, indented JSON), "Error details from server:" (error
    /// data, likewise), "Reported cause:" and "Suggested potential remedy:".
    ///
    /// ```
    /// RPC error:
    ///
    ///   Model not loaded
    ///
    ///   Reported cause:
    ///     It was unloaded
    /// ```
    ///
    /// - Parameter prefix: The operation prefix, such as `"RPC error"` or `"Authentication failed"`.
    /// - Returns: The formatted message. It never contains a stack trace.
    public func formattedDescription(prefix: String) -> String {
        var sections: [String] = []
        func section(_ heading: String, _ content: String) {
            let body = content.split(separator: "\n", omittingEmptySubsequences: false)
                .map { "    " + $0 }
                .joined(separator: "\n")
            sections.append("\n  \(heading)\n\(body)")
        }
        if let displayData { section("Additional information from server:", displayData.prettyPrinted()) }
        if let errorData { section("Error details from server:", errorData.prettyPrinted()) }
        if let cause { section("Reported cause:", cause) }
        if let suggestion { section("Suggested potential remedy:", suggestion) }
        if sections.isEmpty { return "\(prefix): \(headline)" }
        return "\(prefix): \n\n  \(headline)\n" + sections.joined(separator: "\n")
    }

    /// A single-line summary: the headline, then cause and suggestion when present.
    public var description: String {
        var text = headline
        if let cause { text += " (cause: \(cause))" }
        if let suggestion { text += " (suggestion: \(suggestion))" }
        return text
    }
}

/// How the client classifies a ``SerializedError``, from its `displayData.code`.
///
/// The grouping follows the Python SDK so both SDKs raise the same kinds of error.
public enum ServerErrorKind: Sendable, Hashable {
    /// `generic.noModelMatchingQuery` or `generic.pathNotFound`: no such (loaded or downloaded) model.
    case modelNotFound
    /// `generic.presetNotFound`: the fuzzy preset identifier matched no preset.
    case presetNotFound
    /// Any other code, or `nil` when the error had no display code.
    case other(String?)

    /// Classifies a display code.
    ///
    /// - Parameter displayCode: The `displayData.code` string, if any.
    public init(displayCode: String?) {
        switch displayCode {
        case "generic.noModelMatchingQuery", "generic.pathNotFound": self = .modelNotFound
        case "generic.presetNotFound": self = .presetNotFound
        default: self = .other(displayCode)
        }
    }
}
