import LMStudioProtocol
import LMStudioTransport

/// The endpoint tables of every namespace (§7) and the RPC handlers.
enum MockEndpoints {
    typealias RPCHandler = @Sendable (MockConnection, JSONValue?) -> MockRPCOutcome
    typealias ChannelFactory = @Sendable (MockConnection, JSONValue?) -> MockChannelPlan

    /// The namespaces the server accepts connections for (§3).
    static let namespaces: Set<String> = [
        "llm", "embedding", "system", "files", "repository", "diagnostics", "plugins", "runtime",
    ]

    static func rpc(namespace: String, endpoint: String) -> RPCHandler? {
        switch (namespace, endpoint) {
        case ("system", "listDownloadedModels"): return listDownloadedModels
        case ("system", "version"): return version
        case ("system", "notify"), ("system", "setExperimentFlag"): return { _, _ in .result(nil) }
        case ("system", "getExperimentFlags"): return { _, _ in .result([]) }
        case ("system", "info"): return info
        case ("llm", "listLoaded"), ("embedding", "listLoaded"): return listLoaded
        case ("llm", "unloadModel"), ("embedding", "unloadModel"): return unloadModel
        case ("llm", "getModelInfo"), ("embedding", "getModelInfo"): return getModelInfo
        case ("llm", "getLoadConfig"), ("embedding", "getLoadConfig"): return getLoadConfig
        case ("llm", "tokenize"), ("embedding", "tokenize"): return tokenize
        case ("llm", "countTokens"), ("embedding", "countTokens"): return countTokens
        case ("llm", "applyPromptTemplate"): return applyPromptTemplate
        case ("llm", "preloadDraftModel"): return { _, _ in .result(nil) }
        case ("embedding", "embedString"): return embedString
        case ("files", "uploadFileBase64"): return uploadFileBase64
        case ("files", "getLocalFileAbsolutePath"): return getLocalFileAbsolutePath
        case ("repository", "searchModels"): return MockRepository.searchModels
        case ("repository", "getModelDownloadOptions"): return MockRepository.getModelDownloadOptions
        default: return nil
        }
    }

    static func channel(namespace: String, endpoint: String) -> ChannelFactory? {
        switch (namespace, endpoint) {
        case ("llm", "loadModel"), ("embedding", "loadModel"): return MockLoading.loadModel
        case ("llm", "getOrLoad"), ("embedding", "getOrLoad"): return MockLoading.getOrLoad
        case ("llm", "predict"): return MockPrediction.predict
        case ("llm", "completeRawText"): return MockPrediction.completeRawText
        case ("system", "alive"): return waitUntilStopped
        case ("diagnostics", "streamLogs"): return MockRepository.streamLogs
        case ("repository", "downloadModel"): return MockRepository.downloadModel
        default: return nil
        }
    }

    /// The packet types a client may send on a channel of `endpoint` (§7); others are dropped
    /// with a `channelMessageTypeError` warning.
    static func clientPacketTypes(endpoint: String) -> Set<String> {
        switch endpoint {
        case "streamLogs": return ["stop"]
        case "alive": return []
        default: return ["cancel"]
        }
    }

    // MARK: Helpers

    static func kind(of connection: MockConnection) -> MockServer.ModelKind {
        connection.namespace == "embedding" ? .embedding : .llm
    }

    /// Checks a `ModelSpecifier`; returns the reason when it is invalid.
    static func specifierProblem(_ specifier: JSONValue?) -> String? {
        switch specifier?["type"]?.stringValue {
        case "query":
            guard let query = specifier?["query"], query.objectValue != nil else { return "query must be an object" }
            for member in ["identifier", "path"] {
                if let value = query[member] {
                    guard let text = value.stringValue, !text.isEmpty, text.count <= 1024 else {
                        return "query.\(member) must be a string of 1…1024 characters"
                    }
                }
            }
            return nil
        case "instanceReference":
            return specifier?["instanceReference"]?.stringValue == nil ? "instanceReference must be a string" : nil
        default:
            return "specifier must be {type:\"query\"} or {type:\"instanceReference\"}"
        }
    }

    /// Resolves `parameter[member]` as a specifier, or explains why it cannot.
    static func resolve(_ connection: MockConnection, _ parameter: JSONValue?, member: String = "specifier")
        -> Resolution
    {
        if let problem = specifierProblem(parameter?[member]) { return .failure(.invalid(problem)) }
        let kind = kind(of: connection)
        switch connection.server.withCatalogue({ $0.resolve(parameter?[member], kind: kind) }) {
        case .success(let instance): return .success(instance)
        case .failure(let error): return .failure(.error(error))
        }
    }

    /// A resolved model instance, or the answer to give instead.
    enum Resolution {
        case success(MockInstance)
        case failure(MockRPCOutcome)
    }

    // MARK: system

    static let listDownloadedModels: RPCHandler = { connection, _ in
        .result(.array(connection.server.withCatalogue { $0.downloaded.map(\.infoJSON) }))
    }

    static let version: RPCHandler = { connection, _ in
        .result([
            "version": .string(connection.server.configuration.version),
            "build": .int(Int64(connection.server.configuration.build)),
        ])
    }

