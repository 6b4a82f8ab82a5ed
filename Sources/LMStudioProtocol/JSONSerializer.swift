extension JSONValue {
    /// The compact JSON text of this value.
    ///
    /// Strings are escaped as RFC 8259 requires (quote, backslash and control characters;
    /// everything else, including non-ASCII text, is written as UTF-8). Integers are written
    /// plainly; doubles use the shortest text that reads back as the same `Double`, and
    /// non-finite doubles (which JSON cannot express) are written as `null`.
    ///
    /// ```swift
    /// let value: JSONValue = ["type": "keepAlive"]
    /// print(value.serialized())   // {"type":"keepAlive"}
    /// ```
    ///
    /// - Parameter sortedKeys: Whether object members are written in key order, for stable
    ///   output in tests and logs. Unsorted output follows dictionary order and is faster.
    /// - Returns: The JSON text.
    public func serialized(sortedKeys: Bool = false) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        serialize(into: &bytes, sortedKeys: sortedKeys)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The compact JSON text of this value as UTF-8 bytes, ready for a websocket text frame.
    ///
    /// - Parameter sortedKeys: Whether object members are written in key order.
    /// - Returns: The UTF-8 encoded JSON text.
    public func serializedBytes(sortedKeys: Bool = false) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        serialize(into: &bytes, sortedKeys: sortedKeys)
        return bytes
    }

    /// Appends the compact JSON text of this value to a byte buffer.
    ///
    /// Use this to assemble larger messages without intermediate strings.
    ///
    /// - Parameters:
    ///   - bytes: The buffer to append UTF-8 bytes to.
    ///   - sortedKeys: Whether object members are written in key order.
    public func serialize(into bytes: inout [UInt8], sortedKeys: Bool = false) {
        switch self {
        case .null:
            JSONWriter.appendLiteral("null", to: &bytes)
        case .bool(let value):
            JSONWriter.appendLiteral(value ? "true" : "false", to: &bytes)
        case .int(let value):
            JSONWriter.appendInteger(value, to: &bytes)
        case .double(let value):
            JSONWriter.appendDouble(value, to: &bytes)
        case .string(let value):
            JSONWriter.appendString(value, to: &bytes)
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            var first = true
            for element in elements {
                if !first { bytes.append(UInt8(ascii: ",")) }
                first = false
                element.serialize(into: &bytes, sortedKeys: sortedKeys)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            var first = true
            if sortedKeys {
                for key in members.keys.sorted() {
                    if !first { bytes.append(UInt8(ascii: ",")) }
                    first = false
                    JSONWriter.appendString(key, to: &bytes)
                    bytes.append(UInt8(ascii: ":"))
                    members[key].unsafelyUnwrapped.serialize(into: &bytes, sortedKeys: true)
                }
            } else {
                for (key, value) in members {
                    if !first { bytes.append(UInt8(ascii: ",")) }
                    first = false
                    JSONWriter.appendString(key, to: &bytes)
                    bytes.append(UInt8(ascii: ":"))
                    value.serialize(into: &bytes, sortedKeys: false)
                }
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// Indented, key-sorted JSON text, for error messages and human-facing output.
    ///
    /// The layout matches Python's `json.dumps(value, indent=2, sort_keys=True)`: one member or
    /// element per line, `": "` between key and value, and `{}` / `[]` for empty containers.
    ///
    /// - Parameter indent: Spaces per nesting level.
    /// - Returns: The multi-line JSON text (without a trailing newline).
    public func prettyPrinted(indent: Int = 2) -> String {
        var bytes: [UInt8] = []
        appendPretty(into: &bytes, indent: indent, level: 0)
        return String(decoding: bytes, as: UTF8.self)
    }

    private func appendPretty(into bytes: inout [UInt8], indent: Int, level: Int) {
        func newline(_ level: Int) {
            bytes.append(UInt8(ascii: "\n"))
            bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * level))
        }
        switch self {
        case .array(let elements) where !elements.isEmpty:
            bytes.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                newline(level + 1)
                element.appendPretty(into: &bytes, indent: indent, level: level + 1)
            }
            newline(level)
            bytes.append(UInt8(ascii: "]"))
        case .object(let members) where !members.isEmpty:
            bytes.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                newline(level + 1)
                JSONWriter.appendString(key, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                bytes.append(UInt8(ascii: " "))
                members[key].unsafelyUnwrapped.appendPretty(into: &bytes, indent: indent, level: level + 1)
            }
            newline(level)
            bytes.append(UInt8(ascii: "}"))
        default:
            serialize(into: &bytes, sortedKeys: true)
        }
    }
}

/// Low-level JSON text writers shared by ``JSONValue`` and the envelope encoders.
enum JSONWriter {
    @inline(__always)
    static func appendLiteral(_ literal: StaticString, to bytes: inout [UInt8]) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    static func appendInteger(_ value: Int64, to bytes: inout [UInt8]) {
        if value >= 0 && value < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        // Work with the magnitude as UInt64 so Int64.min is handled.
        var magnitude = value.magnitude
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var index = 20
            repeat {
                index -= 1
                digits[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude != 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[index..<20]))
        }
    }

    @inline(__always)
    static func appendInteger(_ value: Int, to bytes: inout [UInt8]) {
        appendInteger(Int64(value), to: &bytes)
    }

    static func appendDouble(_ value: Double, to bytes: inout [UInt8]) {
        guard value.isFinite else {
            appendLiteral("null", to: &bytes)
            return
        }
        // The standard library's description is the shortest text that round-trips
        // ("0.1", "1e-05", "1e+20", "5.0"), and every such text is a valid JSON number.
        var text = value.description
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    private static let hexDigits: StaticString = "0123456789abcdef"

    /// Appends `string` as a quoted JSON string.
    static func appendString(_ string: String, to bytes: inout [UInt8]) {
        var string = string
        string.withUTF8 { appendString(utf8: $0, to: &bytes) }
    }

    /// Appends already UTF-8 encoded text as a quoted JSON string, escaping in runs.
    static func appendString(utf8: UnsafeBufferPointer<UInt8>, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        var runStart = 0
        var index = 0
        let count = utf8.count
        while index < count {
            let c = utf8[index]
            if c >= 0x20 && c != UInt8(ascii: "\"") && c != UInt8(ascii: "\\") {
                index += 1
                continue
            }
            if runStart < index {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
            }
            bytes.append(UInt8(ascii: "\\"))
            switch c {
            case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\"))
            case 0x0A: bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(UInt8(ascii: "t"))
            case 0x08: bytes.append(UInt8(ascii: "b"))
            case 0x0C: bytes.append(UInt8(ascii: "f"))
            default:
                let hex = hexDigits.utf8Start
                bytes.append(UInt8(ascii: "u"))
                bytes.append(UInt8(ascii: "0"))
                bytes.append(UInt8(ascii: "0"))
                bytes.append(hex[Int(c >> 4)])
                bytes.append(hex[Int(c & 0xF)])
            }
            index += 1
            runStart = index
        }
        if runStart < count {
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<count]))
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
