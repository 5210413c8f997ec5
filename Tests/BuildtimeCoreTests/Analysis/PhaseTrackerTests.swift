import Testing
@testable import BuildtimeCore

@Suite struct PhaseTrackerTests {
    private func summarize(_ text: String, configuration: Configuration = .default) throws -> LogSummary {
        let analyzer = try LogAnalyzer(configuration: configuration)
        let outcome = try LogReader().read(MemoryByteSource(Array(text.utf8)), into: analyzer)
        return analyzer.summary(reading: outcome)
    }

    @Test func defaultMarkersMeasureBuildAndDeploy() throws {
        let summary = try summarize("""
            [10:00:00.000] + ./deploy.sh
            [10:00:01.000] Building Docker images in parallel...
            [10:00:31.500] ✅ All images built and tagged
            [10:00:43.000] ✅ All containers deployed successfully
            [10:00:43.200] done
            """)
        #expect(same(summary.totalSeconds, 43.2))
        #expect(summary.phases == [
            PhaseTiming(name: "build", startOffset: 1, duration: 30.5, startLine: 2, endLine: 3),
            PhaseTiming(name: "deploy", startOffset: 31.5, duration: 11.5, startLine: 3, endLine: 4),
        ])
        #expect(summary.isComplete)
    }

    @Test func missingMarkersLeavePhasesUnmeasuredNotZero() throws {
        let summary = try summarize("""
            [10:00:01.000] Building Docker images in parallel...
            [10:02:00.000] ERROR: failed to solve: process did not complete successfully: exit code: 1
            """)
        #expect(summary.phases[0] == PhaseTiming(name: "build", startOffset: 0, duration: nil, startLine: 1, endLine: nil, missingMarker: .end))
        #expect(summary.phases[1] == PhaseTiming(name: "deploy", missingMarker: .start))
        #expect(!summary.isComplete)
    }

    @Test func withoutTimestampsMarkersAreFoundButNotTimed() throws {
        let summary = try summarize("Building Docker images in parallel...\n✅ All images built and tagged\n✅ All containers deployed successfully\n")
        #expect(summary.totalSeconds == nil)
        #expect(summary.phases.map(\.duration) == [nil, nil])
        #expect(summary.phases.map(\.startLine) == [1, 2])
        #expect(summary.isComplete)
    }

    @Test func shellTraceLinesDoNotCountAsMarkers() throws {
        let summary = try summarize("""
            [10:00:00.000] + echo "Building Docker images in parallel..."
            [10:00:02.000] Building Docker images in parallel...
            [10:00:09.000] ✅ All images built and tagged
            """)
        #expect(summary.phases[0].startLine == 2)
        #expect(summary.phases[0].duration == 7)
    }

    @Test func firstOccurrenceOfAMarkerWins() throws {
        let summary = try summarize("""
            [10:00:00.000] Building Docker images in parallel...
            [10:00:05.000] Building Docker images in parallel...
            [10:00:09.000] ✅ All images built and tagged
            [10:00:10.000] ✅ All images built and tagged
            """)
        #expect(summary.phases[0].duration == 9)
        #expect(summary.phases[1].startLine == 3)
    }

    @Test func regexMarkersFromTheConfiguration() throws {
        let configuration = Configuration(phases: [
            PhaseDefinition(name: "compile", start: .regex(#"^==> compiling \d+ modules$"#), end: .literal("compiled")),
        ])
        let summary = try summarize("[10:00:00.000] ==> compiling x modules\n[10:00:01.000] ==> compiling 12 modules\n[10:00:04.000] compiled\n", configuration: configuration)
        #expect(summary.phases == [PhaseTiming(name: "compile", startOffset: 1, duration: 3, startLine: 2, endLine: 3)])
    }

    @Test func metadataPrintedInTheLog() throws {
        let summary = try summarize("CI_COMMIT_SHA=0123456789abcdef\nCI_PIPELINE_NUMBER=142\nCI_COMMIT_BRANCH=main\nCI_REPO=acme/trading-dashboard\nCI_PIPELINE_STARTED=1793610840\n")
        #expect(summary.metadata == RunMetadata(pipelineNumber: 142, commit: "0123456789abcdef", branch: "main", repo: "acme/trading-dashboard"))
        #expect(summary.startedAt == 1_793_610_840)
    }
}
