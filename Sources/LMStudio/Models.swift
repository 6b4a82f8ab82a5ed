public import LMStudioProtocol

/// A model downloaded on the server's machine, as `system.listDownloadedModels` reports it.
///
/// The corresponding LM Studio endpoint is `system.listDownloadedModels` (PROTOCOL.md §10.6,
/// `ModelInfo`). Members that only newer servers send are optional.
///
/// ```swift
/// for model in try await client.system.listDownloadedModels() where model.type == .llm {
///     print(model.modelKey, model.paramsString ?? "?")
/// }
/// ```
public struct DownloadedModel: Sendable, Hashable {
    /// The key to load the model by, such as `qwen2.5-7b-instruct`.
    public var modelKey: String
    /// The model's domain: `.llm` or `.embedding`.
    public var type: ModelDomain
    /// The file format, such as `"gguf"` or `"safetensors"`.
    public var format: String
    /// A human-readable name.
    public var displayName: String
    /// The repository-style path of the model files.
    public var path: String
    /// The size on disk in bytes.
    public var sizeBytes: Int
    /// The architecture name, such as `"qwen2"`.
    public var architecture: String?
    /// The parameter count as text, such as `"7B"`.
    public var paramsString: String?
    /// The longest context the model supports.
    public var maxContextLength: Int?
    /// Whether the model was trained for tool use (LLMs only; `false` when not reported).
    public var trainedForToolUse: Bool
    /// Whether the model accepts images (LLMs only; `false` when not reported).
    public var vision: Bool
    /// The publisher (newer servers only).
    public var publisher: String?
    /// The quantization name, such as `"Q4_K_M"` (newer servers only).
    public var quantization: String?

    /// Decodes the wire `ModelInfo` object leniently (only `modelKey` is required).
    init?(json: JSONValue) {
        guard case .object(let m) = json, let key = m["modelKey"]?.stringValue else { return nil }
        modelKey = key
        type = ModelDomain(rawValue: m["type"]?.stringValue ?? "llm")
        format = m["format"]?.stringValue ?? ""
        displayName = m["displayName"]?.stringValue ?? key
        path = m["path"]?.stringValue ?? key
        sizeBytes = m["sizeBytes"]?.intValue ?? 0
        architecture = m["architecture"]?.stringValue
        paramsString = m["paramsString"]?.stringValue
        maxContextLength = m["maxContextLength"]?.intValue
        trainedForToolUse = m["trainedForToolUse"]?.boolValue ?? false
        vision = m["vision"]?.boolValue ?? false
        publisher = m["publisher"]?.stringValue
        quantization = m["quantization"]?["name"]?.stringValue
    }
}

/// A loaded model instance, as `listLoaded`, `getModelInfo`, load results and `predict`'s
/// `success.modelInfo` describe it.
///
/// The corresponding LM Studio endpoints are `llm.listLoaded` / `embedding.listLoaded` and
/// `getModelInfo` (PROTOCOL.md §10.6, `ModelInstanceInfo`). Decoding is by hand and lenient:
/// only `identifier` (or `modelKey`) is required.
///
/// ```swift
/// for instance in try await client.llm.listLoaded() {
///     print(instance.identifier, instance.contextLength)
/// }
/// ```
public struct LoadedModel: Sendable, Hashable {
    /// The instance's identifier, used to address it (`ModelQuery.identifier`).
    public var identifier: String
    /// The opaque reference of this very instance (changes when it is reloaded).
    public var instanceReference: String
    /// The key of the downloaded model the instance was loaded from.
    public var modelKey: String
    /// The model's domain: `.llm` or `.embedding`.
    public var type: ModelDomain
    /// The context length the instance was loaded with (`-1` when not reported).
    public var contextLength: Int
    /// The repository-style path of the model files.
    public var path: String
    /// A human-readable name.
    public var displayName: String
    /// The file format, such as `"gguf"`.
    public var format: String
    /// The size on disk in bytes.
    public var sizeBytes: Int
    /// The architecture name.
    public var architecture: String?
    /// The parameter count as text, such as `"7B"`.
    public var paramsString: String?
    /// The longest context the model supports.
    public var maxContextLength: Int?
    /// Whether the model was trained for tool use (`false` when not reported).
    public var trainedForToolUse: Bool
    /// Whether the model accepts images (`false` when not reported).
    public var vision: Bool
    /// The idle time-to-live the server applies (newer servers only).
    public var ttl: Duration?

    /// Decodes the wire `ModelInstanceInfo` object leniently.
    init?(json: JSONValue) {
        guard case .object(let m) = json else { return nil }
        let key = m["modelKey"]?.stringValue
        guard let identifier = m["identifier"]?.stringValue ?? key else { return nil }
        self.identifier = identifier
        modelKey = key ?? identifier
        instanceReference = m["instanceReference"]?.stringValue ?? ""
        type = ModelDomain(rawValue: m["type"]?.stringValue ?? "llm")
        contextLength = m["contextLength"]?.intValue ?? -1
        path = m["path"]?.stringValue ?? modelKey
        displayName = m["displayName"]?.stringValue ?? modelKey
        format = m["format"]?.stringValue ?? ""
        sizeBytes = m["sizeBytes"]?.intValue ?? 0
        architecture = m["architecture"]?.stringValue
        paramsString = m["paramsString"]?.stringValue
        maxContextLength = m["maxContextLength"]?.intValue
        trainedForToolUse = m["trainedForToolUse"]?.boolValue ?? false
        vision = m["vision"]?.boolValue ?? false
        ttl = m["ttlMs"]?.doubleValue.map { .milliseconds($0) }
    }
}

/// The description of a loaded model instance returned by `info()` on a handle.
///
/// The corresponding LM Studio endpoint is `getModelInfo`.
public typealias ModelInfo = LoadedModel

/// The LM Studio server's version, from `system.version`.
///
/// The corresponding LM Studio endpoint is `system.version`.
public struct ServerVersion: Sendable, Hashable, CustomStringConvertible {
    /// The version, `"major.minor.patch"`.
    public var version: String
    /// The build number.
    public var build: Int

    /// `"<version> (build <build>)"`.
    public var description: String { "\(version) (build \(build))" }
}

// MARK: - Decoding helpers

extension LMStudioError {
    /// The server answered something this SDK cannot interpret.
    static func unexpected(_ what: String, endpoint: String) -> LMStudioError {
        LMStudioError(.protocolViolation, "unexpected reply from the server: \(what)", endpoint: endpoint)
    }
}

/// Converts a TTL to the wire's integer milliseconds, rejecting values below one second.
func ttlMilliseconds(_ ttl: Duration?, endpoint: String) throws(LMStudioError) -> Int64? {
    guard let ttl else { return nil }
    let (seconds, attoseconds) = ttl.components
    let ms = seconds * 1000 + attoseconds / 1_000_000_000_000_000
    guard ms >= 1000 else {
        throw LMStudioError(.invalidArgument, "a model TTL must be at least one second (got \(ttl))", endpoint: endpoint)
    }
    return ms
}
