import LMStudioProtocol

/// `dump` and reflection of a client reach its log; show how many secrets it scrubs, never them.
extension ClientLog: CustomReflectable {
    var customMirror: Mirror {
        Mirror(self, children: ["level": logger.level, "secrets": "<\(secrets.count) redacted>"], displayStyle: .struct)
    }
}

extension ClientLog {
    /// A server error with every registered secret replaced, in its texts and its data: a
    /// server may quote what the client sent, and the error reaches descriptions and logs.
    func redact(_ error: SerializedError) -> SerializedError {
        guard !secrets.isEmpty else { return error }
        var copy = error
        copy.title = redact(error.title)
        copy.cause = error.cause.map { redact($0) }
        copy.suggestion = error.suggestion.map { redact($0) }
        copy.rootTitle = error.rootTitle.map { redact($0) }
        copy.errorData = error.errorData.map { redact(json: $0) }
        copy.displayData = error.displayData.map { redact(json: $0) }
        return copy
    }

    /// A JSON value with every registered secret replaced in its strings and member names.
    func redact(json value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text):
            return .string(redact(text))
        case .array(let elements):
            return .array(elements.map { redact(json: $0) })
        case .object(let members):
            var result: [String: JSONValue] = [:]
            for (name, member) in members { result[redact(name)] = redact(json: member) }
            return .object(result)
        default:
            return value
        }
    }
}
