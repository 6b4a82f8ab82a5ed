/// Converts `Encodable` values straight into ``JSONValue`` trees, with no JSON text in between.
///
/// Use it to build RPC parameters and channel packets from typed Swift models. Optional
/// properties that are `nil` are omitted from objects (synthesized `Codable` conformances call
/// `encodeIfPresent`), which is what the LM Studio server expects for absent members.
///
/// ```swift
/// struct CountTokens: Encodable { var specifier: JSONValue; var inputString: String }
/// let parameter = try JSONValueEncoder().encode(CountTokens(specifier: spec, inputString: "Hi"))
/// ```
///
/// Integers become ``JSONValue/int(_:)``; `UInt64` values beyond `Int64.max` become
/// ``JSONValue/double(_:)``. A ``JSONValue`` nested in an encoded value is inserted as is.
public struct JSONValueEncoder: Sendable {
    /// Contextual information for custom `encode(to:)` implementations.
    ///
    /// Values must be `Sendable` so the encoder can be shared across tasks.
    public var userInfo: [CodingUserInfoKey: any Sendable] = [:]

    /// Creates an encoder.
    public init() {}

    /// Encodes a value as a ``JSONValue``.
    ///
    /// - Parameter value: The value to encode.
    /// - Returns: The JSON value tree. A type that requests no container encodes as `{}`.
    /// - Throws: `EncodingError` raised by the value's own `encode(to:)`.
    public func encode(_ value: some Encodable) throws -> JSONValue {
        if let json = value as? JSONValue { return json }
        let encoder = JSONValueEncoderImpl(codingPath: [], userInfo: userInfo)
        try value.encode(to: encoder)
        return encoder.storage.finish()
    }
}

// MARK: - Storage

/// A mutable node of the tree being built; containers hand out references to their children so
/// nested containers can keep writing after they were created.
final class JSONEncodingNode {
    enum Kind {
        case empty
        case value
        case object
        case array
    }

    var kind: Kind = .empty
    var value: JSONValue = .null
    var object: [String: JSONEncodingNode] = [:]
    var array: [JSONEncodingNode] = []

    init() {}

    init(_ value: JSONValue) {
        self.kind = .value
        self.value = value
    }

    func makeObject() {
        if kind != .object {
            kind = .object
            object = [:]
        }
    }

    func makeArray() {
        if kind != .array {
            kind = .array
            array = []
        }
    }

    func set(_ value: JSONValue) {
        kind = .value
        self.value = value
    }

    func finish() -> JSONValue {
        switch kind {
        case .empty: return .object([:])
        case .value: return value
        case .object:
            var members: [String: JSONValue] = [:]
            members.reserveCapacity(object.count)
            for (key, node) in object { members[key] = node.finish() }
            return .object(members)
        case .array:
            return .array(array.map { $0.finish() })
        }
    }
}

/// A coding key for array positions and synthesized keys.
struct JSONCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?

    init(stringValue: String) {
        self.stringValue = stringValue
        self.intValue = nil
    }

    init(intValue: Int) {
        self.stringValue = "Index \(intValue)"
        self.intValue = intValue
    }

    init(_ string: String) {
        self.init(stringValue: string)
    }
}

// MARK: - Encoder

final class JSONValueEncoderImpl: Encoder {
    let codingPath: [any CodingKey]
    let userInfoStorage: [CodingUserInfoKey: any Sendable]
    let storage: JSONEncodingNode

    var userInfo: [CodingUserInfoKey: Any] { userInfoStorage }

