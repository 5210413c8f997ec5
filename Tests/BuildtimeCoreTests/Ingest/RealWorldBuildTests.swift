import Foundation
import Testing
@testable import BuildtimeCore

/// The Docker builds inside the real CI logs of `../shared/realworld`, read as a person would read them.
@Suite(.enabled(if: Fixtures.hasRealWorld, "../shared/realworld is not here"))
struct RealWorldBuildTests {
    private func run(_ name: String) throws -> Run {
        try Ingester(configuration: .default).run(fromPath: Fixtures.realWorldFile(name))
    }

    @Test func fullyCachedMultistageBuildOldFormat() throws {
        let run = try run("buildkit-plain-cached-multistage-oldformat.log")
        let image = try #require(run.images.first)
        #expect(run.images.count == 1)
        #expect(image.name == "dbeaver/cloudbeaver")
        #expect(image.outcome == .succeeded)
        #expect(image.dockerfileSteps.count == 4)
        #expect(image.dockerfileSteps.allSatisfy { $0.status == .cached })
        #expect(Set(image.dockerfileSteps.compactMap(\.stage)) == ["frontend-builder", "backend-builder", "stage-3"])
        // The pre-0.9 `#N sha256:<digest>` lines are not layer downloads.
        // The excerpt shows no FROM step: whether the base image was pulled is not in it.
        #expect(image.basePulled == nil)
        #expect(run.classification.runClass == .noChange)
        #expect(image.steps.last?.instruction == "exporting to image")
        #expect(image.steps.last?.duration == 0.2)
    }

    @Test func failedPipInstallOldErrorFormat() throws {
        let run = try run("buildkit-plain-failed-pip-oldformat.log")
        let image = try #require(run.images.first)
        #expect(image.outcome == .failed)
        #expect(image.exitCode == 1)
        let failing = try #require(image.steps.first { $0.status == .failed })
        #expect(failing.vertex == 9)
        #expect(failing.instruction == "RUN pip install -r requirements.txt")
        #expect(image.errorLines.first == "executor failed running [/bin/sh -c pip install -r requirements.txt]: exit code: 1")
        // No failure summary in this BuildKit's output: pip's own last lines stand for it.
        #expect(image.failureReason == ["× pip subprocess to install build dependencies did not run successfully.", "│ exit code: 1", "╰─> See above for output."])
        #expect(run.status == .failed)
        #expect(run.classification.runClass == nil)
    }

    @Test func failedUVInstallInCompose() throws {
        let run = try run("buildkit-plain-failed-uv-compose.log")
        let image = try #require(run.images.first)
        #expect(image.outcome == .failed)
        #expect(image.exitCode == 1)
        let failing = try #require(image.steps.first { $0.status == .failed })
        #expect(failing.index == 7 && failing.total == 8)
        #expect(failing.instruction.hasPrefix("RUN if [ \"production\" = \"development\" ]"))
        #expect(image.dependencyStep.map { image.steps[$0] } == failing)
        #expect(image.errorLines.contains("1.244   × No solution found when resolving dependencies:"))
        #expect(image.errorLines.last?.hasPrefix("failed to solve: process") == true)
        // Only the failing step is in the excerpt: whether the base image was pulled is not known.
        #expect(image.basePulled == nil)
        // One step of eight, none cached: too little to call it cold.
        #expect(run.classification.runClass == nil)
        let reason = try #require(run.classification.evidence.first)
        #expect(reason.kind == .partialLogNothingCached && reason.shown == 1 && reason.total == 8)
    }

    @Test func layerDownloadsWithTimestampPrefixes() throws {
        for name in ["buildkit-plain-gha-iso-timestamps.log", "buildkit-plain-bracket-ms-timestamps-partial.log"] {
            let run = try run(name)
            let image = try #require(run.images.first)
            #expect(image.basePulled == true, "\(name)")
            #expect(image.steps.count == 1)
            #expect(image.duration != nil)
            #expect(run.classification.runClass == nil)
        }
    }

