import Testing
@testable import BuildtimeCore

@Suite struct TimestampStyleTests {
    private func parse(_ style: TimestampStyle, _ text: String) -> ParsedStamp? {
        Array(text.utf8).withUnsafeBufferPointer { style.parse($0) }
    }

    @Test func isoAsGitHubActionsWritesIt() throws {
        let stamp = try #require(parse(.iso8601, "2023-03-03T23:11:37.3435938Z #12 sha256:c7c4"))
        // 2023-03-03T23:11:37Z is 1677885097 unix seconds.
        #expect(abs(stamp.seconds - 1_677_885_097.3435938) < 1e-6)
        #expect(stamp.prefixLength == "2023-03-03T23:11:37.3435938Z ".utf8.count)
        #expect(stamp.resolution == 0.001)
    }

    @Test func isoWithOffsetAndWithoutFraction() throws {
        let stamp = try #require(parse(.iso8601, "2023-03-04T01:11:37+02:00 hello"))
        #expect(stamp.seconds == 1_677_885_097)
        #expect(stamp.resolution == 1)
    }

    @Test func bracketedClockWithMilliseconds() throws {
        let stamp = try #require(parse(.bracketedClock, "[07:49:59.839] #9 sha256:357d"))
        #expect(abs(stamp.seconds - (7 * 3600 + 49 * 60 + 59.839)) < 1e-9)
        #expect(stamp.prefixLength == 15)
    }

    @Test func tsDefaultAndPlainClock() throws {
        let syslog = try #require(parse(.syslog, "Oct 05 14:03:07 Building Docker images in parallel..."))
        let dayOfYear = 31 + 28 + 31 + 30 + 31 + 30 + 31 + 31 + 30 + 4
        #expect(syslog.seconds == Double(dayOfYear * 86400 + 14 * 3600 + 3 * 60 + 7))
        let clock = try #require(parse(.clock, "00:01:05.250000 step"))
        #expect(clock.seconds == 65.25)
    }

    @Test func woodpeckerExecPrefix() throws {
        let stamp = try #require(parse(.woodpeckerExec, "[echo:L5:3s] echo ja"))
        #expect(stamp.seconds == 3)
        #expect(stamp.stepLine == 5)
        #expect(stamp.prefixLength == "[echo:L5:3s] ".utf8.count)
    }

    @Test(arguments: [
        (TimestampStyle.iso8601, "2023-13-03T23:11:37Z x"),
        (.iso8601, "20230-03-03T23:11:37Z x"),
        (.bracketedClock, "[internal] load build definition"),
        (.bracketedClock, "[25:00:00] x"),
        (.clock, "9:18PM DBG pipeline/pipeline.go:94"),
        (.syslog, "Foo 05 14:03:07 x"),
        (.woodpeckerExec, "[echo:Lx:0s] x"),
        (.woodpeckerExec, "[1/7] FROM python"),
    ])
    func rejectsLookalikes(style: TimestampStyle, text: String) {
        #expect(parse(style, text) == nil)
    }

    @Test func cachedISOParsingAgreesWithThePlainOne() {
        let lines = [
            "2023-03-03T23:11:37.3435938Z #12 sha256:c7c4", "2023-03-03T23:11:37.4932885Z same second", "2023-03-03T23:11:37Z no fraction",
            "2023-03-03T23:11:37+02:00 zone", "2023-03-03T23:11:37.5X broken tail", "2023-03-03T23:11:38.001Z next second",
            "2023-03-03 23:11:38.002Z space", "not a stamp at all, but long enough", "2023-03-03T23:11:38.003Z",
        ]
        var cache = ISOStampCache()
        for line in lines {
            let bytes = Array(line.utf8)
            let plain = bytes.withUnsafeBufferPointer { TimestampStyle.iso8601.parse($0) }
            let cached = bytes.withUnsafeBufferPointer { TimestampStyle.iso8601.parse($0, cache: &cache) }
            #expect(plain?.seconds == cached?.seconds, "\(line)")
            #expect(plain?.prefixLength == cached?.prefixLength, "\(line)")
            #expect(plain?.resolution == cached?.resolution, "\(line)")
        }
    }

    @Test func daysFromCivilMatchesKnownDates() {
        #expect(daysFromCivil(year: 1970, month: 1, day: 1) == 0)
        #expect(daysFromCivil(year: 2000, month: 3, day: 1) == 11017)
        #expect(daysFromCivil(year: 2026, month: 11, day: 29) == 20786)
    }
}

