/// An envelope message could not be decoded.
///
/// Decoding is lenient (unknown members are ignored and an unknown `type` decodes as
/// `.unknown`), so this error only reports frames that are not JSON, not JSON objects, or that
/// lack a member their `type` requires. Descriptions name the message type and member but never
/// include payload contents.
///
/// ```swift
/// do {
///     let message = try ServerMessage.decode(frame)
/// } catch {
///     print(error)   // "rpcResult message is missing the integer member 'callId'"
/// }
/// ```
public enum EnvelopeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The frame is not valid JSON.
    case invalidJSON(JSONParseError)
    /// The frame is valid JSON but not an object.
    case notAnObject
    /// A member required by the message type is absent.
    case missingMember(messageType: String, member: String, expected: String)
    /// A member required by the message type has the wrong JSON type.
    case invalidMember(messageType: String, member: String, expected: String)

    /// A one-line explanation naming the message type and member.
    public var description: String {
        switch self {
        case .invalidJSON(let error): return "Envelope is not valid JSON: \(error)"
        case .notAnObject: return "Envelope is not a JSON object"
        case .missingMember(let type, let member, let expected):
            return "\(type) message is missing the \(expected) member '\(member)'"
        case .invalidMember(let type, let member, let expected):
            return "\(type) message has a member '\(member)' that is not \(expected)"
        }
    }
}

// MARK: - Decoded fields

/// The members of an envelope object that any message type uses, collected without building a
/// dictionary. Unknown members are skipped.
struct EnvelopeFields {
    var isObject = true
    var type: String?
    var endpoint: JSONValue?
    var callId: JSONValue?
    var channelId: JSONValue?
    var subscribeId: JSONValue?
    var ackId: JSONValue?
    var parameter: JSONValue?
    var result: JSONValue?
    var creationParameter: JSONValue?
    var message: JSONValue?
    var error: JSONValue?
    var patches: JSONValue?
    var tags: JSONValue?
    var warning: JSONValue?
    var kind: JSONValue?

    init() {}

    init(_ value: JSONValue) {
        guard case .object(let members) = value else {
            isObject = false
            return
        }
        type = members["type"]?.stringValue
        endpoint = members["endpoint"]
        callId = members["callId"]
        channelId = members["channelId"]
        subscribeId = members["subscribeId"]
        ackId = members["ackId"]
        parameter = members["parameter"]
        result = members["result"]
        creationParameter = members["creationParameter"]
        message = members["message"]
        error = members["error"]
        patches = members["patches"]
        tags = members["tags"]
        warning = members["warning"]
        kind = members["kind"]
    }

    // MARK: Typed accessors shared by both directions

    static func id(_ value: JSONValue?, _ member: String, _ type: String) throws(EnvelopeError) -> Int {
        guard let value else { throw .missingMember(messageType: type, member: member, expected: "integer") }
        guard let int = value.intValue else {
            throw .invalidMember(messageType: type, member: member, expected: "an integer")
        }
        return int
    }

    static func optionalId(_ value: JSONValue?, _ member: String, _ type: String) throws(EnvelopeError) -> Int? {
        guard let value else { return nil }
        guard let int = value.intValue else {
            throw .invalidMember(messageType: type, member: member, expected: "an integer")
        }
        return int
    }

    static func string(_ value: JSONValue?, _ member: String, _ type: String) throws(EnvelopeError) -> String {
        guard let value else { throw .missingMember(messageType: type, member: member, expected: "string") }
        guard case .string(let string) = value else {
            throw .invalidMember(messageType: type, member: member, expected: "a string")
        }
        return string
    }

    static func required(_ value: JSONValue?, _ member: String, _ type: String) throws(EnvelopeError) -> JSONValue {
        guard let value else { throw .missingMember(messageType: type, member: member, expected: "JSON") }
        return value
    }

    static func patches(_ value: JSONValue?, _ type: String) throws(EnvelopeError) -> [JSONValue] {
        guard let value else { throw .missingMember(messageType: type, member: "patches", expected: "array") }
        guard case .array(let patches) = value else {
            throw .invalidMember(messageType: type, member: "patches", expected: "an array")
        }
        return patches
    }

    /// `tags` defaults to `[]` when absent; every element must be a string.
    static func tags(_ value: JSONValue?, _ type: String) throws(EnvelopeError) -> [String] {
        guard let value else { return [] }
        guard case .array(let elements) = value else {
            throw .invalidMember(messageType: type, member: "tags", expected: "an array of strings")
        }
        var tags: [String] = []
        tags.reserveCapacity(elements.count)
        for element in elements {
            guard case .string(let tag) = element else {
                throw .invalidMember(messageType: type, member: "tags", expected: "an array of strings")
            }
            tags.append(tag)
        }
        return tags
    }

    static func serializedError(_ value: JSONValue?, _ type: String) throws(EnvelopeError) -> SerializedError {
        guard let value else { throw .missingMember(messageType: type, member: "error", expected: "error object") }
        return SerializedError(value)
    }
}

// MARK: - Fast field extraction from bytes

extension JSONByteParser {
    /// Which envelope member a key names.
    enum EnvelopeKey {
        case type, endpoint, callId, channelId, subscribeId, ackId, parameter, result
        case creationParameter, message, error, patches, tags, warning, kind, other
    }

