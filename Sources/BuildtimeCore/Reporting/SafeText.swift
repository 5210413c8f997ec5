/// Text from logs, file names and the environment, made unable to act on a terminal or a document: every control
/// character (C0 but tab and, where asked, newline; DEL; C1, which takes in ESC's and the bell's work) and every bidi
/// override or isolate (which would reorder what a reader sees) is shown as a visible escape, `\x1B` or `\u{202E}`.
public enum SafeText {
    public static func escaped(_ text: String, keepingNewlines: Bool = false) -> String {
        // Nearly every string is clean: return it as it is.
        guard text.unicodeScalars.contains(where: { isUnsafe($0, keepingNewlines: keepingNewlines) }) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isUnsafe(scalar, keepingNewlines: keepingNewlines) {
                out.append(contentsOf: visible(scalar).unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// Whether `scalar` must be escaped.
    public static func isUnsafe(_ scalar: Unicode.Scalar, keepingNewlines: Bool = false) -> Bool {
        switch scalar.value {
        case 0x09: false
        case 0x0A: !keepingNewlines
        case 0x00...0x1F, 0x7F...0x9F: true
        // LRE, RLE, PDF, LRO, RLO; LRI, RLI, FSI, PDI.
        case 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    private static func visible(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        if scalar.value == 0x0A { return "\\n" }
        if scalar.value == 0x0D { return "\\r" }
        return scalar.value < 0x100 ? "\\x" + (hex.count < 2 ? "0" + hex : hex) : "\\u{\(hex)}"
    }
}
