public import LMStudioProtocol

/// A function the model may call during ``LLM/act(_:tools:configuration:callbacks:)``.
///
/// Offered to the model through the `llm.prediction.tools` key of `llm.predict`
/// (`{"type":"function","function":{"name":…,"description":…,"parameters":…}}`, PROTOCOL.md
/// §10.2). The implementation runs in this process; its return value is sent back to the model,
/// JSON-encoded, in a `tool` message of the next `llm.predict` round.
///
/// ```swift
/// let add = Tool(
///     name: "add", description: "Add two integers.",
///     parameters: ["type": "object", "properties": ["a": ["type": "integer"], "b": ["type": "integer"]],
///                  "required": ["a", "b"]]
/// ) { arguments in
///     .int((arguments["a"]?.int64Value ?? 0) + (arguments["b"]?.int64Value ?? 0))
/// }
/// ```
public struct Tool: Sendable {
    /// The name the model calls the tool by (unique within one `act`).
    public var name: String
    /// What the tool does, for the model.
    public var description: String
    /// The JSON Schema of the arguments object (`{"type":"object","properties":…}`).
    public var parameters: JSONValue
    /// Runs the tool with the arguments object the model produced (`{}` when it gave none) and
    /// returns the value to send back to the model. Throwing reports the error to the model
    /// (see ``ActConfiguration/handleToolFailure``).
    public var implementation: @Sendable (JSONValue) async throws -> JSONValue

    /// Creates a tool from a JSON Schema and a function of the raw arguments object. Sent in
    /// `llm.prediction.tools` of `llm.predict`.
    ///
    /// - Parameters:
    ///   - name: The name the model calls the tool by.
    ///   - description: What the tool does.
    ///   - parameters: The JSON Schema of the arguments object.
    ///   - implementation: The function; its result is sent back JSON-encoded (a string
    ///     result therefore arrives quoted, as with the official SDKs).
    public init(
        name: String, description: String, parameters: JSONValue = ["type": "object", "properties": [:]],
        implementation: @escaping @Sendable (JSONValue) async throws -> JSONValue
    ) {
        self.name = name
        self.description = description
        self.parameters = parameters
        self.implementation = implementation
    }

    /// Creates a tool whose arguments decode as a `Decodable` type and whose result is
    /// `Encodable`. Sent in `llm.prediction.tools` of `llm.predict`.
    ///
    /// Arguments that do not decode are an invalid tool request: the tool does not run and the
    /// model is told why (see ``ActConfiguration/handleToolFailure``).
    ///
    /// ```swift
    /// struct Sum: Decodable { var a: Int; var b: Int }
    /// let add = Tool(name: "add", description: "Add two integers.", arguments: Sum.self,
    ///                parameters: ToolSchema.object(["a": .integer, "b": .integer])) { $0.a + $0.b }
    /// ```
    ///
    /// - Parameters:
    ///   - name: The name the model calls the tool by.
    ///   - description: What the tool does.
    ///   - arguments: The type the arguments object decodes as.
    ///   - parameters: The JSON Schema of that type.
    ///   - implementation: The function.
    public init<Arguments: Decodable & SendableMetatype, Output: Encodable & SendableMetatype>(
        name: String, description: String, arguments: Arguments.Type, parameters: JSONValue,
        implementation: @escaping @Sendable (Arguments) async throws -> Output
    ) {
        self.init(name: name, description: description, parameters: parameters) { raw in
            let decoded: Arguments
            do {
                decoded = try JSONValueDecoder().decode(Arguments.self, from: raw)
            } catch {
                throw ToolArgumentError(description: "\(error)")
            }
            return try JSONValueEncoder().encode(try await implementation(decoded))
        }
    }

    /// The wire definition (`LLMTool`) sent in `llm.prediction.tools` of `llm.predict`.
    public var definition: JSONValue {
        [
            "type": "function",
            "function": ["name": .string(name), "description": .string(description), "parameters": parameters],
        ]
    }
}

/// Thrown by a ``Tool`` built from a `Decodable` arguments type when the model's arguments
/// (from a `toolCallGenerationEnd` packet of `llm.predict`) do not decode; `act` reports it as
/// an invalid tool request.
public struct ToolArgumentError: Error, Sendable, CustomStringConvertible {
    /// Why the arguments did not decode.
    public var description: String

    /// Creates the error. Reported through `llm.predict` tool results.
    public init(description: String) { self.description = description }
}

/// Small builders for the JSON Schemas of tool parameters (the `parameters` member of an
/// `LLMTool`, sent in `llm.prediction.tools` of `llm.predict`).
///
/// ```swift
/// let schema = ToolSchema.object(["city": .string, "days": .integer], optional: ["days"])
/// ```
public enum ToolSchema: Sendable, Hashable {
    /// `{"type":"string"}`.
    case string
    /// `{"type":"integer"}`.
    case integer
    /// `{"type":"number"}`.
    case number
    /// `{"type":"boolean"}`.
    case boolean
    /// `{"type":"array","items":…}`.
    indirect case array(ToolSchema)
    /// Any schema, verbatim.
    case schema(JSONValue)

    /// The JSON Schema of this property (part of `llm.prediction.tools` of `llm.predict`).
    public var jsonValue: JSONValue {
        switch self {
        case .string: ["type": "string"]
        case .integer: ["type": "integer"]
        case .number: ["type": "number"]
        case .boolean: ["type": "boolean"]
        case .array(let items): ["type": "array", "items": items.jsonValue]
        case .schema(let schema): schema
        }
    }

    /// An object schema with these properties, all required except those in `optional`, in
    /// the shape lmstudio-python derives from a function signature (sent in
    /// `llm.prediction.tools` of `llm.predict`).
    ///
    /// - Parameters:
    ///   - properties: The properties by name.
    ///   - optional: Names that are not required.
    /// - Returns: `{"type":"object","properties":…,"required":[…]}` (required names sorted).
    public static func object(_ properties: [String: ToolSchema], optional: Set<String> = []) -> JSONValue {
        var members: [String: JSONValue] = [:]
        for (name, schema) in properties { members[name] = schema.jsonValue }
        let required = properties.keys.filter { !optional.contains($0) }.sorted()
        return ["type": "object", "properties": .object(members), "required": .array(required.map(JSONValue.string))]
    }
}
