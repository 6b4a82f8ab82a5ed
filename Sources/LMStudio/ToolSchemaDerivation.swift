public import LMStudioProtocol

/// Why a JSON Schema could not be derived from a `Decodable` type (for the `parameters` of a
/// tool sent in `llm.prediction.tools` of `llm.predict`); pass the schema explicitly instead.
public struct ToolSchemaError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public var description: String

    /// Creates the error. Concerns the tool schemas sent with `llm.predict`.
    public init(description: String) { self.description = description }
}

extension ToolSchema {
    /// Derives the JSON Schema of a simple `Decodable` type, in the shape lmstudio-python
    /// derives from a function signature (`{"type":"object","properties":…,"required":[…]}`),
    /// for the `parameters` of a tool sent in `llm.prediction.tools` of `llm.predict`.
    ///
    /// It decodes the type once from a recording decoder: `Bool`, strings, integers and
    /// floating-point numbers, optionals (not required), arrays and nested `Decodable` structs
    /// are described; dictionaries become open objects and ``JSONValue`` members accept any
    /// JSON. Types whose `init(from:)` rejects placeholder values (`false`, `""`, `0`,
    /// one-element arrays), such as enums and validated types, throw: give their schema
    /// explicitly.
    ///
    /// ```swift
    /// struct Weather: Decodable { var city: String; var days: Int? }
    /// let schema = try ToolSchema.derive(Weather.self)
    /// // {"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city"]}
    /// ```
    ///
    /// - Parameter type: The type.
    /// - Returns: Its JSON Schema.
    /// - Throws: ``ToolSchemaError`` when the type cannot be described.
    public static func derive<T: Decodable>(_ type: T.Type) throws(ToolSchemaError) -> JSONValue {
        do {
            return try SchemaProbe.schema(of: T.self, depth: 0).0
        } catch let error as ToolSchemaError {
            throw error
        } catch {
            throw ToolSchemaError(description: "cannot derive a schema for \(T.self): \(error)")
        }
    }
}

extension Tool {
    /// Creates a tool whose arguments decode as a simple `Decodable` type, with the parameter
    /// schema derived by ``ToolSchema/derive(_:)``. Sent in `llm.prediction.tools` of `llm.predict`.
    ///
    /// ```swift
    /// struct AddArguments: Decodable { var a: Int; var b: Int }
    /// let add = try Tool(name: "add", description: "Add two integers.", arguments: AddArguments.self) { $0.a + $0.b }
    /// ```
    ///
    /// - Throws: ``ToolSchemaError`` when the schema cannot be derived.
    public init<Arguments: Decodable & SendableMetatype, Output: Encodable & SendableMetatype>(
        name: String, description: String, arguments: Arguments.Type,
        implementation: @escaping @Sendable (Arguments) async throws -> Output
    ) throws(ToolSchemaError) {
        self.init(
            name: name, description: description, arguments: arguments, parameters: try ToolSchema.derive(Arguments.self),
            implementation: implementation
        )
    }
}

/// A decoder that records what a type asks for and answers with placeholders.
final class SchemaProbe: Decoder {
    /// What the decoded value turned out to be.
    enum Shape {
        case unknown
        case value(JSONValue)
        case object(properties: [(String, JSONValue)], optional: Set<String>)
        case array(JSONValue?)
    }

    static let maximumDepth = 16

