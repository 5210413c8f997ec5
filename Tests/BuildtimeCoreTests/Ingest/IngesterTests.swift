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
        try Data("CI_PIPELINE_NUMBER=99\nCI_COMMIT_BRANCH=release\nhello\n".utf8).write(to: file)
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
