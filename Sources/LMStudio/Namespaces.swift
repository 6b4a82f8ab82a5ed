import LMStudioProtocol

extension LMStudioClient {
    /// Large language models: listing, loading, `model(_:)` and predictions (the `llm`
    /// namespace socket).
    public var llm: LLMNamespace { LLMNamespace(core: core) }
    /// Embedding models (the `embedding` namespace socket).
    public var embedding: EmbeddingNamespace { EmbeddingNamespace(core: core) }
    /// Downloaded models and the server version (the `system` namespace socket).
    public var system: SystemNamespace { SystemNamespace(core: core) }
    /// Model search and downloads (the `repository` namespace socket).
    public var repository: RepositoryNamespace { RepositoryNamespace(core: core) }
    /// Server logs (the `diagnostics` namespace socket).
    public var diagnostics: DiagnosticsNamespace { DiagnosticsNamespace(core: core) }
}

/// LLM catalogue and lifecycle, over the `llm` namespace socket (PROTOCOL.md §7.1–§7.2).
///
/// A cheap value: create it with `client.llm` whenever needed.
///
/// ```swift
/// let model = try await client.llm.model("qwen2.5-7b-instruct")
/// let reply = try await model.respond("Hello!")
/// ```
public struct LLMNamespace: Sendable {
    let core: ClientCore
    var lifecycle: ModelLifecycle { ModelLifecycle(core: core, namespace: .llm) }

    func handle(_ info: LoadedModel) -> LLM { LLM(connection: core.connection(.llm), info: info) }

    /// The downloaded LLMs. The corresponding LM Studio endpoint is `system.listDownloadedModels`
    /// (filtered to `type == "llm"`).
    public func listDownloaded() async throws(LMStudioError) -> [DownloadedModel] {
        try await lifecycle.listDownloaded()
    }

    /// The loaded LLM instances. The corresponding LM Studio endpoint is `llm.listLoaded`.
    public func listLoaded() async throws(LMStudioError) -> [LoadedModel] {
        try await lifecycle.listLoaded()
    }

    /// Loads a new instance of a downloaded model.
    ///
    /// The corresponding LM Studio endpoint is `llm.loadModel` (channel). Cancelling the
    /// calling task sends the channel's `cancel` packet and throws `cancelled`.
    ///
    /// - Parameters:
    ///   - modelKey: The downloaded model's key (or path).
    ///   - identifier: The new instance's identifier (the server derives one when nil; a taken
    ///     identifier fails).
    ///   - ttl: Idle time after which the server unloads it (at least one second). nil sends
    ///     no TTL, leaving the server's own policy, as `lms load` does; only ``model(_:ttl:configuration:)``
    ///     applies the client's `Configuration.defaultModelTTL`.
    ///   - configuration: Load settings.
    ///   - onProgress: Progress, 0…1, increasing.
    /// - Returns: A handle on the new instance.
    /// - Throws: ``LMStudioError``: `modelNotFound` for an unknown key, `invalidArgument`
    ///   for an empty key or a TTL below one second, `cancelled`.
    public func load(
        _ modelKey: String, identifier: String? = nil, ttl: Duration? = nil,
        configuration: LLMLoadConfiguration = .init(), onProgress: (@Sendable (Double) -> Void)? = nil
    ) async throws(LMStudioError) -> LLM {
        handle(try await lifecycle.load(modelKey: modelKey, identifier: identifier, ttl: ttl, config: configuration.kvConfig, onProgress: onProgress))
    }

    /// Starts loading a new instance and reports progress as an `AsyncSequence`.
    ///
    /// The corresponding LM Studio endpoint is `llm.loadModel` (channel); it opens when
    /// iteration or `model()` starts.
    ///
    /// - Throws: `invalidArgument` for an empty key or a TTL below one second.
    public func loading(
        _ modelKey: String, identifier: String? = nil, ttl: Duration? = nil,
        configuration: LLMLoadConfiguration = .init()
    ) throws(LMStudioError) -> ModelLoading<LLM> {
        let core = try lifecycle.loading(modelKey: modelKey, identifier: identifier, ttl: ttl, config: configuration.kvConfig)
        let connection = self.core.connection(.llm)
        return ModelLoading(core: core) { LLM(connection: connection, info: $0) }
    }

