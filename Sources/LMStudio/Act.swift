public import LMStudioProtocol

/// Why a tool call did not produce a normal result during ``LLM/act(_:tools:configuration:callbacks:)``
/// (the request came from a `toolCallGeneration*` packet of `llm.predict`).
public struct ToolCallFailure: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public enum Kind: Sendable, Hashable {
        /// The model named a tool that was not offered.
        case unknownTool
        /// The arguments did not decode (``ToolArgumentError``).
        case invalidArguments
        /// The tool threw.
        case toolThrew
        /// The model emitted a tool call the server could not parse (`toolCallGenerationFailed`);
        /// there is no request to answer.
        case unparsableRequest
    }

    /// The kind of failure.
    public var kind: Kind
    /// The request, when there is one (not for ``Kind/unparsableRequest``).
    public var request: ToolCallRequestData?
    /// The error the tool threw, or the decoding error of the arguments.
    public var underlying: (any Error)?
    /// The server's error, for an unparsable request (`toolCallGenerationFailed.error`).
    public var serverError: SerializedError?
    /// The prediction round (0-based).
    public var round: Int
    /// The text reported to the model by default, in lmstudio-python's wording.
    public var message: String

    /// The default text.
    public var description: String { message }
}

/// Settings of ``LLM/act(_:tools:configuration:callbacks:)``: the per-round `llm.predict`
/// configuration, the round limit, tool concurrency and the failure policy.
///
/// ```swift
/// var configuration = ActConfiguration(maxPredictionRounds: 4, maxParallelToolCalls: 2)
/// configuration.prediction.temperature = 0
/// ```
public struct ActConfiguration: Sendable {
    /// The settings of every `llm.predict` round; its `tools` are replaced by the act's tools.
    public var prediction: PredictionConfiguration
    /// At most this many `llm.predict` rounds (≥ 1; `nil`: no limit). The last permitted round
    /// is sent without `llm.prediction.tools`.
    public var maxPredictionRounds: Int?
    /// How many tool calls of one round may run at once (≥ 1; 1, the default, runs them one
    /// after another in request order). Results are always sent in request order.
    public var maxParallelToolCalls: Int
    /// Decides what to tell the model when a tool call fails (unknown tool, arguments that do
    /// not decode, a tool that throws, a tool call the server could not parse). Return the
    /// text of the tool result, or throw to end `act` (the error is wrapped in an
    /// ``LMStudioError`` with code `toolFailure`). `nil` (the default) reports
    /// ``ToolCallFailure/message`` for a request and ends `act` for an unparsable one, as
    /// lmstudio-python does.
    public var handleToolFailure: (@Sendable (ToolCallFailure) async throws -> String)?

    /// Creates the settings. Applied to every `llm.predict` round of `act`.
    public init(
        prediction: PredictionConfiguration = .init(), maxPredictionRounds: Int? = nil, maxParallelToolCalls: Int = 1,
        handleToolFailure: (@Sendable (ToolCallFailure) async throws -> String)? = nil
    ) {
        self.prediction = prediction
        self.maxPredictionRounds = maxPredictionRounds
        self.maxParallelToolCalls = maxParallelToolCalls
        self.handleToolFailure = handleToolFailure
    }
}

/// Handlers of ``LLM/act(_:tools:configuration:callbacks:)``, called on the acting task in order.
/// Fragments and tool-call events come from the `llm.predict` packets of each round.
///
/// ```swift
/// let callbacks = ActCallbacks(onFragment: { fragment, _ in print(fragment.content, terminator: "") })
/// ```
public struct ActCallbacks: Sendable {
    /// A round (one `llm.predict` channel) starts; the argument is its 0-based index.
    public var onRoundStart: (@Sendable (Int) -> Void)?
    /// A round ended (its tools ran and its messages were appended).
    public var onRoundEnd: (@Sendable (Int) -> Void)?
    /// A fragment of the round's reply.
    public var onFragment: (@Sendable (PredictionFragment, _ round: Int) -> Void)?
    /// A `toolCallGeneration*` packet of the round.
    public var onToolCallEvent: (@Sendable (ToolCallEvent, _ round: Int) -> Void)?
    /// The round's prediction finished (`success`).
    public var onPredictionCompleted: (@Sendable (PredictionResult, _ round: Int) -> Void)?
    /// A tool is about to run.
    public var onToolCallStart: (@Sendable (ToolCallRequestData, _ round: Int) -> Void)?
    /// A tool call produced the result that will be sent to the model.
    public var onToolCallResult: (@Sendable (ToolCallRequestData, ToolCallResultData, _ round: Int) -> Void)?
    /// A message was appended to the chat (the assistant's reply, the tool results).
    public var onMessage: (@Sendable (ChatMessage) -> Void)?

