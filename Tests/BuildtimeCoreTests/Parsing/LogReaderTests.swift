import Foundation
import Testing
@testable import BuildtimeCore

@Suite struct TextLogTests {
    @Test func plainTextWithoutStampsKeepsEveryLine() throws {
        let (outcome, lines) = try read("+ ./deploy.sh\nBuilding Docker images in parallel...\n\nlast line without newline")
        #expect(outcome.format == .text)
        #expect(outcome.timestampStyle == nil)
        #expect(outcome.timeBase == nil)
        #expect(lines.texts == ["+ ./deploy.sh", "Building Docker images in parallel...", "", "last line without newline"])
        #expect(lines.times.allSatisfy { $0 == nil })
        #expect(outcome.lineCount == 4)
    }

    @Test func isoStampsAreRemovedAndGiveAbsoluteTimes() throws {
        let (outcome, lines) = try read("2026-11-02T09:14:03.000Z first\n2026-11-02T09:14:05.250Z second\n")
        #expect(outcome.timestampStyle == .iso8601)
        #expect(outcome.timeBase == .absolute)
        #expect(lines.texts == ["first", "second"])
        let times = lines.times.compactMap { $0 }
        #expect(times.count == 2 && abs(times[1] - times[0] - 2.25) < 1e-9)
    }

    @Test func unstampedLinesCarryTheLastTime() throws {
        let text = "9:18PM DBG before anything\n[echo:L0:0s] StepName: echo\n9:18PM DBG between\n[echo:L1:2s] done\n"
        let (outcome, lines) = try read(text)
        #expect(outcome.timestampStyle == .woodpeckerExec)
        #expect(lines.times == [nil, 0, 0, 2])
        #expect(lines.texts[1] == "StepName: echo")
    }

    @Test func wallClockPastMidnightKeepsCounting() throws {
        let (_, lines) = try read("[23:59:59.500] a\n[00:00:01.000] b\n")
        let times = lines.times.compactMap { $0 }
        #expect(abs(times[1] - times[0] - 1.5) < 1e-9)
    }

    @Test func relativeStepTimesRestartPerStepAndAreChained() throws {
        let (_, lines) = try read("[clone:L0:0s] a\n[clone:L1:4s] b\n[build:L0:0s] c\n[build:L1:3s] d\n")
        #expect(lines.times == [0, 4, 4, 7])
    }

    @Test func colourCodesCarriageReturnsAndCRLFAreCleaned() throws {
        let text = "\u{1B}[32m✅ All images built and tagged\u{1B}[0m\r\nDownloading 10%\rDownloading 100%\r\n\u{1B}]0;title\u{07}after osc\n"
        let (_, lines) = try read(text)
        #expect(lines.texts == ["✅ All images built and tagged", "Downloading 100%", "after osc"])
    }

    @Test func invalidUTF8DoesNotStopReading() throws {
        let bytes: [UInt8] = Array("ok\n".utf8) + [0xFF, 0xFE, 0x41, 0x0A] + Array("Building Docker images in parallel...\n".utf8)
        let (outcome, lines) = try read(bytes)
        #expect(outcome.lineCount == 3)
        #expect(lines.texts[2] == "Building Docker images in parallel...")
    }

    @Test func linesSplitAcrossChunksAreJoined() throws {
        let text = (0..<50).map { "2026-11-02T09:14:\(String(format: "%02d", $0)).000Z line number \($0)" }.joined(separator: "\n")
        let (_, small) = try read(text, chunkSize: 7)
        let (_, whole) = try read(text)
        #expect(small.texts == whole.texts)
        #expect(small.times == whole.times)
        #expect(small.texts.count == 50)
    }

    @Test func emptyAndBinaryInputsAreErrors() {
        #expect(throws: LogParseError(line: 1, reason: "empty log: nothing to read")) { try read("") }
        #expect(throws: LogParseError.self) { try read([0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00]) }
    }
}

@Suite struct WoodpeckerLogTests {
    @Test func apiJSONFromV26OnHasOneLinePerEntry() throws {
        let json = woodpeckerJSON([(0, "+ ./deploy.sh"), (1, "Building Docker images in parallel..."), (1, ""), (215, "✅ All containers deployed successfully")])
        let (outcome, lines) = try read(json)
        #expect(outcome.format == .woodpeckerJSON)
        #expect(outcome.timeResolution == 1)
        #expect(outcome.timeBase == .relative)
        #expect(lines.texts == ["+ ./deploy.sh", "Building Docker images in parallel...", "", "✅ All containers deployed successfully"])
        #expect(lines.times == [0, 1, 1, 215])
    }

    /// A step whose lines carry their own stamps (its output went through `ts`, or was copied from another CI): the
    /// stamps come off, so BuildKit lines read as BuildKit lines, and they time the log, finer than the entries.
    @Test func entryLinesWithTheirOwnISOStampsAreTimedByThem() throws {
        let json = woodpeckerJSON([(0, ""), (0, "2026-11-02T09:14:03.120Z #5 [2/6] RUN make"), (1, "no stamp here"),
                                   (2, "2026-11-02T09:14:05.370Z #5 DONE 2.2s"), (2, "2026-11-02T09:14:05.500Z")])
        let (outcome, lines) = try read(json)
        #expect(outcome.format == .woodpeckerJSON)
        #expect(outcome.timeBase == .absolute)
        #expect(outcome.timeResolution == 0.001)
        #expect(lines.texts == ["", "#5 [2/6] RUN make", "no stamp here", "#5 DONE 2.2s", ""])
        // The blank line before the first stamp has no time; an unstamped line keeps the one before.
        let start = try #require(lines.times[1])
        #expect(lines.times[0] == nil && lines.times[2] == start)
        #expect(abs(lines.times[3]! - start - 2.25) < 1e-6 && abs(lines.times[4]! - start - 2.38) < 1e-6)
    }

