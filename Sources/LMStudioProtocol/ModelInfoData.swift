/// A downloaded model or a loaded instance, as the server describes it (PROTOCOL.md §10.6).
///
/// One type covers both `ModelInfo` (downloaded; from `listDownloadedModels`, `loadModel`'s
/// `resolved`, `getOrLoad`'s `startLoading`) and `ModelInstanceInfo` (loaded; from
/// `listLoaded`, `getModelInfo`, load results and `predict`'s `success.modelInfo`): the
/// instance members are optional and ``isLoadedInstance`` tells them apart. Members that only
/// newer servers send are optional; unknown members are ignored.
///
/// ```swift
/// let models = try JSONValueDecoder().decode([ModelInfoData].self, from: result ?? [])
/// let llms = models.filter { $0.type == "llm" }
/// ```
public struct ModelInfoData: Sendable, Hashable, Codable {
    /// A quantization description, such as `{"name":"Q4_K_M","bits":4}`.
    public struct Quantization: Sendable, Hashable, Codable {
        /// The quantization's name.
        public var name: String
        /// Bits per weight.
        public var bits: Int?

        /// Creates a quantization description.
        ///
        /// - Parameters:
        ///   - name: The quantization's name.
        ///   - bits: Bits per weight.
        public init(name: String, bits: Int? = nil) {
            self.name = name
            self.bits = bits
        }
    }

    /// The model's domain: `"llm"` or `"embedding"` (open).
    public var type: String
    /// The key of the downloaded model, such as `qwen2.5-7b-instruct`.
    public var modelKey: String
    /// The file format, such as `"gguf"` or `"safetensors"` (open).
    public var format: String
    /// A human-readable name.
    public var displayName: String
    /// The repository-style path of the model files.
    public var path: String
    /// The size on disk in bytes.
    public var sizeBytes: Int
    /// The parameter count as text, such as `"7B"`.
    public var paramsString: String?
    /// The architecture name.
    public var architecture: String?
    /// The publisher (newer servers only).
    public var publisher: String?
    /// The indexed model identifier (newer servers only).
    public var indexedModelIdentifier: String?
    /// The device the model lives on; `nil` for local or when not reported.
    public var deviceIdentifier: String?
    /// The quantization (newer servers only).
    public var quantization: Quantization?
    /// Available variants (newer servers only).
    public var variants: [String]?
    /// The selected variant (newer servers only).
    public var selectedVariant: String?
    /// Whether the model accepts images (LLMs only).
    public var vision: Bool?
    /// Whether the model was trained for tool use (LLMs only).
    public var trainedForToolUse: Bool?
    /// The largest supported context length.
    public var maxContextLength: Int?
    /// The identifier of a loaded instance.
    public var identifier: String?
    /// The opaque reference of a loaded instance (for `instanceReference` specifiers).
    public var instanceReference: String?
    /// The context length a loaded instance was loaded with.
    public var contextLength: Int?
    /// The idle time-to-live of a loaded instance in milliseconds (newer servers only).
    public var ttlMs: Double?
    /// When a loaded instance was last used, in milliseconds since the epoch (newer servers only).
    public var lastUsedTime: Double?

    /// Whether this describes a loaded instance (it has an ``identifier`` and ``instanceReference``).
    public var isLoadedInstance: Bool {
        identifier != nil && instanceReference != nil
    }

    /// Creates a description with the members every server sends; set the rest as needed.
    ///
    /// - Parameters:
    ///   - type: The model's domain.
    ///   - modelKey: The downloaded model's key.
    ///   - format: The file format.
    ///   - displayName: A human-readable name.
    ///   - path: The repository-style path.
    ///   - sizeBytes: The size on disk.
    public init(type: String, modelKey: String, format: String, displayName: String, path: String, sizeBytes: Int) {
        self.type = type
        self.modelKey = modelKey
        self.format = format
        self.displayName = displayName
        self.path = path
        self.sizeBytes = sizeBytes
    }
}