    @Test func longPipStepWithOneDecimalTimes() throws {
        let run = try run("buildkit-plain-pip-run-long-step.log")
        let step = try #require(run.images.first?.steps.first)
        #expect(step.vertex == 11)
        #expect(step.status == .running)
    }

    @Test func ttyComposeBuildWithAFailureAndCancelledSiblings() throws {
        let run = try run("buildkit-tty-compose-parallel-failed.log")
        let byName = Dictionary(uniqueKeysWithValues: run.images.compactMap { image in image.name.map { ($0, image) } })
        #expect(Set(byName.keys) == ["sqli-breach", "maze-walker", "trojan-relay", "deserial-gate", "token-tower", "render-reign"])
        let failed = try #require(byName["maze-walker"])
        #expect(failed.outcome == .failed)
        let failing = try #require(failed.steps.first { $0.status == .failed })
        #expect(failing.instruction == "RUN pip install --no-cache-dir -r requirements.txt")
        #expect(failing.duration == 4.4)
        #expect(byName["render-reign"]?.outcome == .canceled)
        #expect(byName["trojan-relay"]?.outcome == .canceled)
        #expect(byName["sqli-breach"]?.steps.map(\.status) == [.cached])
        #expect(run.images.allSatisfy { $0.builder == .buildkitTTY })
    }

    @Test func legacyBuilderCacheHitsAndRuns() throws {
        let cached = try run("legacy-builder-using-cache-pip.log")
        let image = try #require(cached.images.first)
        #expect(image.builder == .legacy)
        #expect(image.steps.map(\.status) == [.cached, .cached])
        #expect(image.dependencyStep == 1)
        #expect(cached.classification.runClass == nil)

        let old = try run("legacy-builder-2013-old-step-format.log")
        let build = try #require(old.images.first)
        #expect(build.steps.count == 8)
        #expect(build.steps.map(\.status) == [.done, .cached, .cached, .done, .done, .done, .done, .done])
        #expect(build.outcome == .succeeded)
        #expect(old.classification.runClass == .codeOnly)

        let head = try run("legacy-builder-cloudbuild-head.log")
        let pulled = try #require(head.images.first)
        #expect(pulled.basePulled == true)
        #expect(pulled.steps.map(\.status) == [.done, .done, .running])
        #expect(head.classification.runClass == .cold)
    }

    @Test func logsWithoutBuildsHaveNoImages() throws {
        for name in ["woodpecker-cli-exec-output.log", "drone-0.5-log-json-woodpecker-0x-precursor.json"] {
            #expect(try run(name).images.isEmpty, "\(name)")
        }
    }

    /// Docker's own outputs that are no CI log: nothing to measure in them (no time, no marker, no image build), so
    /// ingest stores nothing. The bake excerpt holds only buildx reading its definitions (its setup, no image).
    @Test(arguments: ["docker-system-df-and-verbose.txt", "buildx-du-excerpt.txt", "buildx-rawjson-bake-compose.jsonl",
                      "docker-system-df-legacy-units-and-negative.txt", "docker-system-df-verbose-images-containers.txt"])
    func dockerOutputsAreNoRun(_ name: String) throws {
        #expect {
            try run(name)
        } throws: { error in
            (error as? IngestError)?.notALog == true && (error as? IngestError)?.reason.hasPrefix("skipped: no timestamps") == true
        }
    }

    /// Whole JSON documents of docker's, with timings or without: not a log, and said so.
    @Test(arguments: ["buildx-history-inspect-json-docs-example.json", "buildx-metadata-file-docs-example.json"])
    func jsonDocumentsAreNoRun(_ name: String) throws {
        #expect {
            try run(name)
        } throws: { error in
            (error as? IngestError)?.notALog == true && (error as? IngestError)?.reason.hasPrefix("JSON that is not a CI log (an object with keys ") == true
        }
    }
}
