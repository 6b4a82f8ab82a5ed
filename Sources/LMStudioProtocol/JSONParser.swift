/// Why a byte sequence is not a JSON text the parser accepts.
///
/// Carried by ``JSONParseError``. Each reason names one rule of RFC 8259 (or the parser's
/// own nesting limit), so a caller can log it without echoing the input.
public enum JSONParseErrorReason: Sendable, Hashable {
    /// The input ended in the middle of a value.
    case unexpectedEndOfInput
    /// A byte that cannot start or continue a value at this point.
    case unexpectedByte(UInt8)
    /// A complete value was followed by more non-whitespace bytes.
    case trailingData
    /// A number does not follow the JSON number grammar.
    case invalidNumber
    /// A backslash escape other than `\" \\ \/ \b \f \n \r \t \uXXXX`.
    case invalidEscape
    /// A `\u` escape with fewer than four hex digits or a lone/unpaired UTF-16 surrogate.
    case invalidUnicodeEscape
    /// An unescaped control character (U+0000…U+001F) inside a string.
    case controlCharacterInString
    /// A string that is not valid UTF-8.
    case invalidUTF8
    /// Arrays and objects nested deeper than the parser's limit.
    case nestingTooDeep(limit: Int)
}

/// A JSON text could not be parsed.
///
/// The error carries the byte offset where parsing stopped and a ``JSONParseErrorReason``.
/// Its description never includes the input itself, which may hold secrets or prompts.
///
/// ```swift
/// do {
///     _ = try JSONValue(parsing: "[1, 2,]")
/// } catch {
///     print(error)   // "Invalid JSON at byte 6: unexpected byte ']' (0x5D)"
/// }
/// ```
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The zero-based byte offset in the input at which the problem was detected.
    public var offset: Int
    /// What was wrong at ``offset``.
    public var reason: JSONParseErrorReason

    /// Creates an error for the given offset and reason.
    ///
    /// - Parameters:
    ///   - offset: The zero-based byte offset of the problem.
    ///   - reason: What was wrong there.
    public init(offset: Int, reason: JSONParseErrorReason) {
        self.offset = offset
        self.reason = reason
    }

    /// A one-line, human-readable explanation, without any of the input text.
    public var description: String {
        let what: String
        switch reason {
        case .unexpectedEndOfInput: what = "unexpected end of input"
        case .unexpectedByte(let byte):
            if byte >= 0x20 && byte < 0x7F {
                what = "unexpected byte '\(Character(Unicode.Scalar(byte)))' (0x\(hexByte(byte)))"
            } else {
                what = "unexpected byte 0x\(hexByte(byte))"
            }
        case .trailingData: what = "unexpected data after the JSON value"
        case .invalidNumber: what = "invalid number"
        case .invalidEscape: what = "invalid escape sequence in string"
        case .invalidUnicodeEscape: what = "invalid \\u escape (bad hex digits or unpaired surrogate)"
        case .controlCharacterInString: what = "unescaped control character in string"
        case .invalidUTF8: what = "string is not valid UTF-8"
        case .nestingTooDeep(let limit): what = "arrays and objects nested deeper than \(limit) levels"
        }
        return "Invalid JSON at byte \(offset): \(what)"
    }
}

private func hexByte(_ byte: UInt8) -> String {
    let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "B", "C", "D", "E", "F"]
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
}

extension JSONValue {
    /// The nesting limit used when none is given: arrays and objects may be nested 512 deep.
    public static let defaultMaximumDepth = 512

    /// Parses one JSON text from raw UTF-8 bytes.
    ///
    /// This is the hot path of the SDK (websocket text frame → value), so it works directly on
    /// the bytes without Foundation. Numbers written without fraction or exponent that fit in
    /// `Int64` become ``JSONValue/int(_:)``; every other number becomes ``JSONValue/double(_:)``.
    /// Whitespace around the value is allowed; anything else after it is an error.
    ///
    /// ```swift
    /// let value = try frame.withUnsafeBytes { try JSONValue.parse($0) }
    /// ```
    ///
    /// - Parameters:
    ///   - bytes: The UTF-8 encoded JSON text.
    ///   - maximumDepth: How deeply arrays and objects may nest before parsing fails with
    ///     ``JSONParseErrorReason/nestingTooDeep(limit:)`` (instead of exhausting the stack).
    /// - Returns: The parsed value.
    /// - Throws: ``JSONParseError`` with the byte offset of the first problem.
    public static func parse(
        _ bytes: UnsafeRawBufferPointer,
        maximumDepth: Int = JSONValue.defaultMaximumDepth
    ) throws(JSONParseError) -> JSONValue {
        var parser = JSONByteParser(bytes: bytes, maximumDepth: maximumDepth)
        return try parser.parseDocument()
    }

