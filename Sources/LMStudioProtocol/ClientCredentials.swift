/// The identifier and passkey a client presents on every socket (PROTOCOL.md §4.2).
///
/// Resolve them once per client with ``resolve(apiToken:environment:)`` and reuse them for
/// every namespace socket. The passkey never appears in ``description``,
/// ``debugDescription``, string interpolation or `dump` output.
///
/// ```swift
/// do {
///     let credentials = try ClientCredentials.resolve(apiToken: nil, environment: environment)
///     print(credentials)   // ClientCredentials(kind: apiToken, identifier: "abcDEF78", passkey: <redacted>)
/// } catch {
///     print(error)         // explains the expected token shape, never the token
/// }
/// ```
public struct ClientCredentials: Sendable, Hashable {
    /// Where a pair of credentials came from.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// Randomly generated for this client: no API token was given.
        case guest
        /// Split from an LM Studio API token.
        case apiToken
        /// Given directly through ``ClientCredentials/explicit(identifier:passkey:)``.
        case explicit
    }

    /// The environment variable consulted first for an API token.
    public static let primaryTokenVariable = "LMSTUDIO_API_TOKEN"
    /// The environment variable consulted second (the one lmstudio-js reads).
    public static let secondaryTokenVariable = "LM_API_TOKEN"
    /// The prefix that marks generated guest identifiers.
    public static let guestIdentifierPrefix = "guest:"

    /// The `clientIdentifier` sent in the ``AuthPacket``.
    public var identifier: String
    /// The `clientPasskey` sent in the ``AuthPacket``. Never printed.
    public var passkey: String
    /// Where the pair came from.
    public var kind: Kind

    /// Creates credentials from their parts.
    ///
    /// - Parameters:
    ///   - identifier: The client identifier.
    ///   - passkey: The client passkey.
    ///   - kind: Where the pair came from.
    public init(identifier: String, passkey: String, kind: Kind) {
        self.identifier = identifier
        self.passkey = passkey
        self.kind = kind
    }

    /// Credentials given directly, for plugin runners and tests.
    ///
    /// - Parameters:
    ///   - identifier: The client identifier.
    ///   - passkey: The client passkey.
    /// - Returns: Credentials of kind ``Kind/explicit``.
    public static func explicit(identifier: String, passkey: String) -> ClientCredentials {
        ClientCredentials(identifier: identifier, passkey: passkey, kind: .explicit)
    }

    /// Fresh random guest credentials: `guest:<UUID>` and a random UUID passkey.
    ///
    /// Both are lowercase RFC 4122 version 4 UUID strings, as the Python SDK generates.
    ///
    /// - Returns: Credentials of kind ``Kind/guest``, different on every call.
    public static func guest() -> ClientCredentials {
        ClientCredentials(
            identifier: guestIdentifierPrefix + randomUUIDString(),
            passkey: randomUUIDString(),
            kind: .guest
        )
    }

    /// Resolves the credentials for a client from an optional token and the environment.
    ///
    /// The rules, in order:
    /// 1. A non-`nil` `apiToken` decides alone. After trimming surrounding whitespace, an
    ///    empty string means "no token": the result is guest credentials and the environment is
    ///    not consulted.
    /// 2. Otherwise ``primaryTokenVariable`` (`LMSTUDIO_API_TOKEN`), then
    ///    ``secondaryTokenVariable`` (`LM_API_TOKEN`); a variable that is unset or empty after
    ///    trimming is skipped.
    /// 3. Otherwise guest credentials (see ``guest()``).
    ///
    /// A token must be `sk-lm-` followed by exactly 8 ASCII letters or digits, a colon, and
    /// exactly 20 ASCII letters or digits. The 8 become the identifier and the 20 the passkey.
    ///
    /// - Parameters:
    ///   - apiToken: The token the caller passed, or `nil` to consult the environment.
    ///   - environment: The process environment (or a test double).
    /// - Returns: The credentials to present on every socket.
    /// - Throws: ``CredentialsError/invalidToken(source:)`` when the chosen token is malformed.
    ///   The error never contains the token.
    public static func resolve(
        apiToken: String?,
        environment: [String: String]
    ) throws(CredentialsError) -> ClientCredentials {
        if let apiToken {
            let token = trimmingWhitespace(apiToken)
            if token.isEmpty { return guest() }
            return try fromToken(token, source: .argument)
        }
        for variable in [primaryTokenVariable, secondaryTokenVariable] {
            guard let value = environment[variable] else { continue }
            let token = trimmingWhitespace(value)
            if token.isEmpty { continue }
            return try fromToken(token, source: .environment(variable))
        }
        return guest()
    }

    /// Splits a well-formed API token into credentials.
    ///
    /// - Parameters:
    ///   - token: The token, without surrounding whitespace.
    ///   - source: Where the token came from, for the error.
    /// - Returns: Credentials of kind ``Kind/apiToken``.
    /// - Throws: ``CredentialsError/invalidToken(source:)`` when the token is malformed.
    static func fromToken(_ token: String, source: CredentialsError.TokenSource) throws(CredentialsError)
        -> ClientCredentials
    {
        // sk-lm-XXXXXXXX:YYYYYYYYYYYYYYYYYYYY — 6 + 8 + 1 + 20 bytes, all ASCII.
        let utf8 = Array(token.utf8)
        guard utf8.count == 35, utf8.starts(with: "sk-lm-".utf8), utf8[14] == UInt8(ascii: ":") else {
            throw .invalidToken(source: source)
        }
        let identifier = utf8[6..<14]
        let passkey = utf8[15..<35]
        guard identifier.allSatisfy(isASCIIAlphanumeric), passkey.allSatisfy(isASCIIAlphanumeric) else {
            throw .invalidToken(source: source)
        }
        return ClientCredentials(
            identifier: String(decoding: identifier, as: UTF8.self),
            passkey: String(decoding: passkey, as: UTF8.self),
            kind: .apiToken
        )
    }

    /// Whether `string` is a well-formed LM Studio API token (after trimming whitespace).
    ///
    /// - Parameter string: The candidate token.
    /// - Returns: `true` if ``resolve(apiToken:environment:)`` would accept it.
    public static func isValidAPIToken(_ string: String) -> Bool {
        (try? fromToken(trimmingWhitespace(string), source: .argument)) != nil
    }
}

