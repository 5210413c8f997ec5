import Foundation
import Testing
@testable import BuildtimeCore

@Suite struct IngesterTests {
    @Test(arguments: [
        ("acme-trading-dashboard-142-deploy.log", RunMetadata(pipelineNumber: 142, repo: "acme-trading-dashboard", step: "deploy")),
        ("acme-app-12-build-2.log.gz", RunMetadata(pipelineNumber: 12, repo: "acme-app", step: "build-2")),
        ("owner-repo-7-deploy.json", RunMetadata(pipelineNumber: 7, repo: "owner-repo", step: "deploy")),
        ("cold.log", RunMetadata()),
        ("repo-12-.log", RunMetadata()),
    ])
    func metadataFromWoodpeckerDownloadNames(name: String, expected: RunMetadata) {
        #expect(Ingester.metadata(fromFileName: name) == expected)
    }

    @Test func flagsWinOverTheLogWhichWinsOverTheFileName() throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "buildtime-ingest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appending(path: "acme-app-12-deploy.log")
        try Data("CI_PIPELINE_NUMBER=99\nCI_COMMIT_BRANCH=release\nBuilding Docker images in parallel...\nhello\n".utf8).write(to: file)
        let ingester = Ingester(configuration: .default, metadata: RunMetadata(commit: "feedbeef"))
        let run = try ingester.run(fromPath: file.path)
        #expect(run.metadata == RunMetadata(pipelineNumber: 99, commit: "feedbeef", branch: "release", repo: "acme-app", step: "deploy"))
        #expect(run.status == .incomplete)
        #expect(run.startedAt == nil)
    }

    @Test func absoluteTimestampsGiveTheStartTime() throws {
        let ingester = Ingester(configuration: .default)
        let run = try ingester.run(from: MemoryByteSource(Array("2026-11-02T09:14:03.000Z hi\n2026-11-02T09:14:04.000Z bye\n".utf8)), name: "-")
        #expect(run.startedAt == Date(timeIntervalSince1970: 1_793_610_843))
        #expect(run.totalSeconds == 1)
        #expect(run.source == "-")
    }

    @Test func errorsNameTheFileAndLine() {
        let ingester = Ingester(configuration: .default)
        #expect(throws: IngestError(file: "bad.json", line: 1, reason: "unexpected 'x' between JSON log entries")) {
            try ingester.run(from: MemoryByteSource(Array(#"[{"id":1,"step_id":1,"time":0,"line":0,"data":"","type":0}x"#.utf8)), name: "bad.json")
        }
        #expect(IngestError(file: "a.log", line: 3, reason: "why").description == "a.log:3: why")
        #expect(IngestError(file: "-", line: nil, reason: "why").description == "<stdin>: why")
        #expect(throws: IngestError.self) { try ingester.run(fromPath: "/nonexistent/buildtime.log") }
    }

    @Test func directoriesAreSearchedRecursivelyForLogFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "buildtime-expand-\(UUID().uuidString)")
        let manager = FileManager.default
        try manager.createDirectory(at: directory.appending(path: "nested/deeper"), withIntermediateDirectories: true)
        defer { try? manager.removeItem(at: directory) }
        for name in ["b.log", "a.json", "nested/deeper/c.log.gz", "nested/notes.md", ".hidden.log", "nested/d.jsonl"] {
            try Data("x\n".utf8).write(to: directory.appending(path: name))
        }
        let (files, errors) = Ingester.expand(paths: [directory.path + "/", "/nonexistent/path", "-"])
        #expect(files == ["a.json", "b.log", "nested/d.jsonl", "nested/deeper/c.log.gz"].map { directory.path + "/" + $0 } + ["-"])
        #expect(errors == [IngestError(file: "/nonexistent/path", line: nil, reason: "no such file or directory")])
    }
}

/// What is no CI log is not stored: JSON of another kind, a Woodpecker array cut short, text with nothing to measure.
@Suite struct NotALogTests {
    private func ingest(_ text: String) throws(IngestError) -> Run {
        try Ingester(configuration: .default).run(from: MemoryByteSource(Array(text.utf8)), name: "x.json")
    }

    @Test(arguments: [("{\"foo\":1}", "an object with key foo"), ("[]", "an empty array"), ("[1,2,3]\n", "an array of 3 values"),
                      ("[{\"a\": 1}]", "an array of 1 object without Woodpecker's or Drone's keys"), ("{\"cold.log\": {\"class\": \"cold\"}, \"a\": 2}", "an object with keys a, cold.log")])
    func jsonThatIsNoLog(_ text: String, shape: String) {
        #expect(throws: IngestError(file: "x.json", line: 1, reason: "JSON that is not a CI log (\(shape)); buildtime reads Woodpecker and Drone log entries",
                                    notALog: true)) { try ingest(text) }
    }

    @Test func aWoodpeckerArrayCutShortIsNotStored() {
        let entries = (0..<3).map { #"{"id":\#($0),"step_id":1,"time":\#($0),"line":\#($0),"data":"aGk=","type":0}"# }
        let whole = "[\n" + entries.joined(separator: ",\n") + "\n]\n"
        #expect(throws: Never.self) { try ingest(whole) }
        let cut = "[\n" + entries.joined(separator: ",\n") + ",\n"
        #expect(throws: IngestError(file: "x.json", line: 5, reason: "truncated JSON: the array opened on line 1 is never closed (a download cut short?)")) {
            try ingest(cut)
        }
    }

    @Test func textWithNothingToMeasureIsSkipped() {
        #expect(throws: IngestError(file: "x.json", line: nil, reason: "skipped: no timestamps, no phase markers and no image build, nothing to measure",
                                    notALog: true)) { try ingest("hello\nworld\n") }
        // Text that starts with a bracket is no JSON: read as the log it is.
        #expect(throws: Never.self) { try ingest("[2026-11-02 09:14:03] Building Docker images in parallel...\n[2026-11-02 09:14:09] done\n") }
    }
}