    let depth: Int
    var shape = Shape.unknown
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]

    init(depth: Int) { self.depth = depth }

    /// The schema of `type` and a placeholder value of it.
    static func schema<T: Decodable>(of type: T.Type, depth: Int) throws -> (JSONValue, T) {
        if let primitive = primitive(T.self) { return primitive }
        guard depth < maximumDepth else { throw ToolSchemaError(description: "\(T.self) is nested too deeply (recursive?)") }
        let probe = SchemaProbe(depth: depth + 1)
        let value = try T(from: probe)
        return (probe.schema, value)
    }

    var schema: JSONValue {
        switch shape {
        case .unknown: return [:]
        case .value(let schema): return schema
        case .array(let items): return items.map { ["type": "array", "items": $0] } ?? ["type": "array"]
        case .object(let properties, let optional):
            var members: [String: JSONValue] = [:]
            for (name, schema) in properties { members[name] = schema }
            var result: [String: JSONValue] = ["type": "object", "properties": .object(members)]
            let required = properties.map(\.0).filter { !optional.contains($0) }
            if !required.isEmpty { result["required"] = .array(required.map(JSONValue.string)) }
            return .object(result)
        }
    }

    static func primitive<T>(_ type: T.Type) -> (JSONValue, T)? {
        if T.self == JSONValue.self { return ([:], JSONValue.null as! T) }  // any JSON
        if T.self == Bool.self { return (["type": "boolean"], false as! T) }
        if T.self == String.self { return (["type": "string"], "" as! T) }
        if let integer = T.self as? any FixedWidthInteger.Type { return (["type": "integer"], zero(integer) as! T) }
        if let number = T.self as? any BinaryFloatingPoint.Type { return (["type": "number"], zero(number) as! T) }
        return nil
    }

    private static func zero<I: FixedWidthInteger>(_ type: I.Type) -> I { 0 }
    private static func zero<F: BinaryFloatingPoint>(_ type: F.Type) -> F { 0 }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        if case .unknown = shape { shape = .object(properties: [], optional: []) }
        return KeyedDecodingContainer(KeyedProbe<Key>(probe: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        if case .unknown = shape { shape = .array(nil) }
        return UnkeyedProbe(probe: self)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleProbe(probe: self) }

    func record(key: String, schema: JSONValue) {
        guard case .object(var properties, let optional) = shape else { return }
        if !properties.contains(where: { $0.0 == key }) { properties.append((key, schema)) }
        shape = .object(properties: properties, optional: optional)
    }

    func markOptional(_ key: String) {
        guard case .object(let properties, var optional) = shape else { return }
        optional.insert(key)
        shape = .object(properties: properties, optional: optional)
    }

    struct KeyedProbe<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let probe: SchemaProbe
        var codingPath: [any CodingKey] { probe.codingPath }
        var allKeys: [Key] { [] }

        /// `decodeIfPresent` asks `contains` first: such members are optional.
        func contains(_ key: Key) -> Bool {
            probe.markOptional(key.stringValue)
            return true
        }

        func decodeNil(forKey key: Key) throws -> Bool { false }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            let (schema, value) = try SchemaProbe.schema(of: T.self, depth: probe.depth)
            probe.record(key: key.stringValue, schema: schema)
            return value
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
            -> KeyedDecodingContainer<NestedKey>
        {
            throw ToolSchemaError(description: "nested containers are not supported (key \(key.stringValue))")
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            throw ToolSchemaError(description: "nested containers are not supported (key \(key.stringValue))")
        }

        func superDecoder() throws -> any Decoder { throw ToolSchemaError(description: "superDecoder is not supported") }
        func superDecoder(forKey key: Key) throws -> any Decoder {
            throw ToolSchemaError(description: "superDecoder is not supported")
        }
    }

    /// Reports one element, then the end.
    struct UnkeyedProbe: UnkeyedDecodingContainer {
        let probe: SchemaProbe
        var codingPath: [any CodingKey] { probe.codingPath }
        var count: Int? { nil }
        var currentIndex = 0
        var isAtEnd: Bool { currentIndex > 0 }

        mutating func decodeNil() throws -> Bool { false }

        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            let (schema, value) = try SchemaProbe.schema(of: T.self, depth: probe.depth)
            if currentIndex == 0 { probe.shape = .array(schema) }
            currentIndex += 1
            return value
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
            -> KeyedDecodingContainer<NestedKey>
        {
            throw ToolSchemaError(description: "nested containers are not supported")
        }

        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
            throw ToolSchemaError(description: "nested containers are not supported")
        }

        mutating func superDecoder() throws -> any Decoder { throw ToolSchemaError(description: "superDecoder is not supported") }
    }

    struct SingleProbe: SingleValueDecodingContainer {
        let probe: SchemaProbe
        var codingPath: [any CodingKey] { probe.codingPath }

        func decodeNil() -> Bool { false }

        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            let (schema, value) = try SchemaProbe.schema(of: T.self, depth: probe.depth)
            probe.shape = .value(schema)
            return value
        }
    }
}
