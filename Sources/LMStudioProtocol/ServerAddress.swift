/// Where an LM Studio server listens, and the URLs derived from it (PROTOCOL.md §2.4–2.6).
///
/// Accepted inputs:
/// - `host:port` (the Python SDK's form), meaning `ws://host:port`;
/// - `ws://host[:port][/prefix]` and `wss://host[:port][/prefix]` (the JavaScript SDK's form);
/// - `http://…` and `https://…`, mapped to `ws://…` and `wss://…` (a Swift-only convenience).
///
/// IPv6 hosts go in brackets (`[::1]:1234`). A URL without a port uses 80 (`ws`) or 443
/// (`wss`); the bare `host:port` form needs its port. User info, queries, fragments and a
/// trailing slash are rejected, as lmstudio-js rejects them.
///
/// ```swift
/// do {
///     let address = try ServerAddress(parsing: "127.0.0.1:1234")
///     print(address.websocketURL(namespace: .llm))   // ws://127.0.0.1:1234/llm
///     print(address.greetingURL)                     // http://127.0.0.1:1234/lmstudio-greeting
/// } catch {
///     print(error)   // e.g. "Invalid LM Studio server address: the port must be …"
/// }
/// ```
public struct ServerAddress: Sendable, Hashable, CustomStringConvertible {
    /// The websocket scheme of a server address.
    public enum Scheme: String, Sendable, Hashable, CaseIterable {
        /// Plain websockets; the greeting probe uses `http`.
        case ws
        /// Websockets over TLS; the greeting probe uses `https`.
        case wss

        /// The port used when an address names none: 80 for `ws`, 443 for `wss`.
        public var defaultPort: Int { self == .ws ? 80 : 443 }

        /// The matching HTTP scheme for the greeting probe: `http` or `https`.
        public var httpScheme: String { self == .ws ? "http" : "https" }
    }

    /// The well-known local ports both SDKs probe, in order, when no host is given.
    public static let defaultPorts = [41343, 52993, 16141, 39414, 22931]

    /// The path of the unauthenticated greeting endpoint.
    public static let greetingPath = "/lmstudio-greeting"

    /// The websocket scheme.
    public var scheme: Scheme
    /// The host name or IP address, without brackets for IPv6.
    public var host: String
    /// The TCP port, 1…65535.
    public var port: Int
    /// A path prefix such as `"/lmstudio"` (no trailing slash), or `""` for none.
    public var pathPrefix: String

    /// Creates an address from validated parts.
    ///
    /// - Parameters:
    ///   - scheme: The websocket scheme.
    ///   - host: The host, without brackets for IPv6.
    ///   - port: The TCP port.
    ///   - pathPrefix: A path prefix starting with `/`, or `""`.
    public init(scheme: Scheme = .ws, host: String, port: Int, pathPrefix: String = "") {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.pathPrefix = pathPrefix
    }

    /// The address of a local LM Studio on `port`, as discovery uses it: `ws://127.0.0.1:<port>`.
    ///
    /// Both SDKs use the literal `127.0.0.1`, never `localhost`.
    ///
    /// - Parameter port: The port.
    /// - Returns: The local address.
    public static func local(port: Int) -> ServerAddress {
        ServerAddress(scheme: .ws, host: "127.0.0.1", port: port)
    }

    /// Whether the address uses TLS.
    public var isSecure: Bool { scheme == .wss }

