import LMStudioProtocol
import LMStudioTransport
import Synchronization

/// A model load in progress: its progress values (0…1, increasing) as an `AsyncSequence`,
/// then the loaded model from ``model()``.
///
/// Backed by one `loadModel` channel (of the `llm` or `embedding` namespace), opened when
/// iteration or ``model()`` starts. One consumer. Cancelling the consuming task sends the
/// channel's `{"type":"cancel"}` and throws ``LMStudioError/Code/cancelled``.
///
/// ```swift
/// let loading = client.llm.loading("llama-3.2-1b-instruct")
/// for try await progress in loading { print("\(Int(progress * 100))%") }
/// let model = try await loading.model()
/// ```
public struct ModelLoading<Handle: Sendable>: AsyncSequence, Sendable {
    /// A progress value, 0…1.
    public typealias Element = Double
    /// Every failure is an ``LMStudioError``.
    public typealias Failure = LMStudioError

    let core: LoadCore
    let makeHandle: @Sendable (LoadedModel) -> Handle

    /// Creates the iterator (one consumer) over the `loadModel` channel's progress packets.
    public func makeAsyncIterator() -> Iterator { Iterator(core: core) }

    /// Waits for the load to finish (the `loadModel` channel's `success`, consuming remaining
    /// progress) and returns the model.
    ///
    /// - Throws: ``LMStudioError``: `modelNotFound` for an unknown key, `cancelled`, or the
    ///   server's error.
    public func model() async throws(LMStudioError) -> Handle {
        makeHandle(try await core.finish(isolation: #isolation))
    }

    /// The description of the instance from the `loadModel` channel's `success` (same as
    /// ``model()`` but without a handle).
    public func info() async throws(LMStudioError) -> LoadedModel {
        try await core.finish(isolation: #isolation)
    }

    /// Iterates the progress values of a ``ModelLoading`` (`progress` packets of `loadModel`).
    public struct Iterator: AsyncIteratorProtocol {
        let core: LoadCore

        /// The next progress value, or nil once loaded. Opens the `loadModel` channel on the
        /// first call.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws(LMStudioError) -> Double? {
            try await core.next(isolation: actor)
        }

        /// The next progress value, or nil once the `loadModel` channel reported success.
        public mutating func next() async throws(LMStudioError) -> Double? {
            try await core.next(isolation: nil)
        }
    }
}

/// The state of one `loadModel` or `getOrLoad` channel. Consumer-only state is touched by
/// one consumer at a time (enforced by `busy`), hence `@unchecked Sendable`.
final class LoadCore: @unchecked Sendable {
    let connection: NamespaceConnection
    let endpoint: String
    let creationParameter: JSONValue
    let log: ClientLog

    private let busy = Atomic<Bool>(false)
    private var iterator: ChannelMessages.Iterator?
    private var channel: ChannelCore?
    private var outcome: Result<LoadedModel, LMStudioError>?
    private var lastProgress = -1.0

    init(connection: NamespaceConnection, endpoint: String, creationParameter: JSONValue, log: ClientLog) {
        self.connection = connection
        self.endpoint = endpoint
        self.creationParameter = creationParameter
        self.log = log
    }

    deinit {
        if let channel, !channel.isFinished, outcome == nil { try? channel.send(["type": "cancel"]) }
    }

    func finish(isolation actor: isolated (any Actor)?) async throws(LMStudioError) -> LoadedModel {
        while try await next(isolation: actor) != nil {}
        guard let outcome else { throw LMStudioError(.protocolViolation, "the load ended without a result", endpoint: endpoint) }
        return try outcome.get()
    }

    func next(isolation actor: isolated (any Actor)?) async throws(LMStudioError) -> Double? {
        guard !busy.exchange(true, ordering: .acquiring) else {
            throw LMStudioError(.invalidArgument, "a model load has one consumer; it is already being read", endpoint: endpoint)
        }
        defer { busy.store(false, ordering: .releasing) }
        if let outcome {
            if case .failure(let error) = outcome { throw error }
            return nil
        }
        do throws(LMStudioError) {
            if iterator == nil {
                let channel = try await connection.openChannel(endpoint, creationParameter: creationParameter)
                self.channel = channel
                iterator = channel.messages.makeAsyncIterator()
            }
            while true {
                let packet: JSONValue?
                do {
                    packet = try await iterator!.next(isolation: actor)
                } catch {
                    if error.code == .cancelled, Task.isCancelled { try? channel?.send(["type": "cancel"]) }
                    throw error
                }
                guard let packet else {
                    throw LMStudioError(.protocolViolation, "the server ended the load without a result", endpoint: endpoint)
                }
                switch packet["type"]?.stringValue {
                case "progress", "loadProgress":
                    // Report increasing values only (lmstudio-python's normalisation).
                    if let progress = packet["progress"]?.doubleValue, progress > lastProgress {
                        lastProgress = progress
                        return progress
                    }
                case "startLoading":
                    if lastProgress < 0 {
                        lastProgress = 0
                        return 0
                    }
                case "resolved":
                    if let ambiguous = packet["ambiguous"]?.arrayValue, !ambiguous.isEmpty {
                        log.info("the model key matched several models; the server picked the first")
                    }
                case "unloadingOtherJITModel":
                    log.info("the server is unloading another just-in-time loaded model")
                case "success", "alreadyLoaded", "loadSuccess":
                    guard let info = packet["info"].flatMap(LoadedModel.init(json:)) else {
                        throw LMStudioError.unexpected("a load result without model info", endpoint: endpoint)
                    }
                    outcome = .success(info)
                    if packet["type"] != "alreadyLoaded", lastProgress < 1 {
                        lastProgress = 1
                        return 1
                    }
                    return nil
                default:
                    continue
                }
            }
        } catch {
            outcome = .failure(error)
            throw error
        }
    }
}

extension ClientCore {
    /// In-flight `getOrLoad` requests by namespace and key, so that concurrent `model(key)`
    /// calls share one server request.
    static let coalescing = LockedValue<[ObjectIdentifier: [String: SharedFuture<LoadedModel>]]>([:])
}

/// The lifecycle endpoints shared by the `llm` and `embedding` namespaces (PROTOCOL.md §7.1).
struct ModelLifecycle: Sendable {
    let core: ClientCore
    let namespace: Namespace

    var connection: NamespaceConnection { core.connection(namespace) }

    func listLoaded() async throws(LMStudioError) -> [LoadedModel] {
        let result = try await connection.call("listLoaded", parameter: nil)
        guard let array = result?.arrayValue else { throw LMStudioError.unexpected("listLoaded did not return an array", endpoint: "listLoaded") }
        return array.compactMap(LoadedModel.init(json:))
    }

    func listDownloaded() async throws(LMStudioError) -> [DownloadedModel] {
        let domain = ModelDomain(rawValue: namespace.rawValue)
        return try await SystemNamespace(core: core).listDownloadedModels().filter { $0.type == domain }
    }

    func loading(modelKey: String, identifier: String?, ttl: Duration?, config: KVConfig) throws(LMStudioError) -> LoadCore {
        try validateKey(modelKey, endpoint: "loadModel")
        if let identifier { try validateKey(identifier, endpoint: "loadModel") }
        var parameter: [String: JSONValue] = [
            "modelKey": .string(modelKey), "loadConfigStack": KVConfigStack.apiOverride(config).jsonValue,
        ]
        if let identifier { parameter["identifier"] = .string(identifier) }
        if let ms = try ttlMilliseconds(ttl, endpoint: "loadModel") { parameter["ttlMs"] = .int(ms) }
        return LoadCore(connection: connection, endpoint: "loadModel", creationParameter: .object(parameter), log: core.log)
    }

    func load(
        modelKey: String, identifier: String?, ttl: Duration?, config: KVConfig, onProgress: (@Sendable (Double) -> Void)?
    ) async throws(LMStudioError) -> LoadedModel {
        let load = try loading(modelKey: modelKey, identifier: identifier, ttl: ttl, config: config)
        while let progress = try await load.next(isolation: nil) { onProgress?(progress) }
        return try await load.finish(isolation: nil)
    }

    /// `getOrLoad`, coalescing concurrent requests for the same key on this client.
    func getOrLoad(key: String, ttl: Duration?, config: KVConfig) async throws(LMStudioError) -> LoadedModel {
        try validateKey(key, endpoint: "getOrLoad")
        var parameter: [String: JSONValue] = [
            "identifier": .string(key), "loadConfigStack": KVConfigStack.apiOverride(config).jsonValue,
        ]
        if let ms = try ttlMilliseconds(ttl, endpoint: "getOrLoad") { parameter["loadTtlMs"] = .int(ms) }
        let slot = "\(namespace.rawValue)/\(key)"
        let owner = ObjectIdentifier(core)
        let (future, start) = ClientCore.coalescing.withLock { table -> (SharedFuture<LoadedModel>, Bool) in
            if let existing = table[owner]?[slot] { return (existing, false) }
            let future = SharedFuture<LoadedModel>()
            table[owner, default: [:]][slot] = future
            return (future, true)
        }
        if start {
            let load = LoadCore(connection: connection, endpoint: "getOrLoad", creationParameter: .object(parameter), log: core.log)
            // The request belongs to every waiter, so one waiter's cancellation must not end it.
            Task.detached {
                let result: Result<LoadedModel, LMStudioError>
                do throws(LMStudioError) { result = .success(try await load.finish(isolation: nil)) } catch { result = .failure(error) }
                ClientCore.coalescing.withLock { table in
                    table[owner]?[slot] = nil
                    if table[owner]?.isEmpty == true { table[owner] = nil }
                }
                future.resolve(result)
            }
        }
        return try await future.value()
    }

    /// Any loaded model of this namespace (`getModelInfo` with an empty query).
    func anyLoaded() async throws(LMStudioError) -> LoadedModel {
        try await loaded(matching: .query(ModelQuery()))
    }

    /// The loaded model a specifier matches (`getModelInfo`, `throwIfNotFound: true`).
    func loaded(matching specifier: ModelSpecifier) async throws(LMStudioError) -> LoadedModel {
        let parameter: JSONValue = ["specifier": specifier.jsonValue, "throwIfNotFound": true]
        let result = try await connection.call("getModelInfo", parameter: parameter)
        guard let info = result.flatMap(LoadedModel.init(json:)) else {
            throw LMStudioError(.modelNotFound, "no \(namespace.rawValue) model is loaded", endpoint: "getModelInfo")
        }
        return info
    }

    func unload(_ identifier: String) async throws(LMStudioError) {
        _ = try await connection.call("unloadModel", parameter: ["identifier": .string(identifier)])
    }
}

/// Checks a model key or identifier the way the server does (PROTOCOL.md §8: 1…1024
/// characters, no control characters), so a mistake fails here instead of as silence.
func validateKey(_ key: String, endpoint: String) throws(LMStudioError) {
    guard !key.isEmpty else { throw LMStudioError(.invalidArgument, "the model key is empty", endpoint: endpoint) }
    guard key.count <= 1024 else {
        throw LMStudioError(.invalidArgument, "the model key is longer than 1024 characters", endpoint: endpoint)
    }
    guard !key.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
        throw LMStudioError(.invalidArgument, "the model key contains control characters", endpoint: endpoint)
    }
}

/// The per-instance RPCs shared by ``LLM`` and ``EmbeddingModel``.
struct InstanceRPC: Sendable {
    let connection: NamespaceConnection
    let identifier: String
    let specifier: JSONValue

