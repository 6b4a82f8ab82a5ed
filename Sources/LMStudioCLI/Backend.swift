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
    var instanceReference: String?

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
        let result = try await client.rawCall(.system, endpoint: "version")
        return (result?["version"]?.stringValue ?? "unknown", result?["build"]?.intValue)
    }

    func downloaded(_ kinds: [ModelKind]) async throws(LMStudioError) -> [DownloadedEntry] {
        let result = try await client.rawCall(.system, endpoint: "listDownloadedModels")
        let names = Set(kinds.map(\.name))
        return (result?.arrayValue ?? []).compactMap { info in
            guard let type = info["type"]?.stringValue, names.contains(type) else { return nil }
            return DownloadedEntry(
                modelKey: info["modelKey"]?.stringValue ?? "", type: type, path: info["path"]?.stringValue ?? "",
                sizeBytes: info["sizeBytes"]?.intValue ?? 0, displayName: info["displayName"]?.stringValue,
                format: info["format"]?.stringValue
            )
        }
    }

    func loaded(_ kinds: [ModelKind]) async throws(LMStudioError) -> [LoadedEntry] {
        var entries: [LoadedEntry] = []
        for kind in kinds {
            let result = try await client.rawCall(kind.namespace, endpoint: "listLoaded")
            entries += (result?.arrayValue ?? []).map { Self.loadedEntry($0, kind: kind) }
        }
        return entries
    }

    static func loadedEntry(_ info: JSONValue, kind: ModelKind) -> LoadedEntry {
        LoadedEntry(
            identifier: info["identifier"]?.stringValue ?? "", modelKey: info["modelKey"]?.stringValue ?? "",
            type: info["type"]?.stringValue ?? kind.name, contextLength: info["contextLength"]?.intValue,
            path: info["path"]?.stringValue, instanceReference: info["instanceReference"]?.stringValue
        )
    }

    /// The kind of a downloaded model key (LLM when unknown, so the server reports the error).
    func kind(ofModelKey key: String) async throws(LMStudioError) -> ModelKind {
        let models = try await downloaded(ModelKind.all)
        if let model = models.first(where: { $0.modelKey == key || $0.path == key }), model.type == "embedding" {
            return .embedding
        }
        return .llm
    }

    func load(
        modelKey: String, identifier: String?, ttl: Duration?, contextLength: Int?, gpuRatio: Double?,
        onProgress: @Sendable (Double) -> Void
    ) async throws(LMStudioError) -> LoadedEntry {
        let kind = try await kind(ofModelKey: modelKey)
        var fields: [JSONValue] = []
        if let contextLength {
            fields.append(["key": .string("\(kind.name).load.contextLength"), "value": .int(Int64(contextLength))])
        }
        if let gpuRatio {
            fields.append(["key": "llm.load.llama.acceleration.offloadRatio", "value": .double(gpuRatio)])
        }
        var parameter: [String: JSONValue] = [
            "modelKey": .string(modelKey),
            "loadConfigStack": ["layers": [["layerName": "apiOverride", "config": ["fields": .array(fields)]]]],
        ]
        if let identifier { parameter["identifier"] = .string(identifier) }
        if let ttl { parameter["ttlMs"] = .int(max(1, ttl.components.seconds * 1000 + ttl.components.attoseconds / 1_000_000_000_000_000)) }
        let channel = try await client.rawChannel(kind.namespace, endpoint: "loadModel", creationParameter: .object(parameter))
        for try await packet in channel {
            switch packet["type"]?.stringValue {
            case "progress": onProgress(packet["progress"]?.doubleValue ?? 0)
            case "success":
                if let info = packet["info"] { return Self.loadedEntry(info, kind: kind) }
            default: break
            }
        }
        throw LMStudioError(.protocolViolation, "the server ended the load without a result", endpoint: "loadModel")
    }

    /// Unloads an instance; throws `modelNotFound` when no loaded instance has the identifier.
    func unload(_ identifier: String) async throws(LMStudioError) {
        for kind in ModelKind.all {
            let loaded = try await loaded([kind])
            if loaded.contains(where: { $0.identifier == identifier }) {
                _ = try await client.rawCall(kind.namespace, endpoint: "unloadModel", parameter: ["identifier": .string(identifier)])
                return
            }
        }
        throw LMStudioError(.modelNotFound, "no loaded model has the identifier '\(identifier)'")
    }

    /// Gets a loaded instance by identifier or key, loading the model when needed.
    func getOrLoad(_ model: String, kind: ModelKind, onProgress: @Sendable (Double) -> Void) async throws(LMStudioError) -> LoadedEntry {
        let parameter: JSONValue = ["identifier": .string(model), "loadConfigStack": ["layers": []]]
        let channel = try await client.rawChannel(kind.namespace, endpoint: "getOrLoad", creationParameter: parameter)
        for try await packet in channel {
            switch packet["type"]?.stringValue {
            case "loadProgress": onProgress(packet["progress"]?.doubleValue ?? 0)
            case "alreadyLoaded", "loadSuccess":
                if let info = packet["info"] { return Self.loadedEntry(info, kind: kind) }
            default: break
            }
        }
        throw LMStudioError(.protocolViolation, "the server ended get-or-load without a result", endpoint: "getOrLoad")
    }

    private static func specifier(_ instance: LoadedEntry) -> JSONValue {
        if let reference = instance.instanceReference {
            return ["type": "instanceReference", "instanceReference": .string(reference)]
        }
        return ["type": "query", "query": ["identifier": .string(instance.identifier)]]
    }

    /// Runs a prediction, calling `onFragment` with each piece of text as it arrives. When the
    /// task is cancelled the prediction is cancelled on the server, and `CancellationError` is
    /// thrown once the server has stopped.
    func predict(
        _ request: PredictionRequest, onLoadProgress: @Sendable (Double) -> Void, onFragment: @Sendable (String) -> Void
    ) async throws -> PredictionOutcome {
        let instance = try await getOrLoad(request.model, kind: .llm, onProgress: onLoadProgress)
        var fields: [JSONValue] = []
        if let temperature = request.temperature {
            fields.append(["key": "llm.prediction.temperature", "value": .double(temperature)])
        }
        if let maxTokens = request.maxTokens {
            fields.append(["key": "llm.prediction.maxPredictedTokens", "value": ["checked": true, "value": .int(Int64(maxTokens))]])
        }
        if let schema = request.schema {
            fields.append(["key": "llm.prediction.structured", "value": ["type": "json", "jsonSchema": schema]])
        }
        let stack: JSONValue = ["layers": [["layerName": "apiOverride", "config": ["fields": .array(fields)]]]]
        let endpoint: String
        var parameter: [String: JSONValue] = ["modelSpecifier": Self.specifier(instance), "predictionConfigStack": stack]
        switch request.input {
        case .chat(let messages):
            endpoint = "predict"
            parameter["history"] = [
                "messages": .array(messages.map { ["role": .string($0.role), "content": [["type": "text", "text": .string($0.text)]]] })
            ]
        case .raw(let prompt):
            endpoint = "completeRawText"
            parameter["rawPrompt"] = .string(prompt)
        }
        let channel = try await client.rawChannel(.llm, endpoint: endpoint, creationParameter: .object(parameter))
        let result: (String, JSONValue?, JSONValue?) = try await withTaskCancellationHandler {
            var content = ""
            var iterator = channel.makeAsyncIterator()
            while let packet = try await iterator.next() {
                switch packet["type"]?.stringValue {
                case "fragment":
                    let piece = packet["fragment"]?["content"]?.stringValue ?? ""
                    content += piece
                    onFragment(piece)
                case "success":
                    return (content, packet["stats"], packet["modelInfo"])
                default: break
                }
            }
            return (content, nil, nil)
        } onCancel: {
            try? channel.send(["type": "cancel"])
        }
        try Task.checkCancellation()
        var parsed: JSONValue?
        if request.schema != nil { parsed = try? JSONValue(parsing: result.0) }
        return PredictionOutcome(
            content: result.0, stats: result.1 ?? .object([:]),
            modelIdentifier: result.2?["identifier"]?.stringValue ?? instance.identifier, parsed: parsed
        )
    }

    func embed(_ model: String, texts: [String]) async throws(LMStudioError) -> [[Double]] {
        let instance = try await getOrLoad(model, kind: .embedding, onProgress: { _ in })
        var vectors: [[Double]] = []
        for text in texts {
            let result = try await client.rawCall(
                .embedding, endpoint: "embedString",
                parameter: ["modelSpecifier": Self.specifier(instance), "inputString": .string(text)]
            )
            vectors.append((result?["embedding"]?.arrayValue ?? []).map { $0.doubleValue ?? 0 })
        }
        return vectors
    }

    func tokenize(_ model: String, text: String) async throws(LMStudioError) -> [Int] {
        let (kind, instance) = try await anyKindInstance(model)
        let result = try await client.rawCall(
            kind.namespace, endpoint: "tokenize", parameter: ["specifier": Self.specifier(instance), "inputString": .string(text)]
        )
        return (result?["tokens"]?.arrayValue ?? []).compactMap(\.intValue)
    }

    func countTokens(_ model: String, text: String) async throws(LMStudioError) -> Int {
        let (kind, instance) = try await anyKindInstance(model)
        let result = try await client.rawCall(
            kind.namespace, endpoint: "countTokens", parameter: ["specifier": Self.specifier(instance), "inputString": .string(text)]
        )
        return result?["tokenCount"]?.intValue ?? 0
    }

    /// An instance of `model` in whichever namespace has (or can load) it.
    private func anyKindInstance(_ model: String) async throws(LMStudioError) -> (ModelKind, LoadedEntry) {
        let loadedEmbeddings = try await loaded([.embedding])
        let kind: ModelKind =
            loadedEmbeddings.contains { $0.identifier == model || $0.modelKey == model }
            ? .embedding : try await kind(ofModelKey: model)
        return (kind, try await getOrLoad(model, kind: kind, onProgress: { _ in }))
    }
}
