import Foundation
import Testing
@testable import BuildtimeCore

/// Woodpecker's API as 2.x and 3.x write it (woodpecker-ci/woodpecker `server/model`; 3.0 renamed the times, #3968).
@Suite struct WoodpeckerAPITests {
    static let three = """
        {"id": 310, "number": 210, "event": "push", "status": "success", "created": 1793300000, "started": 1793300012, "finished": 1793300100,
         "commit": "abc", "branch": "main", "ref": "refs/heads/main", "author": "dana", "changed_files": ["app/main.py"],
         "workflows": [{"id": 1, "pid": 1, "name": "deploy", "state": "success", "started": 1793300012, "finished": 1793300100,
           "children": [{"id": 41, "pid": 2, "ppid": 1, "name": "clone", "state": "success", "exit_code": 0, "type": "clone", "started": 1793300012, "finished": 1793300014},
                        {"id": 42, "pid": 3, "ppid": 1, "name": "deploy", "state": "running", "exit_code": 0, "type": "commands", "started": 1793300014, "finished": 0}]}]}
        """
    static let two = """
        {"id": 310, "number": 210, "event": "pull_request", "status": "failure", "created_at": 1793300000, "started_at": 1793300012, "finished_at": 1793300100,
         "commit": "abc", "branch": "main", "author": "",
         "workflows": [{"id": 1, "pid": 1, "name": "deploy", "state": "failure", "start_time": 1793300012, "end_time": 1793300100,
           "children": [{"id": 42, "pid": 3, "name": "deploy", "state": "failure", "exit_code": 1, "type": "commands", "start_time": 1793300014, "end_time": 1793300100}]}]}
        """

    @Test func bothVersionsFieldNamesAreRead() throws {
        let three = try JSONDecoder().decode(Woodpecker.Pipeline.self, from: Data(Self.three.utf8))
        let two = try JSONDecoder().decode(Woodpecker.Pipeline.self, from: Data(Self.two.utf8))
        for pipeline in [three, two] {
            #expect(pipeline.number == 210 && pipeline.commit == "abc")
            #expect(pipeline.created == Date(timeIntervalSince1970: 1_793_300_000) && pipeline.started == Date(timeIntervalSince1970: 1_793_300_012))
            #expect(pipeline.steps.last?.started == Date(timeIntervalSince1970: 1_793_300_014))
        }
        // 0 is "not yet"; an empty author is none; a missing list of changed files is none, not "no files".
        #expect(three.steps.last?.finished == nil && !three.steps.last!.isDone && three.steps.first!.isDone)
        #expect(two.author == nil && two.changedFiles == nil && two.steps.last?.exitCode == 1)
        #expect(three.steps.map(\.holdsWork) == [false, true])
        #expect(Woodpecker.ran("failure") && !Woodpecker.ran("skipped"))
    }

    @Test func aStepsRunGetsTheAPIsFacts() throws {
        let pipeline = try JSONDecoder().decode(Woodpecker.Pipeline.self, from: Data(Self.three.utf8))
        let step = pipeline.steps[1]
        let context = Woodpecker.context(of: pipeline, step: step)
        #expect(context.event == "push" && context.author == "dana" && context.changedFiles == ["app/main.py"])
        #expect(context.times?.queueSeconds == 12)
        #expect(Woodpecker.metadata(of: pipeline, step: step, repo: "acme/app") == RunMetadata(pipelineNumber: 210, commit: "abc", branch: "main", repo: "acme/app", step: "deploy", workflow: "deploy"))
        // The API's values win over what the log printed; the log's others stay.
        let printed = RunContext(changedFiles: ["README.md"], changedFilesSource: "CI_PIPELINE_FILES", event: "cron", previousCommit: "0ld")
        let merged = printed.overlaid(by: context)
        #expect(merged.event == "push" && merged.changedFiles == ["app/main.py"] && merged.changedFilesSource == "woodpecker" && merged.previousCommit == "0ld")
    }

    @Test func versionsAndTheQueueTimeFromAStepsEnvironment() throws {
        let version = try JSONDecoder().decode(Woodpecker.Version.self, from: Data(#"{"source": "https://github.com/woodpecker-ci/woodpecker", "version": "v2.8.3"}"#.utf8))
        #expect(version.major == 2)
        #expect(Woodpecker.Version(source: nil, version: "3.10.0").major == 3 && Woodpecker.Version(source: nil, version: "next-abc").major == nil)
        var context = RunContext()
        context.readCI(environment: ["CI_PIPELINE_CREATED": "1793300000", "CI_PIPELINE_STARTED": "1793300030", "CI_COMMIT_AUTHOR": "dana"])
        #expect(context.times?.queueSeconds == 30 && context.author == "dana")
        // Started before it was created is no queue time.
        #expect(CITimes(pipelineCreated: Date(timeIntervalSince1970: 10), pipelineStarted: Date(timeIntervalSince1970: 5)).queueSeconds == nil)
        // Stored and read back as ISO-8601 times.
        let times = try #require(context.times)
        let encoded = try JSONEncoder().encode(times)
        #expect(String(decoding: encoded, as: UTF8.self).contains("\"pipelineCreated\":\"2026-10-29T"))
        #expect(try JSONDecoder().decode(CITimes.self, from: encoded) == times)
    }
}
