public import LMStudioProtocol

/// How much of a model to place on the GPU (`*.load.llama.acceleration.offloadRatio`).
///
/// Sent with `loadModel` / `getOrLoad` (PROTOCOL.md §9.3).
public enum GPUOffload: Sendable, Hashable {
    /// A fraction of the layers, 0…1.
    case ratio(Double)
    /// Every layer that fits (`"max"`).
    case max
    /// CPU only (`"off"`).
    case off

    /// The offload as a plain ratio, 0…1 (`.max` is 1, `.off` is 0).
    public var ratio: Double {
        switch self {
        case .ratio(let value): value
        case .max: 1
        case .off: 0
        }
    }

    var jsonValue: JSONValue {
        switch self {
        case .ratio(let value): .double(value)
        case .max: "max"
        case .off: "off"
        }
    }

    init?(json: JSONValue) {
        switch json {
        case .string("max"): self = .max
        case .string("off"): self = .off
        default:
            guard let value = json.doubleValue else { return nil }
            self = .ratio(value)
        }
    }
}

/// A llama.cpp KV-cache quantization type (`llm.load.llama.kCacheQuantizationType` and
/// `vCacheQuantizationType`), sent with `loadModel` / `getOrLoad`.
///
/// Open, so types added by newer servers can be named with ``init(rawValue:)``.
public struct KVCacheQuantization: RawRepresentable, Sendable, Hashable {
    /// The wire name, such as `"q8_0"`.
    public var rawValue: String
    /// Creates a quantization type from its wire name.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// 32-bit floats.
    public static let f32 = KVCacheQuantization(rawValue: "f32")
    /// 16-bit floats (the server's default).
    public static let f16 = KVCacheQuantization(rawValue: "f16")
    /// 8-bit.
    public static let q8_0 = KVCacheQuantization(rawValue: "q8_0")
    /// 4-bit.
    public static let q4_0 = KVCacheQuantization(rawValue: "q4_0")
    /// 4-bit, variant 1.
    public static let q4_1 = KVCacheQuantization(rawValue: "q4_1")
    /// 4-bit non-linear.
    public static let iq4_nl = KVCacheQuantization(rawValue: "iq4_nl")
    /// 5-bit.
    public static let q5_0 = KVCacheQuantization(rawValue: "q5_0")
    /// 5-bit, variant 1.
    public static let q5_1 = KVCacheQuantization(rawValue: "q5_1")
}

/// Settings for loading an LLM, sent as the `apiOverride` layer of `loadConfigStack` by
/// `llm.loadModel` and `llm.getOrLoad` (PROTOCOL.md §9.3), and read back from `llm.getLoadConfig`.
///
/// Unset (`nil`) options are left to the server. ``raw`` adds any fully qualified key this
/// type does not name yet; it wins over the typed options.
///
/// ```swift
/// let model = try await client.llm.load(
///     "qwen2.5-7b-instruct",
///     configuration: LLMLoadConfiguration(contextLength: 8192, gpuOffload: .max, flashAttention: true)
/// )
/// ```
public struct LLMLoadConfiguration: Sendable, Hashable {
    /// `llm.load.contextLength`.
    public var contextLength: Int?
    /// `llm.load.llama.acceleration.offloadRatio`.
    public var gpuOffload: GPUOffload?
    /// `llm.load.llama.flashAttention`.
    public var flashAttention: Bool?
    /// `llm.load.seed` (checkbox).
    public var seed: Int?
    /// `llm.load.llama.evalBatchSize`.
    public var evalBatchSize: Int?
    /// `llm.load.llama.keepModelInMemory`.
    public var keepModelInMemory: Bool?
    /// `llm.load.llama.tryMmap`.
    public var useMmap: Bool?
    /// `llm.load.offloadKVCacheToGpu`.
    public var offloadKVCacheToGPU: Bool?
    /// `llm.load.llama.useFp16ForKVCache`.
    public var useFP16ForKVCache: Bool?
    /// `llm.load.llama.kCacheQuantizationType` (checkbox).
    public var kCacheQuantization: KVCacheQuantization?
    /// `llm.load.llama.vCacheQuantizationType` (checkbox).
    public var vCacheQuantization: KVCacheQuantization?
    /// `llm.load.llama.ropeFrequencyBase` (checkbox).
    public var ropeFrequencyBase: Double?
    /// `llm.load.llama.ropeFrequencyScale` (checkbox).
    public var ropeFrequencyScale: Double?
    /// `llm.load.numExperts`.
    public var numExperts: Int?
    /// `llm.load.numParallelSessions` (newer servers).
    public var maxParallelPredictions: Int?
    /// Extra fields by fully qualified key; they override the typed options.
    public var raw: [String: JSONValue]

