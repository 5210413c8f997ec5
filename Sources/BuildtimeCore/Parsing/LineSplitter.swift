#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Cuts a stream of chunks into lines at `\n`, carrying a partial line from one chunk to the next. A line is handed on
/// with at most its first `LineSplitter.maximumLength` bytes: memory never grows with the longest line (a file of
/// zeros, a minified bundle printed whole), and no analysis of a line costs more than that prefix does.
struct LineSplitter {
    /// The longest line kept, in bytes: far beyond any line a person reads in a log.
    static let maximumLength = 1 << 20

    private var carry: [UInt8] = []
    /// Bytes of the current line that went beyond the maximum and were dropped.
    private var dropped = 0
    /// Lines that were cut to the maximum.
    private(set) var cutLines = 0

    /// Calls `body` with each complete line in `chunk` (without its `\n`).
    mutating func feed(_ chunk: UnsafeRawBufferPointer, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        guard let base = chunk.baseAddress?.assumingMemoryBound(to: UInt8.self), chunk.count > 0 else { return }
        var start = 0
        while start < chunk.count {
            guard let found = memchr(base + start, Int32(UInt8(ascii: "\n")), chunk.count - start) else { break }
            let end = UnsafeRawPointer(found) - UnsafeRawPointer(base)
            if carry.isEmpty, dropped == 0 {
                try body(UnsafeBufferPointer(start: base + start, count: min(end - start, Self.maximumLength)))
                if end - start > Self.maximumLength { cutLines += 1 }
            } else {
                keep(UnsafeBufferPointer(start: base + start, count: end - start))
                try carry.withUnsafeBufferPointer(body)
                if dropped > 0 { cutLines += 1 }
                carry.removeAll(keepingCapacity: carry.capacity <= 1 << 16)
                dropped = 0
            }
            start = end + 1
        }
        if start < chunk.count { keep(UnsafeBufferPointer(start: base + start, count: chunk.count - start)) }
    }

    /// Adds to the partial line what fits under the maximum.
    private mutating func keep(_ bytes: UnsafeBufferPointer<UInt8>) {
        let room = max(Self.maximumLength - carry.count, 0)
        carry.append(contentsOf: UnsafeBufferPointer(rebasing: bytes.prefix(room)))
        dropped += bytes.count - min(room, bytes.count)
    }

    /// Calls `body` with the last line if the stream did not end with `\n`.
    mutating func finish(_ body: (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        guard !carry.isEmpty else { return }
        try carry.withUnsafeBufferPointer(body)
        if dropped > 0 { cutLines += 1 }
        carry.removeAll()
        dropped = 0
    }
}
