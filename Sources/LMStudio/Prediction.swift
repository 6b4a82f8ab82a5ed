public import LMStudioProtocol
import LMStudioTransport
import Synchronization

/// The reasoning classification of a fragment (`fragment.reasoningType` of `llm.predict`).
public struct ReasoningType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The wire name.
    public var rawValue: String
    /// Creates a classification from its wire name.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// Ordinary output.
    public static let none = ReasoningType(rawValue: "none")
    /// Reasoning ("thinking") text.
    public static let reasoning = ReasoningType(rawValue: "reasoning")
    /// The tag that opens reasoning, such as `<think>`.
    public static let reasoningStartTag = ReasoningType(rawValue: "reasoningStartTag")
    /// The tag that closes reasoning.
    public static let reasoningEndTag = ReasoningType(rawValue: "reasoningEndTag")
    /// The wire name.
    public var description: String { rawValue }
}

/// One streamed piece of generated text, from a `fragment` packet of `llm.predict`
/// (PROTOCOL.md §10.4).
///
/// ```swift
/// for try await fragment in model.respondStream("Hello") { print(fragment.content, terminator: "") }
/// ```
public struct PredictionFragment: Sendable, Hashable {
    /// The text of this piece.
    public var content: String
    /// Approximately how many tokens this piece holds.
    public var tokensCount: Int
    /// Whether the piece contains tokens from the speculative-decoding draft model.
    public var containsDrafted: Bool
    /// The reasoning classification.
    public var reasoningType: ReasoningType
    /// Whether the piece is structural (excluded from the reasoning split).
    public var isStructural: Bool

    /// Creates a fragment.
    public init(
        content: String, tokensCount: Int = 0, containsDrafted: Bool = false, reasoningType: ReasoningType = .none,
        isStructural: Bool = false
    ) {
        self.content = content
        self.tokensCount = tokensCount
        self.containsDrafted = containsDrafted
        self.reasoningType = reasoningType
        self.isStructural = isStructural
    }

    /// Hand decoding for the hot path: only `content` is required; a bare string (very old
    /// servers) is the content.
    @inline(__always)
    init?(json: JSONValue?) {
        switch json {
        case .object(let m)?:
            guard case .string(let text)? = m["content"] else { return nil }
            var count = 0
            if case .int(let value)? = m["tokensCount"] { count = Int(truncatingIfNeeded: value) }
            var type = ReasoningType.none
            if case .string(let raw)? = m["reasoningType"], raw != "none" { type = ReasoningType(rawValue: raw) }
            self.init(
                content: text, tokensCount: count, containsDrafted: m["containsDrafted"]?.boolValue ?? false,
                reasoningType: type, isStructural: m["isStructural"]?.boolValue ?? false
            )
        case .string(let text)?:
            self.init(content: text)
        default:
            return nil
        }
    }
}

/// Why a prediction stopped (`success.stats.stopReason` of `llm.predict`). Open: unknown
/// values decode.
public struct StopReason: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The wire name.
    public var rawValue: String
    /// Creates a stop reason from its wire name.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// The prediction was cancelled (`cancel` packet).
    public static let userStopped = StopReason(rawValue: "userStopped")
    /// The model was unloaded mid-prediction.
    public static let modelUnloaded = StopReason(rawValue: "modelUnloaded")
    /// The prediction failed.
    public static let failed = StopReason(rawValue: "failed")
    /// The model ended its answer.
    public static let eosFound = StopReason(rawValue: "eosFound")
    /// A stop string appeared.
    public static let stopStringFound = StopReason(rawValue: "stopStringFound")
    /// The model requested tool calls.
    public static let toolCalls = StopReason(rawValue: "toolCalls")
    /// The token limit was reached.
    public static let maxPredictedTokensReached = StopReason(rawValue: "maxPredictedTokensReached")
    /// The context is full.
    public static let contextLengthReached = StopReason(rawValue: "contextLengthReached")
    /// The wire name.
    public var description: String { rawValue }
}

