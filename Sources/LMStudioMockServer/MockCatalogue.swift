import LMStudioProtocol

/// A loaded model instance.
struct MockInstance: Sendable {
    let model: MockServer.Model
    let identifier: String
    let instanceReference: String
    let contextLength: Int
    let ttlMs: Int?
    /// `infoJSON` serialised once: `getModelInfo` answers with it as it is.
    private(set) var infoText = ""

    init(model: MockServer.Model, identifier: String, instanceReference: String, contextLength: Int, ttlMs: Int?) {
        self.model = model
        self.identifier = identifier
        self.instanceReference = instanceReference
        self.contextLength = contextLength
        self.ttlMs = ttlMs
        infoText = MockJSON.serialize(infoJSON)
    }
}

/// The server-wide model state: what is downloaded and what is loaded. Not thread-safe by
/// itself; ``MockServerState`` keeps it under a lock.
struct MockCatalogue: Sendable {
    var downloaded: [MockServer.Model]
    var loaded: [MockInstance] = []
    private var nextReference = 1

    init(models: [MockServer.Model]) {
        downloaded = models
        for model in models where model.isLoaded {
            _ = addInstance(model: model, identifier: nil, contextLength: nil, ttlMs: nil)
        }
    }

    /// Adds a loaded instance; the identifier defaults to the model key, with `:2`, `:3`, …
    /// appended while taken. Returns `nil` when an explicit identifier is taken.
    mutating func addInstance(
        model: MockServer.Model, identifier: String?, contextLength: Int?, ttlMs: Int?
    ) -> MockInstance? {
        let chosen: String
        if let identifier {
            guard !loaded.contains(where: { $0.identifier == identifier }) else { return nil }
            chosen = identifier
        } else {
            var candidate = model.modelKey
            var suffix = 2
            while loaded.contains(where: { $0.identifier == candidate }) {
                candidate = "\(model.modelKey):\(suffix)"
                suffix += 1
            }
            chosen = candidate
        }
        let reference = "mock-instance-\(nextReference)"
        nextReference += 1
        let instance = MockInstance(
            model: model, identifier: chosen, instanceReference: reference,
            contextLength: contextLength ?? min(4096, model.maxContextLength), ttlMs: ttlMs
        )
        loaded.append(instance)
        return instance
    }

    /// A downloaded model by key or path.
    func downloadedModel(_ key: String) -> MockServer.Model? {
        downloaded.first { $0.modelKey == key || $0.path == key }
            ?? downloaded.first { $0.path.hasPrefix(key + "/") }
    }

    /// Resolves a `ModelSpecifier` among loaded instances of `kind`.
    func resolve(_ specifier: JSONValue?, kind: MockServer.ModelKind) -> Result<MockInstance, MockServer.ServerError> {
        let instances = loaded.filter { $0.model.kind == kind }
        switch specifier?["type"]?.stringValue {
        case "instanceReference":
            let reference = specifier?["instanceReference"]?.stringValue ?? ""
            if let match = instances.first(where: { $0.instanceReference == reference }) { return .success(match) }
            return .failure(
                MockServer.ServerError(
                    title: "The model instance \(reference) has been unloaded",
                    displayData: ["code": "generic.specificModelUnloaded"]
                )
            )
        default:
            let query = specifier?["query"] ?? .object([:])
            let match = instances.first { instance in
                if let identifier = query["identifier"]?.stringValue, instance.identifier != identifier { return false }
                if let path = query["path"]?.stringValue,
                    instance.model.path != path, !instance.model.path.hasPrefix(path + "/"),
                    instance.model.modelKey != path
                {
                    return false
                }
                if let domain = query["domain"]?.stringValue, domain != kind.rawValue { return false }
                if let vision = query["vision"]?.boolValue, vision != instance.model.vision { return false }
                return true
            }
            if let match { return .success(match) }
            return .failure(noModelMatching(query: query, kind: kind))
        }
    }

