import Foundation

/// Reads the JSON the store keeps (a run's and each image's class facts, its context) into `Decodable` values, several
/// times faster than `JSONDecoder`, whose generic unwrapping was half the time of loading many whole runs. It parses
/// the text into a small tree and decodes from that. What `JSONEncoder` writes it reads as `JSONDecoder` does (tests
/// compare the two on every sample); anything else it cannot read (a `Data`, a number where a string belongs, text
/// that is not JSON) is handed to `JSONDecoder`, with its errors. (It is less strict than `JSONDecoder` about a
/// number's form, `01` or `1.`, which no encoder writes.)
enum QuickJSONDecoder {
    static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        if let value = quickly(type, from: text) { return value }
        return try JSONDecoder().decode(type, from: Data(text.utf8))
    }

    /// The value as this reader reads it, without `JSONDecoder`; nil where it leaves the text to that.
    static func quickly<T: Decodable>(_ type: T.Type, from text: String) -> T? {
        guard let tree = Tree.parse(text) else { return nil }
        return try? T(from: TreeDecoder(tree))
    }

    struct Failure: Error {}

    /// A parsed JSON value.
    indirect enum Tree {
        case null
        case bool(Bool)
        /// The number, and the whole number its text spells if it spells one (`12`, not `12.0` or `1e3`).
        case number(Double, Int64?)
        case string(String)
        case array([Tree])
        case object([(key: String, value: Tree)])

        static func parse(_ text: String) -> Tree? {
            var text = text
            return text.withUTF8 { utf8 in
                var parser = Parser(bytes: utf8)
                guard let tree = parser.value(depth: 0) else { return nil }
                parser.skipSpaces()
                return parser.position == utf8.count ? tree : nil
            }
        }
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0

        mutating func skipSpaces() {
            while position < bytes.count, bytes[position] == 0x20 || bytes[position] == 0x0A || bytes[position] == 0x0D || bytes[position] == 0x09 { position += 1 }
        }

        mutating func value(depth: Int) -> Tree? {
            skipSpaces()
            guard position < bytes.count, depth < 64 else { return nil }
            switch bytes[position] {
            case UInt8(ascii: "{"):
                position += 1
                var entries: [(key: String, value: Tree)] = []
                skipSpaces()
                if position < bytes.count, bytes[position] == UInt8(ascii: "}") { position += 1; return .object(entries) }
                while true {
                    skipSpaces()
                    guard position < bytes.count, bytes[position] == UInt8(ascii: "\""), let key = string() else { return nil }
                    skipSpaces()
                    guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { return nil }
                    position += 1
                    guard let value = value(depth: depth + 1) else { return nil }
                    entries.append((key, value))
                    skipSpaces()
                    guard position < bytes.count else { return nil }
                    position += 1
                    if bytes[position - 1] == UInt8(ascii: "}") { return .object(entries) }
                    guard bytes[position - 1] == UInt8(ascii: ",") else { return nil }
                }
            case UInt8(ascii: "["):
                position += 1
                var elements: [Tree] = []
                skipSpaces()
                if position < bytes.count, bytes[position] == UInt8(ascii: "]") { position += 1; return .array(elements) }
                while true {
                    guard let value = value(depth: depth + 1) else { return nil }
                    elements.append(value)
                    skipSpaces()
                    guard position < bytes.count else { return nil }
                    position += 1
                    if bytes[position - 1] == UInt8(ascii: "]") { return .array(elements) }
                    guard bytes[position - 1] == UInt8(ascii: ",") else { return nil }
                }
            case UInt8(ascii: "\""):
                return string().map(Tree.string)
            case UInt8(ascii: "t"): return word("true", .bool(true))
            case UInt8(ascii: "f"): return word("false", .bool(false))
            case UInt8(ascii: "n"): return word("null", .null)
            default: return number()
            }
        }

        private mutating func word(_ word: StaticString, _ tree: Tree) -> Tree? {
            let count = word.utf8CodeUnitCount
            guard position + count <= bytes.count else { return nil }
            for index in 0..<count where bytes[position + index] != word.utf8Start[index] { return nil }
            position += count
            return tree
        }

        /// A string from its opening quote; escapes other than `\uXXXX` pairs read as JSON says.
        private mutating func string() -> String? {
            position += 1
            let start = position
            while position < bytes.count, bytes[position] != UInt8(ascii: "\""), bytes[position] != UInt8(ascii: "\\") { position += 1 }
            guard position < bytes.count else { return nil }
            if bytes[position] == UInt8(ascii: "\"") {
                position += 1
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<(position - 1)]), as: UTF8.self)
            }
            var out = Array(bytes[start..<position])
            while position < bytes.count {
                let byte = bytes[position]
                position += 1
                switch byte {
                case UInt8(ascii: "\""): return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard position < bytes.count else { return nil }
                    let escaped = bytes[position]
                    position += 1
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escaped)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "u"):
                        guard var scalar = hex4() else { return nil }
                        if (0xD800..<0xDC00).contains(scalar) {
                            guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else { return nil }
                            position += 2
                            guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let character = Unicode.Scalar(scalar) else { return nil }
                        out += Array(String(Character(character)).utf8)
                    default: return nil
                    }
                default:
                    guard byte >= 0x20 else { return nil }
                    out.append(byte)
                }
            }
            return nil
        }

        private mutating func hex4() -> UInt32? {
            guard position + 4 <= bytes.count else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[position]
                position += 1
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: return nil
                }
                value = value << 4 | UInt32(digit)
            }
            return value
        }

        private mutating func number() -> Tree? {
            let start = position
            var whole = true
            if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
            while position < bytes.count {
                let byte = bytes[position]
                if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                    position += 1
                } else if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") {
                    whole = false
                    position += 1
                } else {
                    break
                }
            }
            guard position > start else { return nil }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
            guard let double = Double(text) else { return nil }
            return .number(double, whole ? Int64(text) : nil)
        }
    }

    private struct TreeDecoder: Decoder {
        let tree: Tree
        init(_ tree: Tree) { self.tree = tree }
        var codingPath: [any CodingKey] { [] }
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
            guard case .object(let entries) = tree else { throw Failure() }
            return KeyedDecodingContainer(Keyed<Key>(entries: entries))
        }

        func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
            guard case .array(let elements) = tree else { throw Failure() }
            return Unkeyed(elements: elements)
        }

        func singleValueContainer() throws -> any SingleValueDecodingContainer { Single(tree: tree) }
    }

    /// What a value of the tree decodes as.
    private static func value<T: Decodable>(_ type: T.Type, _ tree: Tree) throws -> T {
        // `JSONDecoder` reads these its own way; they are left to it.
        if T.self == Data.self || T.self == URL.self || T.self == Decimal.self { throw Failure() }
        return try T(from: TreeDecoder(tree))
    }

    fileprivate static func string(_ tree: Tree) throws -> String {
        guard case .string(let value) = tree else { throw Failure() }
        return value
    }

    fileprivate static func bool(_ tree: Tree) throws -> Bool {
        guard case .bool(let value) = tree else { throw Failure() }
        return value
    }

    fileprivate static func double(_ tree: Tree) throws -> Double {
        guard case .number(let value, _) = tree else { throw Failure() }
        return value
    }

    fileprivate static func integer<I: FixedWidthInteger>(_ tree: Tree) throws -> I {
        guard case .number(_, let whole?) = tree, let value = I(exactly: whole) else { throw Failure() }
        return value
    }

    private struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let entries: [(key: String, value: Tree)]
        var codingPath: [any CodingKey] { [] }
        var allKeys: [Key] { entries.compactMap { Key(stringValue: $0.key) } }

        private func find(_ key: Key) -> Tree? {
            let name = key.stringValue
            // The first of a key given twice, as `JSONDecoder` takes it.
            for entry in entries where entry.key == name { return entry.value }
            return nil
        }

        private func tree(_ key: Key) throws -> Tree {
            guard let tree = find(key) else { throw Failure() }
            return tree
        }

        func contains(_ key: Key) -> Bool { find(key) != nil }

        func decodeNil(forKey key: Key) throws -> Bool {
            if case .null = try tree(key) { return true }
            return false
        }

        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try QuickJSONDecoder.bool(tree(key)) }
        func decode(_ type: String.Type, forKey key: Key) throws -> String { try QuickJSONDecoder.string(tree(key)) }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try QuickJSONDecoder.double(tree(key)) }
        func decode(_ type: Float.Type, forKey key: Key) throws -> Float { Float(try QuickJSONDecoder.double(tree(key))) }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try QuickJSONDecoder.integer(tree(key)) }
        func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try QuickJSONDecoder.integer(tree(key)) }
        func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try QuickJSONDecoder.integer(tree(key)) }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try QuickJSONDecoder.integer(tree(key)) }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try QuickJSONDecoder.integer(tree(key)) }
        func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try QuickJSONDecoder.integer(tree(key)) }
        func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try QuickJSONDecoder.integer(tree(key)) }
        func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try QuickJSONDecoder.integer(tree(key)) }
        func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try QuickJSONDecoder.integer(tree(key)) }
        func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try QuickJSONDecoder.integer(tree(key)) }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try QuickJSONDecoder.value(type, tree(key)) }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            try TreeDecoder(tree(key)).container(keyedBy: type)
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { try TreeDecoder(tree(key)).unkeyedContainer() }
        func superDecoder() throws -> any Decoder { throw Failure() }
        func superDecoder(forKey key: Key) throws -> any Decoder { throw Failure() }
    }

    private struct Unkeyed: UnkeyedDecodingContainer {
        let elements: [Tree]
        var currentIndex = 0
        var codingPath: [any CodingKey] { [] }
        var count: Int? { elements.count }
        var isAtEnd: Bool { currentIndex >= elements.count }

        /// The next element read as `read` reads it; the container moves past it only when it reads (`try?` one
        /// type, then another, as `JSONDecoder` allows).
        private mutating func next<T>(_ read: (Tree) throws -> T) throws -> T {
            guard currentIndex < elements.count else { throw Failure() }
            let value = try read(elements[currentIndex])
            currentIndex += 1
            return value
        }

        mutating func decodeNil() throws -> Bool {
            guard currentIndex < elements.count else { throw Failure() }
            if case .null = elements[currentIndex] { currentIndex += 1; return true }
            return false
        }

        mutating func decode(_ type: Bool.Type) throws -> Bool { try next { try QuickJSONDecoder.bool($0) } }
        mutating func decode(_ type: String.Type) throws -> String { try next { try QuickJSONDecoder.string($0) } }
        mutating func decode(_ type: Double.Type) throws -> Double { try next { try QuickJSONDecoder.double($0) } }
        mutating func decode(_ type: Float.Type) throws -> Float { Float(try next { try QuickJSONDecoder.double($0) }) }
        mutating func decode(_ type: Int.Type) throws -> Int { try next { try QuickJSONDecoder.integer($0) } }
        mutating func decode(_ type: Int8.Type) throws -> Int8 { try next { try QuickJSONDecoder.integer($0) } }
        mutating func decode(_ type: Int16.Type) throws -> Int16 { try next { try QuickJSONDecoder.integer($0) } }
        mutating func decode(_ type: Int32.Type) throws -> Int32 { try next { try QuickJSONDecoder.integer($0) } }
        mutating func decode(_ type: Int64.Type) throws -> Int64 { try next { try QuickJSONDecoder.integer($0) } }
        mutating func decode(_ type: UInt.Type) throws -> UInt { try next { try QuickJSONDecoder.integer($0) } }
        mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next { try QuickJSONDecoder.integer($0) } }
        mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next { try QuickJSONDecoder.integer($0) } }
        mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next { try QuickJSONDecoder.integer($0) } }
        mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next { try QuickJSONDecoder.integer($0) } }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next { try QuickJSONDecoder.value(type, $0) } }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            try next { try TreeDecoder($0).container(keyedBy: type) }
        }

        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next { try TreeDecoder($0).unkeyedContainer() } }
        mutating func superDecoder() throws -> any Decoder { throw Failure() }
    }

    private struct Single: SingleValueDecodingContainer {
        let tree: Tree
        var codingPath: [any CodingKey] { [] }

        func decodeNil() -> Bool {
            if case .null = tree { return true }
            return false
        }

        func decode(_ type: Bool.Type) throws -> Bool { try QuickJSONDecoder.bool(tree) }
        func decode(_ type: String.Type) throws -> String { try QuickJSONDecoder.string(tree) }
        func decode(_ type: Double.Type) throws -> Double { try QuickJSONDecoder.double(tree) }
        func decode(_ type: Float.Type) throws -> Float { Float(try QuickJSONDecoder.double(tree)) }
        func decode(_ type: Int.Type) throws -> Int { try QuickJSONDecoder.integer(tree) }
        func decode(_ type: Int8.Type) throws -> Int8 { try QuickJSONDecoder.integer(tree) }
        func decode(_ type: Int16.Type) throws -> Int16 { try QuickJSONDecoder.integer(tree) }
        func decode(_ type: Int32.Type) throws -> Int32 { try QuickJSONDecoder.integer(tree) }
        func decode(_ type: Int64.Type) throws -> Int64 { try QuickJSONDecoder.integer(tree) }
        func decode(_ type: UInt.Type) throws -> UInt { try QuickJSONDecoder.integer(tree) }
        func decode(_ type: UInt8.Type) throws -> UInt8 { try QuickJSONDecoder.integer(tree) }
        func decode(_ type: UInt16.Type) throws -> UInt16 { try QuickJSONDecoder.integer(tree) }
        func decode(_ type: UInt32.Type) throws -> UInt32 { try QuickJSONDecoder.integer(tree) }
        func decode(_ type: UInt64.Type) throws -> UInt64 { try QuickJSONDecoder.integer(tree) }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try QuickJSONDecoder.value(type, tree) }
    }
}
