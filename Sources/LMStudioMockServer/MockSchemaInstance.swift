import LMStudioProtocol

/// Builds a small JSON value that satisfies a JSON Schema: what the mock "generates" for
/// structured output and tool-call arguments.
///
/// Handles the subset that SDKs produce from Pydantic, zod and hand-written schemas: `type`
/// (including type arrays), `const`, `enum`, `default`-free minimal values, `properties` and
/// `required` (every listed property is filled, optional ones too when they are simple),
/// `items` / `prefixItems` with `minItems`, `minLength`, `minimum` / `exclusiveMinimum`,
/// `anyOf` / `oneOf` / `allOf`, and local `$ref`s into `$defs` / `definitions`.
enum MockSchemaInstance {
    static func instance(of schema: JSONValue, root: JSONValue? = nil, depth: Int = 0) -> JSONValue {
        let root = root ?? schema
        guard depth < 32, case .object = schema else { return .null }
        if let reference = schema["$ref"]?.stringValue, let target = resolve(reference, in: root) {
            return instance(of: target, root: root, depth: depth + 1)
        }
        if let constant = schema["const"] { return constant }
        if let first = schema["enum"]?.arrayValue?.first { return first }
        for keyword in ["anyOf", "oneOf"] {
            if let options = schema[keyword]?.arrayValue {
                let preferred = options.first { $0["type"]?.stringValue != "null" } ?? options.first
                if let preferred { return instance(of: preferred, root: root, depth: depth + 1) }
            }
        }
        if let parts = schema["allOf"]?.arrayValue {
            var merged: [String: JSONValue] = [:]
            for part in parts {
                if case .object(let members) = instance(of: part, root: root, depth: depth + 1) {
                    merged.merge(members) { _, new in new }
                }
            }
            if !merged.isEmpty { return .object(merged) }
        }
        let type: String
        switch schema["type"] {
        case .string(let name): type = name
        case .array(let names): type = names.compactMap(\.stringValue).first { $0 != "null" } ?? "null"
        default: type = schema["properties"] != nil ? "object" : (schema["items"] != nil ? "array" : "null")
        }
        switch type {
        case "object":
            var members: [String: JSONValue] = [:]
            let properties = schema["properties"]?.objectValue ?? [:]
            let required = Set(schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            for (name, propertySchema) in properties {
                members[name] = instance(of: propertySchema, root: root, depth: depth + 1)
            }
            for name in required where members[name] == nil { members[name] = "" }
            return .object(members)
        case "array":
            let count = schema["minItems"]?.intValue ?? 0
            if let prefix = schema["prefixItems"]?.arrayValue {
                let values = prefix.map { instance(of: $0, root: root, depth: depth + 1) }
                return .array(values)
            }
            guard count > 0, let items = schema["items"] else { return .array([]) }
            return .array(Array(repeating: instance(of: items, root: root, depth: depth + 1), count: count))
        case "string":
            let length = schema["minLength"]?.intValue ?? 0
            switch schema["format"]?.stringValue {
            case "date-time": return "2025-01-01T00:00:00Z"
            case "date": return "2025-01-01"
            case "email": return "mock@example.com"
            case "uri": return "https://example.com/"
            default: return .string(String(repeating: "a", count: max(0, length)))
            }
        case "integer":
            if let minimum = schema["minimum"]?.doubleValue, minimum > 0 { return .int(Int64(minimum.rounded(.up))) }
            if let minimum = schema["exclusiveMinimum"]?.doubleValue, minimum >= 0 {
                return .int(Int64(minimum.rounded(.down)) + 1)
            }
            if let maximum = schema["maximum"]?.doubleValue, maximum < 0 { return .int(Int64(maximum.rounded(.down))) }
            return 0
        case "number":
            if let minimum = schema["minimum"]?.doubleValue, minimum > 0 { return .double(minimum) }
            if let minimum = schema["exclusiveMinimum"]?.doubleValue, minimum >= 0 { return .double(minimum + 1) }
            if let maximum = schema["maximum"]?.doubleValue, maximum < 0 { return .double(maximum) }
            return 0
        case "boolean":
            return false
        default:
            return .null
        }
    }

    /// Resolves `#/…` references by walking the pointer's segments.
    static func resolve(_ reference: String, in root: JSONValue) -> JSONValue? {
        guard reference.hasPrefix("#") else { return nil }
        var node: JSONValue? = root
        for segment in reference.dropFirst().split(separator: "/") {
            let key = String(segment).replacing("~1", with: "/").replacing("~0", with: "~")
            if let index = Int(key), let array = node?.arrayValue, array.indices.contains(index) {
                node = array[index]
            } else {
                node = node?[key]
            }
        }
        return node
    }
}
