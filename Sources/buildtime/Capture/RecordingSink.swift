import BuildtimeCore
import CLinux
import Foundation

/// Hands each chunk of the command's output, once passed on and stamped with its arrival time, to the
/// recording on a thread of its own at the lowest priority: on a busy machine the output goes first and the analysis
/// catches up afterwards. Chunks wait for the analysis in memory up to `memoryLimit`, beyond that in an unlinked
/// temporary file; only when that file cannot be written (a full disk) does the reader wait for the analysis.
final class RecordingSink: @unchecked Sendable {
    private enum Chunk {
        case memory(Buffer)
        case spilled(offset: Int64, count: Int)
    }

    private let recording: Recording?
    private let condition = NSCondition()
    private var queue: [(chunk: Chunk, time: Int64, stream: Recording.Stream)] = []
    private var head = 0
    private var inMemory = 0
    /// Buffers given back by the analysis, for the next chunks: fresh memory costs a page fault per page.
    private var spare: [Buffer] = []
    private var finished = false
    /// Set when output that comes from now on is not to be taken (the command is over; what still holds its output
    /// is left behind).
    private var closed = false
    /// How many bytes wait in memory before the spill file is used.
    private let memoryLimit: Int
    /// Enough for the analysis to fall a dozen pipefuls behind without touching the spill file.
    static let defaultMemoryLimit = 16 << 20
    private var spill: Int32?
    private var spillEnd: Int64 = 0
    private var spillBroken = false
    private let done = DispatchSemaphore(value: 0)

    init(_ recording: Recording?, memoryLimit: Int = RecordingSink.defaultMemoryLimit) {
        self.recording = recording
        self.memoryLimit = memoryLimit
        guard recording != nil else { done.signal(); return }
        Thread.detachNewThread { [self] in
            // On Linux, nice is per thread: only the analysis yields to the command and its readers.
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
            analyse(untilFinished: true)
            done.signal()
        }
    }

    deinit {
        if let spill { close(spill) }
    }

    /// Takes a chunk that has been passed on.
    func receive(_ chunk: UnsafeRawBufferPointer, from stream: Recording.Stream) {
        guard let recording, chunk.count > 0 else { return }
        let time = recording.now()
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { return }
        if inMemory + chunk.count > memoryLimit, let offset = spillWrite(chunk) {
            enqueue(.spilled(offset: offset, count: chunk.count), time, stream)
        } else {
            let buffer = memoryBuffer(count: chunk.count)
            buffer.bytes.copyMemory(from: chunk)
            enqueue(.memory(buffer), time, stream)
        }
    }

    /// Takes `count` bytes that wait in the pipe `descriptor` and have been passed on (tee(2) copied them): moves them
    /// into memory, or past the memory limit straight from the pipe into the spill file (splice(2), no copy through
    /// buildtime). False when they cannot be read.
    func take(_ count: Int, from descriptor: Int32, stream: Recording.Stream, scratch: UnsafeMutableRawBufferPointer) -> Bool {
        guard let recording else { return readFully(descriptor, into: UnsafeMutableRawBufferPointer(rebasing: scratch[..<count])) }
        let time = recording.now()
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { return false }
        var moved = 0
        if inMemory + count > memoryLimit, let offset = spillOffset() {
            moved = spliceToSpill(from: descriptor, count: count, at: offset)
            if moved > 0 { enqueue(.spilled(offset: offset, count: moved), time, stream) }
        }
        // What the spill file did not take (none of it, or the rest after a full disk) waits in memory.
        guard moved < count else { return true }
        let buffer = memoryBuffer(count: count - moved)
        guard readFully(descriptor, into: buffer.bytes) else { return false }
        enqueue(.memory(buffer), time, stream)
        return true
    }

    /// A buffer of exactly `count` bytes, reused when one is spare; waits while the memory limit is reached and the
    /// analysis is behind. Called with the lock held.
    private func memoryBuffer(count: Int) -> Buffer {
        while inMemory > 0, inMemory + count > memoryLimit { condition.wait() }
        inMemory += count
        if let index = spare.lastIndex(where: { $0.capacity >= count }) {
            let buffer = spare.remove(at: index)
            buffer.count = count
            return buffer
        }
        return Buffer(count: count)
    }

    private func enqueue(_ chunk: Chunk, _ time: Int64, _ stream: Recording.Stream) {
        queue.append((chunk, time, stream))
        condition.broadcast()
    }

