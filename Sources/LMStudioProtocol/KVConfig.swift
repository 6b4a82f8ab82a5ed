/// One setting of a KV config: a fully qualified dotted key and its value (PROTOCOL.md §9.1).
///
/// `{"key":"llm.prediction.temperature","value":0.7}`. The value's shape depends on the key:
/// plain values, `{"checked":…,"value":…}` checkbox values (see ``KVConfig/checkbox(_:value:)``),
/// or special forms such as `"max"` for offload ratios. A `nil` value is left out of the JSON.
public struct KVConfigField: Sendable, Hashable, Codable {
    /// The fully qualified key, such as `"llm.load.contextLength"`.
    public var key: String
    /// The value, or `nil` when the field carries none.
    public var value: JSONValue?

    /// Creates a field.
    ///
    /// - Parameters:
    ///   - key: The fully qualified key.
    ///   - value: The value.
    public init(key: String, value: JSONValue?) {
        self.key = key
        self.value = value
    }
}

/// A flat list of settings: `{"fields":[{"key":…,"value":…}, …]}` (PROTOCOL.md §9.1).
///
/// Keys are unique within a config; the builders replace an existing field in place, so field
/// order stays stable.
///
/// ```swift
/// let config = KVConfig()
///     .setting("llm.prediction.temperature", to: 0.7)
///     .setting("llm.prediction.maxPredictedTokens", to: KVConfig.checkbox(true, value: 100))
/// let stack = KVConfigStack.apiOverride(config)
/// ```
public struct KVConfig: Sendable, Hashable, Codable {
    /// The settings, in order.
    public var fields: [KVConfigField]

    /// An empty config, `{"fields":[]}`.
    public static let empty = KVConfig()

    /// Creates a config from fields.
    ///
    /// - Parameter fields: The settings, in order.
    public init(fields: [KVConfigField] = []) {
        self.fields = fields
    }

    /// The value for `key`; assigning replaces the field in place, appends a new one, or
    /// (with `nil`) removes it.
    ///
    /// - Parameter key: The fully qualified key.
    public subscript(key: String) -> JSONValue? {
        get { fields.first(where: { $0.key == key })?.value }
        set {
            if let index = fields.firstIndex(where: { $0.key == key }) {
                if let newValue { fields[index].value = newValue } else { fields.remove(at: index) }
            } else if let newValue {
                fields.append(KVConfigField(key: key, value: newValue))
            }
        }
    }

    /// Whether the config has a field for `key`.
    ///
    /// - Parameter key: The fully qualified key.
    /// - Returns: `true` if a field with that key exists.
    public func contains(_ key: String) -> Bool {
        fields.contains(where: { $0.key == key })
    }

    /// Sets `key` to `value`, replacing an existing field in place.
    ///
    /// - Parameters:
    ///   - key: The fully qualified key.
    ///   - value: The value.
    public mutating func set(_ key: String, to value: JSONValue) {
        self[key] = value
    }

    /// A copy with `key` set to `value`.
    ///
    /// - Parameters:
    ///   - key: The fully qualified key.
    ///   - value: The value.
    /// - Returns: The updated config.
    public func setting(_ key: String, to value: JSONValue) -> KVConfig {
        var copy = self
        copy[key] = value
        return copy
    }

    /// A copy with the fields of `other` applied on top (its values win key by key).
    ///
    /// - Parameter other: The overriding config.
    /// - Returns: The merged config.
    public func merging(_ other: KVConfig) -> KVConfig {
        var merged = self
        for field in other.fields {
            if let index = merged.fields.firstIndex(where: { $0.key == field.key }) {
                merged.fields[index] = field
            } else {
                merged.fields.append(field)
            }
        }
        return merged
    }

    /// A checkbox value: `{"checked":…,"value":…}`.
    ///
    /// `checked: false` turns the feature off; the server then ignores `value`, but it must
    /// still be present (lmstudio-js sends a fixed placeholder).
    ///
    /// - Parameters:
    ///   - checked: Whether the feature is on.
    ///   - value: The setting's value.
    /// - Returns: The checkbox JSON object.
    public static func checkbox(_ checked: Bool, value: JSONValue) -> JSONValue {
        .object(["checked": .bool(checked), "value": value])
    }

    /// The config as its JSON object.
    public var jsonValue: JSONValue {
        .object([
            "fields": .array(
                fields.map { field in
                    var members: [String: JSONValue] = ["key": .string(field.key)]
                    if let value = field.value { members["value"] = value }
                    return .object(members)
                }
            )
        ])
    }

    /// Decodes a config from its JSON object, ignoring unknown members.
    ///
    /// - Parameter jsonValue: The `{"fields":[…]}` object.
    /// - Throws: `DecodingError` when `fields` is missing or an entry has no string `key`.
    public init(jsonValue: JSONValue) throws {
        self = try JSONValueDecoder().decode(KVConfig.self, from: jsonValue)
    }
}

/// The name of a layer in a ``KVConfigStack``.
///
/// The server accepts a closed set of names (listed as static members); clients normally send
/// only ``apiOverride`` and, for completion formatting, ``completeModeFormatting``. The type is
/// open so names from newer servers still decode.
public struct KVConfigLayerName: OpenStringValue {
    /// The wire name.
    public var rawValue: String

