import LMStudio

/// The SDK operations the commands use, in the shapes the CLI prints.
struct ModelKind: Sendable, Hashable {
    var namespace: Namespace
    var name: String

    static let llm = ModelKind(namespace: .llm, name: "llm")
    static let embedding = ModelKind(namespace: .embedding, name: "embedding")
    static let all = [llm, embedding]
}

/// A downloaded model.
struct DownloadedEntry: Sendable {
    var modelKey: String
    var type: String
    var path: String
    var sizeBytes: Int
    var displayName: String?
    var format: String?

    var json: JSONValue {
        var object: [String: JSONValue] = [
            "modelKey": .string(modelKey), "type": .string(type), "path": .string(path),
            "sizeBytes": .int(Int64(sizeBytes)),
        ]
        if let displayName { object["displayName"] = .string(displayName) }
        if let format { object["format"] = .string(format) }
        return .object(object)
    }
}

/// A loaded model instance.
struct LoadedEntry: Sendable {
    var identifier: String
    var modelKey: String
    var type: String
    var contextLength: Int?
    var path: String?

    var json: JSONValue {
        var object: [String: JSONValue] = [
            "identifier": .string(identifier), "modelKey": .string(modelKey), "type": .string(type),
            "contextLength": contextLength.map { .int(Int64($0)) } ?? .null,
        ]
        if let path { object["path"] = .string(path) }
        return .object(object)
    }
}

/// What a prediction asks for.
struct PredictionRequest: Sendable {
    enum Input: Sendable {
        case chat([(role: String, text: String)])
        case raw(String)
    }

    var model: String
    var input: Input
    var temperature: Double?
    var maxTokens: Int?
    var schema: JSONValue?
    /// Fails with `timeout` when the server sends nothing for this long.
    var idleTimeout: Duration?
}

/// How a prediction ended.
struct PredictionOutcome: Sendable {
    var content: String
    var stats: JSONValue
    var modelIdentifier: String
    var parsed: JSONValue?
}

/// The SDK calls behind the commands.
struct Backend: Sendable {
    let client: LMStudioClient

    func version() async throws(LMStudioError) -> (version: String, build: Int?) {
        let version = try await client.system.version()
        return (version.version, version.build)
    }

    func downloaded(_ kinds: [ModelKind]) async throws(LMStudioError) -> [DownloadedEntry] {
        let names = Set(kinds.map(\.name))
        return try await client.system.listDownloadedModels().compactMap { model in
            guard names.contains(model.type.rawValue) else { return nil }
            return DownloadedEntry(
                modelKey: model.modelKey, type: model.type.rawValue, path: model.path, sizeBytes: model.sizeBytes,
                displayName: model.displayName, format: model.format.isEmpty ? nil : model.format
            )
        }
    }

    func loaded(_ kinds: [ModelKind]) async throws(LMStudioError) -> [LoadedEntry] {
        var entries: [LoadedEntry] = []
        for kind in kinds {
            let models =
                kind == .embedding ? try await client.embedding.listLoaded() : try await client.llm.listLoaded()
            entries += models.map(Self.entry)
        }
        return entries
    }

    static func entry(_ model: LoadedModel) -> LoadedEntry {
        LoadedEntry(
            identifier: model.identifier, modelKey: model.modelKey, type: model.type.rawValue,
            contextLength: model.contextLength >= 0 ? model.contextLength : nil, path: model.path
        )
    }

    /// The kind of a downloaded model key (LLM when unknown, so the server reports the error).
    func kind(ofModelKey key: String) async throws(LMStudioError) -> ModelKind {
        let models = try await client.system.listDownloadedModels()
        if let model = models.first(where: { $0.modelKey == key || $0.path == key }), model.type == .embedding {
            return .embedding
        }
        return .llm
    }

    /// The kind of a loaded identifier or model key, else of a downloaded key.
    func kind(of model: String) async throws(LMStudioError) -> ModelKind {
        let embeddings = try await client.embedding.listLoaded()
        if embeddings.contains(where: { $0.identifier == model || $0.modelKey == model }) { return .embedding }
        let llms = try await client.llm.listLoaded()
        if llms.contains(where: { $0.identifier == model || $0.modelKey == model }) { return .llm }
        return try await kind(ofModelKey: model)
    }

