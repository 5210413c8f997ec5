import Foundation
import Testing
@testable import BuildtimeCore

/// Damaged input must give a clear error or a result, never a crash. A small, seeded mutation fuzzer over the
/// samples: bytes flipped, cut, duplicated or dropped.
@Suite struct RobustnessTests {
    static let sampleNames = ["cold.log", "acme-trading-dashboard-142-deploy.json", "no-change-over-midnight.log", "woodpecker-2.5-filestore-requirements.jsonl.gz",
                              "cold-failed-uv-resolution.log", "code-only-legacy-builder.log", "requirements-prefixed-streams.log"]

    @Test(arguments: sampleNames)
    func mutatedSamplesNeverCrash(_ name: String) throws {
        // Compressed samples are damaged inside, then compressed again: a damaged gzip stream only tests its checksum.
        let compressed = name.hasSuffix(".gz")
        var original = Array(try Data(contentsOf: Fixtures.samples.appending(path: "logs/\(name)")))
        if compressed { original = try inflate(original) }
        var generator = SplitMix64(seed: UInt64(name.utf8.count))
        var outcomes = (read: 0, rejected: 0)
        for _ in 0..<150 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                guard !bytes.isEmpty else { break }
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: bytes[position] = UInt8.random(in: 0...255, using: &generator)
                case 1: bytes.removeSubrange(position...)
                case 2: bytes.insert(contentsOf: bytes[position..<min(bytes.count, position + 40)], at: position)
                default: bytes.remove(at: position)
                }
            }
            if compressed { bytes = try gzipped(bytes) }
            do {
                let (outcome, lines) = try read(bytes, chunkSize: 4096)
                #expect(outcome.lineCount == lines.lines.count)
                // The whole analysis too: phases, Docker builds, classes.
                let run = try Ingester(configuration: .default).run(from: MemoryByteSource(bytes), name: name)
                #expect(run.lineCount == outcome.lineCount)
                #expect(run.classification.runClass != nil || !run.classification.evidence.isEmpty)
                outcomes.read += 1
            } catch is LogParseError {
                outcomes.rejected += 1
            } catch is ByteSourceError {
                outcomes.rejected += 1
            } catch let error as IngestError where error.notALog {
                // Cut down to nothing to measure.
                outcomes.rejected += 1
            }
        }
        // Any other error, or a crash, has already failed the test; this checks the damage left logs to analyse.
        #expect(outcomes.read > 0, "every mutation was rejected: the analysis was never exercised")
    }

    private func inflate(_ bytes: [UInt8]) throws -> [UInt8] {
        let source = try GzipByteSource(base: MemoryByteSource(bytes))
        var result: [UInt8] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        while case let count = try source.read(into: buffer), count > 0 { result.append(contentsOf: buffer[..<count]) }
        return result
    }

    /// Random bytes (some made to start as JSON or as gzip would) give lines that agree with their count, or an
    /// input error that says what is wrong: never another error, never a crash. The same bytes read the same twice.
    @Test func randomBytesNeverCrash() throws {
        var generator = SplitMix64(seed: 42)
        var outcomes = (read: 0, rejected: 0)
        for length in [1, 2, 3, 17, 300, 5000] {
            for _ in 0..<20 {
                var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                if Bool.random(using: &generator) { bytes[0] = UInt8(ascii: "[") }
                if length > 2, Bool.random(using: &generator) { bytes[0] = 0x1F; bytes[1] = 0x8B }
                do {
                    let (outcome, lines) = try read(bytes)
                    #expect(outcome.lineCount == lines.lines.count)
                    let (again, _) = try read(bytes, chunkSize: 7)
                    #expect(again.lineCount == outcome.lineCount, "read in small chunks, \(length) bytes")
                    outcomes.read += 1
                } catch let error as LogParseError {
                    #expect(error.line >= 1 && !error.reason.isEmpty, "\(error)")
                    outcomes.rejected += 1
                } catch is ByteSourceError {
                    outcomes.rejected += 1
                }
            }
        }
        // Bytes with a NUL are rejected (most of the long random ones hold one); the short ones mostly read.
        #expect(outcomes.read > 0 && outcomes.rejected > 0, "\(outcomes)")
    }
}
