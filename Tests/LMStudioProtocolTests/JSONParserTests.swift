import LMStudioProtocol
import Testing

@Suite struct JSONParserTests {
    private func parseError(_ text: String) -> JSONParseError? {
        do {
            _ = try JSONValue(parsing: text)
            return nil
        } catch {
            return error
        }
    }

    @Test func parsesScalars() throws {
        #expect(try JSONValue(parsing: "null") == .null)
        #expect(try JSONValue(parsing: "true") == .bool(true))
        #expect(try JSONValue(parsing: " \t\r\nfalse \n") == .bool(false))
        #expect(try JSONValue(parsing: "\"hi\"") == .string("hi"))
        #expect(try JSONValue(parsing: "42") == .int(42))
        #expect(try JSONValue(parsing: "-0.5") == .double(-0.5))
    }

    @Test func parsesContainers() throws {
        let value = try JSONValue(parsing: #"{"a": [1, 2.5, "x", null, true, {}], "b": {"c": []}}"#)
        #expect(value == ["a": [1, 2.5, "x", nil, true, [:]], "b": ["c": []]])
        #expect(try JSONValue(parsing: "[]") == .array([]))
        #expect(try JSONValue(parsing: "{ }") == .object([:]))
        #expect(try JSONValue(parsing: #"{"k":1,"k":2}"#) == ["k": 2])
    }

    @Test func integersAndDoublesAreKeptApart() throws {
        #expect(try JSONValue(parsing: "0") == .int(0))
        #expect(try JSONValue(parsing: "-0") == .int(0))
        #expect(try JSONValue(parsing: "9223372036854775807") == .int(.max))
        #expect(try JSONValue(parsing: "-9223372036854775808") == .int(.min))
        #expect(try JSONValue(parsing: "9223372036854775808") == .double(9_223_372_036_854_775_808))
        #expect(try JSONValue(parsing: "-9223372036854775809") == .double(-9.223372036854775808e18))
        #expect(try JSONValue(parsing: "12345678901234567890123") == .double(1.2345678901234568e22))
        #expect(try JSONValue(parsing: "1.0") == .double(1))
        #expect(try JSONValue(parsing: "1e2") == .double(100))
        #expect(try JSONValue(parsing: "1E+2") == .double(100))
        #expect(try JSONValue(parsing: "-1.5e-3") == .double(-0.0015))
        #expect(try JSONValue(parsing: "0.1") == .double(0.1))
        #expect(try JSONValue(parsing: "5e-324") == .double(.leastNonzeroMagnitude))
        #expect(try JSONValue(parsing: "1.7976931348623157e308") == .double(.greatestFiniteMagnitude))
        #expect(
            try JSONValue(parsing: "1e400") == .double(.infinity),
            "out of range rounds to infinity (serialized as null)")
        #expect(try JSONValue(parsing: "1e-400") == .double(0))
        #expect(try JSONValue(parsing: "-12345678901234567890") == .double(-1.2345678901234567e19))
    }

    @Test func decodesEscapes() throws {
        #expect(try JSONValue(parsing: #""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{08}\u{0C}\n\r\t"))
        #expect(try JSONValue(parsing: #""\u0041\u00e9\u20AC""#) == .string("Aé€"))
        #expect(try JSONValue(parsing: #""\ud83d\ude00!""#) == .string("😀!"))
        #expect(try JSONValue(parsing: #""\u0000""#) == .string("\u{0}"))
        #expect(try JSONValue(parsing: #""prefix\nsuffix é""#) == .string("prefix\nsuffix é"))
    }

    @Test func keepsRawUnicode() throws {
        #expect(try JSONValue(parsing: "\"héllo wörld 日本語 😀\"") == .string("héllo wörld 日本語 😀"))
        #expect(try JSONValue(parsing: "{\"ключ\":\"значение\"}") == ["ключ": "значение"])
    }