    func load(
        modelKey: String, identifier: String?, ttl: Duration?, contextLength: Int?, gpu: GPUOffload?,
        onProgress: @escaping @Sendable (Double) -> Void
    ) async throws(LMStudioError) -> LoadedEntry {
        if try await kind(ofModelKey: modelKey) == .embedding {
            let configuration = EmbeddingLoadConfiguration(contextLength: contextLength, gpuOffload: gpu)
            let model = try await client.embedding.load(
                modelKey, identifier: identifier, ttl: ttl, configuration: configuration, onProgress: onProgress
            )
            return Self.entry(model.loadedInfo)
        }
        let configuration = LLMLoadConfiguration(contextLength: contextLength, gpuOffload: gpu)
        let model = try await client.llm.load(
            modelKey, identifier: identifier, ttl: ttl, configuration: configuration, onProgress: onProgress)
        return Self.entry(model.loadedInfo)
    }

    /// Unloads an instance; throws `modelNotFound` when no loaded instance has the identifier.
    func unload(_ identifier: String) async throws(LMStudioError) {
        if try await client.llm.listLoaded().contains(where: { $0.identifier == identifier }) {
            try await client.llm.unload(identifier)
        } else if try await client.embedding.listLoaded().contains(where: { $0.identifier == identifier }) {
            try await client.embedding.unload(identifier)
        } else {
            throw LMStudioError(.modelNotFound, "no loaded model has the identifier '\(identifier)'")
        }
    }

    /// Runs a prediction (loading the model first if needed), calling `onFragment` with each
    /// piece of text as it arrives. When the task is cancelled the SDK cancels the prediction
    /// on the server; `CancellationError` is thrown once the server has stopped.
    func predict(_ request: PredictionRequest, onFragment: @Sendable (String) -> Void) async throws -> PredictionOutcome
    {
        let model = try await client.llm.model(request.model)
        let configuration = PredictionConfiguration(
            maxTokens: request.maxTokens, temperature: request.temperature,
            structured: request.schema.map { .jsonSchema($0) }, idleTimeout: request.idleTimeout
        )
        let stream: PredictionStream
        switch request.input {
        case .chat(let messages):
            var chat = Chat()
            for message in messages {
                switch message.role {
                case "system": chat.append(.system(message.text))
                case "assistant": chat.append(.assistant(message.text))
                default: chat.append(.user(message.text))
                }
            }
            stream = model.respondStream(chat, configuration: configuration)
        case .raw(let prompt):
            stream = model.completeStream(prompt, configuration: configuration)
        }
        for try await fragment in stream {
            onFragment(fragment.content)
        }
        let result = try await stream.result()
        if Task.isCancelled || result.wasCancelled && Interrupt.wasInterrupted { throw CancellationError() }
        return PredictionOutcome(
            content: result.content, stats: Self.json(result.stats),
            modelIdentifier: result.modelInfo?.identifier ?? model.identifier, parsed: result.parsed
        )
    }

    /// The stats with the wire names LM Studio uses.
    static func json(_ stats: PredictionStats) -> JSONValue {
        var object: [String: JSONValue] = ["stopReason": .string(stats.stopReason.rawValue)]
        func set(_ key: String, _ value: Double?) { if let value { object[key] = .double(value) } }
        func set(_ key: String, _ value: Int?) { if let value { object[key] = .int(Int64(value)) } }
        if let stopString = stats.stopString { object["stopString"] = .string(stopString) }
        set("tokensPerSecond", stats.tokensPerSecond)
        set("numGpuLayers", stats.numGpuLayers)
        set("timeToFirstTokenSec", stats.timeToFirstTokenSeconds)
        set("totalTimeSec", stats.totalTimeSeconds)
        set("promptTokensCount", stats.promptTokensCount)
        set("predictedTokensCount", stats.predictedTokensCount)
        set("totalTokensCount", stats.totalTokensCount)
        if let draft = stats.usedDraftModelKey { object["usedDraftModelKey"] = .string(draft) }
        set("totalDraftTokensCount", stats.totalDraftTokensCount)
        set("acceptedDraftTokensCount", stats.acceptedDraftTokensCount)
        set("rejectedDraftTokensCount", stats.rejectedDraftTokensCount)
        set("ignoredDraftTokensCount", stats.ignoredDraftTokensCount)
        return .object(object)
    }

    func embed(_ model: String, texts: [String]) async throws(LMStudioError) -> [[Double]] {
        try await client.embedding.model(model).embed(texts)
    }

    func tokenize(_ model: String, text: String) async throws(LMStudioError) -> [Int] {
        if try await kind(of: model) == .embedding {
            return try await client.embedding.model(model).tokenize(text)
        }
        return try await client.llm.model(model).tokenize(text)
    }

    func countTokens(_ model: String, text: String) async throws(LMStudioError) -> Int {
        if try await kind(of: model) == .embedding {
            return try await client.embedding.model(model).countTokens(text)
        }
        return try await client.llm.model(model).countTokens(text)
    }
}