    /// Unloads an instance. The corresponding LM Studio endpoint is `llm.unloadModel`.
    ///
    /// - Throws: ``LMStudioError`` with the server's error for an unknown identifier.
    public func unload(_ identifier: String) async throws(LMStudioError) {
        try await lifecycle.unload(identifier)
    }

    /// The loaded instance with this identifier or model key, loading it first if needed.
    ///
    /// The corresponding LM Studio endpoint is `llm.getOrLoad` (channel). Concurrent calls
    /// for the same key on one client share one server request.
    ///
    /// - Parameters:
    ///   - key: An instance identifier or a downloaded model's key.
    ///   - ttl: The TTL of a model this call loads; nil uses the client's
    ///     `Configuration.defaultModelTTL` (one hour; set that to nil for the server's default).
    ///   - configuration: Load settings, used only if a load happens.
    /// - Throws: `modelNotFound` when nothing matches the key.
    public func model(
        _ key: String, ttl: Duration? = nil, configuration: LLMLoadConfiguration = .init()
    ) async throws(LMStudioError) -> LLM {
        let effectiveTTL = ttl ?? core.configuration.defaultModelTTL
        return handle(try await lifecycle.getOrLoad(key: key, ttl: effectiveTTL, config: configuration.kvConfig))
    }

    /// The loaded LLM matching a query (domain, identifier, path, vision). The corresponding
    /// LM Studio endpoint is `llm.getModelInfo` (`throwIfNotFound: true`).
    ///
    /// ```swift
    /// let vision = try await client.llm.model(matching: ModelQuery(vision: true))
    /// ```
    ///
    /// - Throws: `modelNotFound` when no loaded LLM matches.
    public func model(matching query: ModelQuery) async throws(LMStudioError) -> LLM {
        handle(try await lifecycle.loaded(matching: .query(query)))
    }

    /// Any loaded LLM. The corresponding LM Studio endpoint is `llm.getModelInfo` with an
    /// empty query.
    ///
    /// - Throws: `modelNotFound` when no LLM is loaded.
    public func model() async throws(LMStudioError) -> LLM {
        handle(try await lifecycle.anyLoaded())
    }
}

/// Embedding-model catalogue and lifecycle, over the `embedding` namespace socket
/// (PROTOCOL.md §7.1, §7.4).
///
/// ```swift
/// let model = try await client.embedding.model("text-embedding-nomic-embed-text-v1.5")
/// let vector = try await model.embed("Hello")
/// ```
public struct EmbeddingNamespace: Sendable {
    let core: ClientCore
    var lifecycle: ModelLifecycle {
        ModelLifecycle(core: core, namespace: .embedding)
    }

    func handle(_ info: LoadedModel) -> EmbeddingModel { EmbeddingModel(connection: core.connection(.embedding), info: info) }

    /// The downloaded embedding models. The corresponding LM Studio endpoint is
    /// `system.listDownloadedModels` (filtered to `type == "embedding"`).
    public func listDownloaded() async throws(LMStudioError) -> [DownloadedModel] {
        try await lifecycle.listDownloaded()
    }

    /// The loaded embedding instances. The corresponding LM Studio endpoint is `embedding.listLoaded`.
    public func listLoaded() async throws(LMStudioError) -> [LoadedModel] {
        try await lifecycle.listLoaded()
    }

