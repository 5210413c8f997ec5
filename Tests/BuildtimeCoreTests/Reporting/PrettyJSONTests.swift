import Foundation
import Testing
@testable import BuildtimeCore

/// `PrettyJSON` must write what `JSONEncoder` writes with buildtime's options, byte for byte: the README's JSON shapes
/// and every script reading them depend on it.
@Suite struct PrettyJSONTests {
    private func foundation<T: Encodable>(_ value: T, dates: Bool = false) throws -> String {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        if dates {
            encoder.dateEncodingStrategy = .custom { date, encoder in
                var container = encoder.singleValueContainer()
                try container.encode(DurationFormat.iso8601(date))
            }
        }
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    private func fast<T: Encodable>(_ value: T, dates: Bool = false) throws -> String {
        let iso: @Sendable (Date) -> String = { DurationFormat.iso8601($0) }
        return String(decoding: try PrettyJSON.encode(value, dates: dates ? iso : nil), as: UTF8.self)
    }

    /// Every sample log and the sample history, as runs and as the history's report.
    static let runs: [Run] = {
        let store = try! SQLiteStore.inMemory()
        for folder in ["logs", "history"] {
            let directory = Fixtures.samples.appending(path: folder)
            for file in (try? FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()) ?? [] {
                _ = try? Ingester(configuration: .default).ingest(path: directory.appending(path: file).path, into: store)
            }
        }
        return try! store.runs(limit: nil)
    }()

    @Test func everySampleRunIsWrittenAsJSONEncoderWritesIt() throws {
        #expect(Self.runs.count > 64)
        for run in Self.runs {
            let document = RunDocument(run)
            #expect(try fast(document) == (try foundation(document)), "\(run.source)")
            // Written by the fast paths themselves (the generic one, and the document's own), not handed to `JSONEncoder`.
            var bytes: [UInt8] = []
            #expect(try PrettyJSON.written(document, into: &bytes, indent: 0, dates: nil))
            var own: [UInt8] = []
            #expect(try PrettyJSON.written(document, into: &own, indent: 0) && own == bytes, "\(run.source)")
        }
        // A recorded run's nested steps, with their images.
        var recorded = try #require(Self.runs.first { $0.images.count > 1 })
        recorded.steps = [RecordedStep(runKey: "k", name: "build", startedAt: Date(timeIntervalSince1970: 1_800_000_000.25), duration: 12.3456,
                                       status: .succeeded, exitCode: nil, lineCount: 40, images: recorded.images),
                          RecordedStep(runKey: "k", name: "deploy", startedAt: Date(timeIntervalSince1970: 1_800_000_013), duration: 2,
                                       status: .failed, exitCode: 3, lineCount: 2, images: [])]
        var own: [UInt8] = []
        #expect(try PrettyJSON.written(RunDocument(recorded), into: &own, indent: 0))
        #expect(String(decoding: own, as: UTF8.self) == (try foundation(RunDocument(recorded))))
        // And the listing, whose objects are indented inside the array.
        var streamed = ""
        var writer = RunRenderer.JSONArrayWriter(text: { streamed += $0 })
        try writer.add(Self.runs)
        writer.finish()
        #expect(streamed == (try foundation(Self.runs.map(RunDocument.init))) + "\n")
    }

    /// A context with every value set, one with none, and a run's document holding each.
    @Test func contextsAreWrittenAsJSONEncoderWritesThem() throws {
        let entry = DockerDiskUsage.Entry(total: 12, active: 3, size: 5_560_000_000, reclaimable: 1.6e9)
        var full = RunContext(start: MachineSnapshot(load1: 0.64, load5: 1.5, load15: 2, cores: 4, diskPath: "/var/lib/docker", diskSizeBytes: 1e11, diskFreeBytes: 0),
                              end: MachineSnapshot(cores: 2),
                              docker: DockerDiskUsage(images: entry, containers: DockerDiskUsage.Entry(total: nil, active: nil, size: 0, reclaimable: nil),
                                                      localVolumes: entry, buildCache: entry, host: "web-1"),
                              dockerHosts: [DockerDiskUsage(images: entry, host: "web-1"), DockerDiskUsage()], dockerRoot: "/var/lib/docker",
                              gitHead: "0123abcd", changedFiles: ["a/b.py", "requirements \"x\".txt"], changedFilesSource: "git", event: "push", previousCommit: "fedc")
        full.author = "Ada"
        full.times = CITimes(pipelineCreated: Date(timeIntervalSince1970: 1_800_000_000.25), stepFinished: Date(timeIntervalSince1970: 1_800_000_100))
        let fields = Mirror(reflecting: full).children.filter { Mirror(reflecting: $0.value).displayStyle == .optional && Mirror(reflecting: $0.value).children.isEmpty }
        #expect(fields.isEmpty, "set these in the full context: \(fields.map { $0.label ?? "?" })")
        for context in [full, RunContext()] {
            var bytes: [UInt8] = []
            #expect(try PrettyJSON.written(context, into: &bytes, indent: 0))
            #expect(String(decoding: bytes, as: UTF8.self) == (try foundation(context)))
            var run = try #require(Self.runs.first)
            run.context = context
            #expect(try fast(RunDocument(run)) == (try foundation(RunDocument(run))))
        }
    }

    @Test func theHistorysReportIsWrittenAsJSONEncoderWritesIt() throws {
        let report = Report(history: Self.runs, analyzer: RegressionAnalyzer(), filters: .init(), generatedAt: Date(timeIntervalSince1970: 1_800_000_000.5))
        #expect(!report.runs.isEmpty)
        #expect(try fast(report, dates: true) == (try foundation(report, dates: true)))
        var bytes: [UInt8] = []
        #expect(try PrettyJSON.written(report, into: &bytes, indent: 0, dates: { DurationFormat.iso8601($0) }))
    }

    /// Numbers at the edges of `description`'s forms, strings with every escape, keys out of order and given twice,
    /// empty containers, nested optionals, dates and a `URL` (which `JSONEncoder` writes as a string).
    @Test func edgesAreWrittenTheSame() throws {
        struct Odd: Encodable {
            var doubles: [Double] = [0, -0.0, 1, -3.5, 4.109, 0.1 + 0.2, 1e-7, 0.0001, 5_560_000_000, 999_999_999_999_999, 1e15, 1e15 + 0.5,
                                     9_007_199_254_740_994, 1e16, 1e21, 1.7976931348623157e308, .leastNonzeroMagnitude, .infinity, -.infinity, .nan]
            var floats: [Float] = [0.1, 3, .infinity]
            var integers: [Int64] = [0, -1, .max, .min]
            var unsigned: [UInt64] = [.max]
            var strings = ["a/b", "q\"uo\\te", "\n\t\r\u{8}\u{c}\u{1}\u{1f}\u{7f}", "é ☃ 😀 \u{2028}", ""]
            var dictionary = ["b": 1, "a": 2, "B": 3, "_": 4, "é": 5, "aa": 6, "a\"": 7]
            var empty: [String] = []
            var emptyDictionary: [String: Int] = [:]
            var nested: [[Int?]] = [[], [nil, 1]]
            var optional: String?? = .some(nil)
            var date = Date(timeIntervalSince1970: 1_234_567_890.25)
            var bool = true
        }
        #expect(try fast(Odd()) == (try foundation(Odd())))
        #expect(try fast(Odd(), dates: true) == (try foundation(Odd(), dates: true)))
        var bytes: [UInt8] = []
        #expect(try PrettyJSON.written(Odd(), into: &bytes, indent: 0, dates: nil))
        // `JSONEncoder` writes a URL its own way: that value is left to it, with the same result.
        struct WithURL: Encodable { var url = URL(string: "https://example.com/a?b=c")!; var z = 1 }
        #expect(try fast(WithURL()) == (try foundation(WithURL())))
        bytes = []
        #expect(try !PrettyJSON.written(WithURL(), into: &bytes, indent: 0, dates: nil))
        // Indented into an array, as the listing writes its runs.
        bytes = Array("[\n  ".utf8)
        try PrettyJSON.encode(Odd(), into: &bytes, indent: 1)
        bytes += Array("\n]".utf8)
        #expect(String(decoding: bytes, as: UTF8.self) == (try foundation([Odd()])))
    }
}

/// `QuickJSONDecoder` must read what the store keeps as `JSONDecoder` reads it.
@Suite struct QuickJSONDecoderTests {
    private func both<T: Decodable & Equatable>(_ type: T.Type, _ text: String) throws -> (T, T) {
        (try QuickJSONDecoder.decode(type, from: text), try JSONDecoder().decode(type, from: Data(text.utf8)))
    }

