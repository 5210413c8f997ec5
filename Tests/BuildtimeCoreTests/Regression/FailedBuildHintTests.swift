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
        let step = try #require(hint.facts.first)
        #expect(step.kind == .failedStep && step.image == "trading-dashboard-flask" && step.index == 6 && step.total == 8)
        #expect(step.instruction == "RUN uv pip install --system -r requirements.txt")
        #expect(hint.facts.contains { $0.kind == .exitCode && $0.code == 1 })
        let output = try #require(hint.facts.first { $0.kind == .toolOutput }?.lines)
        #expect(output.contains("× No solution found when resolving dependencies:"))
        // Not the Dockerfile excerpt BuildKit prints after it.
        #expect(!output.contains { $0.contains(">>>") || $0.hasPrefix("Dockerfile:") })
        #expect(FactText.title(hint) == "the build of trading-dashboard-flask failed")
        #expect(FactText.evidence(hint).prefix(2) == ["failed at step 6/8 RUN uv pip install --system -r requirements.txt", "exit code 1"])
    }

    @Test(arguments: ["buildkit-plain-failed-pip-oldformat.log", "buildkit-plain-failed-uv-compose.log"])
    func realFailuresCarryTheToolsReason(_ name: String) throws {
        let url = Fixtures.realWorld.appending(path: name)
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        let hint = try #require(try Self.hint(url))
        let image = try #require(try Ingester(configuration: .default).run(fromPath: url.path).images.first { $0.outcome == .failed })
        #expect(!image.failureReason.isEmpty, "\(image.errorLines)")
        #expect(hint.facts.last?.kind == .toolOutput && hint.facts.last?.lines == image.failureReason)
    }
}
