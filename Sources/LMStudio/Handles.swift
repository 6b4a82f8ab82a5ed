public import LMStudioProtocol

/// A loaded LLM instance: predictions, tokenization, prompt templates and its configuration.
///
/// Obtained from `client.llm.model(_:)`, `model()`, `load(_:)`. The handle addresses the
/// instance by identifier (`{"type":"query","query":{"identifier":…}}`, as lmstudio-python
/// does), so it follows a reload under the same identifier. A cheap `Sendable` value.
///
/// ```swift
/// let model = try await client.llm.model("qwen2.5-7b-instruct")
/// let result = try await model.respond("What is 2 + 2?")
/// print(result.content)
/// ```
public struct LLM: Sendable {
    /// The instance identifier.
    public let identifier: String
    /// The downloaded model's key.
    public let modelKey: String
    /// The instance description as of when the handle was made.
    public let loadedInfo: LoadedModel

    let connection: NamespaceConnection
    let rpc: InstanceRPC

    init(connection: NamespaceConnection, info: LoadedModel) {
        self.connection = connection
        self.identifier = info.identifier
        self.modelKey = info.modelKey
        self.loadedInfo = info
        self.rpc = InstanceRPC(connection: connection, identifier: info.identifier)
    }

    /// The current description of the instance. The corresponding LM Studio endpoint is
    /// `llm.getModelInfo` (`throwIfNotFound: true`).
    ///
    /// - Throws: `modelNotFound` when the instance is gone.
    public func info() async throws(LMStudioError) -> ModelInfo { try await rpc.info() }

    /// The effective load configuration. The corresponding LM Studio endpoint is `llm.getLoadConfig`.
    public func loadConfiguration() async throws(LMStudioError) -> LLMLoadConfiguration {
        LLMLoadConfiguration(kvConfig: try await rpc.loadConfig())
    }

    /// The effective load configuration as raw KV fields. The corresponding LM Studio endpoint
    /// is `llm.getLoadConfig`.
    public func loadConfigurationFields() async throws(LMStudioError) -> KVConfig { try await rpc.loadConfig() }

    /// The context length the instance was loaded with. The corresponding LM Studio endpoint
    /// is `llm.getModelInfo` (one round trip, as lmstudio-python does).
    public func contextLength() async throws(LMStudioError) -> Int { try await rpc.info().contextLength }

    /// The token ids of a text. The corresponding LM Studio endpoint is `llm.tokenize`.
    public func tokenize(_ text: String) async throws(LMStudioError) -> [Int] { try await rpc.tokenize(text) }

    /// The token ids of several texts, in order (one `llm.tokenize` call each, concurrently).
    public func tokenize(_ texts: [String]) async throws(LMStudioError) -> [[Int]] { try await rpc.tokenize(texts) }

    /// The number of tokens of a text. The corresponding LM Studio endpoint is `llm.countTokens`.
    public func countTokens(_ text: String) async throws(LMStudioError) -> Int { try await rpc.countTokens(text) }

    /// The chat formatted with the model's prompt template. The corresponding LM Studio
    /// endpoint is `llm.applyPromptTemplate`.
    public func applyPromptTemplate(_ chat: Chat) async throws(LMStudioError) -> String {
        let parameter: JSONValue = [
            "specifier": rpc.specifier, "history": chat.jsonValue,
            "predictionConfigStack": KVConfigStack.empty.jsonValue, "opts": [:],
        ]
        let result = try await connection.call("applyPromptTemplate", parameter: parameter)
        return result?["formatted"]?.stringValue ?? ""
    }

    /// Unloads the instance. The corresponding LM Studio endpoint is `llm.unloadModel`.
    public func unload() async throws(LMStudioError) { try await rpc.unload() }

    // MARK: Predictions

    /// Streams the model's reply to a chat.
    ///
    /// The corresponding LM Studio endpoint is `llm.predict` (channel), opened when iteration
    /// or ``PredictionStream/result()`` starts. Cancelling the consuming task sends `cancel`.
    ///
    /// ```swift
    /// let stream = model.respondStream(Chat(system: "Be brief.").appending(.user("Hi")))
    /// for try await fragment in stream { print(fragment.content, terminator: "") }
    /// print(try await stream.result().stats.stopReason)
    /// ```
    public func respondStream(
        _ chat: Chat, configuration: PredictionConfiguration = .init(), callbacks: PredictionCallbacks = .init()
    ) -> PredictionStream {
        stream(history: chat.jsonValue, configuration: configuration, callbacks: callbacks, completion: false)
    }