    static let info: RPCHandler = { connection, _ in
        .result(["pid": 4242, "isDaemon": true, "version": .string(connection.server.configuration.version)])
    }

    static let waitUntilStopped: ChannelFactory = { _, _ in
        .run { context in
            for await _ in context.channel.inbound where context.isCancelled { return .close }
            return .silent
        }
    }

    // MARK: llm / embedding

    static let listLoaded: RPCHandler = { connection, _ in
        let kind = kind(of: connection)
        return .result(
            .array(connection.server.withCatalogue { $0.loaded.filter { $0.model.kind == kind }.map(\.infoJSON) })
        )
    }

    static let unloadModel: RPCHandler = { connection, parameter in
        guard let identifier = parameter?["identifier"]?.stringValue else { return .invalid("identifier is required") }
        let kind = kind(of: connection)
        return connection.server.withCatalogue { catalogue in
            guard let index = catalogue.loaded.firstIndex(where: { $0.identifier == identifier && $0.model.kind == kind })
            else { return .error(catalogue.identifierNotFound(identifier, kind: kind)) }
            catalogue.loaded.remove(at: index)
            return .result(nil)
        }
    }

    static let getModelInfo: RPCHandler = { connection, parameter in
        guard let throwIfNotFound = parameter?["throwIfNotFound"]?.boolValue else {
            return .invalid("throwIfNotFound is required")
        }
        switch resolve(connection, parameter) {
        case .success(let instance): return .serializedResult(instance.infoText)
        case .failure(.error) where !throwIfNotFound: return .result(nil)
        case .failure(let outcome): return outcome
        }
    }

    static let getLoadConfig: RPCHandler = { connection, parameter in
        switch resolve(connection, parameter) {
        case .success(let instance): return .result(instance.loadConfigJSON)
        case .failure(let outcome): return outcome
        }
    }

    static let tokenize: RPCHandler = { connection, parameter in
        guard let input = parameter?["inputString"]?.stringValue else { return .invalid("inputString is required") }
        switch resolve(connection, parameter) {
        case .success: return .result(["tokens": .array(MockText.tokenIDs(input).map { .int(Int64($0)) })])
        case .failure(let outcome): return outcome
        }
    }

    static let countTokens: RPCHandler = { connection, parameter in
        guard let input = parameter?["inputString"]?.stringValue else { return .invalid("inputString is required") }
        switch resolve(connection, parameter) {
        case .success: return .result(["tokenCount": .int(Int64(MockText.tokens(input).count))])
        case .failure(let outcome): return outcome
        }
    }

    static let applyPromptTemplate: RPCHandler = { connection, parameter in
        guard let messages = parameter?["history"]?["messages"]?.arrayValue else {
            return .invalid("history.messages is required")
        }
        switch resolve(connection, parameter) {
        case .success:
            var formatted = ""
            for message in messages {
                let role = message["role"]?.stringValue ?? "user"
                formatted += "<|im_start|>\(role)\n\(MockText.text(of: message))<|im_end|>\n"
            }
            formatted += "<|im_start|>assistant\n"
            return .result(["formatted": .string(formatted)])
        case .failure(let outcome):
            return outcome
        }
    }

    static let embedString: RPCHandler = { connection, parameter in
        guard let input = parameter?["inputString"]?.stringValue else { return .invalid("inputString is required") }
        switch resolve(connection, parameter, member: "modelSpecifier") {
        case .success(let instance):
            let vector = MockText.embedding(of: input, dimensions: instance.model.embeddingDimensions)
            return .result(["embedding": .array(vector.map { .double($0) })])
        case .failure(let outcome):
            return outcome
        }
    }

    // MARK: files

    static let uploadFileBase64: RPCHandler = { connection, parameter in
        guard let name = parameter?["name"]?.stringValue, let content = parameter?["contentBase64"]?.stringValue else {
            return .invalid("name and contentBase64 are required")
        }
        let size = MockText.decodedBase64Length(content)
        let lowered = name.lowercased()
        let fileType: String
        if [".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp"].contains(where: { lowered.hasSuffix($0) })
            || MockText.looksLikeImage(base64: content)
        {
            fileType = "image"
        } else if lowered.hasSuffix(".txt") || lowered.hasSuffix(".md") {
            fileType = "text/plain"
        } else if lowered.hasSuffix(".pdf") {
            fileType = "application/pdf"
        } else {
            fileType = "unknown"
        }
        let file = connection.server.shared.withLock { state in
            let file = MockUploadedFile(
                identifier: "\(state.nextFileNumber)-\(name)", name: name, sizeBytes: size, fileType: fileType
            )
            state.nextFileNumber += 1
            state.files[file.identifier] = file
            return file
        }
        return .result([
            "identifier": .string(file.identifier), "fileType": .string(file.fileType),
            "sizeBytes": .int(Int64(file.sizeBytes)),
        ])
    }

    static let getLocalFileAbsolutePath: RPCHandler = { _, parameter in
        guard let fileName = parameter?["fileName"]?.stringValue else { return .invalid("fileName is required") }
        return .result(["path": .string("/tmp/lmstudio-mock/user-files/\(fileName)")])
    }
}