/// Statistics of a finished prediction (`success.stats` of `llm.predict`, PROTOCOL.md §10.5).
public struct PredictionStats: Sendable, Hashable {
    /// Why generation stopped.
    public var stopReason: StopReason
    /// The stop string that matched (newer servers).
    public var stopString: String?
    /// Generation speed.
    public var tokensPerSecond: Double?
    /// Layers run on the GPU.
    public var numGpuLayers: Double?
    /// Seconds until the first token.
    public var timeToFirstTokenSeconds: Double?
    /// Total seconds (newer servers).
    public var totalTimeSeconds: Double?
    /// Tokens in the prompt.
    public var promptTokensCount: Int?
    /// Tokens generated.
    public var predictedTokensCount: Int?
    /// Prompt plus generated tokens.
    public var totalTokensCount: Int?
    /// The draft model used for speculative decoding.
    public var usedDraftModelKey: String?
    /// Draft tokens produced.
    public var totalDraftTokensCount: Int?
    /// Draft tokens accepted.
    public var acceptedDraftTokensCount: Int?
    /// Draft tokens rejected.
    public var rejectedDraftTokensCount: Int?
    /// Draft tokens ignored.
    public var ignoredDraftTokensCount: Int?

    /// Creates statistics with a stop reason only.
    public init(stopReason: StopReason) {
        self.stopReason = stopReason
    }

    init(json: JSONValue?) {
        let m = json?.objectValue ?? [:]
        stopReason = StopReason(rawValue: m["stopReason"]?.stringValue ?? "failed")
        stopString = m["stopString"]?.stringValue
        tokensPerSecond = m["tokensPerSecond"]?.doubleValue
        numGpuLayers = m["numGpuLayers"]?.doubleValue
        timeToFirstTokenSeconds = m["timeToFirstTokenSec"]?.doubleValue
        totalTimeSeconds = m["totalTimeSec"]?.doubleValue
        promptTokensCount = m["promptTokensCount"]?.intValue
        predictedTokensCount = m["predictedTokensCount"]?.intValue
        totalTokensCount = m["totalTokensCount"]?.intValue
        usedDraftModelKey = m["usedDraftModelKey"]?.stringValue
        totalDraftTokensCount = m["totalDraftTokensCount"]?.intValue
        acceptedDraftTokensCount = m["acceptedDraftTokensCount"]?.intValue
        rejectedDraftTokensCount = m["rejectedDraftTokensCount"]?.intValue
        ignoredDraftTokensCount = m["ignoredDraftTokensCount"]?.intValue
    }
}

/// A tool-call event of a prediction (the `toolCallGeneration*` packets of `llm.predict`,
/// PROTOCOL.md §7.2), delivered to ``PredictionCallbacks/onToolCallEvent``.
public enum ToolCallEvent: Sendable, Hashable {
    /// `toolCallGenerationStart`: the model began a tool call.
    case started(toolCallId: String?)
    /// `toolCallGenerationNameReceived`.
    case nameReceived(String)
    /// `toolCallGenerationArgumentFragmentGenerated`: a piece of the argument text.
    case argumentFragment(String)
    /// `toolCallGenerationEnd`: a complete, parsed tool call.
    case ended(ToolCallRequestData, rawContent: String?)
    /// `toolCallGenerationFailed`: the model emitted something that is not a valid tool call.
    case failed(SerializedError, rawContent: String?)
}

/// Per-call handlers of a prediction (`llm.predict` packets). They run on the consuming task,
/// inline, in packet order; keep them short.
///
/// ```swift
/// let callbacks = PredictionCallbacks(onFirstToken: { print("first token") })
/// _ = try await model.respond("Hi", callbacks: callbacks)
/// ```
public struct PredictionCallbacks: Sendable {
    /// `promptProcessingProgress` values, 0…1.
    public var onPromptProcessingProgress: (@Sendable (Double) -> Void)?
    /// Called once, at the first fragment.
    public var onFirstToken: (@Sendable () -> Void)?
    /// Called for every fragment.
    public var onFragment: (@Sendable (PredictionFragment) -> Void)?
    /// Called for every tool-call packet.
    public var onToolCallEvent: (@Sendable (ToolCallEvent) -> Void)?

    /// Creates callbacks; all are optional.
    public init(
        onPromptProcessingProgress: (@Sendable (Double) -> Void)? = nil, onFirstToken: (@Sendable () -> Void)? = nil,
        onFragment: (@Sendable (PredictionFragment) -> Void)? = nil,
        onToolCallEvent: (@Sendable (ToolCallEvent) -> Void)? = nil
    ) {
        self.onPromptProcessingProgress = onPromptProcessingProgress
        self.onFirstToken = onFirstToken
        self.onFragment = onFragment
        self.onToolCallEvent = onToolCallEvent
    }
}