    @Test func theStoredFactsContextsAndStepImagesOfEverySampleReadTheSame() throws {
        var facts = 0
        for run in PrettyJSONTests.runs {
            for evidence in [run.classification.evidence] + run.images.map(\.classification.evidence) {
                let text = RunRows.json(facts: evidence)
                #expect(RunRows.facts(text) == evidence)
                let (quick, foundation) = try both([Fact].self, text)
                #expect(quick == foundation)
                // Read by this reader itself, not handed to `JSONDecoder`.
                #expect(QuickJSONDecoder.quickly([Fact].self, from: text) == foundation)
                facts += evidence.count
            }
            if let context = run.context {
                let text = String(decoding: try JSONEncoder().encode(context), as: UTF8.self)
                let (quick, foundation) = try both(RunContext.self, text)
                #expect(quick == foundation && quick == context && QuickJSONDecoder.quickly(RunContext.self, from: text) == context)
            }
            let images = String(decoding: try JSONEncoder().encode(run.images), as: UTF8.self)
            let (quick, foundation) = try both([ImageBuild].self, images)
            #expect(quick == foundation && QuickJSONDecoder.quickly([ImageBuild].self, from: images) == foundation)
        }
        #expect(facts > 100)
    }

    @Test func escapesNumbersAndOddTextReadAsJSONDecoderReadsThem() throws {
        struct Odd: Codable, Equatable {
            var text: [String]
            var numbers: [Double]
            var whole: [Int64]
            var maybe: Int?
            var absent: String?
            var flag: Bool
        }
        let text = #"{"text": ["a\/b", "q\"\\\n\t\r\b\f\u0001", "\u00e9\u2603\ud83d\ude00", "é ☃"], "numbers": [0, -0.5, 1e-7, 1.5E+300, 12],"#
            + #" "whole": [9223372036854775807, -9223372036854775808, 0], "maybe": null, "flag": false, "flag": true}"#
        let (quick, foundation) = try both(Odd.self, text)
        #expect(quick == foundation)
        #expect(!quick.flag && quick.text[2] == "é☃😀")
        // What it does not read, `JSONDecoder` does, with its errors.
        for odd in [#"{"text": [], "numbers": [], "whole": [1.0], "flag": true}"#, #"{"text": [], "numbers": [1,], "whole": [], "flag": true}"#,
                    #"{"text": [1], "numbers": [], "whole": [], "flag": true}"#, #"{"text": []"#, "", "[]", #"{"text": ["\ud800"], "numbers": [], "whole": [], "flag": true}"#] {
            let quick = Result { try QuickJSONDecoder.decode(Odd.self, from: odd) }
            let foundation = Result { try JSONDecoder().decode(Odd.self, from: Data(odd.utf8)) }
            #expect((try? quick.get()) == (try? foundation.get()), "\(odd)")
            func failure(_ result: Result<Odd, any Error>) -> String? {
                if case .failure(let error) = result { return "\(error)" }
                return nil
            }
            #expect(failure(quick) == failure(foundation), "\(odd)")
        }
        // A fact of a kind from a newer version is left out, not the rest.
        let facts = RunRows.facts(#"[{"kind": "steps-cached", "count": 3, "total": 8}, {"kind": "from-the-future"}, {"kind": "base-pulled", "image": "app"}]"#)
        #expect(facts.map(\.kind) == [.stepsCached, .basePulled])
        #expect(facts.first?.count == 3 && facts.last?.image == "app")
    }
}

/// A fact writes and reads itself without the generic coders; every value it can hold must come out as they give it.
@Suite struct FactJSONTests {
    /// A fact with every value set (checked by reflection, so that a value added later must be added here too).
    static let full: Fact = {
        var fact = Fact(.stepsSlower)
        fact.image = "app \"x\""; fact.instruction = "RUN pip install -r requirements.txt"; fact.host = "tcp://docker:2376"; fact.path = "/var/lib/docker"
        fact.metric = "image:app"; fact.runClass = .codeOnly; fact.expected = .requirements; fact.status = "failed"; fact.tool = "uv"
        fact.files = ["a/b.py", "requirements.txt"]; fact.lines = ["× No solution found", ""]
        fact.parts = [Fact.Part(metric: "step:3", seconds: 12.5, usual: 3), Fact.Part(metric: "pull", seconds: 0.001, usual: 1e-7)]
        fact.count = 3; fact.total = 8; fact.shown = 6; fact.unseen = 2; fact.index = 7; fact.active = 1; fact.cores = 4; fact.code = -1
        fact.pipeline = 240; fact.run = 9_000_000_000; fact.ran = false
        fact.seconds = 41.25; fact.usual = 40; fact.low = 38.5; fact.high = 43.0; fact.start = 1.5; fact.end = 1_800_000_000.125
        fact.bytes = 5_560_000_000; fact.free = 0; fact.reclaimable = 1.6e9; fact.share = 0.75; fact.load = 0.64
        return fact
    }()