    /// Creates callbacks; all are optional. Called during `llm.predict` rounds.
    public init(
        onRoundStart: (@Sendable (Int) -> Void)? = nil, onRoundEnd: (@Sendable (Int) -> Void)? = nil,
        onFragment: (@Sendable (PredictionFragment, _ round: Int) -> Void)? = nil,
        onToolCallEvent: (@Sendable (ToolCallEvent, _ round: Int) -> Void)? = nil,
        onPredictionCompleted: (@Sendable (PredictionResult, _ round: Int) -> Void)? = nil,
        onToolCallStart: (@Sendable (ToolCallRequestData, _ round: Int) -> Void)? = nil,
        onToolCallResult: (@Sendable (ToolCallRequestData, ToolCallResultData, _ round: Int) -> Void)? = nil,
        onMessage: (@Sendable (ChatMessage) -> Void)? = nil
    ) {
        self.onRoundStart = onRoundStart
        self.onRoundEnd = onRoundEnd
        self.onFragment = onFragment
        self.onToolCallEvent = onToolCallEvent
        self.onPredictionCompleted = onPredictionCompleted
        self.onToolCallStart = onToolCallStart
        self.onToolCallResult = onToolCallResult
        self.onMessage = onMessage
    }
}

/// The outcome of ``LLM/act(_:tools:configuration:callbacks:)``: one `llm.predict` result per
/// round, the total time and the extended chat.
public struct ActResult: Sendable {
    /// Every round's prediction, in order; the last one is the final answer.
    public var rounds: [PredictionResult]
    /// Wall-clock time of the whole loop, tools included.
    public var totalTime: Duration
    /// The input chat plus every message `act` appended (assistant replies with their tool
    /// calls, tool results, the final answer).
    public var chat: Chat

    /// The final answer's text (the last round's content).
    public var content: String { rounds.last?.content ?? "" }
}

