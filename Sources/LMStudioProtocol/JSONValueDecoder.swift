/// Converts ``JSONValue`` trees straight into `Decodable` values, with no JSON text in between.
///
/// Use it to turn RPC results and channel packets into typed Swift models. Decoding is lenient
/// where the LM Studio protocol needs it to be: object members the type does not declare are
/// ignored, and a number is accepted for any numeric type it fits exactly (`3.0` decodes as an
/// `Int`). Errors are ordinary `DecodingError`s whose coding path names the failing member.
///
/// ```swift
/// struct TokenCount: Decodable { var tokenCount: Int }
/// do {
///     let count = try JSONValueDecoder().decode(TokenCount.self, from: result)
/// } catch let error as DecodingError {
///     print(error)   // keyNotFound(tokenCount, …) when the member is missing
/// }
/// ```
public struct JSONValueDecoder: Sendable {
    /// Contextual information for custom `init(from:)` implementations.
    public var userInfo: [CodingUserInfoKey: any Sendable] = [:]

    /// Creates a decoder.
    public init() {}

    /// Decodes a value of the given type from a ``JSONValue``.
    ///
    /// - Parameters:
    ///   - type: The type to decode.
    ///   - value: The JSON value tree.
    /// - Returns: The decoded value.
    /// - Throws: `DecodingError` (`keyNotFound`, `valueNotFound`, `typeMismatch`, `dataCorrupted`)
    ///   with the coding path of the offending member.
    public func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        if T.self == JSONValue.self { return value as! T }
        return try T(from: JSONValueDecoderImpl(value: value, codingPath: [], userInfo: userInfo))
    }
}

// MARK: - Decoder

final class JSONValueDecoderImpl: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    let userInfoStorage: [CodingUserInfoKey: any Sendable]

    var userInfo: [CodingUserInfoKey: Any] { userInfoStorage }

    init(value: JSONValue, codingPath: [any CodingKey], userInfo: [CodingUserInfoKey: any Sendable]) {
        self.value = value
        self.codingPath = codingPath
        self.userInfoStorage = userInfo
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else {
            throw JSONDecoding.mismatch([String: JSONValue].self, value, codingPath)
        }
        return KeyedDecodingContainer(
            JSONKeyedDecodingContainer<Key>(decoder: self, members: members, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else {
            throw JSONDecoding.mismatch([JSONValue].self, value, codingPath)
        }
        return JSONUnkeyedDecodingContainer(decoder: self, elements: elements, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        JSONSingleValueDecodingContainer(decoder: self, value: value, codingPath: codingPath)
    }

    func decodeNested<T: Decodable>(_ type: T.Type, from value: JSONValue, codingPath path: [any CodingKey]) throws -> T
    {
        if T.self == JSONValue.self { return value as! T }
        if T.self == String.self { return try JSONDecoding.string(value, path) as! T }
        if T.self == Int.self { return try JSONDecoding.integer(Int.self, value, path) as! T }
        if T.self == Bool.self { return try JSONDecoding.bool(value, path) as! T }
        if T.self == Double.self { return try JSONDecoding.double(value, path) as! T }
        return try T(from: JSONValueDecoderImpl(value: value, codingPath: path, userInfo: userInfoStorage))
    }
}

/// Shared conversions from ``JSONValue`` leaves to Swift primitives.
enum JSONDecoding {
    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "a Boolean"
        case .int(let int): return "the integer \(int)"
        case .double(let double): return "the number \(double)"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    static func mismatch(_ type: Any.Type, _ value: JSONValue, _ path: [any CodingKey]) -> DecodingError {
        if value == .null {
            return .valueNotFound(
                type,
                .init(codingPath: path, debugDescription: "Expected \(type) but found null instead.")
            )
        }
        return .typeMismatch(
            type,
            .init(codingPath: path, debugDescription: "Expected \(type) but found \(describe(value)) instead.")
        )
    }

    static func string(_ value: JSONValue, _ path: [any CodingKey]) throws -> String {
        guard case .string(let string) = value else { throw mismatch(String.self, value, path) }
        return string
    }

    static func bool(_ value: JSONValue, _ path: [any CodingKey]) throws -> Bool {
        guard case .bool(let bool) = value else { throw mismatch(Bool.self, value, path) }
        return bool
    }

    static func double(_ value: JSONValue, _ path: [any CodingKey]) throws -> Double {
        switch value {
        case .double(let double): return double
        case .int(let int): return Double(int)
        default: throw mismatch(Double.self, value, path)
        }
    }

    static func float(_ value: JSONValue, _ path: [any CodingKey]) throws -> Float {
        Float(try double(value, path))
    }

    static func integer<T: FixedWidthInteger>(_ type: T.Type, _ value: JSONValue, _ path: [any CodingKey]) throws -> T {
        let wide: Int64?
        switch value {
        case .int(let int): wide = int
        case .double(let double):
            if T.self == UInt64.self || T.self == UInt.self, double >= 9_223_372_036_854_775_808.0,
                double < 18_446_744_073_709_551_616.0
            {
                // Above Int64.max only unsigned 64-bit types can hold it; doubles this large are integral.
                return T(truncatingIfNeeded: UInt64(double))
            }
            wide = exactInteger(double)
        default: throw mismatch(T.self, value, path)
        }
        guard let wide else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: path, debugDescription: "Expected an integer but found \(describe(value)).")
            )
        }
        guard let exact = T(exactly: wide) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: path, debugDescription: "The number \(wide) does not fit in \(T.self).")
            )
        }
        return exact
    }
}