    /// ``gpuOffload`` as a plain ratio, 0…1 (`.max` reads as 1, `.off` as 0); sent as
    /// `*.load.llama.acceleration.offloadRatio`.
    public var gpuOffloadRatio: Double? {
        get { gpuOffload?.ratio }
        set { gpuOffload = newValue.map(GPUOffload.ratio) }
    }

    /// Creates a load configuration; every option defaults to "server decides".
    public init(
        contextLength: Int? = nil, gpuOffload: GPUOffload? = nil, flashAttention: Bool? = nil, seed: Int? = nil,
        evalBatchSize: Int? = nil, keepModelInMemory: Bool? = nil, useMmap: Bool? = nil,
        offloadKVCacheToGPU: Bool? = nil, useFP16ForKVCache: Bool? = nil,
        kCacheQuantization: KVCacheQuantization? = nil, vCacheQuantization: KVCacheQuantization? = nil,
        ropeFrequencyBase: Double? = nil, ropeFrequencyScale: Double? = nil, numExperts: Int? = nil,
        maxParallelPredictions: Int? = nil, raw: [String: JSONValue] = [:]
    ) {
        self.contextLength = contextLength
        self.gpuOffload = gpuOffload
        self.flashAttention = flashAttention
        self.seed = seed
        self.evalBatchSize = evalBatchSize
        self.keepModelInMemory = keepModelInMemory
        self.useMmap = useMmap
        self.offloadKVCacheToGPU = offloadKVCacheToGPU
        self.useFP16ForKVCache = useFP16ForKVCache
        self.kCacheQuantization = kCacheQuantization
        self.vCacheQuantization = vCacheQuantization
        self.ropeFrequencyBase = ropeFrequencyBase
        self.ropeFrequencyScale = ropeFrequencyScale
        self.numExperts = numExperts
        self.maxParallelPredictions = maxParallelPredictions
        self.raw = raw
    }

    /// The KV fields this configuration sends (PROTOCOL.md §9.3).
    public var kvConfig: KVConfig {
        var c = KVConfig()
        c.put("llm.load.contextLength", contextLength.map { .int(Int64($0)) })
        c.put("llm.load.llama.acceleration.offloadRatio", gpuOffload?.jsonValue)
        c.put("llm.load.llama.flashAttention", flashAttention.map(JSONValue.bool))
        c.put("llm.load.seed", seed.map { KVConfig.checkbox(true, value: .int(Int64($0))) })
        c.put("llm.load.llama.evalBatchSize", evalBatchSize.map { .int(Int64($0)) })
        c.put("llm.load.llama.keepModelInMemory", keepModelInMemory.map(JSONValue.bool))
        c.put("llm.load.llama.tryMmap", useMmap.map(JSONValue.bool))
        c.put("llm.load.offloadKVCacheToGpu", offloadKVCacheToGPU.map(JSONValue.bool))
        c.put("llm.load.llama.useFp16ForKVCache", useFP16ForKVCache.map(JSONValue.bool))
        c.put("llm.load.llama.kCacheQuantizationType", kCacheQuantization.map { KVConfig.checkbox(true, value: .string($0.rawValue)) })
        c.put("llm.load.llama.vCacheQuantizationType", vCacheQuantization.map { KVConfig.checkbox(true, value: .string($0.rawValue)) })
        c.put("llm.load.llama.ropeFrequencyBase", ropeFrequencyBase.map { KVConfig.checkbox(true, value: .double($0)) })
        c.put("llm.load.llama.ropeFrequencyScale", ropeFrequencyScale.map { KVConfig.checkbox(true, value: .double($0)) })
        c.put("llm.load.numExperts", numExperts.map { .int(Int64($0)) })
        c.put("llm.load.numParallelSessions", maxParallelPredictions.map { .int(Int64($0)) })
        for key in raw.keys.sorted() { c[key] = raw[key] }
        return c
    }