extension LLM {
    /// Runs the tool-use loop: predicts, runs the tools the model asks for, sends their results
    /// back, and repeats until the model answers without tool calls.
    ///
    /// There is no act endpoint (PROTOCOL.md §7.3): every round is one `llm.predict` channel
    /// whose `llm.prediction.tools` offers `tools`. After a round that requested tools, the
    /// assistant message (its text and `toolCallRequest` parts) and one `tool` message with
    /// every result (JSON-encoded, with its `toolCallId`, in request order) are appended, and
    /// the next round starts. The last round permitted by
    /// ``ActConfiguration/maxPredictionRounds`` is sent without tools; tool calls the model
    /// still requests there are not run (they remain in that round's result). Failed tool
    /// calls are reported to the model unless ``ActConfiguration/handleToolFailure`` decides
    /// otherwise.
    ///
    /// Cancelling the calling task cancels the current round on the server (the channel's
    /// `cancel` packet), lets running tools see the cancellation, starts no further tool or
    /// round, and throws `cancelled`.
    ///
    /// ```swift
    /// let result = try await model.act("What is 2 + 3?", tools: [add])
    /// print(result.content)
    /// ```
    ///
    /// - Parameters:
    ///   - chat: The conversation so far.
    ///   - tools: The tools to offer (names must be unique).
    ///   - configuration: Round limit, concurrency, failure policy and prediction settings.
    ///   - callbacks: Progress handlers.
    /// - Returns: Every round's result, the total time and the extended chat.
    /// - Throws: ``LMStudioError``: `invalidArgument` for duplicate tool names or a round
    ///   limit below 1, `cancelled`, `toolFailure` when the failure handler throws (or for an
    ///   unparsable tool call by default), and the prediction's own errors.
    public func act(
        _ chat: Chat, tools: [Tool], configuration: ActConfiguration = .init(), callbacks: ActCallbacks = .init()
    ) async throws(LMStudioError) -> ActResult {
        let start = ContinuousClock.now
        var byName: [String: Tool] = [:]
        for tool in tools {
            guard byName.updateValue(tool, forKey: tool.name) == nil else {
                throw LMStudioError(.invalidArgument, "duplicate tool name \(tool.name)", endpoint: "predict")
            }
        }
        if let limit = configuration.maxPredictionRounds, limit < 1 {
            throw LMStudioError(.invalidArgument, "maxPredictionRounds must be at least 1", endpoint: "predict")
        }
        guard configuration.maxParallelToolCalls >= 1 else {
            throw LMStudioError(.invalidArgument, "maxParallelToolCalls must be at least 1", endpoint: "predict")
        }
        let definitions = tools.map(\.definition)
        var chat = chat
        var rounds: [PredictionResult] = []
        var round = 0
        while true {
            if Task.isCancelled { throw Self.cancelledError }
            let isLast = configuration.maxPredictionRounds.map { round + 1 >= $0 } ?? false
            var prediction = configuration.prediction
            prediction.tools = isLast ? nil : definitions
            callbacks.onRoundStart?(round)
            let index = round
            var predictionCallbacks = PredictionCallbacks()
            if let handler = callbacks.onFragment {
                predictionCallbacks.onFragment = { @Sendable fragment in handler(fragment, index) }
            }
            if let handler = callbacks.onToolCallEvent {
                predictionCallbacks.onToolCallEvent = { @Sendable event in handler(event, index) }
            }
            let result = try await respondStream(chat, configuration: prediction, callbacks: predictionCallbacks).result()
            rounds.append(result)
            if result.wasCancelled || Task.isCancelled { throw Self.cancelledError }
            callbacks.onPredictionCompleted?(result, round)

            let requests = result.toolCallRequests
            if isLast || (requests.isEmpty && result.toolCallFailures.isEmpty) {
                let message = ChatMessage.assistant(result.content)
                chat.append(message)
                callbacks.onMessage?(message)
                callbacks.onRoundEnd?(round)
                break
            }
            for failure in result.toolCallFailures {
                // No request to answer: the handler may choose to go on; by default act fails.
                let problem = ToolCallFailure(
                    kind: .unparsableRequest, request: nil, underlying: nil, serverError: failure, round: round,
                    message: "Failed to parse tool call request."
                )
                guard let handler = configuration.handleToolFailure else {
                    throw LMStudioError(.toolFailure, problem.message, serverError: failure, endpoint: "predict")
                }
                do { _ = try await handler(problem) } catch { throw Self.toolFailure(error, problem) }
            }
            let assistant = ChatMessage(role: .assistant, content: [.text(result.content)] + requests.map(ChatMessage.Part.toolCallRequest))
            chat.append(assistant)
            callbacks.onMessage?(assistant)
            if !requests.isEmpty {
                let results = try await runTools(requests, byName: byName, round: round, configuration: configuration, callbacks: callbacks)
                if Task.isCancelled { throw Self.cancelledError }
                let message = ChatMessage.tool(results)
                chat.append(message)
                callbacks.onMessage?(message)
            }
            callbacks.onRoundEnd?(round)
            round += 1
        }
        return ActResult(rounds: rounds, totalTime: start.duration(to: .now), chat: chat)
    }

    /// Runs the tool-use loop on one user message (see ``act(_:tools:configuration:callbacks:)``);
    /// every round is an `llm.predict` channel.
    public func act(
        _ text: String, tools: [Tool], configuration: ActConfiguration = .init(), callbacks: ActCallbacks = .init()
    ) async throws(LMStudioError) -> ActResult {
        try await act(Chat(stringLiteral: text), tools: tools, configuration: configuration, callbacks: callbacks)
    }