    /// `host:port`, with brackets around an IPv6 host.
    public var hostAndPort: String {
        (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
    }

    /// The base websocket URL, such as `ws://127.0.0.1:1234/prefix`.
    public var description: String {
        "\(scheme.rawValue)://\(hostAndPort)\(pathPrefix)"
    }

    /// The websocket URL of one namespace: `<scheme>://<host>:<port><prefix>/<namespace>`.
    ///
    /// - Parameter namespace: The API namespace.
    /// - Returns: The URL string.
    public func websocketURL(namespace: Namespace) -> String {
        description + namespace.path
    }

    /// The greeting probe URL: `http(s)://<host>:<port><prefix>/lmstudio-greeting`.
    public var greetingURL: String {
        "\(scheme.httpScheme)://\(hostAndPort)\(pathPrefix)\(Self.greetingPath)"
    }

    /// Whether a greeting response body identifies LM Studio.
    ///
    /// The body must be a JSON object whose `lmstudio` member is the Boolean `true` (the
    /// strict check lmstudio-js performs). Other members are ignored. The HTTP status (which
    /// must be 200) is the caller's to check.
    ///
    /// - Parameter body: The response body.
    /// - Returns: `true` for `{"lmstudio":true}` and supersets of it.
    public static func isLMStudioGreeting(_ body: UnsafeRawBufferPointer) -> Bool {
        guard let value = try? JSONValue.parse(body) else { return false }
        return value["lmstudio"] == .bool(true)
    }

    /// Whether a greeting response body identifies LM Studio.
    ///
    /// - Parameter body: The response body.
    /// - Returns: `true` for `{"lmstudio":true}` and supersets of it.
    public static func isLMStudioGreeting(_ body: [UInt8]) -> Bool {
        body.withUnsafeBytes { isLMStudioGreeting($0) }
    }

    /// Whether a greeting response body identifies LM Studio.
    ///
    /// - Parameter body: The response body text.
    /// - Returns: `true` for `{"lmstudio":true}` and supersets of it.
    public static func isLMStudioGreeting(_ body: String) -> Bool {
        isLMStudioGreeting(Array(body.utf8))
    }

    /// Parses a user-supplied server address.
    ///
    /// Surrounding whitespace is ignored; scheme names are case-insensitive.
    ///
    /// - Parameter text: `host:port`, or a `ws`, `wss`, `http` or `https` URL.
    /// - Throws: ``ServerAddressError`` naming the first problem found.
    public init(parsing text: String) throws(ServerAddressError) {
        self = try ServerAddressParser.parse(text)
    }
}

/// A server address could not be parsed.
///
/// Each case names one rule; ``description`` says what to write instead. The description
/// never repeats user info (credentials) from the input.
public enum ServerAddressError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The input is empty or only whitespace.
    case empty
    /// A URL scheme other than `ws`, `wss`, `http` or `https`.
    case unsupportedScheme(String)
    /// No host before the port or path.
    case missingHost
    /// The host contains characters that are not allowed, or an IPv6 address lacks brackets.
    case invalidHost
    /// The bare `host:port` form without a port.
    case missingPort
    /// The port is not a number from 1 to 65535.
    case invalidPort
    /// The address contains `user:password@`.
    case credentialsNotAllowed
    /// The address contains a `?query`.
    case queryNotAllowed
    /// The address contains a `#fragment`.
    case fragmentNotAllowed
    /// The address ends with `/`.
    case trailingSlash
    /// The path prefix contains empty segments or characters that are not allowed.
    case invalidPath

    /// What is wrong and the accepted forms.
    public var description: String {
        let problem: String
        switch self {
        case .empty: problem = "the address is empty"
        case .unsupportedScheme(let scheme):
            problem = "the scheme \"\(scheme)\" is not supported (use ws://, wss://, http:// or https://)"
        case .missingHost: problem = "the host is missing"
        case .invalidHost:
            problem =
                "the host contains characters that are not allowed (put IPv6 addresses in brackets, like [::1]:1234)"
        case .missingPort: problem = "the port is missing (write host:port, for example 127.0.0.1:1234)"
        case .invalidPort: problem = "the port must be a number from 1 to 65535"
        case .credentialsNotAllowed: problem = "user names and passwords are not allowed in the address"
        case .queryNotAllowed: problem = "a query string (?…) is not allowed"
        case .fragmentNotAllowed: problem = "a fragment (#…) is not allowed"
        case .trailingSlash: problem = "the address must not end with a slash"
        case .invalidPath: problem = "the path prefix contains empty segments or characters that are not allowed"
        }
        return "Invalid LM Studio server address: \(problem). "
            + "Expected host:port or ws://host:port[/prefix] (also wss://, http://, https://)."
    }
}

