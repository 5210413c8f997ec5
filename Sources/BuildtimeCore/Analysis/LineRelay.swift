import Foundation

/// Hands a log's lines to a consumer on a thread of its own, in batches, so that reading and decoding a long log (the
/// caller's thread) and reading its Docker builds (the relay's) each take a core. The consumer sees every line once,
/// in order, and only on one thread at a time; at most two batches wait for it, so memory stays flat in the log's
/// size. A log shorter than one batch never leaves the caller's thread, and nothing does unless `threaded`.
final class LineRelay: @unchecked Sendable {
    // `consumer` is called on the caller's thread until the first batch is sent, then only on `queue`, until
    // `finish()` has waited for it: never on two threads at once.
    private let consumer: (LogLine) -> Void
    private let queue = DispatchQueue(label: "buildtime.line-relay")
    /// Batches sent and not yet consumed, at most two.
    private let room = DispatchSemaphore(value: 2)
    private var batch = Batch()
    private var sent = false
    private let threaded: Bool

    /// One batch: the lines' bytes end to end, and where each ends with what else it carries.
    private struct Batch: Sendable {
        var bytes: [UInt8] = []
        var lines: [(end: Int, time: Double?, number: Int, sourceLine: Int)] = []
        var isFull: Bool { bytes.count >= 1 << 20 || lines.count >= 16_384 }
    }

    init(threaded: Bool, _ consumer: @escaping (LogLine) -> Void) {
        self.threaded = threaded
        self.consumer = consumer
    }

    func consume(_ line: LogLine) {
        guard threaded else { return consumer(line) }
        batch.bytes.append(contentsOf: line.text)
        batch.lines.append((batch.bytes.count, line.time, line.number, line.sourceLine))
        if batch.isFull { send() }
    }

    /// Waits until the consumer has seen every line consumed so far.
    func finish() {
        guard threaded else { return }
        if sent {
            if !batch.lines.isEmpty { send() }
            queue.sync {}
        } else {
            // Shorter than one batch: read here, no thread needed.
            deliver(batch)
            batch = Batch()
        }
    }

    private func send() {
        let full = batch
        batch = Batch()
        batch.bytes.reserveCapacity(full.bytes.capacity)
        batch.lines.reserveCapacity(full.lines.capacity)
        sent = true
        room.wait()
        queue.async { [self] in
            deliver(full)
            room.signal()
        }
    }

    private func deliver(_ batch: Batch) {
        batch.bytes.withUnsafeBufferPointer { bytes in
            var start = 0
            for line in batch.lines {
                consumer(LogLine(text: UnsafeBufferPointer(rebasing: bytes[start..<line.end]), time: line.time, number: line.number,
                                 sourceLine: line.sourceLine))
                start = line.end
            }
        }
    }
}