/// The outcome of a prediction, assembled from the fragments and the `success` packet of
/// `llm.predict`.
///
/// ```swift
/// let result = try await model.respond("Hello")
/// print(result.content, result.stats.stopReason, result.stats.tokensPerSecond ?? 0)
/// ```
public struct PredictionResult: Sendable {
    /// Every fragment's content, in order (reasoning included, as both official SDKs do).
    public var content: String
    /// The reasoning fragments only (`reasoningType == .reasoning`, not structural).
    public var reasoningContent: String
    /// The non-reasoning fragments only (`reasoningType == .none`, not structural).
    public var nonReasoningContent: String
    /// The server's statistics; `stopReason` is `.userStopped` after a cancellation.
    public var stats: PredictionStats
    /// The instance that answered (nil if the server did not say or the prediction was
    /// abandoned before its end).
    public var modelInfo: LoadedModel?
    /// The effective load configuration (`success.loadModelConfig`).
    public var loadConfiguration: KVConfig
    /// The effective prediction configuration (`success.predictionConfig`).
    public var predictionConfiguration: KVConfig
    /// The reply parsed as JSON when structured JSON output was requested and the reply
    /// parsed; nil otherwise.
    public var parsed: JSONValue?
    /// The tool calls the model requested (`toolCallGenerationEnd` packets), in order.
    public var toolCallRequests: [ToolCallRequestData]
    /// Tool calls the model attempted but that could not be parsed (`toolCallGenerationFailed`).
    public var toolCallFailures: [SerializedError]
    /// Whether this prediction was cancelled (its stop reason is `.userStopped`).
    public var wasCancelled: Bool { stats.stopReason == .userStopped }

    /// Decodes the structured reply as `T`.
    ///
    /// - Throws: ``LMStudioError`` with code `invalidStructuredOutput` and the reply in
    ///   ``LMStudioError/rawOutput`` when it is not JSON or does not decode as `T`.
    public func parsed<T: Decodable>(as type: T.Type) throws(LMStudioError) -> T {
        let value: JSONValue
        if let parsed {
            value = parsed
        } else {
            do {
                value = try JSONValue(parsing: content)
            } catch {
                var failure = LMStudioError(.invalidStructuredOutput, "the reply is not JSON: \(error)", endpoint: "predict", underlying: error)
                failure.rawOutput = content
                throw failure
            }
        }
        do {
            return try JSONValueDecoder().decode(T.self, from: value)
        } catch {
            var failure = LMStudioError(.invalidStructuredOutput, "the reply does not decode as \(T.self): \(error)", endpoint: "predict")
            failure.rawOutput = content
            throw failure
        }
    }
}

/// A streamed prediction: the fragments as an `AsyncSequence`, and the final result.
///
/// Backed by one `llm.predict` channel, opened when iteration (or ``result()``) starts. One
/// consumer. Cancelling the consuming task, or calling ``cancel()``, sends the channel's
/// `{"type":"cancel"}`; the stream then ends normally and ``result()`` returns the partial
/// result with stop reason `.userStopped`. Abandoning the stream before its end also sends
/// the cancel packet. The socket reader waits when the consumer falls behind (backpressure).
///
/// ```swift
/// let stream = model.respondStream("Tell me a story")
/// for try await fragment in stream { print(fragment.content, terminator: "") }
/// let result = try await stream.result()
/// ```
public struct PredictionStream: AsyncSequence, Sendable {
    /// Each element is one fragment.
    public typealias Element = PredictionFragment
    /// Every failure is an ``LMStudioError``.
    public typealias Failure = LMStudioError

    let core: PredictionCore

    /// Creates the iterator (one consumer) over the `llm.predict` channel's fragments.
    public func makeAsyncIterator() -> Iterator { Iterator(core: core) }

