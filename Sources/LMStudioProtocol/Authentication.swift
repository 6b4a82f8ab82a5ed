/// The first frame a client sends on every socket (PROTOCOL.md §4.1).
///
/// `{"authVersion":1,"clientIdentifier":…,"clientPasskey":…}`. Every socket of one client
/// must present the same pair, so build it once from the client's ``ClientCredentials``.
///
/// ```swift
/// let credentials = try ClientCredentials.resolve(apiToken: nil, environment: environment)
/// let frame = AuthPacket(credentials: credentials).serialized()
/// ```
///
/// The description redacts the passkey.
public struct AuthPacket: Sendable, Hashable, CustomStringConvertible {
    /// The only authentication version the protocol defines.
    public static let currentVersion = 1
    /// The longest identifier or passkey the server accepts, in characters.
    public static let maximumFieldLength = 256

    /// The authentication version; always ``currentVersion`` for packets this SDK builds.
    public var authVersion: Int
    /// The client identifier (`guest:…` or the token's 8-character id).
    public var clientIdentifier: String
    /// The client passkey. Never logged.
    public var clientPasskey: String

    /// Creates a packet from an identifier and passkey.
    ///
    /// - Parameters:
    ///   - clientIdentifier: The client identifier.
    ///   - clientPasskey: The client passkey.
    public init(clientIdentifier: String, clientPasskey: String) {
        self.authVersion = Self.currentVersion
        self.clientIdentifier = clientIdentifier
        self.clientPasskey = clientPasskey
    }

    /// Creates the packet for the given credentials.
    ///
    /// - Parameter credentials: The client's resolved credentials.
    public init(credentials: ClientCredentials) {
        self.init(clientIdentifier: credentials.identifier, clientPasskey: credentials.passkey)
    }

