import LMStudioProtocol
import Testing

@Suite struct JSONSerializerTests {
    @Test func writesScalars() {
        #expect(JSONValue.null.serialized() == "null")
        #expect(JSONValue.bool(true).serialized() == "true")
        #expect(JSONValue.bool(false).serialized() == "false")
        #expect(JSONValue.int(0).serialized() == "0")
        #expect(JSONValue.int(-42).serialized() == "-42")
        #expect(JSONValue.int(.min).serialized() == "-9223372036854775808")
        #expect(JSONValue.int(.max).serialized() == "9223372036854775807")
    }

    @Test func writesShortestRoundTripDoubles() throws {
        #expect(JSONValue.double(0.1).serialized() == "0.1")
        #expect(JSONValue.double(5).serialized() == "5.0")
        #expect(JSONValue.double(-0.0015).serialized() == "-0.0015")
        #expect(JSONValue.double(.infinity).serialized() == "null")
        #expect(JSONValue.double(-.infinity).serialized() == "null")
        #expect(JSONValue.double(.nan).serialized() == "null")
        for value in [
            0.1, 1e-5, 1e20, 1e300, .leastNonzeroMagnitude, -2.5, 123456.789, 0.7, 1.0 / 3.0, .greatestFiniteMagnitude,
        ] {
            let text = JSONValue.double(value).serialized()
            #expect(try JSONValue(parsing: text) == .double(value), "\(text)")
        }
    }

    @Test func escapesStrings() {
        #expect(JSONValue.string("a\"b\\c").serialized() == #""a\"b\\c""#)
        #expect(JSONValue.string("\n\r\t\u{08}\u{0C}").serialized() == #""\n\r\t\b\f""#)
        #expect(JSONValue.string("\u{0}\u{1F}").serialized() == #""\u0000\u001f""#)
        #expect(JSONValue.string("/").serialized() == #""/""#)
        #expect(JSONValue.string("é😀").serialized() == "\"é😀\"")
        #expect(JSONValue.string("é😀").serializedBytes() == [0x22, 0xC3, 0xA9, 0xF0, 0x9F, 0x98, 0x80, 0x22])
    }

    @Test func sortsKeysOnRequest() {
        let value: JSONValue = ["b": 1, "a": ["d": true, "c": nil], "é": []]
        #expect(value.serialized(sortedKeys: true) == #"{"a":{"c":null,"d":true},"b":1,"é":[]}"#)
    }

    @Test func appendsToAnExistingBuffer() {
        var bytes = Array("prefix:".utf8)
        JSONValue.array([1, "x"]).serialize(into: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == #"prefix:[1,"x"]"#)
    }

    @Test func roundTripsThroughText() throws {
        let samples: [JSONValue] = [
            [
                "type": "channelSend", "channelId": 1,
                "message": ["type": "fragment", "fragment": ["content": "Hé\n\"quoted\" 😀"]],
            ],
            [1, -1, 1.5, "", [], [:], nil, false, ["nested": [["deeper": [1e-7]]]]],
            .string(String(repeating: "\\\u{7}ab\u{1F600}", count: 50)),
        ]
        for value in samples {
            #expect(try JSONValue(parsing: value.serialized()) == value)
            #expect(try JSONValue.parse(value.serializedBytes(sortedKeys: true)) == value)
        }
    }

    @Test func prettyPrintsLikePython() {
        let value: JSONValue = [
            "code": "generic.noModelMatchingQuery", "query": ["identifier": "x"], "list": [1, 2], "empty": [:],
        ]
        #expect(
            value.prettyPrinted() == """
                {
                  "code": "generic.noModelMatchingQuery",
                  "empty": {},
                  "list": [
                    1,
                    2
                  ],
                  "query": {
                    "identifier": "x"
                  }
                }
                """
        )
        #expect(JSONValue.string("x").prettyPrinted() == #""x""#)
    }
}