    /// Reads an effective load config back (unchecked checkbox fields and unknown keys are
    /// left out, as lmstudio-python does).
    ///
    /// - Parameter kvConfig: A config from `getLoadConfig` or `predict`'s `success.loadModelConfig`.
    public init(kvConfig: KVConfig) {
        self.init()
        let v = kvConfig.valuesByKey
        contextLength = v["llm.load.contextLength"]?.intValue
        gpuOffload = v["llm.load.llama.acceleration.offloadRatio"].flatMap(GPUOffload.init(json:))
        flashAttention = v["llm.load.llama.flashAttention"]?.boolValue
        seed = checked(v["llm.load.seed"])?.intValue
        evalBatchSize = v["llm.load.llama.evalBatchSize"]?.intValue
        keepModelInMemory = v["llm.load.llama.keepModelInMemory"]?.boolValue
        useMmap = v["llm.load.llama.tryMmap"]?.boolValue
        offloadKVCacheToGPU = v["llm.load.offloadKVCacheToGpu"]?.boolValue
        useFP16ForKVCache = v["llm.load.llama.useFp16ForKVCache"]?.boolValue
        kCacheQuantization = checked(v["llm.load.llama.kCacheQuantizationType"])?.stringValue.map(KVCacheQuantization.init)
        vCacheQuantization = checked(v["llm.load.llama.vCacheQuantizationType"])?.stringValue.map(KVCacheQuantization.init)
        ropeFrequencyBase = checked(v["llm.load.llama.ropeFrequencyBase"])?.doubleValue
        ropeFrequencyScale = checked(v["llm.load.llama.ropeFrequencyScale"])?.doubleValue
        numExperts = v["llm.load.numExperts"]?.intValue
        maxParallelPredictions = v["llm.load.numParallelSessions"]?.intValue
    }
}

/// Settings for loading an embedding model, sent as the `apiOverride` layer of
/// `loadConfigStack` by `embedding.loadModel` and `embedding.getOrLoad` (PROTOCOL.md §9.3).
///
/// ```swift
/// let model = try await client.embedding.load("text-embedding-nomic-embed-text-v1.5",
///                                              configuration: EmbeddingLoadConfiguration(contextLength: 2048))
/// ```
public struct EmbeddingLoadConfiguration: Sendable, Hashable {
    /// `embedding.load.contextLength`.
    public var contextLength: Int?
    /// `embedding.load.llama.acceleration.offloadRatio`.
    public var gpuOffload: GPUOffload?
    /// `embedding.load.llama.keepModelInMemory`.
    public var keepModelInMemory: Bool?
    /// `embedding.load.llama.tryMmap`.
    public var useMmap: Bool?
    /// `embedding.load.llama.ropeFrequencyBase` (checkbox).
    public var ropeFrequencyBase: Double?
    /// `embedding.load.llama.ropeFrequencyScale` (checkbox).
    public var ropeFrequencyScale: Double?
    /// Extra fields by fully qualified key; they override the typed options.
    public var raw: [String: JSONValue]

    /// ``gpuOffload`` as a plain ratio, 0…1 (`.max` reads as 1, `.off` as 0); sent as
    /// `*.load.llama.acceleration.offloadRatio`.
    public var gpuOffloadRatio: Double? {
        get { gpuOffload?.ratio }
        set { gpuOffload = newValue.map(GPUOffload.ratio) }
    }

    /// Creates a load configuration; every option defaults to "server decides".
    public init(
        contextLength: Int? = nil, gpuOffload: GPUOffload? = nil, keepModelInMemory: Bool? = nil, useMmap: Bool? = nil,
        ropeFrequencyBase: Double? = nil, ropeFrequencyScale: Double? = nil, raw: [String: JSONValue] = [:]
    ) {
        self.contextLength = contextLength
        self.gpuOffload = gpuOffload
        self.keepModelInMemory = keepModelInMemory
        self.useMmap = useMmap
        self.ropeFrequencyBase = ropeFrequencyBase
        self.ropeFrequencyScale = ropeFrequencyScale
        self.raw = raw
    }

    /// The KV fields this configuration sends (PROTOCOL.md §9.3).
    public var kvConfig: KVConfig {
        var c = KVConfig()
        c.put("embedding.load.contextLength", contextLength.map { .int(Int64($0)) })
        c.put("embedding.load.llama.acceleration.offloadRatio", gpuOffload?.jsonValue)
        c.put("embedding.load.llama.keepModelInMemory", keepModelInMemory.map(JSONValue.bool))
        c.put("embedding.load.llama.tryMmap", useMmap.map(JSONValue.bool))
        c.put("embedding.load.llama.ropeFrequencyBase", ropeFrequencyBase.map { KVConfig.checkbox(true, value: .double($0)) })
        c.put("embedding.load.llama.ropeFrequencyScale", ropeFrequencyScale.map { KVConfig.checkbox(true, value: .double($0)) })
        for key in raw.keys.sorted() { c[key] = raw[key] }
        return c
    }