    init(connection: NamespaceConnection, identifier: String) {
        self.connection = connection
        self.identifier = identifier
        self.specifier = ModelSpecifier.identifier(identifier).jsonValue
    }

    func info() async throws(LMStudioError) -> LoadedModel {
        let result = try await connection.call("getModelInfo", parameter: ["specifier": specifier, "throwIfNotFound": true])
        guard let info = result.flatMap(LoadedModel.init(json:)) else {
            throw LMStudioError(.modelNotFound, "\(identifier) is not loaded", endpoint: "getModelInfo")
        }
        return info
    }

    func loadConfig() async throws(LMStudioError) -> KVConfig {
        let result = try await connection.call("getLoadConfig", parameter: ["specifier": specifier])
        guard let result, let config = try? KVConfig(jsonValue: result) else {
            throw LMStudioError.unexpected("getLoadConfig did not return a KV config", endpoint: "getLoadConfig")
        }
        return config
    }

    func tokenize(_ text: String) async throws(LMStudioError) -> [Int] {
        let result = try await connection.call("tokenize", parameter: ["specifier": specifier, "inputString": .string(text)])
        guard let tokens = result?["tokens"]?.arrayValue else { throw LMStudioError.unexpected("tokenize without tokens", endpoint: "tokenize") }
        return tokens.compactMap(\.intValue)
    }

