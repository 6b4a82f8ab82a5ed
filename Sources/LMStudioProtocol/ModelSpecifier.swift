/// A model domain string: what kind of model a query or model info refers to (PROTOCOL.md §8).
///
/// The type is open so that domains added by newer servers still decode.
public struct ModelDomain: OpenStringValue {
    /// The wire name.
    public var rawValue: String

    /// Creates a domain from its wire name.
    ///
    /// - Parameter rawValue: The wire name, such as `"llm"`.
    public init(rawValue: String) { self.rawValue = rawValue }





    /// Large language models.
    public static let llm: ModelDomain = "llm"
    /// Embedding models.
    public static let embedding: ModelDomain = "embedding"
    /// Speculative-decoding draft models (newer servers only).
    public static let drafter: ModelDomain = "drafter"
    /// Image generation models.
    public static let imageGen: ModelDomain = "imageGen"
    /// Speech-to-text models.
    public static let transcription: ModelDomain = "transcription"
    /// Text-to-speech models.
    public static let tts: ModelDomain = "tts"
}

/// Which loaded model a request means, by properties (PROTOCOL.md §8, `ModelQuery`).
///
/// Every member is optional; an empty query matches any loaded model of the namespace's
/// domain. Absent members are left out of the JSON.
///
/// ```swift
/// let query = ModelQuery(identifier: "qwen2.5-7b-instruct")
/// let specifier = ModelSpecifier.query(query)
/// ```
public struct ModelQuery: Sendable, Hashable {
    /// Restricts the device a model runs on (newer servers only).
    public enum Device: Sendable, Hashable {
        /// Only models on this machine (`"deviceIdentifier": null`).
        case local
        /// Only models on the named device.
        case identifier(String)
    }

    /// The model's domain.
    public var domain: ModelDomain?
    /// The exact identifier of a loaded instance.
    public var identifier: String?
    /// A repository-style path, `<publisher>/<repo>[/<file>]`.
    public var path: String?
    /// Require (`true`) or exclude (`false`) vision capability.
    public var vision: Bool?
    /// Restrict the device; `nil` leaves the member out.
    public var device: Device?

    /// Creates a query.
    ///
    /// - Parameters:
    ///   - domain: The model's domain.
    ///   - identifier: The exact identifier of a loaded instance.
    ///   - path: A repository-style model path.
    ///   - vision: Require or exclude vision capability.
    ///   - device: Restrict the device.
    public init(
        domain: ModelDomain? = nil,
        identifier: String? = nil,
        path: String? = nil,
        vision: Bool? = nil,
        device: Device? = nil
    ) {
        self.domain = domain
        self.identifier = identifier
        self.path = path
        self.vision = vision
        self.device = device
    }

    /// The query as its JSON object.
    public var jsonValue: JSONValue {
        var members: [String: JSONValue] = [:]
        if let domain { members["domain"] = .string(domain.rawValue) }
        if let identifier { members["identifier"] = .string(identifier) }
        if let path { members["path"] = .string(path) }
        if let vision { members["vision"] = .bool(vision) }
        switch device {
        case nil: break
        case .local: members["deviceIdentifier"] = .null
        case .identifier(let id): members["deviceIdentifier"] = .string(id)
        }
        return .object(members)
    }

    /// Decodes a query leniently: members of the wrong type count as absent.
    ///
    /// - Parameter jsonValue: The query object.
    /// - Throws: ``EnvelopeError/notAnObject`` when the value is not an object.
    public init(jsonValue: JSONValue) throws(EnvelopeError) {
        guard case .object(let members) = jsonValue else { throw .notAnObject }
        domain = members["domain"]?.stringValue.map(ModelDomain.init(rawValue:))
        identifier = members["identifier"]?.stringValue
        path = members["path"]?.stringValue
        vision = members["vision"]?.boolValue
        switch members["deviceIdentifier"] {
        case .null?: device = .local
        case .string(let id)?: device = .identifier(id)
        default: device = nil
        }
    }
}

/// How a request names its model: by query or by instance reference (PROTOCOL.md §8).
///
/// `{"type":"query","query":{…}}` follows whatever instance currently matches (the Python
/// SDK's behaviour); `{"type":"instanceReference","instanceReference":…}` pins one loaded
/// instance and fails with `generic.specificModelUnloaded` once it is gone (lmstudio-js).
///
/// ```swift
/// let parameter: JSONValue = [
///     "specifier": ModelSpecifier.identifier("qwen2.5-7b-instruct").jsonValue,
///     "inputString": "Hello there",
/// ]
/// ```
public enum ModelSpecifier: Sendable, Hashable, Codable {
    /// Any loaded model matching the query.
    case query(ModelQuery)
    /// Exactly the loaded instance with this opaque reference.
    case instanceReference(String)

    /// A query by loaded-instance identifier, the most common specifier.
    ///
    /// - Parameter identifier: The instance identifier.
    /// - Returns: `.query(ModelQuery(identifier: identifier))`.
    public static func identifier(_ identifier: String) -> ModelSpecifier {
        .query(ModelQuery(identifier: identifier))
    }

    /// The specifier as its JSON object.
    public var jsonValue: JSONValue {
        switch self {
        case .query(let query): return ["type": "query", "query": query.jsonValue]
        case .instanceReference(let reference):
            return ["type": "instanceReference", "instanceReference": .string(reference)]
        }
    }

    /// Decodes a specifier from its JSON object.
    ///
    /// - Parameter jsonValue: The specifier object.
    /// - Throws: ``EnvelopeError`` when `type` is missing or unknown, or its member is missing.
    public init(jsonValue: JSONValue) throws(EnvelopeError) {
        guard case .object(let members) = jsonValue else { throw .notAnObject }
        let type = try EnvelopeFields.string(members["type"], "type", "model specifier")
        switch type {
        case "query":
            guard let query = members["query"] else {
                throw .missingMember(messageType: "model specifier", member: "query", expected: "object")
            }
            self = .query(try ModelQuery(jsonValue: query))
        case "instanceReference":
            self = .instanceReference(
                try EnvelopeFields.string(members["instanceReference"], "instanceReference", "model specifier"))
        default:
            throw .invalidMember(
                messageType: "model specifier", member: "type", expected: "\"query\" or \"instanceReference\"")
        }
    }

    /// Decodes a specifier through any decoder.
    ///
    /// - Parameter decoder: The decoder.
    /// - Throws: `DecodingError.dataCorrupted` wrapping the ``EnvelopeError``.
    public init(from decoder: any Decoder) throws {
        let value = try JSONValue(from: decoder)
        do {
            self = try ModelSpecifier(jsonValue: value)
        } catch {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: error.description, underlyingError: error))
        }
    }

    /// Encodes the specifier as its JSON object.
    ///
    /// - Parameter encoder: The encoder.
    /// - Throws: Errors from the encoder.
    public func encode(to encoder: any Encoder) throws {
        try jsonValue.encode(to: encoder)
    }
}