    /// Streams the model's reply to one user message. The corresponding LM Studio endpoint is `llm.predict`.
    public func respondStream(
        _ text: String, configuration: PredictionConfiguration = .init(), callbacks: PredictionCallbacks = .init()
    ) -> PredictionStream {
        respondStream(Chat(stringLiteral: text), configuration: configuration, callbacks: callbacks)
    }

    /// Streams the model's reply to a list of messages. The corresponding LM Studio endpoint is `llm.predict`.
    public func respondStream(
        _ messages: [ChatMessage], configuration: PredictionConfiguration = .init(), callbacks: PredictionCallbacks = .init()
    ) -> PredictionStream {
        respondStream(Chat(messages), configuration: configuration, callbacks: callbacks)
    }

    /// The model's reply to a chat.
    ///
    /// The corresponding LM Studio endpoint is `llm.predict`. If the calling task is
    /// cancelled, the server is told to stop and the partial result (stop reason
    /// `.userStopped`) is returned.
    ///
    /// - Throws: ``LMStudioError``: `modelNotFound` when the instance is gone,
    ///   `presetNotFound`, `timeout` for a missed deadline, connection errors.
    public func respond(
        _ chat: Chat, configuration: PredictionConfiguration = .init(), callbacks: PredictionCallbacks = .init()
    ) async throws(LMStudioError) -> PredictionResult {
        try await respondStream(chat, configuration: configuration, callbacks: callbacks).result()
    }

    /// The model's reply to one user message. The corresponding LM Studio endpoint is `llm.predict`.
    public func respond(
        _ text: String, configuration: PredictionConfiguration = .init(), callbacks: PredictionCallbacks = .init()
    ) async throws(LMStudioError) -> PredictionResult {
        try await respondStream(text, configuration: configuration, callbacks: callbacks).result()
    }

    /// The model's reply to a list of messages. The corresponding LM Studio endpoint is `llm.predict`.
    public func respond(
        _ messages: [ChatMessage], configuration: PredictionConfiguration = .init(), callbacks: PredictionCallbacks = .init()
    ) async throws(LMStudioError) -> PredictionResult {
        try await respondStream(messages, configuration: configuration, callbacks: callbacks).result()
    }

    /// Streams a raw text completion of a prompt (no chat template).
    ///
    /// The corresponding LM Studio endpoint is `llm.predict` with a `completeModeFormatting`
    /// layer whose template only concatenates the prompt (PROTOCOL.md §7.2, variant 1, which
    /// works with every server). Stop strings default to none, so presets cannot add any.
    public func completeStream(
        _ prompt: String, configuration: PredictionConfiguration = .init(), callbacks: PredictionCallbacks = .init()
    ) -> PredictionStream {
        stream(history: Chat(stringLiteral: prompt).jsonValue, configuration: configuration, callbacks: callbacks, completion: true)
    }

    /// A raw text completion of a prompt. The corresponding LM Studio endpoint is `llm.predict`
    /// (see ``completeStream(_:configuration:callbacks:)``).
    public func complete(
        _ prompt: String, configuration: PredictionConfiguration = .init(), callbacks: PredictionCallbacks = .init()
    ) async throws(LMStudioError) -> PredictionResult {
        try await completeStream(prompt, configuration: configuration, callbacks: callbacks).result()
    }

    static let completionTemplate: JSONValue = [
        "type": "jinja",
        "jinjaPromptTemplate": [
            "bosToken": "", "eosToken": "",
            "template": "{% for message in messages %}{{ message['content'] }}{% endfor %}",
            "inputConfig": ["messagesConfig": ["contentConfig": ["type": "string"]], "useTools": false],
        ],
        "stopStrings": [],
    ]

