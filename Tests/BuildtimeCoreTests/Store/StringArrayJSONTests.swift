import Foundation
import Testing
@testable import BuildtimeCore

@Suite struct StringArrayJSONTests {
    @Test(arguments: [
        [], ["plain"], ["a \"quoted\" word", "back\\slash", "a/b", "line\nbreak\ttab\r"], ["ünïcödé › ✅", "emoji 🐳"], ["", ""],
        ["control \u{01} char"],
    ])
    func readsWhatTheEncoderWrites(_ strings: [String]) throws {
        let json = String(decoding: try JSONEncoder().encode(strings), as: UTF8.self)
        let quick = StringArrayJSON.decode(json)
        // Either the quick reader gets it right, or it declines (\u escapes) and the store falls back to JSONDecoder.
        #expect(quick == strings || (quick == nil && json.contains("\\u")), "\(json)")
    }

    @Test(arguments: ["", "[", "[\"a\"", "[\"a\",]", "[1]", "{\"a\":1}", "[\"a\"] x", "[\"a\" \"b\"]"])
    func declinesWhatIsNotAnArrayOfStrings(_ json: String) {
        #expect(StringArrayJSON.decode(json) == nil)
    }

    @Test func spacesAreAllowed() {
        #expect(StringArrayJSON.decode(" [ \"a\" , \"b\" ] ") == ["a", "b"])
    }
}
