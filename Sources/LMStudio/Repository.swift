import LMStudioProtocol
import LMStudioTransport
import Synchronization

/// One hit of a model search (`searchModels` results, PROTOCOL.md §7.7).
public struct ModelSearchResult: Sendable, Hashable {
    /// The model's name.
    public var name: String
    /// Where the result comes from: `"catalog"` or `"hf"`.
    public var source: String
    /// The identifier within that source.
    public var identifier: String
    /// Whether the name matched exactly.
    public var isExactMatch: Bool
    /// Whether LM Studio staff picked the model.
    public var isStaffPick: Bool

    var identifierJSON: JSONValue { ["type": .string(source), "identifier": .string(identifier)] }
}

/// One downloadable file of a search result (`getModelDownloadOptions`, PROTOCOL.md §7.7).
public struct DownloadOption: Sendable, Hashable {
    /// The file's name.
    public var name: String
    /// The quantization, such as `"Q4_K_M"`.
    public var quantization: String?
    /// The download size in bytes.
    public var sizeBytes: Int
    /// How well it fits this machine: `fullGPUOffload`, `partialGPUOffload`, `fitWithoutGPU`, `willNotFit`.
    public var fitEstimation: String?
    /// Whether LM Studio recommends this option.
    public var isRecommended: Bool
    /// What `downloadModel` takes.
    public var downloadIdentifier: String
}

/// Download progress (`downloadProgress` packets of `repository.downloadModel`).
public struct DownloadProgress: Sendable, Hashable {
    /// Bytes downloaded so far.
    public var downloadedBytes: Int
    /// Bytes in total.
    public var totalBytes: Int
    /// Current speed.
    public var speedBytesPerSecond: Double
    /// `downloadedBytes / totalBytes`, 0…1.
    public var fraction: Double { totalBytes > 0 ? Double(downloadedBytes) / Double(totalBytes) : 0 }
}

/// Model search and downloads, over the `repository` namespace socket (PROTOCOL.md §7.7).
///
/// ```swift
/// let hits = try await client.repository.search("qwen")
/// let options = try await client.repository.downloadOptions(for: hits[0])
/// let key = try await client.repository.download(options[0]) { print($0.fraction) }
/// let model = try await client.llm.model(key)
/// ```
public struct RepositoryNamespace: Sendable {
    let core: ClientCore

    /// Searches the model catalogue. The corresponding LM Studio endpoint is `repository.searchModels`.
    ///
    /// - Parameters:
    ///   - term: The search term (must not be empty).
    ///   - limit: At most this many results (1…25).
    public func search(_ term: String, limit: Int? = nil) async throws(LMStudioError) -> [ModelSearchResult] {
        guard !term.isEmpty else { throw LMStudioError(.invalidArgument, "the search term is empty", endpoint: "searchModels") }
        var opts: [String: JSONValue] = ["searchTerm": .string(term)]
        if let limit {
            guard (1...25).contains(limit) else { throw LMStudioError(.invalidArgument, "limit must be 1…25", endpoint: "searchModels") }
            opts["limit"] = .int(Int64(limit))
        }
        let result = try await core.connection(.repository).call("searchModels", parameter: ["opts": .object(opts)])
        return (result?["results"]?.arrayValue ?? []).compactMap { entry in
            guard let name = entry["name"]?.stringValue, let id = entry["identifier"]?["identifier"]?.stringValue else { return nil }
            return ModelSearchResult(
                name: name, source: entry["identifier"]?["type"]?.stringValue ?? "catalog", identifier: id,
                isExactMatch: entry["exact"]?.boolValue ?? false, isStaffPick: entry["staffPick"]?.boolValue ?? false
            )
        }
    }