    /// Where the next spilled chunk goes, making the file on first use; nil when there is no usable spill file.
    private func spillOffset() -> Int64? {
        if spill == nil, !spillBroken {
            var template = Array(((ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp") + "/buildtime-spill-XXXXXX").utf8CString)
            let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            if descriptor >= 0 {
                template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
                spill = descriptor
            } else {
                spillBroken = true
            }
        }
        return spill != nil && !spillBroken ? spillEnd : nil
    }

    /// Moves up to `count` bytes from the pipe into the spill file at `offset`; how many it moved. A file that stops
    /// taking them (full disk, or one splice cannot write) is not used again.
    private func spliceToSpill(from descriptor: Int32, count: Int, at offset: Int64) -> Int {
        var moved = 0
        while moved < count {
            var position = CLongLong(offset) + CLongLong(moved)
            let result = bt_splice(descriptor, spill ?? -1, &position, count - moved)
            if result < 0, errno == EINTR { continue }
            guard result > 0 else { spillBroken = true; break }
            moved += result
        }
        spillEnd += Int64(moved)
        return moved
    }

    /// Appends to the spill file; its offset, or nil when it cannot be written.
    private func spillWrite(_ chunk: UnsafeRawBufferPointer) -> Int64? {
        guard let offset = spillOffset(), let spill else { return nil }
        var written = 0
        while written < chunk.count {
            let count = pwrite(spill, chunk.baseAddress! + written, chunk.count - written, off_t(offset) + off_t(written))
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { spillBroken = true; return nil }
            written += count
        }
        spillEnd += Int64(chunk.count)
        return offset
    }

    /// Takes chunks in the order they came. On the low-priority thread (`untilFinished`), until `drain` is called;
    /// `drain` then analyses the rest at its own, normal priority, so that a busy machine cannot starve the end of a
    /// recording.
    private func analyse(untilFinished: Bool) {
        var spilled = Buffer(count: 0)
        while true {
            condition.lock()
            while head == queue.count, !finished { condition.wait() }
            guard head < queue.count, !(untilFinished && finished) else { condition.unlock(); return }
            let next = queue[head]
            head += 1
            if head >= 4096 { queue.removeFirst(head); head = 0 }
            let spill = self.spill
            condition.unlock()
            switch next.chunk {
            case .memory(let buffer):
                recording?.receive(UnsafeRawBufferPointer(buffer.bytes), from: next.stream, at: next.time)
                condition.lock()
                inMemory -= buffer.count
                // Keep the largest: a small spare cannot take a pipeful.
                if spare.count < 64 {
                    spare.append(buffer)
                } else if let smallest = spare.indices.min(by: { spare[$0].capacity < spare[$1].capacity }),
                          spare[smallest].capacity < buffer.capacity {
                    spare[smallest] = buffer
                }
                condition.broadcast()
                condition.unlock()
            case .spilled(let offset, let count):
                if spilled.capacity < count { spilled = Buffer(count: count) }
                spilled.count = count
                if readFully(spill ?? -1, into: spilled.bytes, at: offset) {
                    recording?.receive(UnsafeRawBufferPointer(spilled.bytes), from: next.stream, at: next.time)
                }
            }
        }
    }

    /// Takes no more output: what the pipes still bring is passed on no further and not analysed.
    func stopTaking() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Analyses what is left, once the command's output has all been read, and returns when every chunk is done.
    func drain() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
        done.wait()
        if recording != nil { analyse(untilFinished: false) }
    }
}

/// Bytes allocated once and reused (no zeroing): `count` of its `capacity` are in use.
private final class Buffer {
    let base: UnsafeMutableRawPointer
    let capacity: Int
    var count: Int

    init(count: Int) {
        base = .allocate(byteCount: max(count, 1), alignment: 16)
        capacity = count
        self.count = count
    }

    deinit { base.deallocate() }

    var bytes: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: base, count: count) }
}

/// Reads exactly `buffer.count` bytes from `descriptor`, at `offset` in a file or else where it stands; false at an
/// error or the end of input.
private func readFully(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64? = nil) -> Bool {
    var done = 0
    while done < buffer.count {
        let remaining = buffer.count - done
        let count = offset.map { pread(descriptor, buffer.baseAddress! + done, remaining, off_t($0) + off_t(done)) }
            ?? read(descriptor, buffer.baseAddress! + done, remaining)
        if count < 0, errno == EINTR { continue }
        guard count > 0 else { return false }
        done += count
    }
    return true
}