    /// Reads an effective load config back (unknown keys are left out).
    ///
    /// - Parameter kvConfig: A config from `embedding.getLoadConfig`.
    public init(kvConfig: KVConfig) {
        self.init()
        let v = kvConfig.valuesByKey
        contextLength = v["embedding.load.contextLength"]?.intValue
        gpuOffload = v["embedding.load.llama.acceleration.offloadRatio"].flatMap(GPUOffload.init(json:))
        keepModelInMemory = v["embedding.load.llama.keepModelInMemory"]?.boolValue
        useMmap = v["embedding.load.llama.tryMmap"]?.boolValue
        ropeFrequencyBase = checked(v["embedding.load.llama.ropeFrequencyBase"])?.doubleValue
        ropeFrequencyScale = checked(v["embedding.load.llama.ropeFrequencyScale"])?.doubleValue
    }
}

/// What the server does when the conversation no longer fits the context
/// (`llm.prediction.contextOverflowPolicy`), sent with `llm.predict`.
public struct ContextOverflowPolicy: RawRepresentable, Sendable, Hashable {
    /// The wire name.
    public var rawValue: String
    /// Creates a policy from its wire name.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// Stop generating at the limit.
    public static let stopAtLimit = ContextOverflowPolicy(rawValue: "stopAtLimit")
    /// Drop messages from the middle (the server's default).
    public static let truncateMiddle = ContextOverflowPolicy(rawValue: "truncateMiddle")
    /// Drop the oldest messages.
    public static let rollingWindow = ContextOverflowPolicy(rawValue: "rollingWindow")
}

/// Constrains a prediction's output (`llm.prediction.structured`), sent with `llm.predict`.
///
/// ```swift
/// struct Answer: Decodable { var city: String }
/// let schema: JSONValue = ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]]
/// let result = try await model.respond("Capital of France?", configuration: .init(structured: .jsonSchema(schema)))
/// let answer = try result.parsed(as: Answer.self)
/// ```
public enum StructuredOutput: Sendable, Hashable {
    /// JSON conforming to a JSON Schema (`{"type":"json","jsonSchema":…}`); the result's
    /// ``PredictionResult/parsed`` holds the decoded JSON.
    case jsonSchema(JSONValue)
    /// Text matching a GBNF grammar (`{"type":"gbnf","gbnfGrammar":…}`); not parsed.
    case gbnf(String)
    /// No constraint (`{"type":"none"}`), overriding a preset.
    case none

    /// JSON for a `Decodable` type, given its JSON Schema; decode the reply with
    /// ``PredictionResult/parsed(as:)``.
    ///
    /// - Parameters:
    ///   - type: The type the reply will be decoded as (documentation only).
    ///   - schema: The type's JSON Schema.
    public static func json<T: Decodable>(_ type: T.Type, schema: JSONValue) -> StructuredOutput {
        .jsonSchema(schema)
    }

    var jsonValue: JSONValue {
        switch self {
        case .jsonSchema(let schema): ["type": "json", "jsonSchema": schema]
        case .gbnf(let grammar): ["type": "gbnf", "gbnfGrammar": .string(grammar)]
        case .none: ["type": "none"]
        }
    }
}

/// Settings of one prediction, sent as the `apiOverride` layer of `predictionConfigStack` by
/// `llm.predict` (PROTOCOL.md §9.3), plus the preset and per-prediction deadlines.
///
/// Unset (`nil`) options are left to the model's defaults and the preset. ``raw`` adds any
/// fully qualified key this type does not name yet and wins over the typed options.
///
/// ```swift
/// let config = PredictionConfiguration(maxTokens: 256, temperature: 0.2, stopStrings: ["\n\n"])
/// let reply = try await model.respond("Write a haiku", configuration: config)
/// ```
public struct PredictionConfiguration: Sendable, Hashable {
    /// `llm.prediction.maxPredictedTokens` (checkbox); `nil` leaves the model's limit.
    public var maxTokens: Int?
    /// `llm.prediction.temperature`.
    public var temperature: Double?
    /// `llm.prediction.topKSampling`.
    public var topK: Int?
    /// `llm.prediction.topPSampling` (checkbox).
    public var topP: Double?
    /// `llm.prediction.minPSampling` (checkbox).
    public var minP: Double?
    /// `llm.prediction.repeatPenalty` (checkbox).
    public var repeatPenalty: Double?
    /// `llm.prediction.stopStrings`.
    public var stopStrings: [String]?
    /// `llm.prediction.contextOverflowPolicy`.
    public var contextOverflowPolicy: ContextOverflowPolicy?
    /// `llm.prediction.structured`.
    public var structured: StructuredOutput?
    /// `llm.prediction.speculativeDecoding.draftModel`: the model key of a draft model.
    public var draftModel: String?
    /// `llm.prediction.llama.cpuThreads`.
    public var cpuThreads: Int?
    /// `llm.prediction.tools`: tool definitions (`LLMTool` objects, PROTOCOL.md §10.2) as
    /// `{"type":"toolArray","tools":[…]}`. An empty array sends `{"type":"none"}`.
    public var tools: [JSONValue]?
    /// The preset to layer under these settings (`fuzzyPresetIdentifier`).
    public var preset: String?
    /// Extra fields by fully qualified key; they override the typed options.
    public var raw: [String: JSONValue]
    /// Fails with ``LMStudioError/Code/timeout`` (and cancels on the server) when the first
    /// fragment does not arrive in time.
    public var firstTokenTimeout: Duration?
    /// Fails with `timeout` (and cancels) when no packet arrives for this long.
    public var idleTimeout: Duration?
    /// Fails with `timeout` (and cancels) when the whole prediction takes longer.
    public var totalTimeout: Duration?