@Suite struct BuildKitLineTests {
    /// The parsed line and its text; the line's pointers live only inside the closure, so the text is copied out.
    private func parse(_ text: String) -> (kind: BuildKitLine.Kind, vertex: Int, text: String)? {
        Array(text.utf8).withUnsafeBufferPointer { bytes in
            BuildKitLine(bytes).map { ($0.kind, $0.vertex, String(decoding: $0.text, as: UTF8.self)) }
        }
    }

    @Test func doneWithAndWithoutSeconds() throws {
        guard case .done(let seconds)? = parse("#36 DONE 12.3s      ")?.kind else { Issue.record("not DONE"); return }
        #expect(seconds == 12.3)
        guard case .done(let none)? = parse("#7 DONE")?.kind else { Issue.record("not DONE"); return }
        #expect(none == nil)
    }

    @Test func outputStatusAndOtherKinds() throws {
        let output = try #require(parse("#11 125.4   Building wheel for psutil"))
        guard case .output = output.kind else { Issue.record("not output"); return }
        #expect(output.vertex == 11)
        #expect(output.text == "  Building wheel for psutil")
        guard case .text = parse("#5 sha256:8b8b 14.68MB / 49.81MB 2.3s")?.kind else { Issue.record("not text"); return }
        guard case .cached = parse("#30 CACHED")?.kind else { Issue.record("not cached"); return }
        guard case .buildStart = parse("#0 building with \"default\" instance using docker driver")?.kind else { Issue.record("not start"); return }
        guard case .error = parse("#12 ERROR: process \"/bin/sh -c x\" did not complete successfully: exit code: 1")?.kind else { Issue.record("not error"); return }
        #expect(parse("#x 1") == nil)
        #expect(parse("# 1") == nil)
        #expect(parse("##") == nil)
        #expect(parse("#7")?.vertex == 7)
    }

    @Test func decimals() {
        let value = { (text: String) in Array(text.utf8).withUnsafeBufferPointer { BuildKitLine.decimal($0) } }
        #expect(value("0.0") == 0)
        #expect(value("41.5") == 41.5)
        #expect(value("120") == 120)
        #expect(value("1.2.3") == nil)
        #expect(value("") == nil)
    }
}

@Suite struct RecordingFormatTests {
    @Test func stampsReadBackAsISOTimes() throws {
        var formatter = TimestampFormatter()
        for milliseconds: Int64 in [0, 1_793_610_843_123, 951_782_399_999, 4_102_444_800_000] {
            let prefix = formatter.prefix(milliseconds)
            let stamp = try #require(prefix.withUnsafeBufferPointer { TimestampStyle.iso8601.parse($0) })
            #expect(Int64((stamp.seconds * 1000).rounded()) == milliseconds)
            #expect(stamp.prefixLength == prefix.count)
        }
        #expect(String(decoding: formatter.prefix(1_793_610_843_123), as: UTF8.self) == "2026-11-02T09:14:03.123Z ")
    }

    @Test func civilDatesMatchDayCounts() {
        for days in [-1, 0, 59, 60, 11017, 20786, 47482] {
            let (year, month, day) = civilFromDays(days)
            #expect(daysFromCivil(year: year, month: month, day: day) == days)
        }
    }

    @Test func footersReadBack() {
        #expect(CommandExit.parse(footer: CommandExit.exited(3).footer(seconds: 1.5)) == .exited(3))
        #expect(CommandExit.parse(footer: CommandExit.signaled(15).footer(seconds: 0.2)) == .signaled(15))
        #expect(CommandExit.signaled(15).status == 143)
        #expect(CommandExit.parse(footer: "[buildtime] record: ./deploy.sh") == nil)
    }

    @Test func aStampOnItsOwnLineTimesTheLineAfterIt() throws {
        // Some CI exports write each stamp on a line of its own, before the line it stamps.
        let (outcome, lines) = try read("2026-11-02T09:00:00.000Z\nBuilding Docker images in parallel...\n2026-11-02T09:00:12.500Z\n#1 DONE 0.0s\n")
        #expect(outcome.timestampStyle == .iso8601)
        let start = try #require(lines.lines.first { $0.text == "Building Docker images in parallel..." }?.time)
        let later = try #require(lines.lines.first { $0.text == "#1 DONE 0.0s" }?.time)
        #expect(later - start == 12.5)
    }
}
