import Testing
@testable import BuildtimeCore

/// A build that failed shows no step after the failing one: that is how it failed, not a log cut short, and what it
/// did up to there classifies it.
@Suite struct FailedBuildClassTests {
    private func image(_ text: String) throws -> ImageBuild {
        let trace = try BuildAttributionTrace(lines: text.split(separator: "\n").map { (String($0), nil) })
        return try #require(trace.images.first)
    }

    @Test func aFailedBuildWithNothingCachedIsCold() throws {
        let failed = try image("""
        #1 [internal] load build definition from Dockerfile
        #1 DONE 0.0s
        #2 [1/5] FROM docker.io/library/python:3.11-slim
        #2 DONE 0.0s
        #3 [2/5] RUN pip install --no-cache-dir uv==0.5.30
        #3 DONE 6.1s
        #4 [3/5] RUN uv pip install --system -r requirements.txt
        #4 1.244   × No solution found when resolving dependencies:
        #4 ERROR: process "/bin/sh -c uv pip install --system -r requirements.txt" did not complete successfully: exit code: 1
        """)
        #expect(failed.outcome == .failed)
        #expect(failed.classification.runClass == .cold)
        // Its `FROM` shows no pull: the base image was there, which is said, with no more than medium confidence.
        #expect(failed.basePulled == false)
        #expect(failed.classification.evidence.contains { $0.kind == .nothingCachedBasePresent })
        #expect(failed.classification.confidence == .medium)
    }

    @Test func anExcerptOfAFailedBuildStillSaysTooLittle() throws {
        // Only the failing step of five: what came before is not in the log.
        let failed = try image("""
        #9 [4/5] RUN uv pip install --system -r requirements.txt
        #9 ERROR: process "/bin/sh -c uv pip install --system -r requirements.txt" did not complete successfully: exit code: 1
        """)
        #expect(failed.classification.runClass == nil)
        #expect(failed.classification.evidence.first?.kind == .partialLogNothingCached)
    }
}
