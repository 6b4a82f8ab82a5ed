/// A string-valued wire enumeration whose set of values is open: the known values are static
/// members, and values added by newer servers still decode (and encode back unchanged).
///
/// Conforming types only store `rawValue` and declare their known values; the string-literal
/// initializer, `description` and (through the standard library's `RawRepresentable` support)
/// the JSON-string `Codable` form come from here.
public protocol OpenStringValue: RawRepresentable, Sendable, Hashable, Codable, ExpressibleByStringLiteral,
    CustomStringConvertible where RawValue == String
{
    /// Creates a value from its wire name.
    init(rawValue: String)
}

extension OpenStringValue {
    /// Creates a value from a string literal (its wire name).
    public init(stringLiteral value: String) { self.init(rawValue: value) }

    /// The wire name.
    public var description: String { rawValue }
}