    @Test func everyValueIsSetInTheFullFact() {
        let unset = Mirror(reflecting: Self.full.allValues).children.filter { child in
            Mirror(reflecting: child.value).displayStyle == .optional && Mirror(reflecting: child.value).children.isEmpty
        }.map { $0.label ?? "?" }
        #expect(unset.isEmpty, "set these in FactJSONTests.full: \(unset)")
    }

    @Test func aFactIsWrittenAsJSONEncoderWritesIt() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        for fact in [Self.full, Fact(.noDockerfileSteps), Fact(.baseline) { $0.seconds = 2 }] {
            var bytes: [UInt8] = []
            #expect(try PrettyJSON.written(fact, into: &bytes, indent: 0))
            #expect(String(decoding: bytes, as: UTF8.self) == String(decoding: try encoder.encode(fact), as: UTF8.self))
        }
    }

    @Test func aFactIsReadAsJSONDecoderReadsIt() throws {
        let stored = RunRows.json(facts: [Self.full, Fact(.noDockerfileSteps)])
        let foundation = try JSONDecoder().decode([Fact].self, from: Data(stored.utf8))
        #expect(RunRows.facts(stored) == foundation)
        #expect(foundation == [Self.full, Fact(.noDockerfileSteps)])
        // One it cannot read is left out, as the lenient reading of `JSONDecoder` leaves it: a value of another type,
        // a class or kind from a newer version, a part missing a number; nulls are no values.
        let odd = #"[{"kind": "steps-cached", "count": "3"}, {"kind": "base-pulled", "runClass": "lukewarm"}, {"kind": "next"}, "#
            + #"{"kind": "steps-slower", "parts": [{"metric": "x", "seconds": 1}]}, 7, {"kind": "baseline", "seconds": null, "count": 2, "count": 5}]"#
        let read = RunRows.facts(odd)
        #expect(read == [Fact(.baseline) { $0.count = 2 }])
        struct Lenient: Decodable {
            var fact: Fact?
            init(from decoder: any Decoder) throws { fact = try? Fact(from: decoder) }
        }
        #expect(read == (try JSONDecoder().decode([Lenient].self, from: Data(odd.utf8))).compactMap(\.fact))
    }
}

/// The times of every JSON document, written from the date's numbers, must be what `ISO8601DateFormatter` writes.
@Suite struct ISO8601Tests {
    @Test func timesAreWrittenAsTheFormatterWritesThem() throws {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        // Milliseconds at and beside a rounding tie, the edges of months, leap days, centuries and the last year.
        var seconds: [Double] = [0, 0.0004, 0.0005, 1.9995, 1.9999, 59.9996, 951_782_400, 951_868_799.9996, 4_102_444_800, 1_800_000_000.25,
                                 253_402_300_799.999, 253_402_300_799.9994]
        var generator = SplitMix64(seed: 7)
        for _ in 0..<20_000 {
            seconds.append(Double.random(in: 0..<253_402_300_800, using: &generator))
            seconds.append(Double(Int.random(in: 1_500_000_000_000...1_900_000_000_000, using: &generator)) / 1000 + 0.0005)
        }
        var written = 0
        for value in seconds {
            let date = Date(timeIntervalSince1970: value)
            guard let digits = DurationFormat.iso8601Digits(date) else { continue }
            #expect(digits == formatter.string(from: date), "\(value)")
            written += 1
        }
        #expect(written > 40_000)
        // Before 1970 and after 9999 the formatter writes them (its Julian calendar, its rounding, its years).
        for value in [-0.5, -1_000_000_000, -62_135_596_800, 253_402_300_800, 1e15] {
            let date = Date(timeIntervalSince1970: value)
            #expect(DurationFormat.iso8601Digits(date) == nil)
            #expect(DurationFormat.iso8601(date) == formatter.string(from: date))
        }
    }
}
