import Foundation
import GRDB
import Testing

/// What a user of any command-line tool expects: a version, one-line errors with exit status 1, suggestions for a
/// mistyped command, read-only commands that never create a database, and a database that is buildtime's own.
@Suite struct CommandLineTests {
    @Test func versionAndMistypedCommands() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let version = try runner.run(["--version"])
        #expect(version.status == 0 && version.stdout.split(separator: ".").count == 3)
        let typo = try runner.run(["reprot"])
        #expect(typo.status == 64)
        #expect(typo.stderr.hasPrefix("Error: unknown command 'reprot'. Did you mean 'report'?\n"))
        let swapped = try runner.run(["rnus", "--limit", "3"])
        #expect(swapped.stderr.contains("Did you mean 'runs'?"))
        let nonsense = try runner.run(["frobnicate"])
        #expect(nonsense.status == 64 && nonsense.stderr.hasPrefix("Error: unknown command 'frobnicate'\n"))
    }

    @Test func readOnlyCommandsNeverCreateADatabase() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let path = runner.directory.appending(path: "not/yet/there.sqlite").path
        for command in [["runs"], ["show", "latest"], ["report"], ["report", "--format", "html"], ["delete", "1"]] {
            let result = try runner.run(command + ["--db", path])
            #expect(result.status == 1, "\(command)")
            #expect(result.stderr == "Error: no database at \(path) (record or ingest a run first, or give --db or BUILDTIME_DB)\n", "\(command)")
        }
        #expect(!FileManager.default.fileExists(atPath: runner.directory.appending(path: "not").path))
    }

    /// A PostgreSQL location is never taken for a file name: it made a folder `postgresql:` with a SQLite file in it.
    @Test func aPostgreSQLLocationIsNeverAFile() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let log = BinaryRunner.repositoryRoot.appending(path: "samples/logs/cold.log").path
        for (arguments, environment) in [(["--db", "postgresql://ci:secret@db.example.com/buildtime"], [String: String]()),
                                         ([], ["BUILDTIME_DB": "postgres://ci:secret@db.example.com/buildtime"])] {
            let result = try runner.run(["ingest", log] + arguments, environment: environment, workingDirectory: runner.directory)
            #expect(result.status == 1)
            // Taken for a PostgreSQL store (which is not there), said in one line without the password.
            #expect(result.stderr == "Error: cannot open database postgresql://ci@db.example.com:5432/buildtime: cannot connect: no host db.example.com (the name does not resolve)\n", "\(result.stderr)")
            #expect(!result.stderr.contains("secret"))
        }
        let bad = try runner.run(["runs", "--db", "postgresql://h:99999/db"], workingDirectory: runner.directory)
        #expect(bad.status == 64 && bad.stderr.contains("the port '99999' is not a number from 1 to 65535"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: runner.directory.path).allSatisfy { !$0.hasPrefix("postgres") })
    }

    @Test func failuresAreOneLineWithStatusOne() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        #expect(try runner.run(["ingest", "samples/logs/requirements.log"]).status == 0)
        let missingRun = try runner.run(["show", "999"])
        #expect(missingRun.status == 1)
        #expect(missingRun.stderr == "Error: no run '999' (give a run id from `buildtime runs`, `#PIPELINE`, a commit prefix, or `latest`)\n")
        let unwritable = try runner.run(["report", "-o", "missing/x.html"], workingDirectory: runner.directory)
        #expect(unwritable.status == 1)
        #expect(unwritable.stderr.hasPrefix("Error: cannot write missing/x.html") && unwritable.stderr.split(separator: "\n").count == 1)
        // A usage error still shows how to use the command.
        let usage = try runner.run(["runs", "--limit", "0"])
        #expect(usage.status == 64 && usage.stderr.contains("Usage:"))
    }

    /// Another application's SQLite file is refused and left byte-identical, by the commands that write and by
    /// `record`, which still runs the command and returns its status; buildtime's own files carry its mark.
    @Test func anotherApplicationsDatabaseIsLeftAlone() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let foreign = runner.directory.appending(path: "other.sqlite")
        try DatabaseQueue(path: foreign.path).write { db in
            try db.execute(sql: "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me')")
        }
        let before = try Data(contentsOf: foreign)
        let ingest = try runner.run(["ingest", "samples/logs/requirements.log", "--db", foreign.path])
        #expect(ingest.status == 1)
        #expect(ingest.stderr.contains("is not a buildtime database"))
        let record = try runner.run(["record", "--db", foreign.path, "--", "sh", "-c", "echo through; exit 4"])
        #expect(record.status == 4 && record.stdout == "through\n")
        #expect(record.stderr.contains("is not a buildtime database") && record.stderr.split(separator: "\n").count == 1)
        #expect(try runner.run(["runs", "--db", foreign.path]).status == 1)
        #expect(try Data(contentsOf: foreign) == before)
        #expect(!FileManager.default.fileExists(atPath: foreign.path + "-wal"))

        #expect(try runner.run(["ingest", "samples/logs/requirements.log"]).status == 0)
        let mark = try DatabaseQueue(path: runner.database.path).read { try Int32.fetchOne($0, sql: "PRAGMA application_id") }
        #expect(mark == 0x4254_4D45)
    }

    /// A database an older buildtime wrote (no mark) is buildtime's: it is read, and marked.
    @Test func anUnmarkedBuildtimeDatabaseIsStillRead() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        #expect(try runner.run(["ingest", "samples/logs/requirements.log"]).status == 0)
        try DatabaseQueue(path: runner.database.path).writeWithoutTransaction { try $0.execute(sql: "PRAGMA application_id = 0") }
        let runs = try runner.run(["runs"])
        #expect(runs.status == 0 && runs.stdout.contains("requirements.log"))
        let mark = try DatabaseQueue(path: runner.database.path).read { try Int32.fetchOne($0, sql: "PRAGMA application_id") }
        #expect(mark == 0x4254_4D45)
    }

    @Test func deleteRemovesRunsWithAllTheirRows() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        #expect(try runner.run(["ingest", "samples/logs/team-cold.log", "samples/logs/requirements.log"]).status == 0)
        let nested = try runner.run(["record", "--", "sh", "-c", "\"$0\" record --step inner -- cat samples/logs/cold.log >/dev/null", BinaryRunner.binary.path])
        #expect(nested.status == 0)
        func count(_ table: String) throws -> Int {
            try DatabaseQueue(path: runner.database.path).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM \(table)") ?? -1 }
        }
        #expect(try count("run") == 3 && count("step") == 1 && count("build_step") > 0)
        // Every run named must be there, or nothing goes.
        let unknown = try runner.run(["delete", "1", "99"])
        #expect(unknown.status == 1 && unknown.stderr.contains("no run '99'"))
        #expect(try count("run") == 3)
        let deleted = try runner.run(["delete", "1", "2", "3"])
        #expect(deleted.status == 0 && deleted.stderr == "deleted 3 runs: 1, 2, 3\n")
        for table in ["run", "phase", "image_build", "build_step", "step"] {
            #expect(try count(table) == 0, "\(table)")
        }
    }

    /// Control characters and bidi overrides from a log, a step name or the changed files never reach the terminal
    /// or a document raw, and a file name cannot add a line to Markdown.
    @Test func textFromTheRunCannotActOnATerminalOrADocument() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let files = #"["app/x\n- injected", "app/\u001b]0;pwned\u0007title", "app/\u202Egnp.exe"]"#
        let recorded = try runner.run(["record", "--name", "deploy\u{1B}[2J", "--", "cat", "samples/logs/code-only.log"],
                                      environment: ["CI_PIPELINE_FILES": files])
        #expect(recorded.status == 0)
        let outputs = [try runner.run(["show", "latest"]), try runner.run(["runs"]), try runner.run(["report"]),
                       try runner.run(["report", "--format", "markdown"]), try runner.run(["report", "--format", "html"])]
        for output in outputs {
            #expect(output.status == 0)
            #expect(!output.stdout.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x202E })
        }
        #expect(outputs[0].stdout.contains(#"deploy\x1B[2J"#))
        #expect(outputs[0].stdout.contains(#"app/x\n- injected"#))
        #expect(!outputs[3].stdout.contains("\n- injected"))
    }

    /// What is no CI log is not stored; it fails the exit status when it was named, not when a directory held it.
    @Test func filesThatAreNoLogs() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        let folder = runner.directory.appending(path: "logs")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: BinaryRunner.repositoryRoot.appending(path: "samples/logs/cold.log"), to: folder.appending(path: "cold.log"))
        let notes = try runner.write("logs/notes.json", "{\"foo\": 1}\n")
        let readme = try runner.write("logs/readme.txt", "how to deploy\n")
        let found = try runner.run(["ingest", folder.path])
        #expect(found.status == 0)
        #expect(found.stderr.contains("notes.json:1: JSON that is not a CI log (an object with key foo)"))
        #expect(found.stderr.contains("readme.txt: skipped: no timestamps, no phase markers and no image build"))
        #expect(found.stderr.hasSuffix("1 stored, 0 already present, 2 not logs, 0 failed\n"))
        for named in [notes, readme] {
            #expect(try runner.run(["ingest", named]).status == 1)
        }
        #expect(try runner.run(["runs"]).stdout.split(separator: "\n").count == 2)
    }

    /// A database edited by hand or by another program: values of the wrong type, out of range or absurd. Every
    /// reader still answers; nothing in a stored run can stop the process.
    @Test func craftedValuesInTheDatabaseNeverCrashAReader() throws {
        let runner = try BinaryRunner()
        defer { runner.cleanUp() }
        #expect(try runner.run(["ingest", "samples/logs/team-cold.log", "samples/logs/team-code-only.log"]).status == 0)
        try DatabaseQueue(path: runner.database.path).write { db in
            try db.execute(sql: """
                UPDATE run SET exit_code = 'abc', line_count = 1e30, total_seconds = 1e300, started_at = 'yesterday',
                    time_resolution = -1e308, pipeline_number = 9.5e18, class = 'lukewarm', context = '{"start": 7}' WHERE id = 1;
                UPDATE run SET recorded_at = 'never', started_at = 1e300, total_seconds = -1e300, status = 'exploded', format = 42 WHERE id = 2;
                UPDATE phase SET duration = 'long', start_offset = 1e300, start_line = 1e40;
                UPDATE image_build SET ambiguous_lines = 'many', duration = -1e300, start_offset = 9e307, exit_code = 1e20,
                    base_pulled = 'yes', dependency_step = 99999, error_lines = '[1, {"x": 2}]', builder = 'abacus';
                UPDATE build_step SET step_index = 9223372036854775807, step_total = -5, duration = 1e300, vertex = 'v';
                """)
        }
        for command in [["runs"], ["runs", "--format", "json"], ["show", "1"], ["show", "2", "--steps"], ["show", "1", "--format", "json"],
                        ["report"], ["report", "--format", "markdown"], ["report", "--format", "html"], ["report", "--format", "json"]] {
            let result = try runner.run(command)
            #expect(result.status == 0, "\(command): \(result.stderr)")
        }
    }
}