    /// Creates a layer name from its wire name.
    ///
    /// - Parameter rawValue: The wire name.
    public init(rawValue: String) { self.rawValue = rawValue }





    /// `currentlyEditing`.
    public static let currentlyEditing: KVConfigLayerName = "currentlyEditing"
    /// `currentlyLoaded`.
    public static let currentlyLoaded: KVConfigLayerName = "currentlyLoaded"
    /// `apiOverride`: the caller's settings, the layer SDKs send.
    public static let apiOverride: KVConfigLayerName = "apiOverride"
    /// `conversationSpecific`.
    public static let conversationSpecific: KVConfigLayerName = "conversationSpecific"
    /// `conversationGlobal`.
    public static let conversationGlobal: KVConfigLayerName = "conversationGlobal"
    /// `preset`.
    public static let preset: KVConfigLayerName = "preset"
    /// `serverSession`.
    public static let serverSession: KVConfigLayerName = "serverSession"
    /// `httpServerRequestOverride`.
    public static let httpServerRequestOverride: KVConfigLayerName = "httpServerRequestOverride"
    /// `completeModeFormatting`: the prompt template layer for completions.
    public static let completeModeFormatting: KVConfigLayerName = "completeModeFormatting"
    /// `instance`.
    public static let instance: KVConfigLayerName = "instance"
    /// `userModelDefault`.
    public static let userModelDefault: KVConfigLayerName = "userModelDefault"
    /// `virtualModel`.
    public static let virtualModel: KVConfigLayerName = "virtualModel"
    /// `modelDefault`.
    public static let modelDefault: KVConfigLayerName = "modelDefault"
    /// `hardware`.
    public static let hardware: KVConfigLayerName = "hardware"

    /// Every layer name the server accepts, in the protocol notes' order.
    public static let known: [KVConfigLayerName] = [
        .currentlyEditing, .currentlyLoaded, .apiOverride, .conversationSpecific, .conversationGlobal, .preset,
        .serverSession, .httpServerRequestOverride, .completeModeFormatting, .instance, .userModelDefault,
        .virtualModel, .modelDefault, .hardware,
    ]
}

/// Named layers of configs, later layers overriding earlier ones key by key (PROTOCOL.md §9.1).
///
/// `{"layers":[{"layerName":"apiOverride","config":{"fields":[…]}}]}`. Both SDKs always send a
/// stack for `loadModel`, `getOrLoad` and `predict`, even an empty one: use
/// ``apiOverride(_:)`` with ``KVConfig/empty``.
///
/// ```swift
/// let stack = KVConfigStack.apiOverride(KVConfig().setting("llm.load.contextLength", to: 8192))
/// let parameter: JSONValue = ["modelKey": "qwen2.5-7b-instruct", "loadConfigStack": stack.jsonValue]
/// ```
public struct KVConfigStack: Sendable, Hashable, Codable {
    /// One named layer.
    public struct Layer: Sendable, Hashable, Codable {
        /// The layer's name.
        public var layerName: KVConfigLayerName
        /// The layer's settings.
        public var config: KVConfig

        /// Creates a layer.
        ///
        /// - Parameters:
        ///   - layerName: The layer's name.
        ///   - config: The layer's settings.
        public init(layerName: KVConfigLayerName, config: KVConfig) {
            self.layerName = layerName
            self.config = config
        }
    }

    /// The layers, lowest precedence first.
    public var layers: [Layer]

    /// A stack without layers, `{"layers":[]}` (what `applyPromptTemplate` sends).
    public static let empty = KVConfigStack()

    /// Creates a stack from layers.
    ///
    /// - Parameter layers: The layers, lowest precedence first.
    public init(layers: [Layer] = []) {
        self.layers = layers
    }

    /// A stack with a single `apiOverride` layer holding `config`.
    ///
    /// - Parameter config: The caller's settings (possibly empty).
    /// - Returns: The stack.
    public static func apiOverride(_ config: KVConfig = .empty) -> KVConfigStack {
        KVConfigStack(layers: [Layer(layerName: .apiOverride, config: config)])
    }

    /// A copy with one more layer on top.
    ///
    /// - Parameters:
    ///   - layerName: The new layer's name.
    ///   - config: The new layer's settings.
    /// - Returns: The extended stack.
    public func appending(_ layerName: KVConfigLayerName, _ config: KVConfig) -> KVConfigStack {
        var copy = self
        copy.layers.append(Layer(layerName: layerName, config: config))
        return copy
    }

    /// The effective settings: all layers merged, later layers winning key by key.
    public var collapsed: KVConfig {
        layers.reduce(KVConfig()) { $0.merging($1.config) }
    }

    /// The stack as its JSON object.
    public var jsonValue: JSONValue {
        .object([
            "layers": .array(
                layers.map { .object(["layerName": .string($0.layerName.rawValue), "config": $0.config.jsonValue]) }
            )
        ])
    }

    /// Decodes a stack from its JSON object, ignoring unknown members.
    ///
    /// - Parameter jsonValue: The `{"layers":[…]}` object.
    /// - Throws: `DecodingError` when a required member is missing or mistyped.
    public init(jsonValue: JSONValue) throws {
        self = try JSONValueDecoder().decode(KVConfigStack.self, from: jsonValue)
    }
}
