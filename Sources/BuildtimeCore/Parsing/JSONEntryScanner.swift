import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds the top-level JSON objects in a stream, whether they sit in an array (`[{...},{...}]`), one per line
/// (JSON lines), or in an excerpt of an array that lost its brackets. Streams: only one object is held at a time.
struct JSONEntryScanner {
    private var object: [UInt8] = []
    private var depth = 0
    private var inString = false
    private var escaped = false
    /// Physical line being scanned (1-based).
    private(set) var line = 1
    private var objectLine = 1
    /// Arrays opened between entries and not closed yet, and the line the outermost one opened on.
    private var openArrays = 0
    private var arrayLine = 1

    /// The longest entry read: Woodpecker's hold one line, Drone's a chunk of output; memory stays bounded.
    static let maximumEntry = 16 << 20

    /// Calls `body` with each complete object and the line it starts on.
    mutating func feed(_ chunk: UnsafeRawBufferPointer, _ body: (UnsafeBufferPointer<UInt8>, Int) throws -> Void) throws {
        for byte in chunk {
            if byte == UInt8(ascii: "\n") { line += 1 }
            if depth == 0 {
                switch byte {
                case UInt8(ascii: "{"):
                    depth = 1
                    objectLine = line
                    object.removeAll(keepingCapacity: true)
                    object.append(byte)
                case UInt8(ascii: "["):
                    if openArrays == 0 { arrayLine = line }
                    openArrays += 1
                case UInt8(ascii: "]"):
                    // An excerpt of an array may close what it never opened.
                    openArrays = max(openArrays - 1, 0)
                case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"), UInt8(ascii: ","):
                    continue
                default:
                    throw LogParseError(line: line, reason: "unexpected \(describe(byte)) between JSON log entries")
                }
                continue
            }
            object.append(byte)
            if object.count > Self.maximumEntry {
                throw LogParseError(line: objectLine, reason: "a JSON log entry longer than \(Self.maximumEntry >> 20) MB starts here: not a log this reads")
            }
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 { try object.withUnsafeBufferPointer { try body($0, objectLine) } }
            default: break
            }
        }
    }

    /// Fails if the stream ended inside an object, or inside the array it opened: a download cut short, which
    /// stored now would make the complete log a second run later.
    func finish() throws {
        if depth > 0 { throw LogParseError(line: objectLine, reason: "truncated JSON: the log entry starting here never ends") }
        if openArrays > 0 {
            throw LogParseError(line: line, reason: "truncated JSON: the array opened on line \(arrayLine) is never closed (a download cut short?)")
        }
    }
}

/// A scalar JSON value of a flat log entry; nested objects and arrays are skipped as `.nested`.
enum JSONScalar: Equatable {
    case string([UInt8])
    case number(Double)
    case bool(Bool)
    case null
    case nested

    var int: Int? {
        if case .number(let value) = self, value.isFinite, abs(value) < 9e15 { return Int(value) }
        return nil
    }

    var bytes: [UInt8]? {
        if case .string(let value) = self { return value }
        return nil
    }
}

/// Reads the members of one JSON object, calling `body` with each key and scalar value.
func parseFlatJSONObject(_ bytes: UnsafeBufferPointer<UInt8>, line: Int, _ body: (String, JSONScalar) throws -> Void) throws {
    var parser = JSONParser(bytes: bytes, line: line)
    try parser.expect(UInt8(ascii: "{"))
    parser.skipSpace()
    if parser.peek == UInt8(ascii: "}") { return }
    while true {
        parser.skipSpace()
        let key = String(decoding: try parser.string(), as: UTF8.self)
        parser.skipSpace()
        try parser.expect(UInt8(ascii: ":"))
        parser.skipSpace()
        try body(key, try parser.value())
        parser.skipSpace()
        if parser.peek == UInt8(ascii: ",") { parser.position += 1; continue }
        try parser.expect(UInt8(ascii: "}"))
        return
    }
}

private struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let line: Int
    var position = 0

    init(bytes: UnsafeBufferPointer<UInt8>, line: Int) {
        self.bytes = bytes
        self.line = line
    }

    var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

    func error(_ reason: String) -> LogParseError {
        // Report the physical line inside the entry where parsing stopped.
        let newlines = bytes[..<min(position, bytes.count)].reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        return LogParseError(line: line + newlines, reason: "malformed JSON log entry: \(reason)")
    }

    mutating func skipSpace() {
        while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
    }

    mutating func expect(_ byte: UInt8) throws {
        guard peek == byte else { throw error("expected '\(Character(Unicode.Scalar(byte)))' but found \(peek.map(describe) ?? "the end")") }
        position += 1
    }

    mutating func value() throws -> JSONScalar {
        guard let byte = peek else { throw error("value missing") }
        switch byte {
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "{"), UInt8(ascii: "["): try skipNested(); return .nested
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: return .number(try number())
        }
    }

    mutating func literal(_ word: StaticString) throws {
        let count = word.utf8CodeUnitCount
        guard position + count <= bytes.count,
              memcmp(bytes.baseAddress! + position, word.utf8Start, count) == 0
        else { throw error("unknown literal") }
        position += count
    }

    mutating func number() throws -> Double {
        let start = position
        while let byte = peek, (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            position += 1
        }
        guard position > start, let value = Double(String(decoding: bytes[start..<position], as: UTF8.self)) else {
            throw error("expected a value but found \(peek.map(describe) ?? "the end")")
        }
        return value
    }

    mutating func skipNested() throws {
        var depth = 0
        while let byte = peek {
            switch byte {
            case UInt8(ascii: "\""): _ = try string(); continue
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 { position += 1; return }
            default: break
            }
            position += 1
        }
        throw error("unterminated object or array")
    }

    mutating func string() throws -> [UInt8] {
        try expect(UInt8(ascii: "\""))
        var result: [UInt8] = []
        let start = position
        // Fast path: no escapes.
        while let byte = peek, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") { position += 1 }
        result.append(contentsOf: bytes[start..<position])
        while let byte = peek {
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return result
            case UInt8(ascii: "\\"):
                guard let escape = peek else { throw error("unterminated string") }
                position += 1
                switch escape {
                case UInt8(ascii: "n"): result.append(0x0A)
                case UInt8(ascii: "t"): result.append(0x09)
                case UInt8(ascii: "r"): result.append(0x0D)
                case UInt8(ascii: "b"): result.append(0x08)
                case UInt8(ascii: "f"): result.append(0x0C)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar), peek == UInt8(ascii: "\\"), position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "u") {
                        position += 2
                        let low = try hex4()
                        scalar = (0xDC00..<0xE000).contains(low) ? 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00) : 0xFFFD
                    }
                    let character = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                    result.append(contentsOf: Array(String(character).utf8))
                default: result.append(escape)  // \" \\ \/
                }
            default:
                result.append(byte)
            }
        }
        throw error("unterminated string")
    }

    mutating func hex4() throws -> UInt32 {
        guard position + 4 <= bytes.count else { throw error("short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = hexValue(bytes[position]) else { throw error("bad \\u escape") }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }
}

/// The value of a hexadecimal digit.
func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
}

/// A byte, named for an error message.
func describe(_ byte: UInt8) -> String {
    (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : String(format: "byte 0x%02X", byte)
}
