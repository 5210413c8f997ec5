import Foundation
import Testing
@testable import BuildtimeCore

/// Real CI output from `../shared/realworld`, written by other people on real machines. Skipped when that folder
/// is absent, as it is in a fresh clone.
@Suite(.enabled(if: Fixtures.hasRealWorld, "../shared/realworld is not here"))
struct RealWorldTests {
    static var files: [String] {
        guard Fixtures.hasRealWorld, let names = try? FileManager.default.contentsOfDirectory(atPath: Fixtures.realWorld.path) else { return [] }
        return names.filter { $0 != "README.md" }.sorted()
    }

    @Test(arguments: files)
    func everyFileIsReadWithoutError(_ name: String) throws {
        let path = Fixtures.realWorldFile(name)
        let (outcome, lines) = try readFile(path)
        #expect(outcome.lineCount > 0)
        #expect(outcome.lineCount == lines.lines.count)
        // Whatever the format, reading is idempotent: the same bytes, the same fingerprint.
        #expect(try readFile(path).0.fingerprint == outcome.fingerprint)
    }

    @Test func githubActionsStamps() throws {
        let (outcome, lines) = try readFile(Fixtures.realWorldFile("buildkit-plain-gha-iso-timestamps.log"))
        #expect(outcome.timestampStyle == .iso8601)
        #expect(outcome.timeBase == .absolute)
        #expect(lines.texts.allSatisfy { $0.hasPrefix("#12 sha256:") })
        #expect(lines.times.allSatisfy { $0 != nil })
        #expect(abs(lines.times.last!! - lines.times.first!! - (37.7932485 - 37.3435938)) < 1e-6)
    }

    @Test func bracketedMillisecondStampsWithACutLastLine() throws {
        let (outcome, lines) = try readFile(Fixtures.realWorldFile("buildkit-plain-bracket-ms-timestamps-partial.log"))
        #expect(outcome.timestampStyle == .bracketedClock)
        #expect(lines.lines.count == 12)
        #expect(lines.texts.last == "#9 sha256:357d2c66fb559e3c323ff1fd5acd1db22cc7052af624ac52c48f0f34d1c1d0c8 470.35MB /")
        #expect(same(lines.times.last!! - lines.times.first!!, 4.972))
    }

    @Test func woodpeckerCLIExecOutput() throws {
        let (outcome, lines) = try readFile(Fixtures.realWorldFile("woodpecker-cli-exec-output.log"))
        #expect(outcome.timestampStyle == .woodpeckerExec)
        #expect(outcome.timeResolution == 1)
        #expect(lines.texts.contains("StepName: echo"))
        // The line without a newline ran into zerolog's next line; the prefix is still removed.
        #expect(lines.texts.contains("9:18PM DBG pipeline/pipeline.go:176 > prepare CLI=exec step=echo"))
        #expect(lines.times.first! == nil)
        #expect(lines.times.compactMap { $0 }.allSatisfy { $0 == 0 })
    }

    @Test func droneZeroFiveJSON() throws {
        let (outcome, lines) = try readFile(Fixtures.realWorldFile("drone-0.5-log-json-woodpecker-0x-precursor.json"))
        #expect(outcome.format == .droneJSON)
        #expect(lines.texts.first == "+ export PATH=$PATH:$GOPATH/bin")
        #expect(lines.times == [0, 0, 0, 60, 92, 133, 180, 220])
    }

    @Test func woodpeckerLogEntriesRows() throws {
        let (outcome, lines) = try readFile(Fixtures.realWorldFile("woodpecker-log_entries-db-rows.sql"))
        #expect(outcome.format == .woodpeckerSQL)
        #expect(lines.lines.count == 16)
        #expect(Array(lines.texts.prefix(4)) == ["StepName: clone", "StepType: clone", "StepUUID: 01J1Q4ND22YKSJ1FZD6TS2443W", "StepCommands:"])
        #expect(lines.texts[13] == "print env command")
    }

    @Test func otherJSONIsReadAsText() throws {
        let (outcome, lines) = try readFile(Fixtures.realWorldFile("buildx-rawjson-bake-compose.jsonl"))
        #expect(outcome.format == .text)
        #expect(lines.lines.count == 5)
    }

    @Test func legacyBuilderLogsHaveNoTimes() throws {
        let (outcome, lines) = try readFile(Fixtures.realWorldFile("legacy-builder-cloudbuild-head.log"))
        #expect(outcome.timestampStyle == nil)
        #expect(outcome.timeResolution == nil)
        #expect(lines.texts.contains("Step 1/9 : FROM python:3.11-slim"))
    }
}
