import LMStudioProtocol

/// The `loadModel` and `getOrLoad` channels (§7.1).
enum MockLoading {
    /// Checks the members every load request shares; returns the reason when invalid.
    static func loadProblem(_ parameter: JSONValue?, ttlMember: String) -> String? {
        guard parameter?.objectValue != nil else { return "creation parameter must be an object" }
        if let ttl = parameter?[ttlMember] {
            guard let value = ttl.intValue, value >= 1 else { return "\(ttlMember) must be an integer ≥ 1" }
        }
        guard parameter?["loadConfigStack"]?["layers"]?.arrayValue != nil else {
            return "loadConfigStack.layers is required"
        }
        return nil
    }

    /// The requested context length, if the stack sets one.
    static func contextLength(_ parameter: JSONValue?, kind: MockServer.ModelKind) -> Int? {
        MockPrediction.collapse(parameter?["loadConfigStack"])["\(kind.rawValue).load.contextLength"]?.intValue
    }

    static let loadModel: MockEndpoints.ChannelFactory = { connection, parameter in
        if let problem = loadProblem(parameter, ttlMember: "ttlMs") { return .invalid(problem) }
        guard let modelKey = parameter?["modelKey"]?.stringValue else { return .invalid("modelKey is required") }
        let kind = MockEndpoints.kind(of: connection)
        return .run { context in
            let found = connection.server.withCatalogue { ($0.downloadedModel(modelKey), $0.pathNotFound(modelKey)) }
            guard let model = found.0 else { return .error(found.1) }
            guard model.kind == kind else {
                return .error(MockCatalogue.domainMismatch(path: modelKey, actual: model.kind, expected: kind))
            }
            context.send(["type": "resolved", "info": model.infoJSON])
            guard await progress(context, packetType: "progress") else { return cancelledLoad(context) }
            let identifier = parameter?["identifier"]?.stringValue
            let instance = connection.server.withCatalogue {
                $0.addInstance(
                    model: model, identifier: identifier, contextLength: contextLength(parameter, kind: kind),
                    ttlMs: parameter?["ttlMs"]?.intValue
                )
            }
            guard let instance else {
                return .error(
                    MockServer.ServerError(
                        title: "An instance with the identifier \"\(identifier ?? "")\" is already loaded",
                        suggestion: "Choose another identifier or unload the existing instance."
                    )
                )
            }
            context.send(["type": "success", "info": instance.infoJSON])
            return .close
        }
    }

    static let getOrLoad: MockEndpoints.ChannelFactory = { connection, parameter in
        if let problem = loadProblem(parameter, ttlMember: "loadTtlMs") { return .invalid(problem) }
        guard let identifier = parameter?["identifier"]?.stringValue else { return .invalid("identifier is required") }
        let kind = MockEndpoints.kind(of: connection)
        return .run { context in
            let (existing, model, notFound) = connection.server.withCatalogue { catalogue in
                let instances = catalogue.loaded.filter { $0.model.kind == kind }
                let existing =
                    instances.first { $0.identifier == identifier }
                    ?? instances.first { $0.model.modelKey == identifier || $0.model.path == identifier }
                return (existing, catalogue.downloadedModel(identifier), catalogue.pathNotFound(identifier))
            }
            if let existing {
                context.send(["type": "alreadyLoaded", "info": existing.infoJSON])
                return .close
            }
            guard let model else { return .error(notFound) }
            guard model.kind == kind else {
                return .error(MockCatalogue.domainMismatch(path: identifier, actual: model.kind, expected: kind))
            }
            context.send(["type": "startLoading", "identifier": .string(model.modelKey), "info": model.infoJSON])
            guard await progress(context, packetType: "loadProgress") else { return cancelledLoad(context) }
            let instance = connection.server.withCatalogue {
                $0.addInstance(
                    model: model, identifier: nil, contextLength: contextLength(parameter, kind: kind),
                    ttlMs: parameter?["loadTtlMs"]?.intValue
                )
            }
            guard let instance else { return .silent }
            context.send(["type": "loadSuccess", "info": instance.infoJSON])
            return .close
        }
    }

    /// Sends the progress packets; `false` when the client cancelled (or went away) meanwhile.
    static func progress(_ context: MockChannelContext, packetType: String) async -> Bool {
        let behavior = context.connection.server.behavior
        let steps = max(0, behavior.loadProgressSteps)
        for step in 0..<steps {
            if behavior.loadStepInterval > .zero {
                do { try await Task.sleep(for: behavior.loadStepInterval) } catch { return false }
            } else {
                await Task.yield()
            }
            if context.isCancelled || Task.isCancelled { return false }
            context.send(["type": .string(packetType), "progress": .double(Double(step + 1) / Double(steps))])
        }
        return !context.isCancelled
    }

    static func cancelledLoad(_ context: MockChannelContext) -> MockChannelEnd {
        .error(MockServer.ServerError(title: "Model loading was cancelled"))
    }
}
