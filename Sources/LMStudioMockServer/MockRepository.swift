import LMStudioProtocol
import LMStudioTransport
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The `repository` search and download endpoints (§7.7) and the `diagnostics.streamLogs`
/// channel (§7.8).
///
/// Search covers the downloaded catalogue and ``MockServer/Configuration/repositoryModels``
/// (the hub); every model has one download option. A download streams `downloadProgress`
/// packets (``MockServer/Behavior/loadProgressSteps`` of them, ``MockServer/Behavior/loadStepInterval``
/// apart), `startFinalizing`, then `success` with the model key, and adds the model to the
/// downloaded catalogue. Log streams receive an `llm.prediction.input` entry per prediction.
enum MockRepository {
    static func catalogIdentifier(_ model: MockServer.Model) -> String { "mock/\(model.modelKey)" }

    static func searchable(_ connection: MockConnection) -> [MockServer.Model] {
        let downloaded = connection.server.withCatalogue { $0.downloaded }
        let hub = connection.server.configuration.repositoryModels.filter { model in
            !downloaded.contains { $0.modelKey == model.modelKey }
        }
        return downloaded + hub
    }

    static let searchModels: MockEndpoints.RPCHandler = { connection, parameter in
        guard let opts = parameter?["opts"], opts.objectValue != nil else { return .invalid("opts is required") }
        let term = opts["searchTerm"]?.stringValue?.lowercased() ?? ""
        let limit = opts["limit"]?.intValue ?? 25
        let matches = searchable(connection).filter {
            term.isEmpty || $0.modelKey.lowercased().contains(term) || $0.displayName.lowercased().contains(term)
        }
        return .result([
            "results": .array(
                matches.prefix(max(1, limit)).map { model in
                    [
                        "name": .string(model.modelKey),
                        "identifier": ["type": "catalog", "identifier": .string(catalogIdentifier(model))],
                        "exact": .bool(model.modelKey.lowercased() == term),
                        "staffPick": false,
                    ]
                }
            )
        ])
    }

    static let getModelDownloadOptions: MockEndpoints.RPCHandler = { connection, parameter in
        guard let identifier = parameter?["modelSearchResultIdentifier"]?["identifier"]?.stringValue else {
            return .invalid("modelSearchResultIdentifier is required")
        }
        guard let model = searchable(connection).first(where: { catalogIdentifier($0) == identifier }) else {
            return .error(MockServer.ServerError(title: "Model not found in the catalog: \(identifier)"))
        }
        return .result([
            "results": [
                [
                    "quantization": "Q4_K_M", "name": .string("\(model.modelKey)-Q4_K_M.\(model.format)"),
                    "sizeBytes": .int(model.sizeBytes), "fitEstimation": "fullGPUOffload", "recommended": true,
                    "downloadIdentifier": .string("\(catalogIdentifier(model))/Q4_K_M"),
                    "indexedModelIdentifier": .string(catalogIdentifier(model)), "compatibilityType": .string(model.format),
                ]
            ]
        ])
    }

    static let downloadModel: MockEndpoints.ChannelFactory = { connection, parameter in
        guard let identifier = parameter?["downloadIdentifier"]?.stringValue else {
            return .invalid("downloadIdentifier is required")
        }
        return .run { context in
            guard let model = searchable(connection).first(where: { "\(catalogIdentifier($0))/Q4_K_M" == identifier }) else {
                return .error(MockServer.ServerError(title: "Unknown download identifier: \(identifier)"))
            }
            let behavior = connection.server.behavior
            let steps = max(1, behavior.loadProgressSteps)
            let total = Int64(model.sizeBytes)
            for step in 1...steps {
                if behavior.loadStepInterval > .zero {
                    do { try await Task.sleep(for: behavior.loadStepInterval) } catch { return .silent }
                } else {
                    await Task.yield()
                }
                if context.isCancelled { return .error(MockServer.ServerError(title: "Download cancelled")) }
                context.send([
                    "type": "downloadProgress",
                    "update": [
                        "downloadedBytes": .int(total * Int64(step) / Int64(steps)), "totalBytes": .int(total),
                        "speedBytesPerSecond": 1e8,
                    ],
                ])
            }
            context.send(["type": "startFinalizing"])
            connection.server.withCatalogue { catalogue in
                if catalogue.downloadedModel(model.modelKey) == nil {
                    var downloaded = model
                    downloaded.isLoaded = false
                    catalogue.downloaded.append(downloaded)
                }
            }
            context.send(["type": "success", "defaultIdentifier": .string(model.modelKey)])
            return .close
        }
    }

    // MARK: diagnostics

    static let streamLogs: MockEndpoints.ChannelFactory = { connection, _ in
        .run { context in
            let key = "\(connection.id)/\(context.channel.id)"
            connection.server.shared.withLock { $0.logListeners[key] = context }
            defer { _ = connection.server.shared.withLock { $0.logListeners.removeValue(forKey: key) } }
            for await _ in context.channel.inbound where context.isCancelled { return .close }
            return .silent
        }
    }

    /// Sends a log entry to every open `streamLogs` channel.
    static func broadcast(_ server: MockServerState, _ data: JSONValue) {
        let listeners = server.shared.withLock { Array($0.logListeners.values) }
        guard !listeners.isEmpty else { return }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let millis = Double(now.tv_sec) * 1000 + Double(now.tv_nsec / 1_000_000)
        for listener in listeners {
            listener.send(["type": "log", "log": ["timestamp": .double(millis), "data": data]])
        }
    }
}
