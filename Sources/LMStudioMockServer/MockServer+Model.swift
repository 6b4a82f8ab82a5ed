/// Models the mock server knows about.
extension MockServer {
    /// The domain of a model: the namespace it is served through.
    public enum ModelKind: String, Sendable, Hashable {
        /// A chat/completion model, served through `/llm`.
        case llm
        /// An embedding model, served through `/embedding`.
        case embedding
    }

    /// One downloaded model in the mock's catalogue, optionally loaded at start.
    ///
    /// The catalogue is what `system.listDownloadedModels` reports; models with
    /// ``isLoaded`` set also appear in `listLoaded` from the start, under ``modelKey`` as
    /// their instance identifier.
    ///
    /// ```swift
    /// var configuration = MockServer.Configuration()
    /// configuration.models = [.init(kind: .llm, modelKey: "my-model", isLoaded: true)]
    /// ```
    public struct Model: Sendable, Hashable {
        /// Whether this is an LLM or an embedding model.
        public var kind: ModelKind
        /// The model key (`ModelInfo.modelKey`), used to load it.
        public var modelKey: String
        /// The human-readable name (`ModelInfo.displayName`).
        public var displayName: String
        /// The repository-style path (`ModelInfo.path`), e.g. `publisher/repo/file.gguf`.
        public var path: String
        /// The file format (`gguf`, `safetensors`, …).
        public var format: String
        /// The size on disk in bytes.
        public var sizeBytes: Int64
        /// The parameter count as text, e.g. `"0.5B"`.
        public var paramsString: String?
        /// The architecture name, e.g. `"qwen2"`.
        public var architecture: String?
        /// Whether the model accepts images (LLMs only).
        public var vision: Bool
        /// Whether the model was trained for tool use (LLMs only).
        public var trainedForToolUse: Bool
        /// The longest context the model supports.
        public var maxContextLength: Int
        /// Whether the model is loaded when the server starts.
        public var isLoaded: Bool
        /// The embedding dimension (embedding models only).
        public var embeddingDimensions: Int

        /// Creates a catalogue entry.
        ///
        /// - Parameters:
        ///   - kind: LLM or embedding model.
        ///   - modelKey: the key clients load it by.
        ///   - displayName: defaults to `modelKey`.
        ///   - path: defaults to `mock/<modelKey>/<modelKey>.gguf`.
        ///   - isLoaded: whether it is loaded at start (as an instance named `modelKey`).
        public init(
            kind: ModelKind,
            modelKey: String,
            displayName: String? = nil,
            path: String? = nil,
            format: String = "gguf",
            sizeBytes: Int64 = 397_807_936,
            paramsString: String? = "0.5B",
            architecture: String? = "qwen2",
            vision: Bool = false,
            trainedForToolUse: Bool = false,
            maxContextLength: Int = 32_768,
            isLoaded: Bool = false,
            embeddingDimensions: Int = 8
        ) {
            self.kind = kind
            self.modelKey = modelKey
            self.displayName = displayName ?? modelKey
            self.path = path ?? "mock/\(modelKey)/\(modelKey).gguf"
            self.format = format
            self.sizeBytes = sizeBytes
            self.paramsString = paramsString
            self.architecture = architecture
            self.vision = vision
            self.trainedForToolUse = trainedForToolUse
            self.maxContextLength = maxContextLength
            self.isLoaded = isLoaded
            self.embeddingDimensions = embeddingDimensions
        }

        /// The default catalogue: a small loaded chat LLM with tool use, a loaded embedding
        /// model and an LLM that is downloaded but not loaded.
        ///
        /// Keys: `qwen2.5-0.5b-instruct` (loaded, tool use),
        /// `text-embedding-nomic-embed-text-v1.5` (loaded) and `llama-3.2-1b-instruct`
        /// (not loaded).
        public static let defaults: [Model] = [
            Model(
                kind: .llm, modelKey: "qwen2.5-0.5b-instruct", displayName: "Qwen2.5 0.5B Instruct",
                path: "lmstudio-community/Qwen2.5-0.5B-Instruct-GGUF/Qwen2.5-0.5B-Instruct-Q4_K_M.gguf",
                trainedForToolUse: true, isLoaded: true
            ),
            Model(
                kind: .embedding, modelKey: "text-embedding-nomic-embed-text-v1.5",
                displayName: "Nomic Embed Text v1.5",
                path: "nomic-ai/nomic-embed-text-v1.5-GGUF/nomic-embed-text-v1.5.Q4_K_M.gguf",
                sizeBytes: 84_106_624, paramsString: nil, architecture: "nomic-bert",
                maxContextLength: 2048, isLoaded: true, embeddingDimensions: 8
            ),
            Model(
                kind: .llm, modelKey: "llama-3.2-1b-instruct", displayName: "Llama 3.2 1B Instruct",
                path: "lmstudio-community/Llama-3.2-1B-Instruct-GGUF/Llama-3.2-1B-Instruct-Q4_K_M.gguf",
                sizeBytes: 807_690_656, paramsString: "1B", architecture: "llama",
                trainedForToolUse: true, maxContextLength: 131_072
            ),
        ]
    }
}