    /// Creates a prediction configuration; every option defaults to "model decides".
    public init(
        maxTokens: Int? = nil, temperature: Double? = nil, topK: Int? = nil, topP: Double? = nil,
        minP: Double? = nil, repeatPenalty: Double? = nil, stopStrings: [String]? = nil,
        contextOverflowPolicy: ContextOverflowPolicy? = nil, structured: StructuredOutput? = nil,
        draftModel: String? = nil, cpuThreads: Int? = nil, tools: [JSONValue]? = nil, preset: String? = nil,
        raw: [String: JSONValue] = [:], firstTokenTimeout: Duration? = nil, idleTimeout: Duration? = nil,
        totalTimeout: Duration? = nil
    ) {
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repeatPenalty = repeatPenalty
        self.stopStrings = stopStrings
        self.contextOverflowPolicy = contextOverflowPolicy
        self.structured = structured
        self.draftModel = draftModel
        self.cpuThreads = cpuThreads
        self.tools = tools
        self.preset = preset
        self.raw = raw
        self.firstTokenTimeout = firstTokenTimeout
        self.idleTimeout = idleTimeout
        self.totalTimeout = totalTimeout
    }

    /// The KV fields this configuration sends (PROTOCOL.md §9.3).
    public var kvConfig: KVConfig {
        var c = KVConfig()
        let p = "llm.prediction."
        c.put(p + "maxPredictedTokens", maxTokens.map { KVConfig.checkbox(true, value: .int(Int64($0))) })
        c.put(p + "temperature", temperature.map(JSONValue.double))
        c.put(p + "topKSampling", topK.map { .int(Int64($0)) })
        c.put(p + "topPSampling", topP.map { KVConfig.checkbox(true, value: .double($0)) })
        c.put(p + "minPSampling", minP.map { KVConfig.checkbox(true, value: .double($0)) })
        c.put(p + "repeatPenalty", repeatPenalty.map { KVConfig.checkbox(true, value: .double($0)) })
        c.put(p + "stopStrings", stopStrings.map { .array($0.map(JSONValue.string)) })
        c.put(p + "contextOverflowPolicy", contextOverflowPolicy.map { .string($0.rawValue) })
        c.put(p + "structured", structured?.jsonValue)
        c.put(p + "speculativeDecoding.draftModel", draftModel.map(JSONValue.string))
        c.put(p + "llama.cpuThreads", cpuThreads.map { .int(Int64($0)) })
        if let tools {
            c.put(p + "tools", tools.isEmpty ? ["type": "none"] : ["type": "toolArray", "tools": .array(tools)])
        }
        for key in raw.keys.sorted() { c[key] = raw[key] }
        return c
    }
}

extension KVConfig {
    /// Sets `key` when `value` is non-nil.
    mutating func put(_ key: String, _ value: JSONValue?) {
        if let value { self[key] = value }
    }

    /// Decodes `{"fields":[{"key":…,"value":…}]}` by hand (no `Decoder` per prediction),
    /// skipping malformed entries.
    init(lenient json: JSONValue?) {
        var fields: [KVConfigField] = []
        if let entries = json?["fields"]?.arrayValue {
            fields.reserveCapacity(entries.count)
            for entry in entries {
                if let key = entry["key"]?.stringValue { fields.append(KVConfigField(key: key, value: entry["value"])) }
            }
        }
        self.init(fields: fields)
    }

    /// Every field's value by key (the last occurrence wins).
    var valuesByKey: [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for field in fields { if let value = field.value { result[field.key] = value } }
        return result
    }
}

/// The value of a checkbox field when it is checked; nil when unchecked or absent. A plain
/// value is taken as is.
func checked(_ value: JSONValue?) -> JSONValue? {
    guard let value else { return nil }
    if let isChecked = value["checked"]?.boolValue { return isChecked ? value["value"] : nil }
    return value
}