    /// Parses one JSON text from an array of UTF-8 bytes.
    ///
    /// Equivalent to ``parse(_:maximumDepth:)-(UnsafeRawBufferPointer,_)`` over the array's storage.
    ///
    /// - Parameters:
    ///   - bytes: The UTF-8 encoded JSON text.
    ///   - maximumDepth: The nesting limit for arrays and objects.
    /// - Returns: The parsed value.
    /// - Throws: ``JSONParseError`` with the byte offset of the first problem.
    public static func parse(
        _ bytes: [UInt8],
        maximumDepth: Int = JSONValue.defaultMaximumDepth
    ) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError> = bytes.withUnsafeBytes { raw in
            do throws(JSONParseError) {
                return .success(try parse(raw, maximumDepth: maximumDepth))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Parses one JSON text from a string.
    ///
    /// ```swift
    /// let value = try JSONValue(parsing: #"{"type":"keepAliveAck"}"#)
    /// ```
    ///
    /// - Parameters:
    ///   - text: The JSON text.
    ///   - maximumDepth: The nesting limit for arrays and objects.
    /// - Throws: ``JSONParseError`` with the byte offset (in the string's UTF-8) of the first problem.
    public init(parsing text: String, maximumDepth: Int = JSONValue.defaultMaximumDepth) throws(JSONParseError) {
        var text = text
        let result: Result<JSONValue, JSONParseError> = text.withUTF8 { utf8 in
            do throws(JSONParseError) {
                return .success(try JSONValue.parse(UnsafeRawBufferPointer(utf8), maximumDepth: maximumDepth))
            } catch {
                return .failure(error)
            }
        }
        self = try result.get()
    }
}

// MARK: - The parser

/// A recursive-descent JSON parser over a borrowed byte buffer.
///
/// Recursion depth is bounded by `maximumDepth`, so hostile input cannot overflow the stack.
/// Strings without escapes are created straight from the input bytes; strings with escapes are
/// assembled in one reusable scratch buffer.
struct JSONByteParser {
    let base: UnsafePointer<UInt8>?
    let count: Int
    var position: Int = 0
    let maximumDepth: Int
    var depth: Int = 0
    var scratch: [UInt8] = []

    init(bytes: UnsafeRawBufferPointer, maximumDepth: Int) {
        self.base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        self.count = bytes.count
        self.maximumDepth = maximumDepth
    }

    @inline(__always)
    func byte(at index: Int) -> UInt8 {
        base.unsafelyUnwrapped[index]
    }

    @inline(__always)
    func fail(_ reason: JSONParseErrorReason, at offset: Int? = nil) -> JSONParseError {
        JSONParseError(offset: offset ?? position, reason: reason)
    }

    func unexpected() -> JSONParseError {
        if position >= count { return fail(.unexpectedEndOfInput) }
        return fail(.unexpectedByte(byte(at: position)))
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while position < count {
            switch byte(at: position) {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    /// Parses a complete document: one value surrounded by optional whitespace.
    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        if position != count { throw fail(.trailingData) }
        return value
    }

    /// Parses the value starting at `position` (whitespace already skipped).
    mutating func parseValue() throws(JSONParseError) -> JSONValue {
        guard position < count else { throw fail(.unexpectedEndOfInput) }
        switch byte(at: position) {
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "{"):
            return try parseObject()
        case UInt8(ascii: "["):
            return try parseArray()
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try parseNumber()
        default:
            throw unexpected()
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let length = literal.utf8CodeUnitCount
        let text = literal.utf8Start
        for index in 0..<length {
            guard position < count else { throw fail(.unexpectedEndOfInput) }
            guard byte(at: position) == text[index] else { throw unexpected() }
            position += 1
        }
    }

    mutating func enterContainer() throws(JSONParseError) {
        depth += 1
        if depth > maximumDepth { throw fail(.nestingTooDeep(limit: maximumDepth)) }
    }

    mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enterContainer()
        position += 1  // [
        skipWhitespace()
        var elements: [JSONValue] = []
        if position < count && byte(at: position) == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            if try endOfContainer(closedBy: UInt8(ascii: "]")) { return .array(elements) }
        }
    }

    /// After a member or element: consumes whitespace and then `,` (false: more follow) or
    /// `closer` (true: the container ended, and is left).
    @inline(__always)
    mutating func endOfContainer(closedBy closer: UInt8) throws(JSONParseError) -> Bool {
        skipWhitespace()
        guard position < count else { throw fail(.unexpectedEndOfInput) }
        switch byte(at: position) {
        case UInt8(ascii: ","):
            position += 1
            return false
        case closer:
            position += 1
            depth -= 1
            return true
        default:
            throw unexpected()
        }
    }

    mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enterContainer()
        position += 1  // {
        skipWhitespace()
        if position < count && byte(at: position) == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return .object([:])
        }
        // Members are collected first and hashed once into a dictionary of the right size:
        // inserting them one by one rehashes every key at each of the dictionary's growth steps.
        var members: [(key: String, value: JSONValue)] = []
        while true {
            skipWhitespace()
            guard position < count else { throw fail(.unexpectedEndOfInput) }
            guard byte(at: position) == UInt8(ascii: "\"") else { throw unexpected() }
            let key = try parseString()
            try expectColon()
            members.append((key, try parseValue()))
            if try endOfContainer(closedBy: UInt8(ascii: "}")) {
                // A repeated key keeps its last value, as most JSON parsers do.
                var object = [String: JSONValue](minimumCapacity: members.count)
                for member in members { object[member.key] = member.value }
                return .object(object)
            }
        }
    }

