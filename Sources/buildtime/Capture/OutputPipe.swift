import BuildtimeCore
import CLinux
import Foundation
import SystemPackage

/// A pipe for one of the command's outputs, with a large buffer, whose read end a thread drains.
final class OutputPipe: @unchecked Sendable {
    let readEnd: Int32
    let writeEnd: Int32
    private let lock = NSLock()
    private var taken = 0
    private var closed = false

    init() throws {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw Errno(rawValue: errno) }
        readEnd = ends[0]
        writeEnd = ends[1]
        // Neither end leaks into other children; the command gets the write end as its stdout or stderr.
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
        #if os(Linux)
        // F_SETPIPE_SZ: a larger buffer means fewer wake-ups for a chatty command; if refused, the default serves.
        _ = fcntl(writeEnd, 1031, Int32(1 << 20))
        #endif
    }

    /// Reads until the command and everything it started have closed the pipe, passing every byte on to `descriptor`
    /// as it comes, then handing it to `sink`. When the reader of `descriptor` goes away, this pipe is closed too, so
    /// the command meets the closed pipe (SIGPIPE) on its next write, as it would without buildtime. When both ends
    /// are pipes, the bytes are passed on with tee(2), which duplicates them inside the kernel, and the sink then takes
    /// them from the pipe; otherwise they are read and written.
    func drain(into group: DispatchGroup, passingTo descriptor: Int32, sink: RecordingSink, stream: Recording.Stream) {
        group.enter()
        Thread.detachNewThread { [self] in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
            defer {
                buffer.deallocate()
                lock.lock()
                closed = true
                close(readEnd)
                lock.unlock()
                group.leave()
            }
            var teeing = Self.isPipe(descriptor)
            #if os(Linux)
            // A larger pipe to the next program too: fewer, larger hand-overs (F_SETPIPE_SZ; refused means the default).
            if teeing { _ = fcntl(descriptor, 1031, Int32(1 << 20)) }
            #endif
            while true {
                if teeing {
                    let teed = bt_tee(readEnd, descriptor, buffer.count)
                    if teed > 0 {
                        guard sink.take(teed, from: readEnd, stream: stream, scratch: buffer) else { return }
                        took(teed)
                        continue
                    }
                    if teed == 0 || (teed < 0 && errno == EPIPE) { return }
                    if teed < 0, errno == EINTR { continue }
                    // A pipe tee cannot use: read and write from here on.
                    teeing = false
                }
                let count = read(readEnd, buffer.baseAddress, buffer.count)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return }
                took(count)
                let chunk = UnsafeRawBufferPointer(rebasing: buffer[..<count])
                let passed = writeAll(descriptor, chunk)
                sink.receive(chunk, from: stream)
                if !passed, errno == EPIPE { return }
            }
        }
    }

    private func took(_ count: Int) {
        lock.lock()
        taken += count
        lock.unlock()
    }

    /// How many bytes have been taken out of the pipe so far, and how many wait in it now; nil once it is closed.
    func progress() -> (taken: Int, waiting: Int)? {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return nil }
        var waiting: Int32 = 0
        // FIONREAD: the bytes in the pipe, written and not read yet.
        return (taken, ioctl(readEnd, 0x541B, &waiting) == 0 ? Int(waiting) : 0)
    }

    private static func isPipe(_ descriptor: Int32) -> Bool {
        var status = stat()
        return fstat(descriptor, &status) == 0 && (status.st_mode & S_IFMT) == S_IFIFO
    }
}
