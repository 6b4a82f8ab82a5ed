import LMStudioProtocol

/// The `predict` and `completeRawText` channels (§7.2): prompt processing, fragments, tool
/// calls, structured output and the final `success` packet.
enum MockPrediction {
    /// Collapses a `KVConfigStack`: later layers override earlier ones, key by key.
    static func collapse(_ stack: JSONValue?) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for layer in stack?["layers"]?.arrayValue ?? [] {
            for field in layer["config"]?["fields"]?.arrayValue ?? [] {
                if let key = field["key"]?.stringValue { result[key] = field["value"] ?? .null }
            }
        }
        return result
    }

    static let predict: MockEndpoints.ChannelFactory = { connection, parameter in
        if let problem = MockEndpoints.specifierProblem(parameter?["modelSpecifier"]) { return .invalid(problem) }
        guard let messages = parameter?["history"]?["messages"]?.arrayValue else {
            return .invalid("history.messages is required")
        }
        guard parameter?["predictionConfigStack"]?["layers"]?.arrayValue != nil else {
            return .invalid("predictionConfigStack.layers is required")
        }
        if let preset = parameter?["fuzzyPresetIdentifier"], preset.stringValue == nil {
            return .invalid("fuzzyPresetIdentifier must be a string")
        }
        return .run { context in
            await run(context, parameter: parameter, messages: messages, allowsTools: true)
        }
    }

    static let completeRawText: MockEndpoints.ChannelFactory = { connection, parameter in
        if let problem = MockEndpoints.specifierProblem(parameter?["modelSpecifier"]) { return .invalid(problem) }
        guard let prompt = parameter?["rawPrompt"]?.stringValue else { return .invalid("rawPrompt is required") }
        let messages: [JSONValue] = [["role": "user", "content": [["type": "text", "text": .string(prompt)]]]]
        return .run { context in
            await run(context, parameter: parameter, messages: messages, allowsTools: false)
        }
    }

    /// What one prediction will produce.
    enum Output {
        case text(String)
        case toolCalls([(name: String, arguments: JSONValue)])
    }

    static func run(
        _ context: MockChannelContext, parameter: JSONValue?, messages: [JSONValue], allowsTools: Bool
    ) async -> MockChannelEnd {
        let connection = context.connection
        let server = connection.server
        let started = ContinuousClock.now
        let resolution = server.withCatalogue { $0.resolve(parameter?["modelSpecifier"], kind: MockServer.ModelKind.llm) }
        let instance: MockInstance
        switch resolution {
        case .success(let found): instance = found
        case .failure(let error): return .error(error)
        }
        if let preset = parameter?["fuzzyPresetIdentifier"]?.stringValue,
            !server.configuration.presets.contains(preset)
        {
            return .error(presetNotFound(preset, available: server.configuration.presets))
        }
        let behavior = server.behavior
        let config = collapse(parameter?["predictionConfigStack"])
        let lastUser = messages.last { $0["role"]?.stringValue == "user" }.map(MockText.text(of:)) ?? ""
        let request = MockServer.PredictionRequest(
            modelIdentifier: instance.identifier, modelKey: instance.model.modelKey,
            history: ["messages": .array(messages)], lastUserText: lastUser, config: config
        )
        let output = decide(request, messages: messages, behavior: behavior, allowsTools: allowsTools)
        MockRepository.broadcast(
            server,
            [
                "type": "llm.prediction.input", "modelPath": .string(instance.model.path),
                "modelIdentifier": .string(instance.identifier),
                "input": .string(messages.map(MockText.text(of:)).joined(separator: "\n")),
            ]
        )
        let promptTokens = messages.reduce(0) { $0 + MockText.tokens(MockText.text(of: $1)).count }

        // Prompt processing.
        for progress in [0.0, 1.0] {
            context.send([
                "type": "promptProcessingProgress", "progress": .double(progress),
                "details": [
                    "cachedTokenCount": 0, "totalPromptTokenCount": .int(Int64(promptTokens)),
                    "processedPromptTokenCount": .int(Int64(progress == 0 ? 0 : promptTokens)),
                    "unprocessedPromptTokenCount": .int(Int64(progress == 0 ? promptTokens : 0)),
                ],
            ])
        }

        var stopReason = "eosFound"
        var stopString: String?
        var predicted = 0
        var firstTokenAt: ContinuousClock.Instant?

        switch output {
        case .toolCalls(let calls):
            for (index, call) in calls.enumerated() {
                let callID = "call_\(connection.id)_\(context.channel.id)" + (index == 0 ? "" : "_\(index)")
                let argumentText = MockJSON.serialize(call.arguments)
                context.send(["type": "toolCallGenerationStart", "toolCallId": .string(callID)])
                context.send(["type": "toolCallGenerationNameReceived", "name": .string(call.name)])
                context.send(["type": "toolCallGenerationArgumentFragmentGenerated", "content": .string(argumentText)])
                if behavior.failsToolCalls {
                    context.send([
                        "type": "toolCallGenerationFailed",
                        "error": MockServer.ServerError(title: "Failed to parse tool call").json,
                        "rawContent": .string("<tool_call>{\"name\":\(MockJSON.quoted(call.name)),\"arguments\":"),
                    ])
                    continue
                }
                context.send([
                    "type": "toolCallGenerationEnd",
                    "toolCallRequest": [
                        "type": "function", "id": .string(callID), "name": .string(call.name), "arguments": call.arguments,
                    ],
                    "rawContent": .string(
                        "<tool_call>{\"name\":\(MockJSON.quoted(call.name)),\"arguments\":\(argumentText)}</tool_call>"
                    ),
                ])
                if firstTokenAt == nil { firstTokenAt = .now }
                predicted += MockText.tokens(argumentText).count + 1
            }
            stopReason = "toolCalls"
        case .text(var text):
            var pieces: [String]
            var reasoningTypes: [String]?
            if let count = behavior.fragmentCount {
                // Escape the few distinct pieces once; the array then shares their storage.
                let cycle = MockText.fragments(text.isEmpty ? "token" : text).map(MockJSON.quoted)
                pieces = (0..<max(0, count)).map { cycle[$0 % cycle.count] }
            } else {
                if let (cut, matched) = earliestStopString(in: text, config: config) {
                    text = String(text[..<cut])
                    stopReason = "stopStringFound"
                    stopString = matched
                }
                let split = reasoningSplit(text)
                pieces = split.map { MockJSON.quoted($0.piece) }
                if split.contains(where: { $0.type != "none" }) { reasoningTypes = split.map(\.type) }
            }
            if let limit = maxTokens(config), pieces.count > limit {
                pieces = Array(pieces.prefix(limit))
                reasoningTypes = reasoningTypes.map { Array($0.prefix(limit)) }
                stopReason = "maxPredictedTokensReached"
                stopString = nil
            }
            let interval = behavior.fragmentIntervalsByPrompt[lastUser] ?? behavior.fragmentInterval
            let streamed = await stream(
                pieces, reasoningTypes: reasoningTypes, context: context, behavior: behavior, interval: interval
            )
            switch streamed {
            case .completed(let count, let first):
                predicted = count
                firstTokenAt = first
            case .cancelled(let count, let first):
                predicted = count
                firstTokenAt = first
                stopReason = "userStopped"
                stopString = nil
            case .connectionGone:
                return .silent
            }
        }

        if behavior.faults.contains(.closeChannelBeforeResult) { return .close }
        let elapsed = started.duration(to: .now)
        let seconds = max(1e-6, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        let firstToken = firstTokenAt.map { started.duration(to: $0) } ?? elapsed
        let firstTokenSeconds =
            Double(firstToken.components.seconds) + Double(firstToken.components.attoseconds) / 1e18
        var stats: [String: JSONValue] = [
            "stopReason": .string(stopReason),
            "tokensPerSecond": .double((Double(predicted) / seconds * 1000).rounded() / 1000),
            "timeToFirstTokenSec": .double((firstTokenSeconds * 1e6).rounded() / 1e6),
            "totalTimeSec": .double((seconds * 1e6).rounded() / 1e6),
            "promptTokensCount": .int(Int64(promptTokens)),
            "predictedTokensCount": .int(Int64(predicted)),
            "totalTokensCount": .int(Int64(promptTokens + predicted)),
            "numGpuLayers": 0,
        ]
        if let stopString { stats["stopString"] = .string(stopString) }
        context.send([
            "type": "success",
            "stats": .object(stats),
            "modelInfo": instance.infoJSON,
            "loadModelConfig": instance.loadConfigJSON,
            "predictionConfig": [
                "fields": .array(config.keys.sorted().map { ["key": .string($0), "value": config[$0]!] })
            ],
        ])
        return .close
    }

    // MARK: Deciding the output

    static func decide(
        _ request: MockServer.PredictionRequest, messages: [JSONValue], behavior: MockServer.Behavior,
        allowsTools: Bool
    ) -> Output {
        if let reply = behavior.responder?(request) { return .text(reply) }
        let lastRole = messages.last?["role"]?.stringValue
        let tools = request.config["llm.prediction.tools"]
        if allowsTools, behavior.callsToolsWhenOffered, lastRole != "tool",
            tools?["type"]?.stringValue == "toolArray",
            let offered = tools?["tools"]?.arrayValue, !offered.isEmpty
        {
            let named = offered.first { tool in
                guard let name = tool["function"]?["name"]?.stringValue else { return false }
                return request.lastUserText.contains(name)
            }
            let names = behavior.toolCallNames ?? [(named ?? offered[0])["function"]?["name"]?.stringValue ?? "tool"]
            return .toolCalls(
                names.map { name in
                    let tool = offered.first { $0["function"]?["name"]?.stringValue == name }
                    let arguments =
                        behavior.toolCallArguments[name]
                        ?? tool.map { MockSchemaInstance.instance(of: $0["function"]?["parameters"] ?? ["type": "object"]) }
                        ?? .object([:])
                    return (name, arguments.objectValue == nil ? .object([:]) : arguments)
                }
            )
        }
        if let reply = behavior.repliesByPrompt[request.lastUserText] { return .text(reply) }
        if let structured = request.config["llm.prediction.structured"],
            structured["type"]?.stringValue == "json", let schema = structured["jsonSchema"]
        {
            return .text(MockJSON.serialize(MockSchemaInstance.instance(of: schema)))
        }
        if let reply = behavior.repliesByModel[request.modelIdentifier] ?? behavior.repliesByModel[request.modelKey] {
            return .text(reply)
        }
        if lastRole == "tool", let last = messages.last {
            return .text("The tool returned \(MockText.text(of: last)).")
        }
        return .text(behavior.defaultReply)
    }

    /// Splits a reply into fragments with their reasoning classification: a reply that starts
    /// with `<think>` and contains `</think>` streams the tags as `reasoningStartTag` /
    /// `reasoningEndTag` fragments and the text between them as `reasoning`.
    static func reasoningSplit(_ text: String) -> [(piece: String, type: String)] {
        guard text.hasPrefix("<think>"), let end = text.firstRange(of: "</think>") else {
            return MockText.fragments(text).map { ($0, "none") }
        }
        let inner = String(text[text.index(text.startIndex, offsetBy: 7)..<end.lowerBound])
        let rest = String(text[end.upperBound...])
        return [("<think>", "reasoningStartTag")] + MockText.fragments(inner).map { ($0, "reasoning") }
            + [("</think>", "reasoningEndTag")] + MockText.fragments(rest).map { ($0, "none") }
    }

    static func maxTokens(_ config: [String: JSONValue]) -> Int? {
        guard let setting = config["llm.prediction.maxPredictedTokens"] else { return nil }
        if setting["checked"]?.boolValue == true { return setting["value"]?.intValue.map { max(0, $0) } }
        return setting.intValue
    }

    static func earliestStopString(in text: String, config: [String: JSONValue]) -> (String.Index, String)? {
        let stops = (config["llm.prediction.stopStrings"]?.arrayValue ?? []).compactMap(\.stringValue)
        var best: (String.Index, String)?
        for stop in stops where !stop.isEmpty {
            if let range = text.firstRange(of: stop), best == nil || range.lowerBound < best!.0 {
                best = (range.lowerBound, stop)
            }
        }
        return best
    }

    static func presetNotFound(_ preset: String, available: [String]) -> MockServer.ServerError {
        MockServer.ServerError(
            title: "Preset not found: \(preset)",
            suggestion: "Check the preset identifier.",
            displayData: [
                "code": "generic.presetNotFound",
                "specifiedFuzzyPresetIdentifier": .string(preset),
                "availablePresetsSample": .array(
                    available.prefix(10).map { ["identifier": .string($0), "name": .string($0)] }
                ),
                "totalAvailablePresets": .int(Int64(available.count)),
            ]
        )
    }

    // MARK: Streaming

    enum StreamOutcome {
        case completed(Int, ContinuousClock.Instant?)
        case cancelled(Int, ContinuousClock.Instant?)
        case connectionGone
    }

    /// Streams fragment frames, built by concatenation from a precomputed template (the hot path
    /// of the benchmarks), and applies the connection faults that trigger after a fragment count.
    ///
    /// - Parameter pieces: the fragment contents, already escaped as JSON string literals.
    static func stream(
        _ pieces: [String], reasoningTypes: [String]? = nil, context: MockChannelContext, behavior: MockServer.Behavior,
        interval: Duration
    ) async -> StreamOutcome {
        let peer = context.connection.peer
        let prefix =
            #"{"type":"channelSend","channelId":\#(context.channel.id),"message":{"type":"fragment","fragment":{"content":"#
        let suffix = #","tokensCount":1,"containsDrafted":false,"reasoningType":"none","isStructural":false}}}"#
        var faults: [(Int, MockServer.Fault)] = behavior.faults.compactMap { fault in
            switch fault {
            case .dropConnection(let after), .closeConnection(let after), .freeze(let after),
                .malformedFrame(let after), .oversizedFrame(let after, _):
                return (after, fault)
            default:
                return nil
            }
        }
        faults.sort { $0.0 < $1.0 }
        var first: ContinuousClock.Instant?
        var sent = 0
        while true {
            // Faults scheduled after `sent` fragments.
            while let (after, fault) = faults.first, after <= sent {
                faults.removeFirst()
                guard after == sent else { continue }
                switch fault {
                case .dropConnection:
                    peer.abort()
                    return .connectionGone
                case .closeConnection:
                    peer.close()
                    return .connectionGone
                case .freeze:
                    peer.freeze()
                    return .connectionGone
                case .malformedFrame:
                    peer.send(#"{"type":"channelSend","channelId":"#)
                case .oversizedFrame(_, let bytes):
                    peer.send(prefix + MockJSON.quoted(String(repeating: "x", count: max(0, bytes))) + suffix)
                default:
                    break
                }
            }
            guard sent < pieces.count else { break }
            if context.isCancelled { return .cancelled(sent, first) }
            if Task.isCancelled { return .connectionGone }
            if interval > .zero, sent > 0 {
                do { try await Task.sleep(for: interval) } catch { return .connectionGone }
                if context.isCancelled { return .cancelled(sent, first) }
            } else if sent & 255 == 255 {
                await Task.yield()
            }
            if let reasoningTypes {
                peer.send(
                    prefix + pieces[sent]
                        + #","tokensCount":1,"containsDrafted":false,"reasoningType":"\#(reasoningTypes[sent])","isStructural":false}}}"#
                )
            } else {
                peer.send(prefix + pieces[sent] + suffix)
            }
            if first == nil { first = .now }
            sent += 1
        }
        return .completed(sent, first)
    }
}
