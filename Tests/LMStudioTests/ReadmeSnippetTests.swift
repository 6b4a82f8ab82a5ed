import LMStudioTestSupport
import Foundation
import Testing

/// The README's examples are the snippets of `DocSnippetTests.swift`, which compile and run
/// against the mock server; this keeps the two from drifting apart.
@Suite("README examples")
struct ReadmeSnippetTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Each `// snippet:` … `// end snippet` block of the tests, de-indented.
    static func snippets() throws -> [(name: String, code: String)] {
        let source = try String(contentsOf: root.appendingPathComponent("Tests/LMStudioTests/DocSnippetTests.swift"), encoding: .utf8)
        var result: [(String, String)] = []
        var current: (name: String, lines: [Substring])?
        for line in source.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("// snippet:") {
                current = (String(trimmed.dropFirst("// snippet:".count)).trimmingCharacters(in: .whitespaces), [])
            } else if trimmed == "// end snippet", let block = current {
                let indent = block.lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
                    .map { $0.prefix(while: { $0 == " " }).count }.min() ?? 0
                result.append((block.name, block.lines.map { String($0.dropFirst(min(indent, $0.count))) }.joined(separator: "\n")))
                current = nil
            } else if current != nil {
                current?.lines.append(line)
            }
        }
        return result
    }

    @Test("every compiled snippet appears verbatim in README.md")
    func readmeShowsSnippets() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let snippets = try Self.snippets()
        #expect(snippets.count >= 10)
        for snippet in snippets {
            #expect(readme.contains(snippet.code), "README.md lacks the snippet \(snippet.name)")
        }
    }
}