    func noModelMatching(query: JSONValue, kind: MockServer.ModelKind) -> MockServer.ServerError {
        let instances = loaded.filter { $0.model.kind == kind }
        return MockServer.ServerError(
            title: "No loaded model satisfies the query",
            cause: "No loaded \(kind.rawValue) model matches \(MockJSON.serialize(query)).",
            suggestion: "Load the model first, or check the identifier.",
            displayData: [
                "code": "generic.noModelMatchingQuery",
                "query": query,
                "loadedModelsSample": .array(instances.prefix(10).map { .string($0.identifier) }),
                "totalLoadedModels": .int(Int64(instances.count)),
            ]
        )
    }

    func pathNotFound(_ path: String) -> MockServer.ServerError {
        MockServer.ServerError(
            title: "Model not found: \(path)",
            cause: "No downloaded model has the key or path \"\(path)\".",
            suggestion: "Download the model first, or check the key.",
            displayData: [
                "code": "generic.pathNotFound",
                "path": .string(path),
                "availablePathsSample": .array(downloaded.prefix(10).map { .string($0.modelKey) }),
                "totalModels": .int(Int64(downloaded.count)),
            ]
        )
    }

    static func domainMismatch(path: String, actual: MockServer.ModelKind, expected: MockServer.ModelKind)
        -> MockServer.ServerError
    {
        MockServer.ServerError(
            title: "Model \(path) is a(n) \(actual.rawValue) model, not a(n) \(expected.rawValue) model",
            displayData: [
                "code": "generic.domainMismatch", "path": .string(path),
                "actualDomain": .string(actual.rawValue), "expectedDomain": .string(expected.rawValue),
            ]
        )
    }

    func identifierNotFound(_ identifier: String, kind: MockServer.ModelKind) -> MockServer.ServerError {
        let instances = loaded.filter { $0.model.kind == kind }
        return MockServer.ServerError(
            title: "No loaded model has the identifier \"\(identifier)\"",
            displayData: [
                "code": "generic.identifierNotFound", "identifier": .string(identifier),
                "loadedModelsSample": .array(instances.prefix(10).map { .string($0.identifier) }),
                "totalLoadedModels": .int(Int64(instances.count)),
            ]
        )
    }
}

extension MockServer.Model {
    /// `ModelInfo` (§10.6) for this model.
    var infoJSON: JSONValue {
        var members: [String: JSONValue] = [
            "type": .string(kind.rawValue),
            "modelKey": .string(modelKey),
            "format": .string(format),
            "displayName": .string(displayName),
            "path": .string(path),
            "sizeBytes": .int(sizeBytes),
            "maxContextLength": .int(Int64(maxContextLength)),
            "publisher": .string(String(path.split(separator: "/").first ?? "mock")),
            "indexedModelIdentifier": .string(path),
            "deviceIdentifier": .null,
        ]
        if let paramsString { members["paramsString"] = .string(paramsString) }
        if let architecture { members["architecture"] = .string(architecture) }
        if kind == .llm {
            members["vision"] = .bool(vision)
            members["trainedForToolUse"] = .bool(trainedForToolUse)
        }
        return .object(members)
    }
}

extension MockInstance {
    /// `ModelInstanceInfo` (§10.6) for this instance.
    var infoJSON: JSONValue {
        guard case .object(var members) = model.infoJSON else { return .null }
        members["identifier"] = .string(identifier)
        members["instanceReference"] = .string(instanceReference)
        members["contextLength"] = .int(Int64(contextLength))
        members["ttlMs"] = ttlMs.map { .int(Int64($0)) } ?? .null
        members["lastUsedTime"] = .null
        return .object(members)
    }

    /// The effective load configuration (`KVConfig`).
    var loadConfigJSON: JSONValue {
        let prefix = model.kind == .llm ? "llm" : "embedding"
        return [
            "fields": [
                ["key": .string("\(prefix).load.contextLength"), "value": .int(Int64(contextLength))],
                ["key": .string("\(prefix).load.llama.acceleration.offloadRatio"), "value": 1],
            ]
        ]
    }
}
