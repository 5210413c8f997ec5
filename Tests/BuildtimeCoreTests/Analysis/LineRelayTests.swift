import Foundation
import Testing
@testable import BuildtimeCore

@Suite struct LineRelayTests {
    private struct Line: Equatable {
        var text: String, time: Double?, number: Int, sourceLine: Int
    }

    /// Lines of many lengths, over many batches: each arrives once, in order, with its bytes, time and numbers.
    @Test func everyLineArrivesOnceInOrderWithWhatItCarries() {
        final class Seen: @unchecked Sendable { var lines: [Line] = [] }
        let seen = Seen()
        let relay = LineRelay(threaded: true) { seen.lines.append(Line(text: $0.string, time: $0.time, number: $0.number, sourceLine: $0.sourceLine)) }
        var sent: [Line] = []
        for number in 1...70_000 {
            // Some lines empty, some long enough to fill a batch by bytes rather than by count.
            let text = number % 7 == 0 ? "" : String(repeating: "#\(number) ", count: number % 1_000 == 0 ? 20_000 : number % 5 + 1)
            let time: Double? = number % 3 == 0 ? nil : Double(number) / 8
            sent.append(Line(text: text, time: time, number: number, sourceLine: number + 2))
            var bytes = Array(text.utf8)
            bytes.withUnsafeMutableBufferPointer { buffer in
                relay.consume(LogLine(text: UnsafeBufferPointer(buffer), time: time, number: number, sourceLine: number + 2))
                // The relay keeps its own copy: what the caller's buffer holds next changes nothing.
                if !buffer.isEmpty { buffer[0] = UInt8(ascii: "X") }
            }
        }
        relay.finish()
        #expect(seen.lines.count == sent.count)
        // The first line that differs, not all 70,000 of them, when one does.
        #expect(seen.lines.indices.first { $0 >= sent.count || seen.lines[$0] != sent[$0] } == nil)
        // Finishing again waits for nothing and adds nothing.
        relay.finish()
        #expect(seen.lines.count == sent.count)
    }

    /// A log shorter than one batch is read on the caller's thread, when it finishes.
    @Test func aShortLogIsReadOnTheCallersThread() {
        final class Seen: @unchecked Sendable { var threads: [Thread] = [] }
        let seen = Seen()
        let relay = LineRelay(threaded: true) { _ in seen.threads.append(Thread.current) }
        let bytes = Array("#1 DONE 0.1s".utf8)
        bytes.withUnsafeBufferPointer { relay.consume(LogLine(text: $0, time: nil, number: 1, sourceLine: 1)) }
        #expect(seen.threads.isEmpty)
        relay.finish()
        #expect(seen.threads.count == 1 && seen.threads.first === Thread.current)
    }

    /// A long log of interleaved parallel builds reads the same with its Docker build output on a second thread as on
    /// the caller's.
    @Test func aLongLogReadsTheSameOnOneThreadOrTwo() throws {
        var log: [UInt8] = []
        for name in ["cold.log", "requirements.log", "code-only.log", "no-change.log"] {
            log += try Array(Data(contentsOf: Fixtures.samples.appending(path: "logs/\(name)")))
        }
        let once = log
        // Well past one batch (16,384 lines or 1 MB).
        while log.count < 3_000_000 { log += once }
        func read(buildThread: Bool) throws -> LogSummary {
            let analyzer = try LogAnalyzer(configuration: .default, readsBuilds: true, buildThread: buildThread)
            let outcome = try LogReader().read(MemoryByteSource(log), into: analyzer)
            return analyzer.summary(reading: outcome)
        }
        let one = try read(buildThread: false), two = try read(buildThread: true)
        #expect(one.images.count > 12)
        #expect(two == one)
    }
}