    /// The downloadable files of a search result. The corresponding LM Studio endpoint is
    /// `repository.getModelDownloadOptions`.
    public func downloadOptions(for result: ModelSearchResult) async throws(LMStudioError) -> [DownloadOption] {
        let reply = try await core.connection(.repository).call(
            "getModelDownloadOptions", parameter: ["modelSearchResultIdentifier": result.identifierJSON]
        )
        return (reply?["results"]?.arrayValue ?? []).compactMap { entry in
            guard let id = entry["downloadIdentifier"]?.stringValue else { return nil }
            return DownloadOption(
                name: entry["name"]?.stringValue ?? id, quantization: entry["quantization"]?.stringValue,
                sizeBytes: entry["sizeBytes"]?.intValue ?? 0, fitEstimation: entry["fitEstimation"]?.stringValue,
                isRecommended: entry["recommended"]?.boolValue ?? false, downloadIdentifier: id
            )
        }
    }

    /// Downloads a model and returns the key to load it by. The corresponding LM Studio
    /// endpoint is `repository.downloadModel` (channel). Cancelling the calling task sends
    /// the channel's `cancel` and throws `cancelled`.
    public func download(
        _ option: DownloadOption, onProgress: (@Sendable (DownloadProgress) -> Void)? = nil
    ) async throws(LMStudioError) -> String {
        try await download(downloadIdentifier: option.downloadIdentifier, onProgress: onProgress)
    }

    /// Downloads a model by download identifier and returns the model key. The corresponding
    /// LM Studio endpoint is `repository.downloadModel`.
    public func download(
        downloadIdentifier: String, onProgress: (@Sendable (DownloadProgress) -> Void)? = nil,
        onFinalizing: (@Sendable () -> Void)? = nil
    ) async throws(LMStudioError) -> String {
        let channel = try await core.connection(.repository).openChannel(
            "downloadModel", creationParameter: ["downloadIdentifier": .string(downloadIdentifier)]
        )
        var iterator = channel.messages.makeAsyncIterator()
        while true {
            let packet: JSONValue?
            do {
                packet = try await iterator.next(isolation: nil)
            } catch {
                if error.code == .cancelled, Task.isCancelled { try? channel.send(["type": "cancel"]) }
                throw error
            }
            guard let packet else {
                throw LMStudioError(.protocolViolation, "the download ended without a result", endpoint: "downloadModel")
            }
            switch packet["type"]?.stringValue {
            case "downloadProgress":
                let update = packet["update"]
                onProgress?(
                    DownloadProgress(
                        downloadedBytes: update?["downloadedBytes"]?.intValue ?? 0, totalBytes: update?["totalBytes"]?.intValue ?? 0,
                        speedBytesPerSecond: update?["speedBytesPerSecond"]?.doubleValue ?? 0
                    ))
            case "startFinalizing":
                onFinalizing?()
            case "success":
                guard let key = packet["defaultIdentifier"]?.stringValue else {
                    throw LMStudioError.unexpected("download success without defaultIdentifier", endpoint: "downloadModel")
                }
                return key
            default:
                continue
            }
        }
    }
}

/// A server log entry (`log` packets of `diagnostics.streamLogs`, PROTOCOL.md §7.8).
public struct LogEvent: Sendable, Hashable {
    /// What the entry is about.
    public enum Kind: Sendable, Hashable {
        /// `llm.prediction.input`: the formatted prompt a model received.
        case predictionInput(modelIdentifier: String, modelPath: String, input: String)
        /// `llm.prediction.output`: what a model produced (newer servers).
        case predictionOutput(modelIdentifier: String, output: String)
        /// `server.log` (newer servers).
        case serverLog(level: String, content: String)
        /// `runtime.log` (newer servers).
        case runtimeLog(level: String, message: String, engineName: String?, modelIdentifier: String?)
    }

    /// Milliseconds since the epoch.
    public var timestamp: Double
    /// The entry.
    public var kind: Kind

    init?(json: JSONValue) {
        guard json["type"]?.stringValue == "log", let log = json["log"], let data = log["data"] else { return nil }
        timestamp = log["timestamp"]?.doubleValue ?? 0
        func s(_ key: String) -> String { data[key]?.stringValue ?? "" }
        switch data["type"]?.stringValue {
        case "llm.prediction.input":
            kind = .predictionInput(modelIdentifier: s("modelIdentifier"), modelPath: s("modelPath"), input: s("input"))
        case "llm.prediction.output":
            kind = .predictionOutput(modelIdentifier: s("modelIdentifier"), output: s("output"))
        case "server.log":
            kind = .serverLog(level: s("level"), content: s("content"))
        case "runtime.log":
            kind = .runtimeLog(
                level: s("level"), message: s("message"), engineName: data["engineName"]?.stringValue,
                modelIdentifier: data["modelIdentifier"]?.stringValue
            )
        default:
            return nil  // PROTOCOL.md §7.8: skip kinds this SDK does not know
        }
    }
}

