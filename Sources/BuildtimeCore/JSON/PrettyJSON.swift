import Foundation

/// JSON exactly as `JSONEncoder` writes it with `[.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]` and
/// non-finite numbers as the strings `"Infinity"`, `"-Infinity"` and `"NaN"`, byte for byte, written straight into a
/// buffer: no tree of values and no dynamic casts on the way, which made `JSONEncoder` most of the time of listing
/// many runs as JSON.
///
/// An object's entries are written as they come, each at its place in the buffer; when the object ends they are put
/// in the order of their keys (their bytes moved once). A value of a kind this writer does not write as
/// `JSONEncoder` does (`URL`, `Data`, `Decimal`, a nested or super encoder) makes `encode` use `JSONEncoder` for the
/// whole value instead, so the output is the same either way.
public enum PrettyJSON {
    /// `value` as pretty JSON (no newline at the end). `dates` writes a `Date` as the string it returns, as
    /// `JSONEncoder.DateEncodingStrategy.custom` with a string does; without it a `Date` is what its own encoding says.
    public static func encode<T: Encodable>(_ value: T, dates: (@Sendable (Date) -> String)? = nil) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try encode(value, into: &bytes, indent: 0, dates: dates)
        return bytes
    }

    /// Appends `value` to `bytes` as it would be written `indent` levels deep (its lines after the first indented so).
    public static func encode<T: Encodable>(_ value: T, into bytes: inout [UInt8], indent: Int, dates: (@Sendable (Date) -> String)? = nil) throws {
        let start = bytes.count
        if try written(value, into: &bytes, indent: indent, dates: dates) { return }
        bytes.removeSubrange(start...)
        bytes += try foundation(value, indent: indent, dates: dates)
    }

    /// `value`, which writes itself (the documents listed by the thousand), as `encode` writes any value.
    static func encode<T: PrettyJSONWritable>(_ value: T) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try encode(value, into: &bytes, indent: 0)
        return bytes
    }

    static func encode<T: PrettyJSONWritable>(_ value: T, into bytes: inout [UInt8], indent: Int) throws {
        let start = bytes.count
        if try written(value, into: &bytes, indent: indent) { return }
        bytes.removeSubrange(start...)
        bytes += try foundation(value, indent: indent, dates: nil)
    }

    /// Appends `value` as it writes itself: false (and some bytes appended) when it holds something left to `JSONEncoder`.
    static func written<T: PrettyJSONWritable>(_ value: T, into bytes: inout [UInt8], indent: Int) throws -> Bool {
        try writing(into: &bytes, dates: nil) { try value.write(to: $0, depth: indent) }
    }

    /// Appends `value` as `encode` does, without `JSONEncoder`: false (and some bytes appended) when the value holds
    /// something this writer leaves to it.
    static func written<T: Encodable>(_ value: T, into bytes: inout [UInt8], indent: Int, dates: (@Sendable (Date) -> String)?) throws -> Bool {
        try writing(into: &bytes, dates: dates) { try $0.value(value, depth: indent) }
    }

    /// What `write` writes with a writer over `bytes`, and whether it wrote it all itself.
    private static func writing(into bytes: inout [UInt8], dates: (@Sendable (Date) -> String)?, _ write: (Writer) throws -> Void) throws -> Bool {
        let writer = Writer(dates: dates)
        swap(&writer.bytes, &bytes)
        defer { swap(&writer.bytes, &bytes) }
        do {
            try write(writer)
        } catch is Unsupported {
            return false
        }
        return !writer.unsupported
    }

    /// What `JSONEncoder` writes, indented `indent` levels.
    private static func foundation<T: Encodable>(_ value: T, indent: Int, dates: (@Sendable (Date) -> String)?) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        if let dates {
            encoder.dateEncodingStrategy = .custom { date, encoder in
                var container = encoder.singleValueContainer()
                try container.encode(dates(date))
            }
        }
        let data = try encoder.encode(value)
        guard indent > 0 else { return Array(data) }
        var out: [UInt8] = []
        out.reserveCapacity(data.count + data.count / 8)
        for byte in data {
            out.append(byte)
            if byte == newline { out += repeatElement(space, count: 2 * indent) }
        }
        return out
    }

    struct Unsupported: Error {}

    fileprivate static let newline = UInt8(ascii: "\n"), space = UInt8(ascii: " "), quote = UInt8(ascii: "\"")

    /// The buffer and, for each depth, the container open there: containers nest strictly, one open per depth.
    final class Writer {
        var bytes: [UInt8] = []
        let dates: (@Sendable (Date) -> String)?
        var unsupported = false
        /// Per depth: where the open object's entries start in `bytes` and each entry's key and range, or the open
        /// array's element count.
        var objects: [(start: Int, entries: [(key: String, start: Int, end: Int)])] = []
        var counts: [Int] = []
        /// What the value being written at each depth opened: 0 nothing yet, 1 an object, 2 an array, 3 a single value.
        var opened: [UInt8] = []
        private var scratch: [UInt8] = []

        init(dates: (@Sendable (Date) -> String)?) { self.dates = dates }

        func ensure(_ depth: Int) {
            while opened.count <= depth {
                opened.append(0)
                objects.append((0, []))
                counts.append(0)
            }
        }

        /// Writes a value at `depth` and closes what it opened.
        func value<T: Encodable>(_ value: T, depth: Int) throws {
            if T.self == Date.self, let dates { return string(dates(value as! Date)) }
            if T.self == URL.self || T.self == Data.self || T.self == Decimal.self {
                unsupported = true
                throw Unsupported()
            }
            ensure(depth)
            let outer = opened[depth]
            opened[depth] = 0
            try value.encode(to: ByteEncoder(writer: self, depth: depth))
            switch opened[depth] {
            case 1: closeObject(depth)
            case 2: closeArray(depth)
            // A value that wrote nothing: what `JSONEncoder` makes of it is left to it.
            case 0: unsupported = true
            default: break
            }
            opened[depth] = outer
        }

        func open(_ kind: UInt8, _ depth: Int) -> Bool {
            guard opened[depth] == 0 else {
                // A second container for the same value: `JSONEncoder` merges them; this writer does not.
                if opened[depth] != kind || kind == 3 { unsupported = true }
                return false
            }
            opened[depth] = kind
            if kind == 1 {
                bytes.append(UInt8(ascii: "{"))
                objects[depth].start = bytes.count
                objects[depth].entries.removeAll(keepingCapacity: true)
            } else if kind == 2 {
                bytes.append(UInt8(ascii: "["))
                counts[depth] = 0
            }
            return true
        }

        /// Starts an object's entry: its key; the value follows.
        func key(_ key: String, _ depth: Int) {
            objects[depth].entries.append((key, bytes.count, 0))
            string(key)
            bytes.append(space)
            bytes.append(UInt8(ascii: ":"))
            bytes.append(space)
        }

        func endEntry(_ depth: Int) { objects[depth].entries[objects[depth].entries.count - 1].end = bytes.count }

        /// Starts an array's element.
        func element(_ depth: Int) {
            bytes.append(counts[depth] == 0 ? newline : UInt8(ascii: ","))
            if counts[depth] > 0 { bytes.append(newline) }
            indent(depth + 1)
            counts[depth] += 1
        }

        func closeArray(_ depth: Int) {
            if counts[depth] == 0 { bytes.append(newline) }
            bytes.append(newline)
            indent(depth)
            bytes.append(UInt8(ascii: "]"))
        }

        func closeObject(_ depth: Int) {
            let (start, entries) = objects[depth]
            if entries.isEmpty {
                bytes += [newline, newline]
            } else {
                // Entries in the order of their keys' bytes (as `JSONEncoder` sorts them), a key given twice once,
                // its last value.
                var order = Array(entries.indices)
                order.sort { a, b in
                    let (x, y) = (entries[a].key, entries[b].key)
                    return x == y ? a < b : x.utf8.lexicographicallyPrecedes(y.utf8)
                }
                scratch.removeAll(keepingCapacity: true)
                scratch.append(contentsOf: bytes[start...])
                bytes.removeSubrange(start...)
                for (position, index) in order.enumerated() {
                    if position + 1 < order.count, entries[order[position + 1]].key == entries[index].key { continue }
                    bytes.append(position == 0 ? newline : UInt8(ascii: ","))
                    if position > 0 { bytes.append(newline) }
                    indent(depth + 1)
                    bytes += scratch[(entries[index].start - start)..<(entries[index].end - start)]
                }
                bytes.append(newline)
            }
            indent(depth)
            bytes.append(UInt8(ascii: "}"))
        }

        func indent(_ depth: Int) {
            let count = 2 * depth
            if count <= Self.spaces.count { bytes += Self.spaces[..<count] } else { bytes += repeatElement(space, count: count) }
        }

        private static let spaces = [UInt8](repeating: space, count: 64)
        /// What follows a key: `" : `.
        fileprivate static let afterKey: [UInt8] = [quote, space, UInt8(ascii: ":"), space]

        /// An object at `depth` whose fields `body` writes, in the order of their keys.
        func object(_ depth: Int, _ body: (inout Fields) throws -> Void) rethrows {
            bytes.append(UInt8(ascii: "{"))
            var fields = Fields(writer: self, depth: depth)
            try body(&fields)
            bytes.append(newline)
            if fields.count == 0 { bytes.append(newline) }
            indent(depth)
            bytes.append(UInt8(ascii: "}"))
        }

        /// An array at `depth` of `elements`, each written by `element` at the depth given.
        func array<Element>(_ elements: [Element], _ depth: Int, _ element: (Element, Int) throws -> Void) rethrows {
            bytes.append(UInt8(ascii: "["))
            for (index, item) in elements.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                bytes.append(newline)
                indent(depth + 1)
                try element(item, depth + 1)
            }
            bytes.append(newline)
            if elements.isEmpty { bytes.append(newline) }
            indent(depth)
            bytes.append(UInt8(ascii: "]"))
        }

        func string(_ value: String?) { if let value { string(value) } else { null() } }
        func integer<I: BinaryInteger>(_ value: I?) { if let value { integer(value) } else { null() } }
        func double(_ value: Double?) { if let value { double(value) } else { null() } }
        func bool(_ value: Bool?) { if let value { bool(value) } else { null() } }
        func strings(_ values: [String], _ depth: Int) { array(values, depth) { value, _ in string(value) } }

        func null() { bytes.append(contentsOf: "null".utf8) }

        func bool(_ value: Bool) { bytes.append(contentsOf: value ? "true".utf8 : "false".utf8) }

        func integer<I: BinaryInteger>(_ value: I) {
            if value == 0 { return bytes.append(UInt8(ascii: "0")) }
            var magnitude = value.magnitude
            var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
            var count = 0
            withUnsafeMutableBytes(of: &digits) { buffer in
                while magnitude > 0 {
                    buffer[23 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                    magnitude /= 10
                    count += 1
                }
                if value < 0 { bytes.append(UInt8(ascii: "-")) }
                bytes += buffer[(24 - count)...]
            }
        }

        func double(_ value: Double) {
            guard value.isFinite else {
                return string(value.isNaN ? "NaN" : value < 0 ? "-Infinity" : "Infinity")
            }
            // Whole numbers short of where `description` turns to an exponent: their digits, as `description` writes
            // them less its ".0".
            if value == value.rounded(.towardZero), abs(value) < 1e15, !(value == 0 && value.sign == .minus) {
                return integer(Int64(value))
            }
            var text = value.description
            if text.hasSuffix(".0") { text.removeLast(2) }
            bytes += text.utf8
        }

        func float(_ value: Float) {
            guard value.isFinite else { return string(value.isNaN ? "NaN" : value < 0 ? "-Infinity" : "Infinity") }
            var text = value.description
            if text.hasSuffix(".0") { text.removeLast(2) }
            bytes += text.utf8
        }

        /// A JSON string: quotes, backslashes and control characters escaped, slashes and the rest as they are.
        func string(_ value: String) {
            bytes.append(quote)
            var value = value
            value.withUTF8 { utf8 in
                var run = 0
                for (index, byte) in utf8.enumerated() where byte < 0x20 || byte == quote || byte == UInt8(ascii: "\\") {
                    bytes += UnsafeBufferPointer(rebasing: utf8[run..<index])
                    run = index + 1
                    switch byte {
                    case quote: bytes += [UInt8(ascii: "\\"), quote]
                    case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
                    case 0x0A: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
                    case 0x0D: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
                    case 0x09: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
                    case 0x08: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
                    case 0x0C: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
                    default:
                        let hex = Array("0123456789abcdef".utf8)
                        bytes += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
                    }
                }
                bytes += UnsafeBufferPointer(rebasing: utf8[run...])
            }
            bytes.append(quote)
        }
    }

    /// The fields of an object being written: each key (given in order) and then its value.
    struct Fields {
        let writer: Writer
        let depth: Int
        fileprivate(set) var count = 0

        /// Starts the field `key`; its value is to be written at `depth + 1`.
        mutating func key(_ key: StaticString) {
            let bytes = UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
            writer.bytes.append(count == 0 ? newline : UInt8(ascii: ","))
            if count > 0 { writer.bytes.append(newline) }
            writer.indent(depth + 1)
            writer.bytes.append(quote)
            writer.bytes += bytes
            writer.bytes += Writer.afterKey
            count += 1
        }

        mutating func string(_ key: StaticString, _ value: String?) { self.key(key); writer.string(value) }
        mutating func integer<I: BinaryInteger>(_ key: StaticString, _ value: I?) { self.key(key); writer.integer(value) }
        mutating func double(_ key: StaticString, _ value: Double?) { self.key(key); writer.double(value) }
        mutating func bool(_ key: StaticString, _ value: Bool?) { self.key(key); writer.bool(value) }
        mutating func strings(_ key: StaticString, _ values: [String]) { self.key(key); writer.strings(values, depth + 1) }
        mutating func strings(_ key: StaticString, _ values: [String]?) {
            self.key(key)
            if let values { writer.strings(values, depth + 1) } else { writer.null() }
        }

        /// A value of any other kind, by its own encoding.
        mutating func value<T: Encodable>(_ key: StaticString, _ value: T) throws {
            self.key(key)
            try writer.value(value, depth: depth + 1)
        }

        /// A value that writes itself.
        mutating func writable<T: PrettyJSONWritable>(_ key: StaticString, _ value: T) throws {
            self.key(key)
            try value.write(to: writer, depth: depth + 1)
        }

        /// A value that writes itself, or `null`.
        mutating func writable<T: PrettyJSONWritable>(_ key: StaticString, _ value: T?) throws {
            self.key(key)
            if let value { try value.write(to: writer, depth: depth + 1) } else { writer.null() }
        }

        mutating func array<Element>(_ key: StaticString, _ elements: [Element], _ element: (Element, Int) throws -> Void) rethrows {
            self.key(key)
            try writer.array(elements, depth + 1, element)
        }

        /// An array, or `null`.
        mutating func array<Element>(_ key: StaticString, _ elements: [Element]?, _ element: (Element, Int) throws -> Void) rethrows {
            self.key(key)
            if let elements { try writer.array(elements, depth + 1, element) } else { writer.null() }
        }
    }

    fileprivate struct ByteEncoder: Encoder {
        let writer: Writer
        let depth: Int
        var codingPath: [any CodingKey] { [] }
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            _ = writer.open(1, depth)
            return KeyedEncodingContainer(KeyedContainer<Key>(writer: writer, depth: depth))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            _ = writer.open(2, depth)
            return UnkeyedContainer(writer: writer, depth: depth)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer {
            SingleContainer(writer: writer, depth: depth)
        }
    }

    fileprivate struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let writer: Writer
        let depth: Int
        var codingPath: [any CodingKey] { [] }

        private func put(_ key: Key, _ write: () -> Void) {
            writer.key(key.stringValue, depth)
            write()
            writer.endEntry(depth)
        }

        mutating func encodeNil(forKey key: Key) throws { put(key) { writer.null() } }
        mutating func encode(_ value: Bool, forKey key: Key) throws { put(key) { writer.bool(value) } }
        mutating func encode(_ value: String, forKey key: Key) throws { put(key) { writer.string(value) } }
        mutating func encode(_ value: Double, forKey key: Key) throws { put(key) { writer.double(value) } }
        mutating func encode(_ value: Float, forKey key: Key) throws { put(key) { writer.float(value) } }
        mutating func encode(_ value: Int, forKey key: Key) throws { put(key) { writer.integer(value) } }
        mutating func encode(_ value: Int8, forKey key: Key) throws { put(key) { writer.integer(value) } }
        mutating func encode(_ value: Int16, forKey key: Key) throws { put(key) { writer.integer(value) } }
        mutating func encode(_ value: Int32, forKey key: Key) throws { put(key) { writer.integer(value) } }
        mutating func encode(_ value: Int64, forKey key: Key) throws { put(key) { writer.integer(value) } }
        mutating func encode(_ value: UInt, forKey key: Key) throws { put(key) { writer.integer(value) } }
        mutating func encode(_ value: UInt8, forKey key: Key) throws { put(key) { writer.integer(value) } }
        mutating func encode(_ value: UInt16, forKey key: Key) throws { put(key) { writer.integer(value) } }
        mutating func encode(_ value: UInt32, forKey key: Key) throws { put(key) { writer.integer(value) } }
        mutating func encode(_ value: UInt64, forKey key: Key) throws { put(key) { writer.integer(value) } }

        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            writer.key(key.stringValue, depth)
            try writer.value(value, depth: depth + 1)
            writer.endEntry(depth)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            writer.unsupported = true
            return KeyedEncodingContainer(KeyedContainer<NestedKey>(writer: writer, depth: depth + 1))
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            writer.unsupported = true
            return UnkeyedContainer(writer: writer, depth: depth + 1)
        }

        mutating func superEncoder() -> any Encoder {
            writer.unsupported = true
            return ByteEncoder(writer: writer, depth: depth + 1)
        }

        mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder() }
    }

    /// A container that writes each value where `put` says, the same way for every kind of primitive.
    fileprivate protocol PrimitiveWriting {
        var writer: Writer { get }
        func put(_ write: () -> Void)
    }

    fileprivate struct UnkeyedContainer: UnkeyedEncodingContainer, PrimitiveWriting {
        let writer: Writer
        let depth: Int
        var codingPath: [any CodingKey] { [] }
        var count: Int { writer.counts[depth] }

        func put(_ write: () -> Void) {
            writer.element(depth)
            write()
        }

        mutating func encode<T: Encodable>(_ value: T) throws {
            writer.element(depth)
            try writer.value(value, depth: depth + 1)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            writer.unsupported = true
            return KeyedEncodingContainer(KeyedContainer<NestedKey>(writer: writer, depth: depth + 1))
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            writer.unsupported = true
            return UnkeyedContainer(writer: writer, depth: depth + 1)
        }

        mutating func superEncoder() -> any Encoder {
            writer.unsupported = true
            return ByteEncoder(writer: writer, depth: depth + 1)
        }
    }

    fileprivate struct SingleContainer: SingleValueEncodingContainer, PrimitiveWriting {
        let writer: Writer
        let depth: Int
        var codingPath: [any CodingKey] { [] }

        func put(_ write: () -> Void) {
            guard writer.open(3, depth) else { return }
            write()
        }

        mutating func encode<T: Encodable>(_ value: T) throws {
            // The value's own encoding stands for it, at the same depth (an enum's raw value, a wrapper's content).
            guard writer.opened[depth] == 0 else { writer.unsupported = true; return }
            try writer.value(value, depth: depth)
            writer.opened[depth] = 3
        }
    }
}