enum ServerAddressParser {
    static func parse(_ text: String) throws(ServerAddressError) -> ServerAddress {
        var bytes = Array(text.utf8)
        while let last = bytes.last, isSpace(last) { bytes.removeLast() }
        let leading = bytes.firstIndex(where: { !isSpace($0) }) ?? bytes.count
        bytes.removeFirst(leading)
        guard !bytes.isEmpty else { throw .empty }

        // Scheme.
        var scheme = ServerAddress.Scheme.ws
        var hasScheme = false
        var rest = bytes[...]
        if let separator = find(Array("://".utf8), in: bytes) {
            let name = String(decoding: bytes[..<separator], as: UTF8.self).lowercased()
            switch name {
            case "ws", "http": scheme = .ws
            case "wss", "https": scheme = .wss
            default:
                let shown = name.unicodeScalars.allSatisfy { $0.isASCII && $0 != "@" } && name.count <= 16 ? name : "…"
                throw .unsupportedScheme(shown)
            }
            hasScheme = true
            rest = bytes[(separator + 3)...]
        }

        // Authority and path.
        let slash = rest.firstIndex(of: UInt8(ascii: "/"))
        let authority = rest[..<(slash ?? rest.endIndex)]
        let path = rest[(slash ?? rest.endIndex)...]
        if authority.contains(UInt8(ascii: "@")) { throw .credentialsNotAllowed }
        if rest.contains(UInt8(ascii: "?")) { throw .queryNotAllowed }
        if rest.contains(UInt8(ascii: "#")) { throw .fragmentNotAllowed }

        // Host.
        let host: String
        var portText: ArraySlice<UInt8>?
        if authority.first == UInt8(ascii: "[") {
            guard let close = authority.firstIndex(of: UInt8(ascii: "]")) else { throw .invalidHost }
            let inner = authority[(authority.startIndex + 1)..<close]
            guard !inner.isEmpty else { throw .missingHost }
            guard inner.contains(UInt8(ascii: ":")), inner.allSatisfy(isIPv6Byte) else { throw .invalidHost }
            host = String(decoding: inner, as: UTF8.self)
            let after = authority[(close + 1)...]
            if let first = after.first {
                guard first == UInt8(ascii: ":") else { throw .invalidHost }
                portText = after.dropFirst()
            }
        } else {
            let colon = authority.firstIndex(of: UInt8(ascii: ":"))
            let name = authority[..<(colon ?? authority.endIndex)]
            if let colon {
                let after = authority[(colon + 1)...]
                if after.contains(UInt8(ascii: ":")) { throw .invalidHost }  // unbracketed IPv6
                portText = after
            }
            guard !name.isEmpty else { throw .missingHost }
            guard name.allSatisfy(isHostByte), name.first != UInt8(ascii: "."), name.first != UInt8(ascii: "-") else {
                throw .invalidHost
            }
            host = String(decoding: name, as: UTF8.self)
        }

        // Port.
        let port: Int
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0 &- UInt8(ascii: "0") < 10 }) else {
                throw .invalidPort
            }
            let value = portText.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            guard (1...65535).contains(value) else { throw .invalidPort }
            port = value
        } else if hasScheme {
            port = scheme.defaultPort
        } else {
            throw .missingPort
        }

        // Path prefix.
        if path.last == UInt8(ascii: "/") { throw .trailingSlash }
        if !path.isEmpty {
            let segments = path.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
            for segment in segments {
                guard !segment.isEmpty, segment.allSatisfy(isPathByte) else { throw .invalidPath }
            }
        }
        return ServerAddress(scheme: scheme, host: host, port: port, pathPrefix: String(decoding: path, as: UTF8.self))
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count)
        where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return false
        }
    }

    static func isHostByte(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }

    static func isIPv6Byte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
            UInt8(ascii: "A")...UInt8(ascii: "F"),
            UInt8(ascii: ":"), UInt8(ascii: "."):
            return true
        default:
            return false
        }
    }

    static func isPathByte(_ byte: UInt8) -> Bool {
        if isAlphanumeric(byte) { return true }
        return "-._~%!$&'()*+,;=:".utf8.contains(byte)
    }
}