private func isASCIIAlphanumeric(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
        UInt8(ascii: "A")...UInt8(ascii: "Z"):
        return true
    default:
        return false
    }
}

private func trimmingWhitespace(_ string: String) -> String {
    let scalars = string.unicodeScalars
    guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
    else { return "" }
    return String(scalars[first...last])
}

/// A random RFC 4122 version 4 UUID in lowercase `8-4-4-4-12` form.
///
/// Uses the system's cryptographically secure generator.
func randomUUIDString() -> String {
    var generator = SystemRandomNumberGenerator()
    var bytes = [UInt8](repeating: 0, count: 16)
    for index in stride(from: 0, to: 16, by: 8) {
        let random = generator.next() as UInt64
        for offset in 0..<8 { bytes[index + offset] = UInt8(truncatingIfNeeded: random >> (offset * 8)) }
    }
    bytes[6] = (bytes[6] & 0x0F) | 0x40  // version 4
    bytes[8] = (bytes[8] & 0x3F) | 0x80  // variant 10xx
    let hex = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    text.reserveCapacity(36)
    for (index, byte) in bytes.enumerated() {
        if index == 4 || index == 6 || index == 8 || index == 10 { text.append(UInt8(ascii: "-")) }
        text.append(hex[Int(byte >> 4)])
        text.append(hex[Int(byte & 0x0F)])
    }
    return String(decoding: text, as: UTF8.self)
}

extension ClientCredentials: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// A summary with the passkey redacted.
    public var description: String {
        "ClientCredentials(kind: \(kind.rawValue), identifier: \"\(identifier)\", passkey: <redacted>)"
    }

    /// The same redacted summary as ``description``.
    public var debugDescription: String { description }

    /// A mirror without the passkey, so `dump` and reflection cannot leak it.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: ["kind": kind, "identifier": identifier, "passkey": "<redacted>"],
            displayStyle: .struct
        )
    }
}

/// API token credentials could not be resolved.
///
/// The description explains the expected shape and names the source, and never contains the
/// token or any part of it.
///
/// ```swift
/// do {
///     _ = try ClientCredentials.resolve(apiToken: "oops", environment: [:])
/// } catch {
///     print(error)   // The API token passed as an argument is not a valid LM Studio API token …
/// }
/// ```
public enum CredentialsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where a rejected token came from.
    public enum TokenSource: Sendable, Hashable {
        /// The `apiToken` argument.
        case argument
        /// The named environment variable.
        case environment(String)
    }

    /// The token does not have the shape `sk-lm-XXXXXXXX:YYYYYYYYYYYYYYYYYYYY`.
    case invalidToken(source: TokenSource)

    /// What went wrong and the expected token shape, without the token itself.
    public var description: String {
        switch self {
        case .invalidToken(let source):
            let origin: String
            switch source {
            case .argument: origin = "The API token passed as an argument"
            case .environment(let name): origin = "The API token in the environment variable \(name)"
            }
            return "\(origin) does not look like a valid LM Studio API token. Expected the form "
                + "sk-lm-XXXXXXXX:YYYYYYYYYYYYYYYYYYYY (8 and 20 ASCII letters or digits). "
                + "Copy the token again from LM Studio's developer settings, or pass an empty token to connect as a guest."
        }
    }
}