extension PrettyJSON.PrimitiveWriting {
    mutating func encodeNil() throws { put { writer.null() } }
    mutating func encode(_ value: Bool) throws { put { writer.bool(value) } }
    mutating func encode(_ value: String) throws { put { writer.string(value) } }
    mutating func encode(_ value: Double) throws { put { writer.double(value) } }
    mutating func encode(_ value: Float) throws { put { writer.float(value) } }
    mutating func encode(_ value: Int) throws { put { writer.integer(value) } }
    mutating func encode(_ value: Int8) throws { put { writer.integer(value) } }
    mutating func encode(_ value: Int16) throws { put { writer.integer(value) } }
    mutating func encode(_ value: Int32) throws { put { writer.integer(value) } }
    mutating func encode(_ value: Int64) throws { put { writer.integer(value) } }
    mutating func encode(_ value: UInt) throws { put { writer.integer(value) } }
    mutating func encode(_ value: UInt8) throws { put { writer.integer(value) } }
    mutating func encode(_ value: UInt16) throws { put { writer.integer(value) } }
    mutating func encode(_ value: UInt32) throws { put { writer.integer(value) } }
    mutating func encode(_ value: UInt64) throws { put { writer.integer(value) } }
}

/// A value that writes its own pretty JSON, keys in order, exactly as its `Encodable` conformance would be written by
/// `PrettyJSON` (tests hold the two together): the documents listed by the thousand, where the generic encoding's
/// dispatch for every value was most of the time.
protocol PrettyJSONWritable: Encodable {
    func write(to writer: PrettyJSON.Writer, depth: Int) throws
}