    /// Consumes optional whitespace, a `:`, and whitespace before a member value.
    @inline(__always)
    mutating func expectColon() throws(JSONParseError) {
        skipWhitespace()
        guard position < count else { throw fail(.unexpectedEndOfInput) }
        guard byte(at: position) == UInt8(ascii: ":") else { throw unexpected() }
        position += 1
        skipWhitespace()
    }

    // MARK: Strings

    /// Scans the string starting at the opening quote at `position`.
    ///
    /// Returns the raw byte range between the quotes when the string has no escapes, and
    /// whether it is pure ASCII. `position` ends after the closing quote in that case; when an
    /// escape is found, `position` is left at the backslash and `hasEscape` is true.
    @inline(__always)
    mutating func scanPlainString() throws(JSONParseError) -> (start: Int, end: Int, isASCII: Bool, hasEscape: Bool) {
        position += 1  // opening quote
        let start = position
        var isASCII = true
        while position < count {
            let c = byte(at: position)
            if c == UInt8(ascii: "\"") {
                let end = position
                position += 1
                return (start, end, isASCII, false)
            }
            if c == UInt8(ascii: "\\") {
                return (start, position, isASCII, true)
            }
            if c < 0x20 { throw fail(.controlCharacterInString) }
            if c >= 0x80 { isASCII = false }
            position += 1
        }
        throw fail(.unexpectedEndOfInput)
    }

    func makeString(start: Int, end: Int, isASCII: Bool) throws(JSONParseError) -> String {
        let buffer = UnsafeBufferPointer(start: base.unsafelyUnwrapped + start, count: end - start)
        if isASCII {
            return String(decoding: buffer, as: UTF8.self)
        }
        guard let string = String(validating: buffer, as: UTF8.self) else {
            throw fail(.invalidUTF8, at: start)
        }
        return string
    }

    mutating func parseString() throws(JSONParseError) -> String {
        let quote = position
        let scan = try scanPlainString()
        if !scan.hasEscape {
            return try makeString(start: scan.start, end: scan.end, isASCII: scan.isASCII)
        }
        // Slow path: copy the plain prefix, then decode escapes into the scratch buffer.
        scratch.removeAll(keepingCapacity: true)
        scratch.append(
            contentsOf: UnsafeBufferPointer(start: base.unsafelyUnwrapped + scan.start, count: scan.end - scan.start))
        var isASCII = scan.isASCII
        while position < count {
            let c = byte(at: position)
            if c == UInt8(ascii: "\"") {
                position += 1
                if isASCII { return String(decoding: scratch, as: UTF8.self) }
                guard let string = String(validating: scratch, as: UTF8.self) else {
                    throw fail(.invalidUTF8, at: quote + 1)
                }
                return string
            }
            if c == UInt8(ascii: "\\") {
                try parseEscape()
                continue
            }
            if c < 0x20 { throw fail(.controlCharacterInString) }
            if c >= 0x80 { isASCII = false }
            scratch.append(c)
            position += 1
        }
        throw fail(.unexpectedEndOfInput)
    }

