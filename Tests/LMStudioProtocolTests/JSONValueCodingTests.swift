import LMStudioProtocol
import Testing

private struct Query: Codable, Hashable {
    var identifier: String?
    var vision: Bool?
}

private enum Kind: String, Codable, Hashable {
    case llm, embedding
}

private struct Sample: Codable, Hashable {
    var name: String
    var count: Int
    var ratio: Double
    var small: UInt8
    var big: UInt64
    var flag: Bool
    var tags: [String]
    var nested: Query
    var optional: String?
    var kind: Kind
    var free: JSONValue
    var matrix: [[Int]]
    var map: [String: Int]
}

private struct Wrapper: Codable, Hashable {
    var values: [Int]

    init(values: [Int]) { self.values = values }

    init(from decoder: any Decoder) throws {
        values = try decoder.singleValueContainer().decode([Int].self)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values)
    }
}

private struct Manual: Codable, Hashable {
    var a: Int
    var b: [String]
    var c: Int?

    enum CodingKeys: String, CodingKey { case a, inner }
    enum InnerKeys: String, CodingKey { case b, c }

    init(a: Int, b: [String], c: Int?) {
        self.a = a
        self.b = b
        self.c = c
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        a = try container.decode(Int.self, forKey: .a)
        let inner = try container.nestedContainer(keyedBy: InnerKeys.self, forKey: .inner)
        var list = try inner.nestedUnkeyedContainer(forKey: .b)
        var b: [String] = []
        while !list.isAtEnd { b.append(try list.decode(String.self)) }
        self.b = b
        c = try inner.decodeIfPresent(Int.self, forKey: .c)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(a, forKey: .a)
        var inner = container.nestedContainer(keyedBy: InnerKeys.self, forKey: .inner)
        var list = inner.nestedUnkeyedContainer(forKey: .b)
        for item in b { try list.encode(item) }
        try inner.encodeIfPresent(c, forKey: .c)
    }
}

@Suite struct JSONValueCodingTests {
    private let sample = Sample(
        name: "qwen", count: 3, ratio: 0.5, small: 7, big: 1 << 63, flag: true, tags: ["a", "b"],
        nested: Query(identifier: "id", vision: nil), optional: nil, kind: .embedding,
        free: ["any": [1, nil]], matrix: [[1], [2, 3]], map: ["x": 1]
    )

    @Test func encodesToJSONValue() throws {
        let value = try JSONValueEncoder().encode(sample)
        #expect(
            value == [
                "name": "qwen", "count": 3, "ratio": 0.5, "small": 7, "big": .double(9.223372036854775808e18),
                "flag": true, "tags": ["a", "b"], "nested": ["identifier": "id"], "kind": "embedding",
                "free": ["any": [1, nil]], "matrix": [[1], [2, 3]], "map": ["x": 1],
            ]
        )
        #expect(value["optional"] == nil, "nil optionals are omitted")
    }

    @Test func roundTrips() throws {
        let value = try JSONValueEncoder().encode(sample)
        #expect(try JSONValueDecoder().decode(Sample.self, from: value) == sample)
        let manual = Manual(a: 1, b: ["x", "y"], c: nil)
        let manualValue = try JSONValueEncoder().encode(manual)
        #expect(manualValue == ["a": 1, "inner": ["b": ["x", "y"]]])
        #expect(try JSONValueDecoder().decode(Manual.self, from: manualValue) == manual)
        let wrapper = Wrapper(values: [1, 2])
        #expect(try JSONValueEncoder().encode(wrapper) == [1, 2])
        #expect(try JSONValueDecoder().decode(Wrapper.self, from: [1, 2]) == wrapper)
    }

    @Test func encodesTopLevelValues() throws {
        #expect(try JSONValueEncoder().encode("x") == "x")
        #expect(try JSONValueEncoder().encode(Int8(-3)) == -3)
        #expect(try JSONValueEncoder().encode([Query(identifier: nil, vision: false)]) == [["vision": false]])
        #expect(try JSONValueEncoder().encode(Optional<Int>.none) == nil)
        #expect(try JSONValueEncoder().encode(["k": JSONValue.null]) == ["k": nil])
    }

    @Test func ignoresUnknownKeysAndAcceptsIntegralDoubles() throws {
        let value: JSONValue = ["identifier": "x", "vision": true, "somethingNew": [1, 2, 3]]
        #expect(try JSONValueDecoder().decode(Query.self, from: value) == Query(identifier: "x", vision: true))
        #expect(try JSONValueDecoder().decode(Int.self, from: 3.0) == 3)
        #expect(try JSONValueDecoder().decode(Double.self, from: 3) == 3.0)
        #expect(
            try JSONValueDecoder().decode(Query.self, from: ["identifier": nil]) == Query(identifier: nil, vision: nil))
        #expect(try JSONValueDecoder().decode(JSONValue.self, from: ["a": 1.0]) == ["a": 1.0])
    }

    @Test func missingKeyErrorNamesThePath() throws {
        let value: JSONValue = ["name": "x", "nested": ["identifier": 5]]
        do {
            _ = try JSONValueDecoder().decode(Sample.self, from: value)
            Issue.record("expected an error")
        } catch let DecodingError.keyNotFound(key, context) {
            #expect(key.stringValue == "count")
            #expect(context.codingPath.isEmpty)
        }
    }

    @Test func typeMismatchErrorNamesThePath() throws {
        var value = try JSONValueEncoder().encode(sample)
        if case .object(var members) = value {
            members["nested"] = ["identifier": 5]
            value = .object(members)
        }
        do {
            _ = try JSONValueDecoder().decode(Sample.self, from: value)
            Issue.record("expected an error")
        } catch let DecodingError.typeMismatch(_, context) {
            #expect(context.codingPath.map(\.stringValue) == ["nested", "identifier"])
            #expect(context.debugDescription.contains("the integer 5"))
        }
    }

    @Test func nullForNonOptionalIsValueNotFound() throws {
        do {
            _ = try JSONValueDecoder().decode([String].self, from: ["a", nil])
            Issue.record("expected an error")
        } catch let DecodingError.valueNotFound(_, context) {
            #expect(context.codingPath.map(\.intValue) == [1])
        }
    }

    @Test func rejectsLossyNumbers() {
        #expect(throws: DecodingError.self) { try JSONValueDecoder().decode(Int.self, from: 1.5) }
        #expect(throws: DecodingError.self) { try JSONValueDecoder().decode(UInt8.self, from: 300) }
        #expect(throws: DecodingError.self) { try JSONValueDecoder().decode(UInt.self, from: -1) }
        #expect(throws: DecodingError.self) { try JSONValueDecoder().decode(Kind.self, from: "other") }
        #expect(throws: DecodingError.self) { try JSONValueDecoder().decode(Bool.self, from: 1) }
    }
}