/// Server logs as an `AsyncSequence`, over one `diagnostics.streamLogs` channel.
///
/// The channel opens when iteration starts. ``stop()``, cancelling the consuming task or
/// abandoning the stream sends `{"type":"stop"}`; entries of unknown kinds are skipped.
public struct LogStream: AsyncSequence, Sendable {
    /// One log entry.
    public typealias Element = LogEvent
    /// Every failure is an ``LMStudioError``.
    public typealias Failure = LMStudioError

    let core: LogStreamCore

    /// Creates the iterator (one consumer) over the `diagnostics.streamLogs` channel.
    public func makeAsyncIterator() -> Iterator { Iterator(core: core) }

    /// Asks the server to stop streaming (`stop` on `diagnostics.streamLogs`) (`{"type":"stop"}`); iteration ends when it does.
    public func stop() { core.stop() }

    /// Iterates the entries of a ``LogStream``.
    public struct Iterator: AsyncIteratorProtocol {
        let core: LogStreamCore

        /// The next entry, or nil when the `diagnostics.streamLogs` channel ends. Opens the
        /// channel on the first call.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws(LMStudioError) -> LogEvent? {
            try await core.next(isolation: actor)
        }

        /// The next entry, or nil when the `diagnostics.streamLogs` channel ends.
        public mutating func next() async throws(LMStudioError) -> LogEvent? {
            try await core.next(isolation: nil)
        }
    }
}

/// The state of one log stream; consumer-only members are used by one consumer at a time.
final class LogStreamCore: @unchecked Sendable {
    let connection: NamespaceConnection
    private let channelSlot = LockedValue<(channel: ChannelCore?, stopped: Bool)>((nil, false))
    private var iterator: ChannelMessages.Iterator?
    private var ended = false

    init(connection: NamespaceConnection) { self.connection = connection }

    deinit { stop() }

    func stop() {
        let channel = channelSlot.withLock { slot -> ChannelCore? in
            defer { slot.stopped = true }
            return slot.stopped ? nil : slot.channel
        }
        if let channel, !channel.isFinished { try? channel.send(["type": "stop"]) }
    }

    func next(isolation actor: isolated (any Actor)?) async throws(LMStudioError) -> LogEvent? {
        if ended { return nil }
        if iterator == nil {
            if channelSlot.withLock({ $0.stopped }) { return nil }
            let channel = try await connection.openChannel("streamLogs", creationParameter: nil)
            iterator = channel.messages.makeAsyncIterator()
            let stopNow = channelSlot.withLock { slot -> Bool in
                slot.channel = channel
                return slot.stopped
            }
            if stopNow { try? channel.send(["type": "stop"]) }
        }
        while true {
            let packet: JSONValue?
            do {
                packet = try await iterator!.next(isolation: actor)
            } catch {
                if error.code == .cancelled, Task.isCancelled {
                    stop()
                    ended = true
                    return nil
                }
                throw error
            }
            guard let packet else {
                ended = true
                return nil
            }
            if let event = LogEvent(json: packet) { return event }
        }
    }
}

/// Server diagnostics, over the `diagnostics` namespace socket (PROTOCOL.md §7.8).
///
/// ```swift
/// let logs = client.diagnostics.streamLogs()
/// for try await entry in logs { print(entry) }
/// ```
public struct DiagnosticsNamespace: Sendable {
    let core: ClientCore

    /// Streams the server's logs. The corresponding LM Studio endpoint is
    /// `diagnostics.streamLogs` (channel, ended with `stop`).
    public func streamLogs() -> LogStream {
        LogStream(core: LogStreamCore(connection: core.connection(.diagnostics)))
    }
}