    static var cancelledError: LMStudioError { LMStudioError(.cancelled, "act was cancelled", endpoint: "predict") }

    /// The error `act` throws when the failure handler throws `error`: an ``LMStudioError``
    /// as is, anything else wrapped with code `toolFailure`.
    static func toolFailure(_ error: any Error, _ problem: ToolCallFailure) -> LMStudioError {
        if let error = error as? LMStudioError { return error }
        return LMStudioError(.toolFailure, "\(problem.message) (handler: \(error))", endpoint: "predict", underlying: error)
    }

    /// Runs one round's tool calls, at most `maxParallelToolCalls` at a time, and returns the
    /// results in request order.
    private func runTools(
        _ requests: [ToolCallRequestData], byName: [String: Tool], round: Int, configuration: ActConfiguration,
        callbacks: ActCallbacks
    ) async throws(LMStudioError) -> [ToolCallResultData] {
        let width = configuration.maxParallelToolCalls
        typealias Outcome = (index: Int, result: Result<ToolCallResultData, LMStudioError>)
        let (results, failure) = await withTaskGroup(of: Outcome.self) { group in
            var results = [ToolCallResultData?](repeating: nil, count: requests.count)
            var failure: (index: Int, error: LMStudioError)?
            var next = 0
            var running = 0
            func collect(_ outcome: Outcome) {
                running -= 1
                switch outcome.result {
                case .success(let result): results[outcome.index] = result
                case .failure(let error):
                    // Report the failure of the earliest request.
                    if failure == nil || outcome.index < failure!.index { failure = (outcome.index, error) }
                }
            }
            while next < requests.count, failure == nil, !Task.isCancelled {
                if running == width {
                    if let outcome = await group.next() { collect(outcome) }
                    continue
                }
                let index = next
                let request = requests[index]
                next += 1
                running += 1
                group.addTask {
                    let result = await Self.runTool(
                        request, tool: byName[request.name], round: round, configuration: configuration, callbacks: callbacks
                    )
                    return (index, result)
                }
            }
            for await outcome in group { collect(outcome) }
            return (results, failure)
        }
        if let failure { throw failure.error }
        if Task.isCancelled { throw Self.cancelledError }
        return results.map { $0! }
    }

    /// Runs one tool call; failures become the result text (or an error from the handler).
    private static func runTool(
        _ request: ToolCallRequestData, tool: Tool?, round: Int, configuration: ActConfiguration, callbacks: ActCallbacks
    ) async -> Result<ToolCallResultData, LMStudioError> {
        if Task.isCancelled { return .failure(cancelledError) }
        var failure: ToolCallFailure?
        var content = ""
        if let tool {
            callbacks.onToolCallStart?(request, round)
            do {
                let value = try await tool.implementation(.object(request.arguments ?? [:]))
                content = value.serialized(sortedKeys: true)
            } catch let error as ToolArgumentError {
                failure = ToolCallFailure(
                    kind: .invalidArguments, request: request, underlying: error, round: round,
                    message: "Failed to parse arguments for tool \(request.name): \(error.description)"
                )
            } catch {
                if Task.isCancelled { return .failure(cancelledError) }
                failure = ToolCallFailure(
                    kind: .toolThrew, request: request, underlying: error, round: round,
                    message: JSONValue.string("Unhandled Swift error: \(error)").serialized()
                )
            }
        } else {
            failure = ToolCallFailure(
                kind: .unknownTool, request: request, underlying: nil, round: round,
                message: "Cannot find tool with name \(request.name)."
            )
        }
        if let failure {
            if let handler = configuration.handleToolFailure {
                do { content = try await handler(failure) } catch { return .failure(toolFailure(error, failure)) }
            } else {
                content = failure.message
            }
        }
        let result = ToolCallResultData(content: content, toolCallId: request.id)
        callbacks.onToolCallResult?(request, result, round)
        return .success(result)
    }
}