    /// Entries whose first line has no stamp keep the entries' times; a stamp met later still comes off the line.
    @Test func entryTimesStayWhenTheFirstLineHasNoStamp() throws {
        let json = woodpeckerJSON([(0, "+ ./deploy.sh"), (4, "2026-11-02T09:14:05.370Z #5 DONE 2.2s")])
        let (outcome, lines) = try read(json)
        #expect(outcome.timeBase == .relative)
        #expect(lines.texts == ["+ ./deploy.sh", "#5 DONE 2.2s"])
        #expect(lines.times == [0, 4])
    }

    @Test func entriesBeforeV26HoldSeveralLinesOrHalfALine() throws {
        // Chunks as the agent's io.Copy delivered them: two lines, then a line cut in two.
        let json = woodpeckerJSON([(0, "first\nsecond\n"), (3, "thi"), (5, "rd line\n"), (9, "fourth\n")])
        let (_, lines) = try read(json)
        #expect(lines.texts == ["first", "second", "third line", "fourth"])
        // A line takes the time of the entry where it began.
        #expect(lines.times == [0, 0, 3, 9])
    }

    @Test func fileStoreJSONLinesAndGzip() throws {
        let entries = [#"{"id":1,"step_id":2,"time":0,"line":0,"data":"U3RlcE5hbWU6IGNsb25l","type":0}"#,
                       #"{"id":2,"step_id":2,"time":4,"line":1,"data":null,"type":0}"#]
        let bytes = try gzipped(Array(entries.joined(separator: "\n").utf8))
        let (outcome, lines) = try read(bytes)
        #expect(outcome.isCompressed)
        #expect(outcome.format == .woodpeckerJSONLines)
        #expect(lines.texts == ["StepName: clone", ""])
        #expect(lines.times == [0, 4])
    }

    @Test func truncatedJSONIsAnErrorAtTheEntry() throws {
        let json = "[\n" + #"{"id":1,"step_id":2,"time":0,"line":0,"data":"YQ==","type":0},"# + "\n" + #"{"id":2,"step_id":2,"time":0,"li"#
        #expect(throws: LogParseError(line: 3, reason: "truncated JSON: the log entry starting here never ends")) { try read(json) }
    }

    @Test func badBase64AndGarbageBetweenEntriesAreErrors() throws {
        let badData = #"[{"id":1,"step_id":2,"time":0,"line":0,"data":"***","type":0}]"#
        #expect(throws: LogParseError.self) { try read(badData) }
        let garbage = #"[{"id":1,"step_id":2,"time":0,"line":0,"data":"YQ==","type":0} x]"#
        #expect(throws: LogParseError(line: 1, reason: "unexpected 'x' between JSON log entries")) { try read(garbage) }
    }

    @Test func droneArrayDefaultsMissingTimeToZero() throws {
        let json = #"[{"proc":"compile","pos":0,"out":"+ make build"},{"proc":"compile","time":60,"pos":1,"out":"GOOS=linux \"go\" \u00e9"}]"#
        let (outcome, lines) = try read(json)
        #expect(outcome.format == .droneJSON)
        #expect(lines.texts == ["+ make build", "GOOS=linux \"go\" é"])
        #expect(lines.times == [0, 60])
    }

    @Test func sqlDumpOfLogEntries() throws {
        let sql = """
            CREATE TABLE public.log_entries (id bigint);
            INSERT INTO public.log_entries VALUES (1, 2, 0, 0, '\\x537465704e616d653a20636c6f6e65', 1641630525, 0);
            INSERT INTO public.log_entries VALUES (2, 2, 3, 1, '\\x', 1641630525, 0);
            INSERT INTO public.log_entries VALUES (3, 3, 1, 0, 'it''s text', 1641630526, 0);
            """
        let (outcome, lines) = try read(sql)
        #expect(outcome.format == .woodpeckerSQL)
        #expect(lines.texts == ["StepName: clone", "", "it's text"])
        // The second step starts where the first ended.
        #expect(lines.times == [0, 3, 4])
    }

    @Test func forcedFormatOverridesDetection() throws {
        let json = woodpeckerJSON([(0, "hello")])
        let (outcome, lines) = try read(json, format: .text)
        #expect(outcome.format == .text)
        #expect(lines.texts == [json])
    }
}

@Suite struct GzipTests {
    @Test func corruptAndTruncatedGzipAreErrors() throws {
        let whole = try gzipped(Array(String(repeating: "Building Docker images in parallel...\n", count: 200).utf8))
        #expect(throws: ByteSourceError.truncatedGzip) { try read(Array(whole.prefix(whole.count / 2))) }
        var corrupt = whole
        corrupt[12] ^= 0xFF
        corrupt[13] ^= 0xFF
        #expect(throws: (any Error).self) { try read(corrupt) }
    }

    @Test func concatenatedMembersReadAsOne() throws {
        let first = try gzipped(Array("one\n".utf8)), second = try gzipped(Array("two\n".utf8))
        let (_, lines) = try read(first + second)
        #expect(lines.texts == ["one", "two"])
    }
}
