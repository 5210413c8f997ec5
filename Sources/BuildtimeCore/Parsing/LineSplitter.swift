#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Cuts a stream of chunks into lines at `\n`, carrying a partial line from one chunk to the next.
struct LineSplitter {
    private var carry: [UInt8] = []

    /// Calls `body` with each complete line in `chunk` (without its `\n`).
    mutating func feed(_ chunk: UnsafeRawBufferPointer, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        guard let base = chunk.baseAddress?.assumingMemoryBound(to: UInt8.self), chunk.count > 0 else { return }
        var start = 0
        while start < chunk.count {
            guard let found = memchr(base + start, Int32(UInt8(ascii: "\n")), chunk.count - start) else { break }
            let end = UnsafeRawPointer(found) - UnsafeRawPointer(base)
            if carry.isEmpty {
                try body(UnsafeBufferPointer(start: base + start, count: end - start))
            } else {
                carry.append(contentsOf: UnsafeBufferPointer(start: base + start, count: end - start))
                try carry.withUnsafeBufferPointer(body)
                carry.removeAll(keepingCapacity: true)
            }
            start = end + 1
        }
        if start < chunk.count { carry.append(contentsOf: UnsafeBufferPointer(start: base + start, count: chunk.count - start)) }
    }

    /// Calls `body` with the last line if the stream did not end with `\n`.
    mutating func finish(_ body: (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        guard !carry.isEmpty else { return }
        try carry.withUnsafeBufferPointer(body)
        carry.removeAll()
    }
}