    /// Waits for the end of the prediction (the `success` packet of `llm.predict`) (consuming the remaining fragments) and returns
    /// the result. Call it after iterating, or instead of iterating.
    ///
    /// - Throws: ``LMStudioError`` from the server (`modelNotFound`, `presetNotFound`, …) or
    ///   the connection, `timeout` for a missed deadline.
    public func result() async throws(LMStudioError) -> PredictionResult {
        try await core.finish(isolation: #isolation)
    }

    /// Asks the server to stop (sends `{"type":"cancel"}` on the `llm.predict` channel).
    /// Fragments that arrive afterwards are dropped; the stream ends when the server
    /// confirms, and the result's stop reason is `.userStopped`. Safe from any task.
    public func cancel() {
        core.requestCancel()
    }

    /// Iterates the fragments of a ``PredictionStream`` (`fragment` packets of `llm.predict`).
    public struct Iterator: AsyncIteratorProtocol {
        let core: PredictionCore

        /// The next fragment, or nil at the end of the prediction (the `llm.predict` channel's
        /// `success`). Opens the channel on the first call.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws(LMStudioError) -> PredictionFragment? {
            try await core.next(isolation: actor)
        }

        /// The next fragment, or nil at the end of the `llm.predict` prediction.
        public mutating func next() async throws(LMStudioError) -> PredictionFragment? {
            try await core.next(isolation: nil)
        }
    }
}

/// The state of one prediction.
///
/// The consumer-side members (`iterator`, the accumulated text, `outcome`) are touched only
/// by the single consumer, one call at a time; `busy` enforces that, which is why the class
/// can be `@unchecked Sendable`. `cancelRequested`, the channel slot and the deadlines are
/// shared with ``PredictionStream/cancel()`` and the deadline watchdog, behind atomics or the
/// lock.
final class PredictionCore: @unchecked Sendable {
    let connection: NamespaceConnection
    let creationParameter: JSONValue
    let callbacks: PredictionCallbacks
    let parsesJSON: Bool
    let deadlines: (firstToken: Duration?, idle: Duration?, total: Duration?)

    private let busy = Atomic<Bool>(false)
    private let cancelRequested = Atomic<Bool>(false)
    private let timedOut = Atomic<Bool>(false)
    /// Set once the `success` packet arrived: no cancel is sent after that.
    private let completed = Atomic<Bool>(false)
    private let packets = Atomic<Int>(0)
    private let shared = LockedValue<(channel: ChannelCore?, cancelSent: Bool, watchdog: Task<Void, Never>?)>((nil, false, nil))

    // Consumer-only state.
    private var iterator: ChannelMessages.Iterator?
    private var outcome: Result<PredictionResult, LMStudioError>?
    private var content = ""
    private var reasoning = ""
    private var nonReasoning = ""
    private var splitsReasoning = false
    private var sawFirstToken = false
    private var toolCalls: [ToolCallRequestData] = []
    private var toolFailures: [SerializedError] = []

    init(connection: NamespaceConnection, creationParameter: JSONValue, callbacks: PredictionCallbacks, configuration: PredictionConfiguration) {
        self.connection = connection
        self.creationParameter = creationParameter
        self.callbacks = callbacks
        if case .jsonSchema? = configuration.structured { parsesJSON = true } else { parsesJSON = false }
        deadlines = (configuration.firstTokenTimeout, configuration.idleTimeout, configuration.totalTimeout)
    }

    deinit {
        let (channel, sent, watchdog) = shared.withLock { $0 }
        watchdog?.cancel()
        if let channel, !sent, outcome == nil, !channel.isFinished {
            // Abandoned mid-stream: tell the server to stop (never after the result arrived).
            try? channel.send(["type": "cancel"])
        }
    }

    /// Sends the cancel packet once (now, or as soon as the channel opens).
    func requestCancel() {
        guard !completed.load(ordering: .relaxed) else { return }
        cancelRequested.store(true, ordering: .relaxed)
        let channel = shared.withLock { state -> ChannelCore? in
            guard let channel = state.channel, !state.cancelSent else { return nil }
            state.cancelSent = true
            return channel
        }
        if let channel, !channel.isFinished { try? channel.send(["type": "cancel"]) }
    }

    func finish(isolation actor: isolated (any Actor)?) async throws(LMStudioError) -> PredictionResult {
        while try await next(isolation: actor) != nil {}
        guard let outcome else { throw LMStudioError(.protocolViolation, "the prediction ended without a result", endpoint: "predict") }
        return try outcome.get()
    }