    /// One RPC per string, concurrently (as lmstudio-js does), results in input order.
    func tokenize(_ texts: [String]) async throws(LMStudioError) -> [[Int]] {
        try await concurrently(texts) { text throws(LMStudioError) in try await tokenize(text) }
    }

    func countTokens(_ text: String) async throws(LMStudioError) -> Int {
        let result = try await connection.call("countTokens", parameter: ["specifier": specifier, "inputString": .string(text)])
        guard let count = result?["tokenCount"]?.intValue else { throw LMStudioError.unexpected("countTokens without tokenCount", endpoint: "countTokens") }
        return count
    }

    func unload() async throws(LMStudioError) {
        _ = try await connection.call("unloadModel", parameter: ["identifier": .string(identifier)])
    }
}

/// Runs `body` for every input, at most `width` at a time, and returns the results in input
/// order; the first failure is thrown. (A 10,000-string batch would otherwise put 10,000
/// calls in flight at once.)
func concurrently<Input: Sendable, Output: Sendable>(
    _ inputs: [Input], width: Int = 32, _ body: @escaping @Sendable (Input) async throws(LMStudioError) -> Output
) async throws(LMStudioError) -> [Output] {
    if inputs.count == 1 { return [try await body(inputs[0])] }
    let results = await withTaskGroup(of: (Int, Result<Output, LMStudioError>).self) { group in
        func add(_ index: Int) {
            let input = inputs[index]
            group.addTask {
                do throws(LMStudioError) { return (index, .success(try await body(input))) } catch { return (index, .failure(error)) }
            }
        }
        var next = 0
        while next < min(width, inputs.count) {
            add(next)
            next += 1
        }
        var results = [Result<Output, LMStudioError>?](repeating: nil, count: inputs.count)
        for await (index, result) in group {
            results[index] = result
            if case .failure = result {
                group.cancelAll()
                next = inputs.count
            }
            if next < inputs.count {
                add(next)
                next += 1
            }
        }
        return results
    }
    for result in results { if case .failure(let error)? = result { throw error } }
    return results.map { result in
        guard case .success(let value)? = result else { preconditionFailure("every input has a result") }
        return value
    }
}