    func stream(history: JSONValue, configuration: PredictionConfiguration, callbacks: PredictionCallbacks, completion: Bool)
        -> PredictionStream
    {
        var config = configuration.kvConfig
        var stack = KVConfigStack.apiOverride(config)
        if completion {
            if configuration.stopStrings == nil && configuration.raw["llm.prediction.stopStrings"] == nil {
                config["llm.prediction.stopStrings"] = []
                stack = KVConfigStack.apiOverride(config)
            }
            stack = stack.appending(
                .completeModeFormatting, KVConfig(fields: [KVConfigField(key: "llm.prediction.promptTemplate", value: Self.completionTemplate)])
            )
        }
        var parameter: [String: JSONValue] = [
            "modelSpecifier": rpc.specifier, "history": history, "predictionConfigStack": stack.jsonValue,
        ]
        if let preset = configuration.preset { parameter["fuzzyPresetIdentifier"] = .string(preset) }
        return PredictionStream(
            core: PredictionCore(connection: connection, creationParameter: .object(parameter), callbacks: callbacks, configuration: configuration)
        )
    }
}

/// A loaded embedding model instance: embeddings, tokenization and its configuration.
///
/// Addressed by identifier, like ``LLM``. A cheap `Sendable` value.
///
/// ```swift
/// let model = try await client.embedding.model("text-embedding-nomic-embed-text-v1.5")
/// let vectors = try await model.embed(["first", "second"])
/// ```
public struct EmbeddingModel: Sendable {
    /// The instance identifier.
    public let identifier: String
    /// The downloaded model's key.
    public let modelKey: String
    /// The instance description as of when the handle was made.
    public let loadedInfo: LoadedModel

    let connection: NamespaceConnection
    let rpc: InstanceRPC

    init(connection: NamespaceConnection, info: LoadedModel) {
        self.connection = connection
        self.identifier = info.identifier
        self.modelKey = info.modelKey
        self.loadedInfo = info
        self.rpc = InstanceRPC(connection: connection, identifier: info.identifier)
    }

    /// The embedding vector of a text. The corresponding LM Studio endpoint is `embedding.embedString`.
    public func embed(_ text: String) async throws(LMStudioError) -> [Double] {
        let result = try await connection.call("embedString", parameter: ["modelSpecifier": rpc.specifier, "inputString": .string(text)])
        guard let vector = result?["embedding"]?.arrayValue else {
            throw LMStudioError.unexpected("embedString without an embedding", endpoint: "embedString")
        }
        return vector.compactMap(\.doubleValue)
    }

    /// The embedding vectors of several texts, in order (one `embedding.embedString` call
    /// each, concurrently).
    public func embed(_ texts: [String]) async throws(LMStudioError) -> [[Double]] {
        let model = self
        return try await concurrently(texts) { text throws(LMStudioError) in try await model.embed(text) }
    }

    /// The current description of the instance. The corresponding LM Studio endpoint is `embedding.getModelInfo`.
    public func info() async throws(LMStudioError) -> ModelInfo { try await rpc.info() }

    /// The effective load configuration. The corresponding LM Studio endpoint is `embedding.getLoadConfig`.
    public func loadConfiguration() async throws(LMStudioError) -> EmbeddingLoadConfiguration {
        EmbeddingLoadConfiguration(kvConfig: try await rpc.loadConfig())
    }

    /// The context length the instance was loaded with. The corresponding LM Studio endpoint is `embedding.getModelInfo`.
    public func contextLength() async throws(LMStudioError) -> Int { try await rpc.info().contextLength }

    /// The token ids of a text. The corresponding LM Studio endpoint is `embedding.tokenize`.
    public func tokenize(_ text: String) async throws(LMStudioError) -> [Int] { try await rpc.tokenize(text) }

    /// The token ids of several texts (one `embedding.tokenize` call each).
    public func tokenize(_ texts: [String]) async throws(LMStudioError) -> [[Int]] { try await rpc.tokenize(texts) }

    /// The number of tokens of a text. The corresponding LM Studio endpoint is `embedding.countTokens`.
    public func countTokens(_ text: String) async throws(LMStudioError) -> Int { try await rpc.countTokens(text) }

    /// Unloads the instance. The corresponding LM Studio endpoint is `embedding.unloadModel`.
    public func unload() async throws(LMStudioError) { try await rpc.unload() }
}