    func next(isolation actor: isolated (any Actor)?) async throws(LMStudioError) -> PredictionFragment? {
        guard !busy.exchange(true, ordering: .acquiring) else {
            throw LMStudioError(.invalidArgument, "a PredictionStream has one consumer; it is already being read", endpoint: "predict")
        }
        defer { busy.store(false, ordering: .releasing) }
        if let outcome {
            if case .failure(let error) = outcome { throw error }
            return nil
        }
        if iterator == nil {
            if cancelRequested.load(ordering: .relaxed) || Task.isCancelled {
                outcome = .success(partialResult())
                return nil
            }
            do {
                let channel = try await connection.openChannel("predict", creationParameter: creationParameter)
                iterator = channel.messages.makeAsyncIterator()
                let sendCancel = shared.withLock { state -> Bool in
                    state.channel = channel
                    if cancelRequested.load(ordering: .relaxed) { state.cancelSent = true; return true }
                    return false
                }
                if sendCancel { try? channel.send(["type": "cancel"]) }
                startWatchdog(channel)
            } catch {
                if error.code == .cancelled, Task.isCancelled {
                    // Cancelled before the server saw anything: an empty, cancelled result.
                    outcome = .success(partialResult())
                    return nil
                }
                outcome = .failure(error)
                throw error
            }
        }
        while true {
            let packet: JSONValue?
            do {
                packet = try await iterator!.next(isolation: actor)
            } catch {
                if error.code == .cancelled, !iterator!.ignoresCancellation, Task.isCancelled {
                    // The consuming task was cancelled: stop the server, then read its answer.
                    requestCancel()
                    iterator!.ignoresCancellation = true
                    startCancelGrace()
                    continue
                }
                if timedOut.load(ordering: .relaxed) {
                    let failure = LMStudioError(.timeout, "the prediction missed its deadline (it was cancelled on the server)", endpoint: "predict")
                    outcome = .failure(failure)
                    throw failure
                }
                if cancelRequested.load(ordering: .relaxed) {
                    // Cancelled and the channel then failed: keep what arrived.
                    outcome = .success(partialResult())
                    return nil
                }
                outcome = .failure(error)
                throw error
            }
            guard let packet else {
                if cancelRequested.load(ordering: .relaxed) {
                    outcome = .success(partialResult())
                    return nil
                }
                let failure = LMStudioError(.protocolViolation, "the server closed the prediction without a result", endpoint: "predict")
                outcome = .failure(failure)
                throw failure
            }
            guard case .object(let members) = packet, case .string(let type)? = members["type"] else { continue }
            if deadlines.idle != nil || deadlines.firstToken != nil { packets.add(1, ordering: .relaxed) }
            switch type {
            case "fragment":
                if cancelRequested.load(ordering: .relaxed) { continue }  // PY: drop what arrives after cancel
                guard let fragment = PredictionFragment(json: members["fragment"]) else { continue }
                let plain = !fragment.isStructural && fragment.reasoningType == .none
                if !plain && !splitsReasoning {
                    // Until the first reasoning or structural fragment, the non-reasoning text
                    // is the whole content: keep one copy only.
                    splitsReasoning = true
                    nonReasoning = content
                }
                content += fragment.content
                if splitsReasoning {
                    if plain {
                        nonReasoning += fragment.content
                    } else if !fragment.isStructural && fragment.reasoningType == .reasoning {
                        reasoning += fragment.content
                    }
                }
                if !sawFirstToken {
                    sawFirstToken = true
                    firstTokenSeen.store(true, ordering: .relaxed)
                    callbacks.onFirstToken?()
                }
                callbacks.onFragment?(fragment)
                return fragment
            case "promptProcessingProgress":
                if !cancelRequested.load(ordering: .relaxed), let progress = members["progress"]?.doubleValue {
                    callbacks.onPromptProcessingProgress?(progress)
                }
            case "toolCallGenerationStart":
                callbacks.onToolCallEvent?(.started(toolCallId: members["toolCallId"]?.stringValue))
            case "toolCallGenerationNameReceived":
                if let name = members["name"]?.stringValue { callbacks.onToolCallEvent?(.nameReceived(name)) }
            case "toolCallGenerationArgumentFragmentGenerated":
                if let text = members["content"]?.stringValue { callbacks.onToolCallEvent?(.argumentFragment(text)) }
            case "toolCallGenerationEnd":
                if let raw = members["toolCallRequest"], let request = try? JSONValueDecoder().decode(ToolCallRequestData.self, from: raw) {
                    toolCalls.append(request)
                    callbacks.onToolCallEvent?(.ended(request, rawContent: members["rawContent"]?.stringValue))
                }
            case "toolCallGenerationFailed":
                let error = SerializedError(members["error"] ?? .null)
                toolFailures.append(error)
                callbacks.onToolCallEvent?(.failed(error, rawContent: members["rawContent"]?.stringValue))
            case "success":
                completed.store(true, ordering: .relaxed)
                outcome = .success(result(success: members))
                stopWatchdog()
                return nil
            default:
                continue
            }
        }
    }

