import LMStudioProtocol

/// Deterministic stand-ins for what a real model computes: tokens, embeddings, replies.
enum MockText {
    /// Splits text into "tokens": runs of letters/digits, and every other non-space character.
    static func tokens(_ text: String) -> [Substring] {
        var result: [Substring] = []
        var start: String.Index?
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character.isLetter || character.isNumber {
                if start == nil { start = index }
            } else {
                if let begin = start {
                    result.append(text[begin..<index])
                    start = nil
                }
                if !character.isWhitespace { result.append(text[index...index]) }
            }
            index = text.index(after: index)
        }
        if let begin = start { result.append(text[begin...]) }
        return result
    }

    /// Stable token ids in `0..<50_000`.
    static func tokenIDs(_ text: String) -> [Int] {
        tokens(text).map { Int(hash($0, seed: 0) % 50_000) }
    }

    /// Splits a reply into fragments of one word each, keeping the whitespace before it, so that
    /// concatenating the fragments gives back the reply exactly.
    static func fragments(_ text: String) -> [String] {
        var result: [String] = []
        var current = ""
        var sawWord = false
        for character in text {
            if character.isWhitespace, sawWord {
                result.append(current)
                current = ""
                sawWord = false
            }
            current.append(character)
            if !character.isWhitespace { sawWord = true }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    /// A unit-length vector derived from a hash of the text.
    static func embedding(of text: String, dimensions: Int) -> [Double] {
        let raw = (0..<max(1, dimensions)).map { index -> Double in
            Double(hash(Substring(text), seed: UInt64(index) &+ 1) % 2_000_001) / 1_000_000 - 1
        }
        let norm = raw.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? raw.map { $0 / norm } : raw
    }

    /// FNV-1a over the UTF-8 bytes, mixed with a seed.
    static func hash(_ text: Substring, seed: UInt64) -> UInt64 {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325 ^ (seed &* 0x9E37_79B9_7F4A_7C15)
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x100_0000_01b3
        }
        return value
    }

    /// The concatenated text parts of a chat message.
    static func text(of message: JSONValue) -> String {
        guard let parts = message["content"]?.arrayValue else { return message["content"]?.stringValue ?? "" }
        return parts.compactMap { part -> String? in
            switch part["type"]?.stringValue {
            case "text": return part["text"]?.stringValue
            case "toolCallResult": return part["content"]?.stringValue
            default: return nil
            }
        }.joined()
    }

    /// The number of bytes a base64 text decodes to.
    static func decodedBase64Length(_ base64: String) -> Int {
        let characters = base64.utf8.filter { $0 != 0x0A && $0 != 0x0D }
        let padding = characters.reversed().prefix { $0 == UInt8(ascii: "=") }.count
        return max(0, characters.count / 4 * 3 - padding)
    }

    /// Whether base64 content starts with a PNG, JPEG or GIF signature.
    static func looksLikeImage(base64: String) -> Bool {
        base64.hasPrefix("iVBORw0KGgo") || base64.hasPrefix("/9j/") || base64.hasPrefix("R0lGOD")
    }
}
