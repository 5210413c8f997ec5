import Foundation
import Testing
@testable import BuildtimeCore

/// The failed-build hint says which image failed, at which step, with which exit code, and what the tool itself said.
@Suite struct FailedBuildHintTests {
    static func hint(_ url: URL) throws -> Hint? {
        let run = try Ingester(configuration: .default).run(fromPath: url.path)
        return HintEngine().failedBuilds(run).first
    }

    @Test func theResolversOwnReasonIsTheEvidence() throws {
        let hint = try #require(try Self.hint(Fixtures.samples.appending(path: "logs/team-failed-flask.log")))
        #expect(hint.title == "the build of trading-dashboard-flask failed")
        #expect(hint.evidence.first == "failed at step 6/8 RUN uv pip install --system -r requirements.txt")
        #expect(hint.evidence.contains("exit code 1"))
        #expect(hint.evidence.contains("× No solution found when resolving dependencies:"))
        // Not the Dockerfile excerpt BuildKit prints after it.
        #expect(!hint.evidence.contains { $0.contains(">>>") || $0.hasPrefix("Dockerfile:") })
    }

    @Test(arguments: ["buildkit-plain-failed-pip-oldformat.log", "buildkit-plain-failed-uv-compose.log"])
    func realFailuresCarryTheToolsReason(_ name: String) throws {
        let url = Fixtures.realWorld.appending(path: name)
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        let hint = try #require(try Self.hint(url))
        let image = try #require(try Ingester(configuration: .default).run(fromPath: url.path).images.first { $0.outcome == .failed })
        #expect(!image.failureReason.isEmpty, "\(image.errorLines)")
        #expect(hint.evidence.suffix(image.failureReason.count) == ArraySlice(image.failureReason))
    }
}
