/// A parsed `ws://`, `wss://`, `http://` or `https://` URL as the transport needs it.
package struct TransportURL: Sendable, Hashable, CustomStringConvertible {
    /// Whether the connection uses TLS (`wss`, `https`).
    package var secure: Bool
    /// Whether this is a websocket URL (`ws`, `wss`) rather than plain HTTP.
    package var websocket: Bool
    /// The host name or address, without IPv6 brackets.
    package var host: String
    /// The TCP port (scheme default when the URL has none).
    package var port: Int
    /// The path including any query, always starting with `/`.
    package var path: String

    /// Parses `url`; throws `TransportError.invalidURL` for anything unusable.
    package init(_ url: String) throws(TransportError) {
        let schemes: [(String, Bool, Bool, Int)] = [
            ("ws://", false, true, 80), ("wss://", true, true, 443),
            ("http://", false, false, 80), ("https://", true, false, 443),
        ]
        guard let (prefix, secure, websocket, defaultPort) = schemes.first(where: { url.lowercased().hasPrefix($0.0) })
        else { throw .invalidURL("expected ws://, wss://, http:// or https://") }
        self.secure = secure
        self.websocket = websocket
        var rest = Substring(url.dropFirst(prefix.count))
        let pathStart = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        var path = String(rest[pathStart...])
        if path.isEmpty { path = "/" } else if path.first == "?" { path = "/" + path }
        self.path = path
        rest = rest[..<pathStart]
        if rest.contains("@") { throw .invalidURL("credentials in URLs are not supported") }
        var hostPart = rest
        var portText: Substring?
        if rest.first == "[" {
            guard let close = rest.firstIndex(of: "]") else { throw .invalidURL("unterminated IPv6 address") }
            hostPart = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":" else { throw .invalidURL("unexpected text after IPv6 address") }
                portText = after.dropFirst()
            }
        } else if let colon = rest.firstIndex(of: ":") {
            hostPart = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        }
        guard !hostPart.isEmpty else { throw .invalidURL("missing host") }
        self.host = String(hostPart)
        if let portText {
            guard let port = Int(portText), (1...65535).contains(port) else {
                throw .invalidURL("port must be a number from 1 to 65535")
            }
            self.port = port
        } else {
            self.port = defaultPort
        }
    }

    /// The `Host` header value.
    package var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return "\(name):\(port)"
    }

    package var description: String {
        (websocket ? (secure ? "wss://" : "ws://") : (secure ? "https://" : "http://")) + hostHeader + path
    }
}
