#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One line of BuildKit `--progress=plain` output, taken apart on bytes.
struct BuildKitLine {
    enum Kind {
        /// `#N CACHED`
        case cached
        /// `#N DONE 12.3s` (nil seconds for `#N DONE`)
        case done(Double?)
        /// `#N ERROR: message`
        case error
        /// `#N CANCELED`
        case canceled
        /// `#N 12.345 output text`: the seconds since the vertex started
        case output(Double?)
        /// `#N ...` (output switched to another vertex) and `#N WARN: ...`
        case ignorable
        /// `#N building with "default" instance using docker driver` (vertex 0)
        case buildStart
        /// A header (vertex name) or a status line; which one depends on what the build has seen.
        case text

        /// `CACHED`, `DONE`, `ERROR` or `CANCELED`: the vertex's terminal line.
        var isEnd: Bool {
            switch self {
            case .cached, .done, .error, .canceled: true
            case .output, .ignorable, .buildStart, .text: false
            }
        }
    }

    /// The vertex number; -1 when a CI's secret masking replaced its digits (`#*** CACHED`).
    var vertex: Int
    var kind: Kind
    /// What follows `#N ` (for `.output`, the text after the seconds; for `.error`, after `ERROR: `).
    var text: UnsafeBufferPointer<UInt8>

    /// Parses `line`, or returns nil when it is not a `#N` line.
    init?(_ line: UnsafeBufferPointer<UInt8>) {
        guard line.count >= 2, line[0] == UInt8(ascii: "#") else { return nil }
        var position = 1
        var vertex = 0
        var masked = false
        // At most 9 digits: a vertex number beyond that is no BuildKit's, and the sum cannot overflow. Once masked,
        // the digits no longer count (a mask may be followed by up to 64 of them: `#***123...`).
        while position < line.count, position < 10 || masked {
            let byte = line[position]
            if byte &- UInt8(ascii: "0") < 10 {
                if !masked { vertex = vertex * 10 + Int(byte &- UInt8(ascii: "0")) }
            } else if byte == UInt8(ascii: "*") {
                masked = true
            } else {
                break
            }
            position += 1
            if position > 64 { return nil }
        }
        guard position > 1 else { return nil }
        self.vertex = masked ? -1 : vertex
        if position == line.count {
            kind = .ignorable
            text = UnsafeBufferPointer(rebasing: line[position...])
            return
        }
        guard line[position] == UInt8(ascii: " ") else { return nil }
        var rest = UnsafeBufferPointer(rebasing: line[(position + 1)...])
        // Trailing spaces are common (`#36 DONE 0.2s      `).
        while let last = rest.last, last == UInt8(ascii: " ") { rest = UnsafeBufferPointer(rebasing: rest.dropLast()) }
        text = rest
        guard let first = rest.first else { kind = .ignorable; return }
        switch first {
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            // `12.345 text`: seconds with 1 to 3 decimals, then the output.
            var index = 0
            while index < rest.count, rest[index] &- UInt8(ascii: "0") < 10 { index += 1 }
            if index < rest.count, rest[index] == UInt8(ascii: "."), index + 1 < rest.count, rest[index + 1] &- UInt8(ascii: "0") < 10 {
                index += 1
                while index < rest.count, rest[index] &- UInt8(ascii: "0") < 10 { index += 1 }
                if index == rest.count || rest[index] == UInt8(ascii: " ") {
                    kind = .output(Self.decimal(UnsafeBufferPointer(rebasing: rest[0..<index])))
                    text = UnsafeBufferPointer(rebasing: rest[min(index + 1, rest.count)...])
                    return
                }
            }
            kind = .text
        case UInt8(ascii: "C"):
            if rest.count == 6, rest.starts(with: Prefix.cached) { kind = .cached }
            else if rest.count == 8, rest.starts(with: Prefix.canceled) { kind = .canceled }
            else { kind = .text }
        case UInt8(ascii: "D"):
            if rest.starts(with: Prefix.done) && (rest.count == 4 || rest[4] == UInt8(ascii: " ")) {
                kind = .done(rest.count > 5 && rest.last == UInt8(ascii: "s") ? Self.decimal(UnsafeBufferPointer(rebasing: rest[5..<(rest.count - 1)])) : nil)
            } else { kind = .text }
        case UInt8(ascii: "E"):
            if rest.starts(with: Prefix.error) {
                kind = .error
                var start = 5
                if start < rest.count, rest[start] == UInt8(ascii: ":") { start += 1 }
                while start < rest.count, rest[start] == UInt8(ascii: " ") { start += 1 }
                text = UnsafeBufferPointer(rebasing: rest[start...])
            } else { kind = .text }
        case UInt8(ascii: "W"):
            kind = rest.starts(with: Prefix.warn) ? .ignorable : .text
        case UInt8(ascii: "."):
            kind = rest.count == 3 && rest.starts(with: Prefix.ellipsis) ? .ignorable : .text
        case UInt8(ascii: "b"):
            kind = vertex == 0 && rest.starts(with: Prefix.buildingWith) ? .buildStart : .text
        default:
            kind = .text
        }
    }
}

extension BuildKitLine {
    /// `12.3` as a number, without making a string; nil for anything but digits with at most one point.
    static func decimal(_ text: UnsafeBufferPointer<UInt8>) -> Double? {
        var whole = 0.0, scale = 0.0, digits = 0
        for byte in text {
            if byte == UInt8(ascii: "."), scale == 0 {
                scale = 1
            } else if byte &- UInt8(ascii: "0") < 10 {
                if scale > 0 { scale /= 10; whole += Double(byte &- UInt8(ascii: "0")) * scale } else { whole = whole * 10 + Double(byte &- UInt8(ascii: "0")) }
                digits += 1
            } else {
                return nil
            }
        }
        // At most 1e7 s (115 days): a longer step is a broken line, ignored rather than carried into every sum.
        return digits > 0 && digits <= 12 && whole <= 1e7 ? whole : nil
    }
}

extension UnsafeBufferPointer where Element == UInt8 {
    /// Whether the bytes start with `prefix`.
    func starts(with prefix: String.UTF8View) -> Bool {
        let fast = prefix.withContiguousStorageIfAvailable { bytes -> Bool in
            guard count >= bytes.count, let base = baseAddress else { return bytes.isEmpty }
            return memcmp(base, bytes.baseAddress!, bytes.count) == 0
        }
        if let fast { return fast }
        return starts(with: Array(prefix))
    }

    func starts(with prefix: [UInt8]) -> Bool {
        guard count >= prefix.count, let base = baseAddress else { return prefix.isEmpty }
        return prefix.withUnsafeBytes { memcmp(base, $0.baseAddress!, prefix.count) == 0 }
    }

    var string: String { String(decoding: self, as: UTF8.self) }
}