    /// The JSON text of the packet as UTF-8 bytes: `authVersion`, `clientIdentifier`, `clientPasskey`.
    ///
    /// - Returns: The UTF-8 encoded JSON object.
    public func serialized() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128)
        JSONWriter.appendLiteral("{\"authVersion\":", to: &bytes)
        JSONWriter.appendInteger(authVersion, to: &bytes)
        JSONWriter.appendLiteral(",\"clientIdentifier\":", to: &bytes)
        JSONWriter.appendString(clientIdentifier, to: &bytes)
        JSONWriter.appendLiteral(",\"clientPasskey\":", to: &bytes)
        JSONWriter.appendString(clientPasskey, to: &bytes)
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    /// Decodes a packet from one text frame, as the server does.
    ///
    /// - Parameter bytes: The frame's UTF-8 JSON text.
    /// - Returns: The packet.
    /// - Throws: ``EnvelopeError`` when the frame is not JSON, not an object, lacks a member,
    ///   has `authVersion` other than 1, or has a field longer than ``maximumFieldLength``.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(EnvelopeError) -> AuthPacket {
        try decode(try parseRawEnvelope(bytes))
    }

    /// Decodes a packet from one text frame, as the server does.
    ///
    /// - Parameter bytes: The frame's UTF-8 JSON text.
    /// - Returns: The packet.
    /// - Throws: ``EnvelopeError`` as for ``decode(_:)-(UnsafeRawBufferPointer)``.
    public static func decode(_ bytes: [UInt8]) throws(EnvelopeError) -> AuthPacket {
        let result: Result<AuthPacket, EnvelopeError> = bytes.withUnsafeBytes { raw in
            do throws(EnvelopeError) { return .success(try decode(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Decodes a packet from an already parsed JSON value, as the server does.
    ///
    /// Unknown members are ignored (the reference server strips them).
    ///
    /// - Parameter value: The packet object.
    /// - Returns: The packet.
    /// - Throws: ``EnvelopeError`` as for ``decode(_:)-(UnsafeRawBufferPointer)``.
    public static func decode(_ value: JSONValue) throws(EnvelopeError) -> AuthPacket {
        guard case .object(let members) = value else { throw .notAnObject }
        let type = "authentication"
        let version = try EnvelopeFields.id(members["authVersion"], "authVersion", type)
        guard version == currentVersion else {
            throw .invalidMember(messageType: type, member: "authVersion", expected: "the literal 1")
        }
        let identifier = try EnvelopeFields.string(members["clientIdentifier"], "clientIdentifier", type)
        let passkey = try EnvelopeFields.string(members["clientPasskey"], "clientPasskey", type)
        guard identifier.count <= maximumFieldLength else {
            throw .invalidMember(messageType: type, member: "clientIdentifier", expected: "at most 256 characters")
        }
        guard passkey.count <= maximumFieldLength else {
            throw .invalidMember(messageType: type, member: "clientPasskey", expected: "at most 256 characters")
        }
        return AuthPacket(clientIdentifier: identifier, clientPasskey: passkey)
    }

    /// A summary with the passkey redacted.
    public var description: String {
        "AuthPacket(authVersion: \(authVersion), clientIdentifier: \"\(clientIdentifier)\", clientPasskey: <redacted>)"
    }
}

extension AuthPacket: CustomDebugStringConvertible, CustomReflectable {
    /// The same redacted summary as ``description``.
    public var debugDescription: String { description }

    /// A mirror without the passkey, so `dump` cannot leak it.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "authVersion": authVersion, "clientIdentifier": clientIdentifier, "clientPasskey": "<redacted>",
            ],
            displayStyle: .struct
        )
    }
}

/// The first frame the server sends on every socket: whether authentication succeeded (§4.3).
///
/// `{"success":true}` or `{"success":false,"error":"…"}`. Upstream servers send a string
/// `error`; an object is accepted too and reduced to its title (and cause).
///
/// ```swift
/// switch try AuthResult.decode(frame) {
/// case .success: state = .ready
/// case .failure(let message): failAll("Authentication failed: \(message)")
/// }
/// ```
public enum AuthResult: Sendable, Hashable {
    /// The server accepted the credentials; envelope messages may now be sent.
    case success
    /// The server rejected the connection, with its human-readable reason (do not parse it).
    case failure(message: String)

    /// The text used when a failure frame carries no usable `error`.
    public static let unknownFailureMessage = "Authentication failed for an unknown reason"

    /// The JSON text of the result as UTF-8 bytes.
    ///
    /// - Returns: `{"success":true}` or `{"success":false,"error":"…"}`.
    public func serialized() -> [UInt8] {
        var bytes: [UInt8] = []
        switch self {
        case .success:
            JSONWriter.appendLiteral("{\"success\":true}", to: &bytes)
        case .failure(let message):
            JSONWriter.appendLiteral("{\"success\":false,\"error\":", to: &bytes)
            JSONWriter.appendString(message, to: &bytes)
            bytes.append(UInt8(ascii: "}"))
        }
        return bytes
    }

    /// Decodes a result from one text frame.
    ///
    /// - Parameter bytes: The frame's UTF-8 JSON text.
    /// - Returns: The result.
    /// - Throws: ``EnvelopeError`` when the frame is not JSON, not an object, or has no
    ///   Boolean `success` member.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(EnvelopeError) -> AuthResult {
        try decode(try parseRawEnvelope(bytes))
    }

    /// Decodes a result from one text frame.
    ///
    /// - Parameter bytes: The frame's UTF-8 JSON text.
    /// - Returns: The result.
    /// - Throws: ``EnvelopeError`` as for ``decode(_:)-(UnsafeRawBufferPointer)``.
    public static func decode(_ bytes: [UInt8]) throws(EnvelopeError) -> AuthResult {
        let result: Result<AuthResult, EnvelopeError> = bytes.withUnsafeBytes { raw in
            do throws(EnvelopeError) { return .success(try decode(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Decodes a result from an already parsed JSON value.
    ///
    /// - Parameter value: The result object.
    /// - Returns: The result.
    /// - Throws: ``EnvelopeError`` as for ``decode(_:)-(UnsafeRawBufferPointer)``.
    public static func decode(_ value: JSONValue) throws(EnvelopeError) -> AuthResult {
        guard case .object(let members) = value else { throw .notAnObject }
        let type = "authentication result"
        guard let success = members["success"] else {
            throw .missingMember(messageType: type, member: "success", expected: "Boolean")
        }
        guard case .bool(let succeeded) = success else {
            throw .invalidMember(messageType: type, member: "success", expected: "a Boolean")
        }
        if succeeded { return .success }
        switch members["error"] {
        case .string(let message)?:
            return .failure(message: message)
        case .object(let error)?:
            if case .string(let message)? = error["message"] { return .failure(message: message) }
            let serialized = SerializedError(.object(error))
            if let cause = serialized.cause { return .failure(message: "\(serialized.headline): \(cause)") }
            return .failure(message: serialized.headline)
        default:
            return .failure(message: unknownFailureMessage)
        }
    }
}