    init(
        codingPath: [any CodingKey], userInfo: [CodingUserInfoKey: any Sendable],
        storage: JSONEncodingNode = JSONEncodingNode()
    ) {
        self.codingPath = codingPath
        self.userInfoStorage = userInfo
        self.storage = storage
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        storage.makeObject()
        return KeyedEncodingContainer(
            JSONKeyedEncodingContainer<Key>(encoder: self, node: storage, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        storage.makeArray()
        return JSONUnkeyedEncodingContainer(encoder: self, node: storage, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        JSONSingleValueEncodingContainer(encoder: self, node: storage, codingPath: codingPath)
    }

    /// Encodes `value` at `path`, using fast paths for the common leaf types.
    func encodeNested(_ value: some Encodable, codingPath path: [any CodingKey]) throws -> JSONEncodingNode {
        if let leaf = Self.leaf(value) { return JSONEncodingNode(leaf) }
        let child = JSONValueEncoderImpl(codingPath: path, userInfo: userInfoStorage)
        try value.encode(to: child)
        return child.storage
    }

    static func leaf(_ value: some Encodable) -> JSONValue? {
        switch value {
        case let value as JSONValue: return value
        case let value as String: return .string(value)
        case let value as Bool: return .bool(value)
        case let value as Int: return .int(Int64(value))
        case let value as Double: return .double(value)
        case let value as Int64: return .int(value)
        default: return nil
        }
    }

    static func integer(_ value: some BinaryInteger) -> JSONValue {
        if let exact = Int64(exactly: value) { return .int(exact) }
        return .double(Double(value))
    }
}

struct JSONKeyedEncodingContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: JSONValueEncoderImpl
    let node: JSONEncodingNode
    let codingPath: [any CodingKey]

    private func put(_ value: JSONValue, _ key: Key) {
        node.object[key.stringValue] = JSONEncodingNode(value)
    }

    mutating func encodeNil(forKey key: Key) throws { put(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { put(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { put(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { put(.double(value), key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { put(.double(Double(value)), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { put(.int(Int64(value)), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { put(.int(Int64(value)), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { put(.int(Int64(value)), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { put(.int(Int64(value)), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { put(.int(value), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { put(JSONValueEncoderImpl.integer(value), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { put(.int(Int64(value)), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { put(.int(Int64(value)), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { put(.int(Int64(value)), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { put(JSONValueEncoderImpl.integer(value), key) }

    mutating func encode(_ value: some Encodable, forKey key: Key) throws {
        node.object[key.stringValue] = try encoder.encodeNested(value, codingPath: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type,
        forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let child = JSONEncodingNode()
        child.makeObject()
        node.object[key.stringValue] = child
        return KeyedEncodingContainer(
            JSONKeyedEncodingContainer<NestedKey>(encoder: encoder, node: child, codingPath: codingPath + [key])
        )
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = JSONEncodingNode()
        child.makeArray()
        node.object[key.stringValue] = child
        return JSONUnkeyedEncodingContainer(encoder: encoder, node: child, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder {
        superEncoder(forKey: JSONCodingKey("super"))
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        superEncoder(forKey: JSONCodingKey(key.stringValue))
    }

    private func superEncoder(forKey key: JSONCodingKey) -> any Encoder {
        let child = JSONEncodingNode()
        node.object[key.stringValue] = child
        return JSONValueEncoderImpl(codingPath: codingPath + [key], userInfo: encoder.userInfoStorage, storage: child)
    }
}

struct JSONUnkeyedEncodingContainer: UnkeyedEncodingContainer {
    let encoder: JSONValueEncoderImpl
    let node: JSONEncodingNode
    let codingPath: [any CodingKey]

    var count: Int { node.array.count }

    private func append(_ value: JSONValue) {
        node.array.append(JSONEncodingNode(value))
    }

    private var nextKey: JSONCodingKey { JSONCodingKey(intValue: node.array.count) }

    mutating func encodeNil() throws { append(.null) }
    mutating func encode(_ value: Bool) throws { append(.bool(value)) }
    mutating func encode(_ value: String) throws { append(.string(value)) }
    mutating func encode(_ value: Double) throws { append(.double(value)) }
    mutating func encode(_ value: Float) throws { append(.double(Double(value))) }
    mutating func encode(_ value: Int) throws { append(.int(Int64(value))) }
    mutating func encode(_ value: Int8) throws { append(.int(Int64(value))) }
    mutating func encode(_ value: Int16) throws { append(.int(Int64(value))) }
    mutating func encode(_ value: Int32) throws { append(.int(Int64(value))) }
    mutating func encode(_ value: Int64) throws { append(.int(value)) }
    mutating func encode(_ value: UInt) throws { append(JSONValueEncoderImpl.integer(value)) }
    mutating func encode(_ value: UInt8) throws { append(.int(Int64(value))) }
    mutating func encode(_ value: UInt16) throws { append(.int(Int64(value))) }
    mutating func encode(_ value: UInt32) throws { append(.int(Int64(value))) }
    mutating func encode(_ value: UInt64) throws { append(JSONValueEncoderImpl.integer(value)) }

    mutating func encode(_ value: some Encodable) throws {
        let key = nextKey
        node.array.append(try encoder.encodeNested(value, codingPath: codingPath + [key]))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<
        NestedKey
    > {
        let key = nextKey
        let child = JSONEncodingNode()
        child.makeObject()
        node.array.append(child)
        return KeyedEncodingContainer(
            JSONKeyedEncodingContainer<NestedKey>(encoder: encoder, node: child, codingPath: codingPath + [key])
        )
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let key = nextKey
        let child = JSONEncodingNode()
        child.makeArray()
        node.array.append(child)
        return JSONUnkeyedEncodingContainer(encoder: encoder, node: child, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder {
        let key = nextKey
        let child = JSONEncodingNode()
        node.array.append(child)
        return JSONValueEncoderImpl(codingPath: codingPath + [key], userInfo: encoder.userInfoStorage, storage: child)
    }
}

struct JSONSingleValueEncodingContainer: SingleValueEncodingContainer {
    let encoder: JSONValueEncoderImpl
    let node: JSONEncodingNode
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { node.set(.null) }
    mutating func encode(_ value: Bool) throws { node.set(.bool(value)) }
    mutating func encode(_ value: String) throws { node.set(.string(value)) }
    mutating func encode(_ value: Double) throws { node.set(.double(value)) }
    mutating func encode(_ value: Float) throws { node.set(.double(Double(value))) }
    mutating func encode(_ value: Int) throws { node.set(.int(Int64(value))) }
    mutating func encode(_ value: Int8) throws { node.set(.int(Int64(value))) }
    mutating func encode(_ value: Int16) throws { node.set(.int(Int64(value))) }
    mutating func encode(_ value: Int32) throws { node.set(.int(Int64(value))) }
    mutating func encode(_ value: Int64) throws { node.set(.int(value)) }
    mutating func encode(_ value: UInt) throws { node.set(JSONValueEncoderImpl.integer(value)) }
    mutating func encode(_ value: UInt8) throws { node.set(.int(Int64(value))) }
    mutating func encode(_ value: UInt16) throws { node.set(.int(Int64(value))) }
    mutating func encode(_ value: UInt32) throws { node.set(.int(Int64(value))) }
    mutating func encode(_ value: UInt64) throws { node.set(JSONValueEncoderImpl.integer(value)) }

    mutating func encode(_ value: some Encodable) throws {
        if let leaf = JSONValueEncoderImpl.leaf(value) {
            node.set(leaf)
            return
        }
        // Let the value write through this encoder's node (e.g. a wrapper around an array).
        let child = JSONValueEncoderImpl(codingPath: codingPath, userInfo: encoder.userInfoStorage, storage: node)
        try value.encode(to: child)
    }
}