    /// Loads a new instance. The corresponding LM Studio endpoint is `embedding.loadModel`.
    ///
    /// - Throws: `modelNotFound`, `invalidArgument`, `cancelled` (see ``LLMNamespace/load(_:identifier:ttl:configuration:onProgress:)``).
    public func load(
        _ modelKey: String, identifier: String? = nil, ttl: Duration? = nil,
        configuration: EmbeddingLoadConfiguration = .init(), onProgress: (@Sendable (Double) -> Void)? = nil
    ) async throws(LMStudioError) -> EmbeddingModel {
        handle(try await lifecycle.load(modelKey: modelKey, identifier: identifier, ttl: ttl, config: configuration.kvConfig, onProgress: onProgress))
    }

    /// Starts loading a new instance, with progress as an `AsyncSequence`. The corresponding
    /// LM Studio endpoint is `embedding.loadModel`.
    public func loading(
        _ modelKey: String, identifier: String? = nil, ttl: Duration? = nil,
        configuration: EmbeddingLoadConfiguration = .init()
    ) throws(LMStudioError) -> ModelLoading<EmbeddingModel> {
        let core = try lifecycle.loading(modelKey: modelKey, identifier: identifier, ttl: ttl, config: configuration.kvConfig)
        let connection = self.core.connection(.embedding)
        return ModelLoading(core: core) { EmbeddingModel(connection: connection, info: $0) }
    }

    /// Unloads an instance. The corresponding LM Studio endpoint is `embedding.unloadModel`.
    public func unload(_ identifier: String) async throws(LMStudioError) {
        try await lifecycle.unload(identifier)
    }

    /// The loaded instance with this identifier or key, loading it first if needed
    /// (coalesced per client). The corresponding LM Studio endpoint is `embedding.getOrLoad`.
    ///
    /// - Parameter ttl: nil uses the client's `Configuration.defaultModelTTL`.
    public func model(
        _ key: String, ttl: Duration? = nil, configuration: EmbeddingLoadConfiguration = .init()
    ) async throws(LMStudioError) -> EmbeddingModel {
        let effectiveTTL = ttl ?? core.configuration.defaultModelTTL
        return handle(try await lifecycle.getOrLoad(key: key, ttl: effectiveTTL, config: configuration.kvConfig))
    }

    /// The loaded embedding model matching a query. The corresponding LM Studio endpoint is
    /// `embedding.getModelInfo` (`throwIfNotFound: true`).
    ///
    /// - Throws: `modelNotFound` when no loaded embedding model matches.
    public func model(matching query: ModelQuery) async throws(LMStudioError) -> EmbeddingModel {
        handle(try await lifecycle.loaded(matching: .query(query)))
    }

    /// Any loaded embedding model. The corresponding LM Studio endpoint is
    /// `embedding.getModelInfo` with an empty query.
    public func model() async throws(LMStudioError) -> EmbeddingModel {
        handle(try await lifecycle.anyLoaded())
    }
}

/// Server-wide information, over the `system` namespace socket (PROTOCOL.md §7.5).
///
/// ```swift
/// print(try await client.system.version())
/// ```
public struct SystemNamespace: Sendable {
    let core: ClientCore

    /// Every downloaded model (LLMs and embedding models). The corresponding LM Studio
    /// endpoint is `system.listDownloadedModels`.
    public func listDownloadedModels() async throws(LMStudioError) -> [DownloadedModel] {
        let result = try await core.connection(.system).call("listDownloadedModels", parameter: nil)
        guard let array = result?.arrayValue else {
            throw LMStudioError.unexpected("listDownloadedModels did not return an array", endpoint: "listDownloadedModels")
        }
        return array.compactMap(DownloadedModel.init(json:))
    }

    /// The server's version. The corresponding LM Studio endpoint is `system.version`.
    public func version() async throws(LMStudioError) -> ServerVersion {
        let result = try await core.connection(.system).call("version", parameter: nil)
        guard let version = result?["version"]?.stringValue else {
            throw LMStudioError.unexpected("version without a version string", endpoint: "version")
        }
        return ServerVersion(version: version, build: result?["build"]?.intValue ?? 0)
    }
}