struct JSONKeyedDecodingContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: JSONValueDecoderImpl
    let members: [String: JSONValue]
    let codingPath: [any CodingKey]

    var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }

    private func member(_ key: Key) throws -> JSONValue {
        guard let value = members[key.stringValue] else {
            throw DecodingError.keyNotFound(
                key,
                .init(codingPath: codingPath, debugDescription: "No value associated with key \"\(key.stringValue)\".")
            )
        }
        return value
    }

    private func path(_ key: Key) -> [any CodingKey] { codingPath + [key] }

    func decodeNil(forKey key: Key) throws -> Bool { try member(key) == .null }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try JSONDecoding.bool(member(key), path(key)) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String {
        try JSONDecoding.string(member(key), path(key))
    }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
        try JSONDecoding.double(member(key), path(key))
    }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try JSONDecoding.float(member(key), path(key)) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int {
        try JSONDecoding.integer(type, member(key), path(key))
    }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 {
        try JSONDecoding.integer(type, member(key), path(key))
    }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 {
        try JSONDecoding.integer(type, member(key), path(key))
    }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 {
        try JSONDecoding.integer(type, member(key), path(key))
    }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 {
        try JSONDecoding.integer(type, member(key), path(key))
    }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt {
        try JSONDecoding.integer(type, member(key), path(key))
    }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 {
        try JSONDecoding.integer(type, member(key), path(key))
    }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 {
        try JSONDecoding.integer(type, member(key), path(key))
    }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 {
        try JSONDecoding.integer(type, member(key), path(key))
    }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 {
        try JSONDecoding.integer(type, member(key), path(key))
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try decoder.decodeNested(type, from: member(key), codingPath: path(key))
    }

    // The standard library's default `decodeIfPresent` already treats a missing key or `null`
    // as `nil` through `contains` and `decodeNil`.

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type,
        forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        let value = try member(key)
        guard case .object(let nested) = value else {
            throw JSONDecoding.mismatch([String: JSONValue].self, value, path(key))
        }
        return KeyedDecodingContainer(
            JSONKeyedDecodingContainer<NestedKey>(decoder: decoder, members: nested, codingPath: path(key))
        )
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        let value = try member(key)
        guard case .array(let elements) = value else {
            throw JSONDecoding.mismatch([JSONValue].self, value, path(key))
        }
        return JSONUnkeyedDecodingContainer(decoder: decoder, elements: elements, codingPath: path(key))
    }

    func superDecoder() throws -> any Decoder {
        let key = JSONCodingKey("super")
        return JSONValueDecoderImpl(
            value: members["super"] ?? .null,
            codingPath: codingPath + [key],
            userInfo: decoder.userInfoStorage
        )
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        JSONValueDecoderImpl(
            value: members[key.stringValue] ?? .null, codingPath: path(key), userInfo: decoder.userInfoStorage)
    }
}

struct JSONUnkeyedDecodingContainer: UnkeyedDecodingContainer {
    let decoder: JSONValueDecoderImpl
    let elements: [JSONValue]
    let codingPath: [any CodingKey]
    var currentIndex: Int = 0

    init(decoder: JSONValueDecoderImpl, elements: [JSONValue], codingPath: [any CodingKey]) {
        self.decoder = decoder
        self.elements = elements
        self.codingPath = codingPath
    }

    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    private var currentPath: [any CodingKey] { codingPath + [JSONCodingKey(intValue: currentIndex)] }