    /// Decodes one escape sequence at `position` (the backslash) into `scratch` as UTF-8.
    mutating func parseEscape() throws(JSONParseError) {
        let escapeStart = position
        position += 1
        guard position < count else { throw fail(.unexpectedEndOfInput) }
        let c = byte(at: position)
        position += 1
        switch c {
        case UInt8(ascii: "\""): scratch.append(0x22)
        case UInt8(ascii: "\\"): scratch.append(0x5C)
        case UInt8(ascii: "/"): scratch.append(0x2F)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            let first = try parseHex4(escapeStart: escapeStart)
            var scalarValue: UInt32
            if first >= 0xD800 && first <= 0xDBFF {
                // A high surrogate must be followed by an escaped low surrogate.
                guard position + 1 < count, byte(at: position) == UInt8(ascii: "\\"),
                    byte(at: position + 1) == UInt8(ascii: "u")
                else { throw fail(.invalidUnicodeEscape, at: escapeStart) }
                position += 2
                let second = try parseHex4(escapeStart: escapeStart)
                guard second >= 0xDC00 && second <= 0xDFFF else {
                    throw fail(.invalidUnicodeEscape, at: escapeStart)
                }
                scalarValue = 0x10000 + ((UInt32(first) - 0xD800) << 10) + (UInt32(second) - 0xDC00)
            } else if first >= 0xDC00 && first <= 0xDFFF {
                throw fail(.invalidUnicodeEscape, at: escapeStart)
            } else {
                scalarValue = UInt32(first)
            }
            appendUTF8(scalarValue)
        default:
            throw fail(.invalidEscape, at: escapeStart)
        }
    }

    mutating func parseHex4(escapeStart: Int) throws(JSONParseError) -> UInt16 {
        guard position + 4 <= count else { throw fail(.invalidUnicodeEscape, at: escapeStart) }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let c = byte(at: position)
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
            default: throw fail(.invalidUnicodeEscape, at: escapeStart)
            }
            value = value << 4 | UInt16(digit)
            position += 1
        }
        return value
    }

    mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | (scalar >> 6)))
            scratch.append(UInt8(0x80 | (scalar & 0x3F)))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | (scalar >> 12)))
            scratch.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (scalar & 0x3F)))
        default:
            scratch.append(UInt8(0xF0 | (scalar >> 18)))
            scratch.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
            scratch.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (scalar & 0x3F)))
        }
    }

    // MARK: Numbers

    mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = position
        var isNegative = false
        if byte(at: position) == UInt8(ascii: "-") {
            isNegative = true
            position += 1
        }
        guard position < count else { throw fail(.unexpectedEndOfInput) }
        // Integer part: "0" or [1-9][0-9]*. Accumulate as a negative number so Int64.min fits.
        var accumulator: Int64 = 0
        var overflow = false
        let first = byte(at: position)
        if first == UInt8(ascii: "0") {
            position += 1
            if position < count, isDigit(byte(at: position)) { throw fail(.invalidNumber, at: start) }
        } else if isDigit(first) {
            while position < count {
                let c = byte(at: position)
                guard isDigit(c) else { break }
                if !overflow {
                    let (times10, o1) = accumulator.multipliedReportingOverflow(by: 10)
                    let (next, o2) = times10.subtractingReportingOverflow(Int64(c - UInt8(ascii: "0")))
                    if o1 || o2 { overflow = true } else { accumulator = next }
                }
                position += 1
            }
        } else {
            throw fail(.invalidNumber, at: start)
        }
        var isInteger = true
        if position < count && byte(at: position) == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard position < count, isDigit(byte(at: position)) else { throw fail(.invalidNumber, at: start) }
            while position < count && isDigit(byte(at: position)) { position += 1 }
        }
        if position < count && (byte(at: position) == UInt8(ascii: "e") || byte(at: position) == UInt8(ascii: "E")) {
            isInteger = false
            position += 1
            if position < count && (byte(at: position) == UInt8(ascii: "+") || byte(at: position) == UInt8(ascii: "-"))
            {
                position += 1
            }
            guard position < count, isDigit(byte(at: position)) else { throw fail(.invalidNumber, at: start) }
            while position < count && isDigit(byte(at: position)) { position += 1 }
        }
        if isInteger && !overflow {
            if isNegative { return .int(accumulator) }
            if accumulator != .min { return .int(-accumulator) }
        }
        // Fraction, exponent or out of Int64 range: let the standard library do the rounding.
        let text = String(
            decoding: UnsafeBufferPointer(start: base.unsafelyUnwrapped + start, count: position - start),
            as: UTF8.self
        )
        guard let double = Double(text) else { throw fail(.invalidNumber, at: start) }
        return .double(double)
    }

    @inline(__always)
    func isDigit(_ c: UInt8) -> Bool {
        c &- UInt8(ascii: "0") < 10
    }
}
