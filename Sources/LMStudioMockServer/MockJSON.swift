import LMStudioProtocol

/// All JSON text <-> `JSONValue` conversion of the mock lives here, so the codec can be swapped
/// without touching the rest of the server.
enum MockJSON {
    /// Parses one message; `nil` for anything that is not JSON.
    static func parse(_ text: String) -> JSONValue? {
        try? JSONValue(parsing: text)
    }

    /// Serialises a value compactly, with object members in sorted order so output is stable.
    static func serialize(_ value: JSONValue) -> String {
        value.serialized(sortedKeys: true)
    }

    /// Appends `text` as a JSON string literal. Used on the fragment hot path.
    static func appendQuoted(_ text: String, to output: inout String) {
        output += "\""
        var needsEscaping = false
        for byte in text.utf8 where byte < 0x20 || byte == 0x22 || byte == 0x5C {
            needsEscaping = true
            break
        }
        guard needsEscaping else {
            output += text
            output += "\""
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }

    /// `text` as a JSON string literal.
    static func quoted(_ text: String) -> String {
        var output = ""
        appendQuoted(text, to: &output)
        return output
    }
}