    static func envelopeKey(_ key: UnsafeBufferPointer<UInt8>) -> EnvelopeKey {
        @inline(__always)
        func equals(_ name: StaticString) -> Bool {
            guard key.count == name.utf8CodeUnitCount else { return false }
            return memcmpEqual(key.baseAddress.unsafelyUnwrapped, name.utf8Start, key.count)
        }
        switch key.count {
        case 4:
            if equals("type") { return .type }
            if equals("tags") { return .tags }
            if equals("kind") { return .kind }
        case 5:
            if equals("ackId") { return .ackId }
            if equals("error") { return .error }
        case 6:
            if equals("callId") { return .callId }
            if equals("result") { return .result }
        case 7:
            if equals("message") { return .message }
            if equals("patches") { return .patches }
            if equals("warning") { return .warning }
        case 8:
            if equals("endpoint") { return .endpoint }
        case 9:
            if equals("channelId") { return .channelId }
            if equals("parameter") { return .parameter }
        case 11:
            if equals("subscribeId") { return .subscribeId }
        case 17:
            if equals("creationParameter") { return .creationParameter }
        default:
            break
        }
        return .other
    }

    /// Parses a whole frame as an envelope object, keeping only the members envelopes use.
    ///
    /// This avoids building a dictionary for the envelope itself; payload members are parsed
    /// into ``JSONValue``s as usual.
    mutating func parseEnvelopeFields() throws(JSONParseError) -> EnvelopeFields {
        skipWhitespace()
        guard position < count else { throw fail(.unexpectedEndOfInput) }
        guard byte(at: position) == UInt8(ascii: "{") else {
            _ = try parseDocument()
            var fields = EnvelopeFields()
            fields.isObject = false
            return fields
        }
        var fields = EnvelopeFields()
        try enterContainer()
        position += 1
        skipWhitespace()
        if position < count && byte(at: position) == UInt8(ascii: "}") {
            position += 1
            depth -= 1
        } else {
            members: while true {
                skipWhitespace()
                guard position < count else { throw fail(.unexpectedEndOfInput) }
                guard byte(at: position) == UInt8(ascii: "\"") else { throw unexpected() }
                let quote = position
                let scan = try scanPlainString()
                let key: EnvelopeKey
                if scan.hasEscape {
                    position = quote
                    var name = try parseString()
                    key = name.withUTF8 { Self.envelopeKey($0) }
                } else {
                    key = Self.envelopeKey(
                        UnsafeBufferPointer(start: base.unsafelyUnwrapped + scan.start, count: scan.end - scan.start)
                    )
                }
                try expectColon()
                let value = try parseValue()
                switch key {
                case .type: fields.type = value.stringValue
                case .endpoint: fields.endpoint = value
                case .callId: fields.callId = value
                case .channelId: fields.channelId = value
                case .subscribeId: fields.subscribeId = value
                case .ackId: fields.ackId = value
                case .parameter: fields.parameter = value
                case .result: fields.result = value
                case .creationParameter: fields.creationParameter = value
                case .message: fields.message = value
                case .error: fields.error = value
                case .patches: fields.patches = value
                case .tags: fields.tags = value
                case .warning: fields.warning = value
                case .kind: fields.kind = value
                case .other: break
                }
                if try endOfContainer(closedBy: UInt8(ascii: "}")) { break members }
            }
        }
        skipWhitespace()
        if position != count { throw fail(.trailingData) }
        return fields
    }
}

@inline(__always)
func memcmpEqual(_ lhs: UnsafePointer<UInt8>, _ rhs: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    var index = 0
    while index < count {
        if lhs[index] != rhs[index] { return false }
        index += 1
    }
    return true
}

/// Parses `bytes` into envelope fields, or throws the envelope error for invalid JSON.
func decodeEnvelopeFields(_ bytes: UnsafeRawBufferPointer) throws(EnvelopeError) -> EnvelopeFields {
    var parser = JSONByteParser(bytes: bytes, maximumDepth: JSONValue.defaultMaximumDepth)
    do {
        return try parser.parseEnvelopeFields()
    } catch {
        throw .invalidJSON(error)
    }
}

/// Parses `bytes` into a full value, mapping parse failures to ``EnvelopeError``.
func parseRawEnvelope(_ bytes: UnsafeRawBufferPointer) throws(EnvelopeError) -> JSONValue {
    do {
        return try JSONValue.parse(bytes)
    } catch {
        throw .invalidJSON(error)
    }
}

// MARK: - Writing

/// Writes one envelope object member by member, straight into bytes.
struct EnvelopeWriter {
    var bytes: [UInt8]

    init(type: StaticString, capacity: Int = 96) {
        bytes = []
        bytes.reserveCapacity(capacity)
        JSONWriter.appendLiteral("{\"type\":\"", to: &bytes)
        JSONWriter.appendLiteral(type, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    @inline(__always)
    mutating func key(_ name: StaticString) {
        JSONWriter.appendLiteral(",\"", to: &bytes)
        JSONWriter.appendLiteral(name, to: &bytes)
        JSONWriter.appendLiteral("\":", to: &bytes)
    }

    mutating func int(_ name: StaticString, _ value: Int) {
        key(name)
        JSONWriter.appendInteger(value, to: &bytes)
    }

    mutating func optionalInt(_ name: StaticString, _ value: Int?) {
        if let value { int(name, value) }
    }

    mutating func string(_ name: StaticString, _ value: String) {
        key(name)
        JSONWriter.appendString(value, to: &bytes)
    }

    mutating func optionalString(_ name: StaticString, _ value: String?) {
        if let value { string(name, value) }
    }

    mutating func value(_ name: StaticString, _ value: JSONValue) {
        key(name)
        value.serialize(into: &bytes)
    }

    /// Writes the member only when present: void payloads are absent, never `null`.
    mutating func optionalValue(_ name: StaticString, _ value: JSONValue?) {
        if let value { self.value(name, value) }
    }

    mutating func strings(_ name: StaticString, _ values: [String]) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            JSONWriter.appendString(value, to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func values(_ name: StaticString, _ values: [JSONValue]) {
        value(name, .array(values))
    }

    mutating func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }
}
