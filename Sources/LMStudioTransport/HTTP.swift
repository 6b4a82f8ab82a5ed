/// The start of a plain HTTP request the server role received.
package struct HTTPRequestHead: Sendable, Hashable {
    /// `GET` for GET requests; other methods are reported as `POST`.
    package var method: String
    /// The request path, for example `/lmstudio-greeting`.
    package var path: String

    package init(method: String, path: String) {
        self.method = method
        self.path = path
    }
}

/// A complete, small HTTP response (the server role's answer, or what the HTTP GET client
/// received).
package struct HTTPResponse: Sendable, Hashable {
    /// The status code.
    package var status: Int
    /// The `content-type` (server role only).
    package var contentType: String
    /// The body.
    package var body: [UInt8]

    package init(status: Int = 200, contentType: String = "application/json", body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }
}