    private func result(success m: [String: JSONValue]) -> PredictionResult {
        let stats = PredictionStats(json: m["stats"])
        var parsed: JSONValue?
        if parsesJSON, stats.stopReason != .userStopped { parsed = try? JSONValue(parsing: content) }
        return PredictionResult(
            content: content, reasoningContent: reasoning, nonReasoningContent: splitsReasoning ? nonReasoning : content,
            stats: stats,
            modelInfo: m["modelInfo"].flatMap(LoadedModel.init(json:)),
            loadConfiguration: KVConfig(lenient: m["loadModelConfig"]),
            predictionConfiguration: KVConfig(lenient: m["predictionConfig"]),
            parsed: parsed, toolCallRequests: toolCalls, toolCallFailures: toolFailures
        )
    }

    /// What arrived before a cancellation the server did not confirm.
    private func partialResult() -> PredictionResult {
        stopWatchdog()
        return PredictionResult(
            content: content, reasoningContent: reasoning, nonReasoningContent: splitsReasoning ? nonReasoning : content,
            stats: PredictionStats(stopReason: .userStopped), modelInfo: nil, loadConfiguration: KVConfig(),
            predictionConfiguration: KVConfig(), parsed: nil, toolCallRequests: toolCalls, toolCallFailures: toolFailures
        )
    }

    // MARK: Deadlines

    /// One watchdog task per prediction, only when a deadline is set. On expiry it sends the
    /// cancel packet and ends the channel locally with `timeout`.
    private func startWatchdog(_ channel: ChannelCore) {
        guard deadlines.firstToken != nil || deadlines.idle != nil || deadlines.total != nil else { return }
        let (firstToken, idle, total) = deadlines
        let start = ContinuousClock.now
        let task = Task.detached { [weak self] in
            var lastCount = 0
            var lastActivity = start
            let tick = Duration.milliseconds(20)
            while !Task.isCancelled {
                try? await Task.sleep(for: tick)
                guard let self else { return }
                let now = ContinuousClock.now
                let count = self.packets.load(ordering: .relaxed)
                if count != lastCount {
                    lastCount = count
                    lastActivity = now
                }
                let expired =
                    (total.map { start.duration(to: now) >= $0 } ?? false)
                    || (idle.map { lastActivity.duration(to: now) >= $0 } ?? false)
                    || (firstToken.map { !self.sawFirstTokenFlag && start.duration(to: now) >= $0 } ?? false)
                if expired {
                    self.timedOut.store(true, ordering: .relaxed)
                    self.requestCancel()
                    channel.finish(.failed(LMStudioError(.timeout, "deadline passed", endpoint: "predict")))
                    return
                }
            }
        }
        shared.withLock { $0.watchdog = task }
    }

    /// How long a cancelled task waits for the server to confirm the cancel before it keeps
    /// the partial result without the server's statistics.
    static let cancelGrace = Duration.seconds(10)

    /// Bounds the wait for the server's answer to a cancel sent because the consuming task
    /// was cancelled (the server answers silence to packets it rejects).
    private func startCancelGrace() {
        guard let channel = shared.withLock({ $0.channel }) else { return }
        let timer = Task.detached { [weak channel] in
            do { try await Task.sleep(for: Self.cancelGrace) } catch { return }
            channel?.finish(.failed(LMStudioError(.cancelled, "the server did not confirm the cancellation", endpoint: "predict")))
        }
        shared.withLock { state in
            state.watchdog?.cancel()
            state.watchdog = timer
        }
    }

    private let firstTokenSeen = Atomic<Bool>(false)
    private var sawFirstTokenFlag: Bool { firstTokenSeen.load(ordering: .relaxed) }

    private func stopWatchdog() {
        shared.withLock { state in
            state.watchdog?.cancel()
            state.watchdog = nil
        }
    }
}