    private mutating func next(_ type: Any.Type) throws -> JSONValue {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                type,
                .init(codingPath: currentPath, debugDescription: "Unkeyed container is at end.")
            )
        }
        return elements[currentIndex]
    }

    private mutating func take<T>(_ type: T.Type, _ convert: (JSONValue, [any CodingKey]) throws -> T) throws -> T {
        let value = try next(type)
        let result = try convert(value, currentPath)
        currentIndex += 1
        return result
    }

    mutating func decodeNil() throws -> Bool {
        if try next(Never.self) == .null {
            currentIndex += 1
            return true
        }
        return false
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try take(type, JSONDecoding.bool) }
    mutating func decode(_ type: String.Type) throws -> String { try take(type, JSONDecoding.string) }
    mutating func decode(_ type: Double.Type) throws -> Double { try take(type, JSONDecoding.double) }
    mutating func decode(_ type: Float.Type) throws -> Float { try take(type, JSONDecoding.float) }
    mutating func decode(_ type: Int.Type) throws -> Int { try take(type) { try JSONDecoding.integer(type, $0, $1) } }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try take(type) { try JSONDecoding.integer(type, $0, $1) } }
    mutating func decode(_ type: Int16.Type) throws -> Int16 {
        try take(type) { try JSONDecoding.integer(type, $0, $1) }
    }
    mutating func decode(_ type: Int32.Type) throws -> Int32 {
        try take(type) { try JSONDecoding.integer(type, $0, $1) }
    }
    mutating func decode(_ type: Int64.Type) throws -> Int64 {
        try take(type) { try JSONDecoding.integer(type, $0, $1) }
    }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try take(type) { try JSONDecoding.integer(type, $0, $1) } }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 {
        try take(type) { try JSONDecoding.integer(type, $0, $1) }
    }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 {
        try take(type) { try JSONDecoding.integer(type, $0, $1) }
    }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 {
        try take(type) { try JSONDecoding.integer(type, $0, $1) }
    }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 {
        try take(type) { try JSONDecoding.integer(type, $0, $1) }
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let decoder = self.decoder
        return try take(type) { try decoder.decodeNested(type, from: $0, codingPath: $1) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<
        NestedKey
    > {
        let decoder = self.decoder
        return try take(KeyedDecodingContainer<NestedKey>.self) { value, path in
            guard case .object(let members) = value else {
                throw JSONDecoding.mismatch([String: JSONValue].self, value, path)
            }
            return KeyedDecodingContainer(
                JSONKeyedDecodingContainer<NestedKey>(decoder: decoder, members: members, codingPath: path)
            )
        }
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let decoder = self.decoder
        return try take((any UnkeyedDecodingContainer).self) { value, path in
            guard case .array(let elements) = value else {
                throw JSONDecoding.mismatch([JSONValue].self, value, path)
            }
            return JSONUnkeyedDecodingContainer(decoder: decoder, elements: elements, codingPath: path)
        }
    }

    mutating func superDecoder() throws -> any Decoder {
        let decoder = self.decoder
        return try take((any Decoder).self) { value, path in
            JSONValueDecoderImpl(value: value, codingPath: path, userInfo: decoder.userInfoStorage)
        }
    }
}

struct JSONSingleValueDecodingContainer: SingleValueDecodingContainer {
    let decoder: JSONValueDecoderImpl
    let value: JSONValue
    let codingPath: [any CodingKey]

    func decodeNil() -> Bool { value == .null }
    func decode(_ type: Bool.Type) throws -> Bool { try JSONDecoding.bool(value, codingPath) }
    func decode(_ type: String.Type) throws -> String { try JSONDecoding.string(value, codingPath) }
    func decode(_ type: Double.Type) throws -> Double { try JSONDecoding.double(value, codingPath) }
    func decode(_ type: Float.Type) throws -> Float { try JSONDecoding.float(value, codingPath) }
    func decode(_ type: Int.Type) throws -> Int { try JSONDecoding.integer(type, value, codingPath) }
    func decode(_ type: Int8.Type) throws -> Int8 { try JSONDecoding.integer(type, value, codingPath) }
    func decode(_ type: Int16.Type) throws -> Int16 { try JSONDecoding.integer(type, value, codingPath) }
    func decode(_ type: Int32.Type) throws -> Int32 { try JSONDecoding.integer(type, value, codingPath) }
    func decode(_ type: Int64.Type) throws -> Int64 { try JSONDecoding.integer(type, value, codingPath) }
    func decode(_ type: UInt.Type) throws -> UInt { try JSONDecoding.integer(type, value, codingPath) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try JSONDecoding.integer(type, value, codingPath) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try JSONDecoding.integer(type, value, codingPath) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try JSONDecoding.integer(type, value, codingPath) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try JSONDecoding.integer(type, value, codingPath) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try decoder.decodeNested(type, from: value, codingPath: codingPath)
    }
}
