import Foundation
import Testing
@testable import BuildtimeCore

/// What `samples/expected.json` says each sample log holds (written by samples/tools/make-samples.py from the
/// simulated runs, independently of this parser).
struct SampleExpectation: Decodable, Sendable, CustomTestStringConvertible {
    var file = ""
    var kind: String
    var format: String
    var lines: Int
    var total: Double?
    var phases: [String: Double?]
    var missing: [String: String?]
    var pipeline: Int?
    var repo: String?
    var step: String?
    var images: [ImageFacts]
    /// `exact` where the log tells the builds apart (stream prefixes, one build at a time); nil where it is the
    /// reading's judgement (the generator cannot know how alike the interleaved lines look).
    var attribution: String?

    /// What one image build did.
    struct ImageFacts: Decodable, Sendable, Equatable {
        var name: String?
        var `class`: String
        var steps: Int
        var cached: Int
        var dependency: String
        var pulled: Bool
        var outcome: String
        var builder: String
    }

    var testDescription: String { file }

    enum CodingKeys: String, CodingKey { case kind, format, lines, total, phases, missing, pipeline, repo, step, images, attribution }

    static let all: [SampleExpectation] = {
        let url = Fixtures.samples.appending(path: "expected.json")
        guard let data = try? Data(contentsOf: url),
              let table = try? JSONDecoder().decode([String: SampleExpectation].self, from: data)
        else { return [] }
        return table.map { name, value in
            var value = value
            value.file = name
            return value
        }.sorted { $0.file < $1.file }
    }()
}

@Suite struct SampleTests {
    @Test func everySampleLogHasAnExpectation() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Fixtures.samples.appending(path: "logs").path).sorted()
        #expect(!files.isEmpty)
        #expect(files == SampleExpectation.all.map(\.file))
    }

    @Test(arguments: SampleExpectation.all)
    func sampleReadsAsExpected(_ expected: SampleExpectation) throws {
        let path = Fixtures.samples.appending(path: "logs/\(expected.file)").path
        let run = try Ingester(configuration: .default).run(fromPath: path)
        #expect(run.format.rawValue == expected.format)
        #expect(run.lineCount == expected.lines)
        #expect(same(run.totalSeconds, expected.total), "total \(String(describing: run.totalSeconds))")
        for (name, duration) in expected.phases {
            let phase = try #require(run.phase(named: name))
            #expect(same(phase.duration, duration), "\(name): \(String(describing: phase.duration)) vs \(String(describing: duration))")
            #expect(phase.missingMarker?.rawValue == expected.missing[name] ?? nil, "\(name) missing marker")
        }
        let failed = expected.images.contains { $0.outcome == "failed" }
        #expect(run.status == (failed ? .failed : expected.missing.values.allSatisfy { $0 == nil } ? .succeeded : .incomplete))
        if let pipeline = expected.pipeline { #expect(run.metadata.pipelineNumber == pipeline) }
        if let repo = expected.repo { #expect(run.metadata.repo == repo) }
        if let step = expected.step { #expect(run.metadata.step == step) }
    }

    @Test(arguments: SampleExpectation.all)
    func sampleIsClassifiedFromItsBuilds(_ expected: SampleExpectation) throws {
        let path = Fixtures.samples.appending(path: "logs/\(expected.file)").path
        let run = try Ingester(configuration: .default).run(fromPath: path)
        #expect(run.classification.runClass?.rawValue == expected.kind)
        #expect(run.classification.source == .build)
        let facts = run.images.map { image in
            SampleExpectation.ImageFacts(
                name: image.name, class: image.classification.label, steps: image.dockerfileSteps.count,
                cached: image.dockerfileSteps.filter { $0.status == .cached }.count,
                dependency: image.dependencyStep.map { image.steps[$0].status == .cached ? "cached" : "ran" } ?? "none",
                pulled: image.basePulled == true, outcome: image.outcome.rawValue, builder: image.builder.rawValue)
        }
        let order: (SampleExpectation.ImageFacts, SampleExpectation.ImageFacts) -> Bool = { ($0.name ?? "") < ($1.name ?? "") }
        #expect(facts.sorted(by: order) == expected.images.sorted(by: order))
        if let attribution = expected.attribution { #expect(run.images.allSatisfy { $0.attribution.rawValue == attribution }) }
        // Every image's evidence counts the steps it saw cached, of those it saw.
        for image in run.images {
            let steps = image.dockerfileSteps
            let cached = image.classification.evidence.first { $0.kind == .stepsCached }
            #expect(cached?.count == steps.filter { $0.status == .cached }.count && cached?.total == steps.count && cached?.image == image.name)
        }
    }

    @Test(arguments: SampleExpectation.all)
    func storedRunReadsBackWithEveryFact(_ expected: SampleExpectation) throws {
        let store = try SQLiteStore.inMemory()
        // A whole-second clock: Date does not round-trip every fraction through unix seconds exactly.
        let ingester = Ingester(configuration: .default, now: { Date(timeIntervalSince1970: 1_800_000_000) })
        let (run, outcome, _) = try ingester.ingest(path: Fixtures.samples.appending(path: "logs/\(expected.file)").path, into: store)
        #expect(try store.run(id: outcome.id) == run)
        #expect(!run.images.isEmpty)
    }

    @Test func ingestingTheSamplesTwiceStoresThemOnce() throws {
        let store = try SQLiteStore.inMemory()
        let ingester = Ingester(configuration: .default)
        let (files, errors) = Ingester.expand(paths: [Fixtures.samples.appending(path: "logs").path])
        #expect(errors.isEmpty)
        let first = try files.map { try ingester.ingest(path: $0, into: store).outcome }
        let second = try files.map { try ingester.ingest(path: $0, into: store).outcome }
        #expect(first.allSatisfy { if case .inserted = $0 { true } else { false } })
        #expect(second == first.map { .duplicate(id: $0.id) })
        #expect(try store.runs(limit: nil).count == files.count)
    }
}