    @Test func parsesFromBytesAndBuffers() throws {
        let bytes = Array(#"{"type":"rpcResult","callId":3}"#.utf8)
        #expect(try JSONValue.parse(bytes) == ["type": "rpcResult", "callId": 3])
        let value = try bytes.withUnsafeBytes { raw throws(JSONParseError) in try JSONValue.parse(raw) }
        #expect(value["callId"] == .int(3))
    }

    @Test(arguments: [
        ("", 0, JSONParseErrorReason.unexpectedEndOfInput),
        ("   ", 3, .unexpectedEndOfInput),
        ("nul", 3, .unexpectedEndOfInput),
        ("nulL", 3, .unexpectedByte(UInt8(ascii: "L"))),
        ("[1,]", 3, .unexpectedByte(UInt8(ascii: "]"))),
        ("[1 2]", 3, .unexpectedByte(UInt8(ascii: "2"))),
        ("{\"a\" 1}", 5, .unexpectedByte(UInt8(ascii: "1"))),
        ("{a:1}", 1, .unexpectedByte(UInt8(ascii: "a"))),
        ("{\"a\":1,}", 7, .unexpectedByte(UInt8(ascii: "}"))),
        ("[1", 2, .unexpectedEndOfInput),
        ("\"abc", 4, .unexpectedEndOfInput),
        ("1 2", 2, .trailingData),
        ("{} x", 3, .trailingData),
        ("01", 0, .invalidNumber),
        ("-", 1, .unexpectedEndOfInput),
        ("-a", 0, .invalidNumber),
        ("1.", 0, .invalidNumber),
        ("1.e5", 0, .invalidNumber),
        ("1e", 0, .invalidNumber),
        ("1e+", 0, .invalidNumber),
        (".5", 0, .unexpectedByte(UInt8(ascii: "."))),
        ("+1", 0, .unexpectedByte(UInt8(ascii: "+"))),
        ("NaN", 0, .unexpectedByte(UInt8(ascii: "N"))),
        ("\"a\\x\"", 2, .invalidEscape),
        ("\"\\u12\"", 1, .invalidUnicodeEscape),
        ("\"\\uZZZZ\"", 1, .invalidUnicodeEscape),
        ("\"\\ud83d\"", 1, .invalidUnicodeEscape),
        ("\"\\ud83d\\u0041\"", 1, .invalidUnicodeEscape),
        ("\"\\ude00\"", 1, .invalidUnicodeEscape),
        ("\"a\u{01}b\"", 2, .controlCharacterInString),
        ("\"tab\there\"", 4, .controlCharacterInString),
    ])
    func rejectsInvalidInput(text: String, offset: Int, reason: JSONParseErrorReason) {
        let error = parseError(text)
        #expect(error == JSONParseError(offset: offset, reason: reason), "input: \(text)")
    }

    @Test func rejectsInvalidUTF8() {
        let bytes: [UInt8] = [0x22, 0x61, 0xC3, 0x28, 0x22]
        #expect(throws: JSONParseError(offset: 1, reason: .invalidUTF8)) { try JSONValue.parse(bytes) }
        let escaped: [UInt8] = Array(#""\n"#.utf8) + [0xFF, 0x22]
        #expect(throws: JSONParseError(offset: 1, reason: .invalidUTF8)) { try JSONValue.parse(escaped) }
    }

    @Test func deepNestingIsAnErrorNotACrash() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError(offset: 512, reason: .nestingTooDeep(limit: 512))) {
            try JSONValue(parsing: deep)
        }
        let objects = String(repeating: "{\"a\":", count: 600) + "1" + String(repeating: "}", count: 600)
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: objects) }

        let allowed = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(throws: Never.self) { try JSONValue(parsing: allowed) }
        let custom = String(repeating: "[", count: 4) + String(repeating: "]", count: 4)
        #expect(throws: JSONParseError(offset: 3, reason: .nestingTooDeep(limit: 3))) {
            try JSONValue(parsing: custom, maximumDepth: 3)
        }
    }

    @Test func errorDescriptionNamesOffsetAndReasonOnly() {
        let error = JSONParseError(offset: 6, reason: .unexpectedByte(UInt8(ascii: "]")))
        #expect(error.description == "Invalid JSON at byte 6: unexpected byte ']' (0x5D)")
        let secret = parseError("{\"token\": sk-lm-secret}")
        #expect(secret != nil)
        #expect(!(secret?.description.contains("secret") ?? true))
    }
}

@Suite struct JSONValueAccessorTests {
    @Test func accessors() {
        let value: JSONValue = ["s": "x", "i": 3, "d": 2.0, "f": 2.5, "b": true, "a": [1], "o": ["k": nil], "n": nil]
        #expect(value["s"]?.stringValue == "x")
        #expect(value["i"]?.intValue == 3)
        #expect(value["d"]?.intValue == 2)
        #expect(value["f"]?.intValue == nil)
        #expect(value["f"]?.doubleValue == 2.5)
        #expect(value["i"]?.doubleValue == 3.0)
        #expect(value["i"]?.int64Value == 3)
        #expect(JSONValue.double(9.3e18).int64Value == nil)
        #expect(JSONValue.double(-9.223372036854775808e18).int64Value == .min)
        #expect(JSONValue.double(.nan).intValue == nil)
        #expect(JSONValue.double(.infinity).int64Value == nil)
        #expect(value["b"]?.boolValue == true)
        #expect(value["a"]?.arrayValue == [1])
        #expect(value["o"]?.objectValue == ["k": .null])
        #expect(value["n"]?.isNull == true)
        #expect(value["missing"] == nil)
        #expect(JSONValue.int(1)["x"] == nil)
    }
}
