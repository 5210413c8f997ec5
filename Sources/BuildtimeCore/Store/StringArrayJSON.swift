/// A quick reader for the JSON arrays of strings the store keeps (evidence, error lines): reading thousands of them
/// with `JSONDecoder` dominated loading a report's history. Nil for anything it does not expect; the caller then
/// falls back to `JSONDecoder`.
enum StringArrayJSON {
    static func decode(_ json: String) -> [String]? {
        var utf8 = Array(json.utf8)[...]
        func skipSpaces() { while let byte = utf8.first, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { utf8.removeFirst() } }
        skipSpaces()
        guard utf8.popFirst() == UInt8(ascii: "[") else { return nil }
        var strings: [String] = []
        skipSpaces()
        if utf8.first == UInt8(ascii: "]") { utf8.removeFirst(); skipSpaces(); return utf8.isEmpty ? strings : nil }
        while true {
            skipSpaces()
            guard utf8.popFirst() == UInt8(ascii: "\""), let string = readString(&utf8) else { return nil }
            strings.append(string)
            skipSpaces()
            switch utf8.popFirst() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "]"):
                skipSpaces()
                return utf8.isEmpty ? strings : nil
            default: return nil
            }
        }
    }

    /// The rest of a string after its opening quote; escapes other than the simple ones (`\uXXXX`) give nil.
    private static func readString(_ utf8: inout ArraySlice<UInt8>) -> String? {
        var bytes: [UInt8] = []
        while let byte = utf8.popFirst() {
            switch byte {
            case UInt8(ascii: "\""): return String(decoding: bytes, as: UTF8.self)
            case UInt8(ascii: "\\"):
                switch utf8.popFirst() {
                case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "/"): bytes.append(UInt8(ascii: "/"))
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0C)
                default: return nil
                }
            default: bytes.append(byte)
            }
        }
        return nil
    }
}
