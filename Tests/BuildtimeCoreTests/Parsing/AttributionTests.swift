import Foundation
import Testing
@testable import BuildtimeCore

/// The attribution of interleaved parallel BuildKit builds, on short marked texts: each line starts with the build
/// that printed it (`A|`, `B|`, `-|` for lines of no build, `?|` for lines that could be either build's: two builds
/// started together print the same first lines) and, optionally, its time (`A 12.5|`). The reading must give every
/// marked line to one build per mark (which build is called which does not matter).
@Suite struct AttributionTests {
    private func read(_ marked: String) throws -> (trace: BuildAttributionTrace, marks: [Character?]) {
        var lines: [(text: String, time: Double?)] = []
        var marks: [Character?] = []
        for row in marked.split(separator: "\n", omittingEmptySubsequences: false) {
            guard let bar = row.firstIndex(of: "|") else { continue }
            let head = row[..<bar].split(separator: " ")
            let mark = head.first?.first
            marks.append(mark == "-" || mark == "?" ? nil : mark)
            lines.append((String(row[row.index(after: bar)...]), head.count > 1 ? Double(head[1]) : nil))
        }
        return (try BuildAttributionTrace(lines: lines), marks)
    }

    /// Checks that each mark maps to one image and each image to one mark, on every line that has one.
    private func expectOwners(_ marked: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> BuildAttributionTrace {
        let (trace, marks) = try read(marked)
        var imageOf: [Character: Int] = [:]
        var markOf: [Int: Character] = [:]
        for (index, mark) in marks.enumerated() {
            guard let mark else { continue }
            let text = index < trace.owners.count ? trace.owners[index] : nil
            guard let image = text else {
                Issue.record("line \(index + 1) was given to no build", sourceLocation: sourceLocation)
                continue
            }
            if imageOf[mark] == nil, markOf[image] == nil { imageOf[mark] = image; markOf[image] = mark }
            #expect(imageOf[mark] == image && markOf[image] == mark, "line \(index + 1) (\(mark)) went to another build", sourceLocation: sourceLocation)
        }
        return trace
    }

    /// Checks that the reading found exactly these images, by name, each with these Dockerfile step outcomes.
    private func expectImages(_ trace: BuildAttributionTrace, _ expected: [String: [StepStatus]], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(Set(trace.images.compactMap(\.name)) == Set(expected.keys), sourceLocation: sourceLocation)
        for (name, statuses) in expected {
            #expect(trace.images.first { $0.name == name }?.dockerfileSteps.map(\.status) == statuses, "\(name)", sourceLocation: sourceLocation)
        }
    }

    /// Two preambles alike but for their definitions: the first steps of `api` come in a burst right after `web`'s
    /// preamble, so the bursts give them to `web`'s. A careful reader keeps the choice open until a name tells.
    private func alikePreambles(commands: Bool, api: String = "Dockerfile.api", web: String = "Dockerfile.web") -> String {
        (commands ? """
        -|+ docker build -f \(api) -t api:1 .
        -|+ docker build -f \(web) -t web:1 .

        """ : "") + """
        A|#0 building with "default" instance using docker driver
        A|#1 [internal] load build definition from \(api.split(separator: "/").last!)
        A|#1 DONE 0.0s
        A|#2 [internal] load metadata for docker.io/library/python:3.11-slim
        B|#0 building with "default" instance using docker driver
        B|#1 [internal] load build definition from \(web.split(separator: "/").last!)
        B|#1 DONE 0.0s
        B|#2 [internal] load metadata for docker.io/library/python:3.11-slim
        A|#2 DONE 0.5s
        A|#3 [1/3] FROM docker.io/library/python:3.11-slim
        A|#3 DONE 0.0s
        A|#4 [2/3] COPY requirements.txt .
        A|#4 CACHED
        B|#2 DONE 0.6s
        B|#3 [1/4] FROM docker.io/library/python:3.11-slim
        B|#3 DONE 0.0s
        B|#4 [2/4] COPY package.json .
        A|#5 [3/3] COPY . .
        B|#4 CACHED
        A|#5 DONE 0.4s
        A|#6 exporting to image
        A|#6 naming to docker.io/library/api:1 done
        A|#6 DONE 0.1s
        B|#5 [3/4] RUN npm ci
        B|#5 DONE 1.3s
        B|#6 [4/4] COPY . .
        B|#6 DONE 0.2s
        B|#7 exporting to image
        B|#7 naming to docker.io/library/web:1 done
        B|#7 DONE 0.1s
        """
    }

    @Test func aCommandLineTellsWhichPreambleABuildContinued() throws {
        let trace = try expectOwners(alikePreambles(commands: true))
        expectImages(trace, ["api": [.cached, .done], "web": [.cached, .done, .done]])
    }

    @Test func withoutCommandLinesADockerfileNamedAfterItsImageTells() throws {
        let trace = try expectOwners(alikePreambles(commands: false))
        expectImages(trace, ["api": [.cached, .done], "web": [.cached, .done, .done]])
        // A file's name is a weaker tie than a command line: the doubt stays said.
        #expect(trace.images.contains { $0.attribution == .inferred })
    }

    @Test func aBareDockerfileTellsNothingAndNothingIsExchanged() throws {
        // `api/Dockerfile` and `web/Dockerfile` both show as `Dockerfile`: the two preambles are the same lines, so
        // the bursts' reading stands, and either reading tells the same story (no doubt to count).
        let (trace, _) = try read(alikePreambles(commands: false, api: "api/Dockerfile", web: "web/Dockerfile"))
        expectImages(trace, ["api": [.cached, .done], "web": [.cached, .done, .done]])
        let web = trace.images.firstIndex { $0.name == "web" }
        #expect(trace.owners[0..<4].allSatisfy { $0 == web }, "api's preamble stays where the bursts put it")
        #expect(trace.images.allSatisfy { $0.attribution == .exact })
    }

    @Test func aFailedBuildGetsTheDefinitionNoNameClaims() throws {
        // The bursts give `api`'s steps to `web`'s preamble, and the log ends before `api`'s export is done, so no
        // exchange happened; `web` fails and prints no `naming to`. By elimination it is the build of the one
        // Dockerfile that no name claims: `Dockerfile.api` is `api`'s.
        let (trace, _) = try read("""
        A|#0 building with "default" instance using docker driver
        A|#1 [internal] load build definition from Dockerfile.api
        A|#1 DONE 0.0s
        A|#2 [internal] load metadata for docker.io/library/python:3.11-slim
        B|#0 building with "default" instance using docker driver
        B|#1 [internal] load build definition from Dockerfile.web
        B|#1 DONE 0.0s
        B|#2 [internal] load metadata for docker.io/library/python:3.11-slim
        A|#2 DONE 0.5s
        A|#3 [1/3] FROM docker.io/library/python:3.11-slim
        A|#3 DONE 0.0s
        A|#4 [2/3] COPY requirements.txt .
        A|#4 CACHED
        B|#2 DONE 0.6s
        B|#3 [1/4] FROM docker.io/library/python:3.11-slim
        B|#3 DONE 0.0s
        B|#4 [2/4] COPY package.json .
        A|#5 [3/3] COPY . .
        B|#4 CACHED
        A|#5 DONE 0.4s
        A|#6 exporting to image
        A|#6 naming to docker.io/library/api:1 done
        B|#5 [3/4] RUN npm ci
        B|#5 ERROR: process "/bin/sh -c npm ci" did not complete successfully: exit code: 1
        -|------
        -| > [3/4] RUN npm ci:
        -|------
        -|ERROR: failed to solve: process "/bin/sh -c npm ci" did not complete successfully: exit code: 1
        """)
        #expect(Set(trace.images.compactMap(\.name)) == ["api", "Dockerfile.web"])
        #expect(trace.images.first { $0.name == "Dockerfile.web" }?.outcome == .failed)
    }

    @Test func aCachedLineIsAStepsNeverAnExports() throws {
        // `#3 CACHED` comes while `api`'s export `#3` is the vertex shown last: only `web`'s step `#3` can be cached.
        let trace = try expectOwners("""
        A|#0 building with "default" instance using docker driver
        A|#1 [1/2] FROM docker.io/library/python:3.11-slim
        A|#1 CACHED
        A|#2 [2/2] COPY . .
        A|#2 CACHED
        A|#3 exporting to image
        B|#0 building with "default" instance using docker driver
        B|#1 [1/4] FROM docker.io/library/node:20-alpine
        B|#1 CACHED
        B|#2 [2/4] COPY package.json .
        B|#2 CACHED
        B|#3 [3/4] RUN npm ci
        A|#3 exporting layers done
        B|#3 CACHED
        A|#3 writing image sha256:1f0e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4 done
        A|#3 naming to docker.io/library/api:1 done
        A|#3 DONE 0.1s
        B|#4 [4/4] COPY . .
        B|#4 CACHED
        B|#5 exporting to image
        B|#5 naming to docker.io/library/web:1 done
        B|#5 DONE 0.1s
        """)
        expectImages(trace, ["api": [.cached], "web": [.cached, .cached, .cached]])
    }

    @Test func twoDifferentDockerfilesAreToldApartByTheirNumberingAndTotals() throws {
        // Unstamped, the two preambles are alike: which `#1 DONE` ends which is not told, and nothing depends on it.
        let trace = try expectOwners("""
        -|+ docker build -f Dockerfile.api -t api:1 .
        -|+ docker build -f Dockerfile.web -t web:1 .
        ?|#0 building with "default" instance using docker driver
        ?|#1 [internal] load build definition from Dockerfile.api
        ?|#0 building with "default" instance using docker driver
        ?|#1 [internal] load build definition from Dockerfile.web
        ?|#1 DONE 0.0s
        A|#2 [1/3] FROM docker.io/library/python:3.11-slim
        A|#2 DONE 0.0s
        A|#3 [2/3] COPY requirements.txt .
        ?|#1 DONE 0.0s
        B|#2 [1/4] FROM docker.io/library/node:20-alpine
        A|#3 CACHED
        B|#2 DONE 0.0s
        B|#3 [2/4] COPY package.json .
        A|#4 [3/3] COPY . .
        B|#3 CACHED
        B|#4 [3/4] RUN npm ci
        A|#4 DONE 0.4s
        A|#5 exporting to image
        B|#4 1.204 added 312 packages
        A|#5 naming to docker.io/library/api:1 done
        A|#5 DONE 0.1s
        B|#4 DONE 1.3s
        B|#5 [4/4] COPY . .
        B|#5 DONE 0.2s
        B|#6 exporting to image
        B|#6 naming to docker.io/library/web:1 done
        B|#6 DONE 0.1s
        """)
        expectImages(trace, ["api": [.cached, .done], "web": [.cached, .done, .done]])
    }

    @Test func anExportShownWithoutItsWorkIsNotEndedByAnotherBuildsDone() throws {
        // A's export takes the number of B's last step; the `DONE` right after it is B's step's: an export shows
        // `exporting layers` and `naming to` before its own `DONE`. Taken by the export, it closed A, and A's
        // `naming to` went to B.
        let trace = try expectOwners("""
        ?|#0 building with "default" instance using docker driver
        ?|#0 building with "default" instance using docker driver
        A|#1 [1/3] FROM docker.io/library/python:3.11-slim
        A|#1 DONE 0.0s
        B|#1 [1/4] FROM docker.io/library/node:20-alpine
        B|#1 DONE 0.0s
        A|#2 [2/3] COPY requirements.txt .
        A|#2 CACHED
        B|#2 [2/4] COPY package.json .
        B|#2 CACHED
        A|#3 [3/3] COPY . .
        A|#3 DONE 0.2s
        B|#3 [3/4] RUN npm ci
        B|#3 1.204 added 312 packages
        B|#3 DONE 1.3s
        B|#4 [4/4] COPY . .
        A|#4 exporting to image
        B|#4 DONE 0.9s
        A|#4 exporting layers 0.5s done
        A|#4 writing image sha256:5d1f0ae2b7c4e1a9f3d8b6c0e2a4f6b8d0c2e4a6f8b0d2c4e6a8f0b2d4c6e8a0 done
        A|#4 naming to docker.io/library/api:1 done
        A|#4 DONE 0.6s
        B|#5 exporting to image
        B|#5 exporting layers 0.3s done
        B|#5 naming to docker.io/library/web:1 done
        B|#5 DONE 0.3s
        """)
        expectImages(trace, ["api": [.cached, .done], "web": [.cached, .done, .done]])
    }

    /// BuildKit before 0.12 announces no build: two builds of one Dockerfile both start at `#1`, and a build loads
    /// its definition once, so the second `load build definition` is the second build's. It was read as a restart
    /// after the first build's definition ended, and as a re-print while it was still loading (the printer never
    /// prints a header twice in a row); the first build then took the second's whole preamble.
    @Test(arguments: [
        """
        A|#1 [internal] load build definition from Dockerfile
        A|#1 transferring dockerfile: 1014B done
        A|#1 DONE 0.0s
        A|#2 [internal] load metadata for docker.io/library/python:3.11-slim
        B|#1 [internal] load build definition from Dockerfile
        B|#1 transferring dockerfile: 1026B done
        B|#1 DONE 0.0s
        B|#2 [internal] load metadata for docker.io/library/python:3.11-slim
        """,
        """
        A|#1 [internal] load build definition from Dockerfile
        A|#1 transferring dockerfile: 1014B done
        B|#1 [internal] load build definition from Dockerfile
        B|#1 transferring dockerfile: 1026B done
        B|#1 DONE 0.0s
        A|#1 DONE 0.0s
        A|#2 [internal] load metadata for docker.io/library/python:3.11-slim
        B|#2 [internal] load metadata for docker.io/library/python:3.11-slim
        """,
    ])
    func aSecondBuildDefinitionIsAnotherBuild(preambles: String) throws {
        let trace = try expectOwners(preambles + """

        ?|#2 DONE 0.3s
        ?|#2 DONE 0.6s
        A|#3 [1/2] FROM docker.io/library/python:3.11-slim
        A|#3 CACHED
        A|#4 [2/2] COPY . .
        B|#3 [1/2] FROM docker.io/library/python:3.11-slim
        B|#3 CACHED
        A|#4 DONE 0.3s
        A|#5 exporting to image
        B|#4 [2/2] COPY . .
        B|#4 CACHED
        A|#5 naming to docker.io/library/api:1 done
        A|#5 DONE 0.1s
        B|#5 exporting to image
        B|#5 naming to docker.io/library/worker:1 done
        B|#5 DONE 0.1s
        """)
        #expect(trace.images.count == 2)
        expectImages(trace, ["api": [.done], "worker": [.cached]])
    }

    @Test func aBuildLoadsItsContextOnlyOnceItsMetadataLoaded() throws {
        // Whole-second stamps say nothing of which build's `.dockerignore` comes after `web`'s end line; only `api`
        // has loaded its base image's metadata, and the frontend resolves it before it solves the definition.
        let trace = try expectOwners("""
        -|+ docker build -f Dockerfile.api -t api:1 .
        -|+ docker build -f Dockerfile.web -t web:1 .
        A 1|#0 building with "default" instance using docker driver
        A 1|#1 [internal] load build definition from Dockerfile.api
        A 1|#1 DONE 0.0s
        A 1|#2 [internal] load metadata for docker.io/library/python:3.11-slim
        B 1|#0 building with "default" instance using docker driver
        B 1|#1 [internal] load build definition from Dockerfile.web
        B 1|#2 [internal] load metadata for docker.io/library/python:3.11-slim
        A 2|#2 DONE 0.9s
        B 2|#1 DONE 0.9s
        A 2|#3 [internal] load .dockerignore
        A 2|#3 transferring context: 2B done
        A 2|#3 DONE 0.0s
        A 2|#4 [1/2] FROM docker.io/library/python:3.11-slim
        A 2|#4 CACHED
        A 2|#5 [2/2] COPY . .
        A 2|#5 CACHED
        A 2|#6 exporting to image
        A 2|#6 naming to docker.io/library/api:1 done
        A 2|#6 DONE 0.1s
        B 3|#2 DONE 1.7s
        B 3|#3 [internal] load .dockerignore
        B 3|#3 transferring context: 2B done
        B 3|#3 DONE 0.0s
        B 3|#4 [1/3] FROM docker.io/library/python:3.11-slim
        B 3|#4 CACHED
        B 3|#5 [2/3] COPY package.json .
        B 3|#5 CACHED
        B 3|#6 [3/3] COPY . .
        B 3|#6 DONE 0.2s
        B 3|#7 exporting to image
        B 3|#7 naming to docker.io/library/web:1 done
        B 3|#7 DONE 0.1s
        """)
        expectImages(trace, ["api": [.cached], "web": [.cached, .done]])
    }

    /// The two builds' command lines of the marked texts below.
    private let commands = """
        -|+ docker build -f Dockerfile.api -t api:1 .
        -|+ docker build -f Dockerfile.web -t web:1 .
        """

    /// `mark`'s build up to its base image's metadata, loaded: `#0 building with`, its definition
    /// `Dockerfile.<name>`, the metadata of `base`.
    private func preamble(_ mark: Character, _ name: String, base: String) -> String {
        """
        \(mark)|#0 building with "default" instance using docker driver
        \(mark)|#1 [internal] load build definition from Dockerfile.\(name)
        \(mark)|#1 DONE 0.0s
        \(mark)|#2 [internal] load metadata for docker.io/library/\(base)
        \(mark)|#2 DONE 0.4s
        """
    }

    private let python = "docker.io/library/python:3.11-slim@sha256:2ec5a4a5c3e919570f57675471f081d6299668d909feabd8d4803c6c61af666c"
    private let node = "docker.io/library/node:20-alpine@sha256:1f0e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4"

    /// `mark`'s build from its `FROM` of `image` (vertex `number`, cached) to the export of `name`'s image, with one
    /// `COPY` done in `seconds`.
    private func tail(_ mark: Character, _ name: String, from image: String, at number: Int, copy: String, seconds: String) -> String {
        """
        \(mark)|#\(number) [1/2] FROM \(image)
        \(mark)|#\(number) CACHED
        \(mark)|#\(number + 1) [2/2] COPY \(copy)
        \(mark)|#\(number + 1) DONE \(seconds)s
        \(mark)|#\(number + 2) exporting to image
        \(mark)|#\(number + 2) naming to docker.io/library/\(name):1 done
        \(mark)|#\(number + 2) DONE 0.1s
        """
    }

    @Test func aTransfersBytesOnlyGrow() throws {
        // Both builds load their context, untimed; `api`'s first transfer has sent fewer bytes than `web`'s last said,
        // so it is not `web`'s, though it follows `web`'s line.
        let trace = try expectOwners("""
        \(commands)
        \(preamble("A", "api", base: "python:3.11-slim"))
        A|#3 [internal] load build context
        \(preamble("B", "web", base: "node:20-alpine"))
        B|#3 [internal] load build context
        B|#3 transferring context: 3.10MB 0.5s
        A|#3 transferring context: 420.5kB 0.5s
        A|#3 transferring context: 1.20MB 0.9s done
        A|#3 DONE 0.9s
        B|#3 transferring context: 4.02MB 1.0s done
        B|#3 DONE 1.0s
        \(tail("B", "web", from: node, at: 4, copy: "web/ .", seconds: "0.2"))
        \(tail("A", "api", from: python, at: 4, copy: ". .", seconds: "0.3"))
        """)
        expectImages(trace, ["api": [.done], "web": [.done]])
    }

    @Test func aBaseImageTellsWhichPreambleItsBuildContinues() throws {
        // Two preambles alike but for their base images (both definitions are a `Dockerfile`, and no command line
        // tells which is which). `api`'s metadata ends in a burst right after `web`'s preamble, so the burst goes to
        // `web`'s build, up to a `FROM` of the image `api` loaded: the preambles are exchanged, and every line is its
        // build's.
        let trace = try expectOwners("""
        A|#0 building with "default" instance using docker driver
        A|#1 [internal] load build definition from Dockerfile
        A|#1 DONE 0.0s
        A|#2 [internal] load metadata for docker.io/library/python:3.11-slim
        B|#0 building with "default" instance using docker driver
        B|#1 [internal] load build definition from Dockerfile
        B|#1 DONE 0.0s
        B|#2 [internal] load metadata for docker.io/library/node:20-alpine
        A|#2 DONE 0.5s
        A|#3 [internal] load .dockerignore
        A|#3 DONE 0.0s
        \(tail("A", "api", from: python, at: 4, copy: ". .", seconds: "0.2"))
        B|#2 DONE 0.6s
        B|#3 [internal] load .dockerignore
        B|#3 DONE 0.0s
        \(tail("B", "web", from: node, at: 4, copy: "web/ .", seconds: "0.2"))
        """)
        expectImages(trace, ["api": [.done], "web": [.done]])
        #expect(trace.images.first { $0.name == "api" }?.steps.contains { $0.instruction.contains("FROM docker.io/library/python") } == true)
    }

    @Test func aHeaderNoBuildCanTakeStartsNoBuildWhereEveryBuildBeganWithItsDefinition() throws {
        // Neither build announces itself, both begin with their definitions. A header at `#4` that both already
        // hold is a misreading somewhere, never the first line of a third build: a build would begin at `#1`.
        let (trace, _) = try read("""
        -|#1 [internal] load build definition from Dockerfile.api
        -|#1 DONE 0.0s
        -|#1 [internal] load build definition from Dockerfile.web
        -|#1 DONE 0.0s
        -|#2 [1/2] FROM docker.io/library/python:3.11-slim
        -|#2 CACHED
        -|#2 [1/2] FROM docker.io/library/node:20-alpine
        -|#2 CACHED
        -|#3 [2/2] COPY . .
        -|#3 DONE 0.1s
        -|#3 [2/2] COPY web/ .
        -|#3 DONE 0.1s
        -|#4 exporting to image
        -|#4 exporting to image
        -|#4 [2/3] RUN make
        -|#4 naming to docker.io/library/api:1 done
        -|#4 DONE 0.1s
        -|#4 naming to docker.io/library/web:1 done
        -|#4 DONE 0.1s
        """)
        #expect(trace.images.count == 2)
    }

    @Test func timedOutputIsARunsNotACopys() throws {
        // Both builds show their `#4`, untimed: `api`'s is a `COPY`, shown last, and `web`'s a `RUN`. Output with
        // seconds is a process's: `web`'s, though it follows `api`'s line.
        let trace = try expectOwners("""
        \(commands)
        \(preamble("A", "api", base: "python:3.11-slim"))
        A|#3 [1/2] FROM docker.io/library/python:3.11-slim@sha256:2ec5a4a5c3e919570f57675471f081d6299668d909feabd8d4803c6c61af666c
        A|#3 CACHED
        \(preamble("B", "web", base: "node:20-alpine"))
        B|#3 [1/2] FROM docker.io/library/node:20-alpine@sha256:1f0e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4
        B|#3 CACHED
        B|#4 [2/2] RUN npm ci
        A|#4 [2/2] COPY . .
        B|#4 0.412 added 212 packages in 0.4s
        B|#4 DONE 0.6s
        A|#4 DONE 0.3s
        A|#5 exporting to image
        A|#5 naming to docker.io/library/api:1 done
        A|#5 DONE 0.1s
        B|#5 exporting to image
        B|#5 naming to docker.io/library/web:1 done
        B|#5 DONE 0.1s
        """)
        expectImages(trace, ["api": [.done], "web": [.done]])
    }

    @Test func aHeaderOnlyOneBuildCouldTakeButThatBreaksItsFactsLeavesThatBuildInferred() throws {
        // `web`'s `#4` can only be `web`'s (`api` holds another `#4`), but `web` loaded no metadata for the image it
        // names: its reading is in doubt, though nothing else was.
        let trace = try expectOwners("""
        \(commands)
        \(preamble("A", "api", base: "python:3.11-slim"))
        A|#3 [internal] load .dockerignore
        A|#3 DONE 0.0s
        A|#4 [1/2] FROM docker.io/library/python:3.11-slim@sha256:2ec5a4a5c3e919570f57675471f081d6299668d909feabd8d4803c6c61af666c
        A|#4 CACHED
        A|#5 [internal] load build context
        \(preamble("B", "web", base: "node:20-alpine"))
        B|#3 [internal] load .dockerignore
        B|#3 DONE 0.0s
        B|#4 [1/2] FROM docker.io/library/golang:1.22@sha256:1f0e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4
        B|#4 CACHED
        A|#5 DONE 0.1s
        A|#6 [2/2] COPY . .
        A|#6 DONE 0.2s
        A|#7 exporting to image
        A|#7 naming to docker.io/library/api:1 done
        A|#7 DONE 0.1s
        B|#5 [internal] load build context
        B|#5 DONE 0.1s
        B|#6 [2/2] COPY web/ .
        B|#6 DONE 0.2s
        B|#7 exporting to image
        B|#7 naming to docker.io/library/web:1 done
        B|#7 DONE 0.1s
        """)
        expectImages(trace, ["api": [.done], "web": [.done]])
        #expect(trace.images.first { $0.name == "api" }?.attribution == .exact)
        #expect(trace.images.first { $0.name == "web" }?.attribution == .inferred)
    }

    @Test(arguments: [
        ("transferring context: 2.54MB 1.2s", 2_540_000.0), ("transferring context: 420.5kB 0.5s done", 420_500),
        ("transferring dockerfile: 891B done", 891), ("transferring context: 1.5GiB 30.0s", 1.5 * 1024 * 1024 * 1024),
        ("transferring context: 2.54XB 1.2s", nil), ("transferring context: done", nil),
    ] as [(String, Double?)])
    func aTransfersBytesAreReadInTheirUnit(text: String, bytes: Double?) {
        let read = Array(text.utf8).withUnsafeBufferPointer { BuildKitAttribution.transferBytes($0) }
        #expect(read == bytes)
    }

    @Test func aLayersProgressBelongsToAPullNeverToAFileLoaded() throws {
        // Both builds' `#4` is running when the layer line comes, right after `api`'s: only `web`'s `#4` pulls an image.
        let trace = try expectOwners("""
        -|+ docker build -f Dockerfile.api -t api:1 .
        -|+ docker build -f Dockerfile.web -t web:1 .
        A|#0 building with "default" instance using docker driver
        A|#1 [internal] load build definition from Dockerfile.api
        A|#1 DONE 0.0s
        A|#2 [internal] load metadata for docker.io/library/python:3.11-slim
        A|#2 DONE 0.4s
        A|#3 [1/2] FROM docker.io/library/python:3.11-slim@sha256:2ec5a4a5c3e919570f57675471f081d6299668d909feabd8d4803c6c61af666c
        A|#3 CACHED
        B|#0 building with "default" instance using docker driver
        B|#1 [internal] load build definition from Dockerfile.web
        B|#1 DONE 0.0s
        B|#2 [internal] load metadata for docker.io/library/node:20-alpine
        B|#2 DONE 0.5s
        B|#3 [internal] load .dockerignore
        B|#3 DONE 0.0s
        B|#4 [1/2] FROM docker.io/library/node:20-alpine@sha256:1f0e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4
        A|#4 [internal] load build context
        B|#4 sha256:def313457b2128dad7a65e36baf7788fc05c4b2e3c9c3c29a9bd6b3fc00679f9 0B / 29.13MB 0.2s
        A|#4 transferring context: 2.1MB 0.3s done
        A|#4 DONE 0.3s
        A|#5 [2/2] COPY . .
        A|#5 DONE 0.2s
        A|#6 exporting to image
        A|#6 naming to docker.io/library/api:1 done
        A|#6 DONE 0.1s
        B|#4 sha256:def313457b2128dad7a65e36baf7788fc05c4b2e3c9c3c29a9bd6b3fc00679f9 29.13MB / 29.13MB 2.1s done
        B|#4 extracting sha256:def313457b2128dad7a65e36baf7788fc05c4b2e3c9c3c29a9bd6b3fc00679f9 0.9s done
        B|#4 DONE 3.0s
        B|#5 [internal] load build context
        B|#5 DONE 0.1s
        B|#6 [2/2] COPY . .
        B|#6 DONE 0.2s
        B|#7 exporting to image
        B|#7 naming to docker.io/library/web:1 done
        B|#7 DONE 0.1s
        """)
        expectImages(trace, ["api": [.done], "web": [.done]])
        #expect(trace.images.first { $0.name == "web" }?.basePulled == true)
    }

    @Test func aHeaderIsPrintedAgainOnlyAfterItsSwitchAway() throws {
        // One daemon runs the shared `uv pip install` once and B shows it under A's name (`[4/5]` in a six-step
        // Dockerfile). A's vertex #4 is open but A printed no `#4 ...`: the header is B's new vertex, not A's re-print.
        let trace = try expectOwners("""
        ?|#0 building with "default" instance using docker driver
        ?|#0 building with "default" instance using docker driver
        A|#1 [1/5] FROM docker.io/library/python:3.11-slim
        A|#1 CACHED
        A|#2 [internal] load build context
        B|#1 [1/6] FROM docker.io/library/python:3.11-slim
        B|#1 CACHED
        B|#2 [internal] load .dockerignore
        B|#2 DONE 0.4s
        A|#3 [3/5] COPY requirements.txt .
        A|#3 DONE 0.1s
        B|#3 [3/6] COPY requirements.txt .
        A|#4 [4/5] RUN uv pip install --system -r requirements.txt
        B|#3 DONE 0.1s
        A|#2 DONE 1.2s
        B|#4 [4/5] RUN uv pip install --system -r requirements.txt
        B|#4 DONE 20.3s
        B|#5 [5/6] COPY web/ ./web/
        B|#5 DONE 0.2s
        A|#4 DONE 20.3s
        A|#5 [5/5] COPY api/ ./api/
        A|#5 DONE 0.2s
        B|#6 [6/6] RUN python -m compileall -q web
        B|#6 DONE 0.8s
        A|#6 exporting to image
        A|#6 exporting layers 2.1s done
        A|#6 naming to docker.io/library/api:1 done
        A|#6 DONE 2.1s
        B|#7 exporting to image
        B|#7 exporting layers 2.4s done
        B|#7 naming to docker.io/library/web:1 done
        B|#7 DONE 2.4s
        """)
        #expect(Set(trace.images.compactMap(\.name)) == ["api", "web"])
        let web = try #require(trace.images.first { $0.name == "web" })
        #expect(web.dockerfileSteps.map(\.status) == [.done, .done, .done, .done])
        #expect(web.dockerfileSteps.allSatisfy { $0.status != .pending })
    }

    @Test func aBuildsAnnouncementAndItsFirstHeaderShareTheirBurst() throws {
        // Both builds announce themselves 10 ms apart; the definition after the second `#0`, in the same burst (the same
        // millisecond stamp), is the second build's: which build loaded which Dockerfile names the one that fails.
        let trace = try expectOwners("""
        -|+ docker build -f Dockerfile.api -t api:1 .
        -|+ docker build -f Dockerfile.web -t web:1 .
        A 0.625|#0 building with "default" instance using docker driver
        B 0.635|#0 building with "default" instance using docker driver
        B 0.635|#1 [internal] load build definition from Dockerfile.web
        B 0.635|#1 DONE 0.0s
        B 0.635|#2 [internal] load metadata for docker.io/library/node:20-alpine
        A 0.644|#1 [internal] load build definition from Dockerfile.api
        A 0.644|#1 DONE 0.0s
        A 0.644|#2 [internal] load metadata for docker.io/library/python:3.11-slim
        B 1.210|#2 DONE 0.6s
        B 1.210|#3 [1/2] FROM docker.io/library/node:20-alpine
        B 1.210|#3 CACHED
        A 1.305|#2 DONE 0.7s
        A 1.305|#3 [1/3] FROM docker.io/library/python:3.11-slim
        A 1.305|#3 CACHED
        B 1.320|#4 [2/2] RUN npm ci
        B 3.504|#4 ERROR: process "/bin/sh -c npm ci" did not complete successfully: exit code: 1
        A 3.612|#4 [2/3] COPY requirements.txt .
        A 3.612|#4 CACHED
        A 3.620|#5 [3/3] COPY . .
        A 3.620|#5 DONE 0.2s
        A 3.900|#6 exporting to image
        A 3.900|#6 naming to docker.io/library/api:1 done
        A 3.910|#6 DONE 0.1s
        """)
        #expect(Set(trace.images.compactMap(\.name)) == ["api", "web"])
        let web = try #require(trace.images.first { $0.name == "web" })
        #expect(web.outcome == .failed)
    }

    @Test func anExportsStatusesGoWithTheDoneTheirTimeTells() throws {
        // Three exports under one number; the statuses right before a `DONE 19.2s` read as the export shown last
        // (14 s ago), but the `DONE` can only end the one shown 19 s ago, and an export shows its work before its
        // `DONE`: the statuses, and the name, were that build's (the sample history's pipeline #222).
        let trace = try expectOwners("""
        ?|#0 building with "default" instance using docker driver
        ?|#0 building with "default" instance using docker driver
        A 30.00|#1 [1/2] FROM docker.io/library/python:3.11-slim
        A 30.00|#1 CACHED
        A 32.10|#2 [2/2] COPY . .
        A 32.28|#2 DONE 0.2s
        A 32.29|#3 exporting to image
        B 35.00|#1 [1/2] FROM docker.io/library/python:3.11-slim
        B 35.00|#1 CACHED
        B 37.10|#2 [2/2] COPY . .
        B 37.31|#2 DONE 0.2s
        B 37.33|#3 exporting to image
        A 51.386|#3 exporting layers 10.1s done
        A 51.443|#3 writing image sha256:2c574ebc2e7dae52ffb4ef92ebf86d265f04106aa14d9749f22976191196c65b done
        A 51.462|#3 naming to docker.io/library/api:latest done
        A 51.481|#3 DONE 19.2s
        B 57.559|#3 exporting layers 10.6s done
        B 57.616|#3 writing image sha256:333ab9cdd4db32e00f903d2fc768f00be20734215ea19d85f550e25e38c77b0b done
        B 57.635|#3 naming to docker.io/library/web:latest done
        B 57.654|#3 DONE 20.3s
        """)
        #expect(Set(trace.images.compactMap(\.name)) == ["api", "web"])
    }

    @Test func aHeaderPrintedAgainAfterItsSwitchAwayStaysWithItsBuild() throws {
        // lcbp3: `#4 ...` then the header again; the other build's #4 is another vertex.
        _ = try expectOwners("""
        A 1.0|#0 building with "default" instance using docker driver
        B 1.0|#0 building with "default" instance using docker driver
        A 1.1|#1 [internal] load build definition from Dockerfile
        B 1.1|#1 [internal] load build definition from Dockerfile
        A 1.2|#1 DONE 0.1s
        B 1.2|#1 DONE 0.1s
        A 1.8|#2 [deps 1/3] FROM docker.io/library/node:24-alpine
        A 1.8|#2 resolve docker.io/library/node:24-alpine 0.0s
        B 1.9|#2 [internal] load build context
        B 1.9|#2 DONE 0.0s
        A 1.9|#2 ...
        A 1.9|#3 [internal] load build context
        A 1.9|#3 DONE 0.0s
        A 2.1|#2 [deps 1/3] FROM docker.io/library/node:24-alpine
        A 2.3|#2 resolve docker.io/library/node:24-alpine 0.4s done
        A 2.4|#2 DONE 0.4s
        B 2.4|#3 [deps 1/3] FROM docker.io/library/node:24-alpine
        B 2.5|#3 DONE 0.3s
        """)
    }

    @Test func anEndLineGoesWhereTheLineAfterItFits() throws {
        // Both builds are in their step 7 when one `#11 DONE` comes; only the one whose last step that was can export
        // next, and the export follows in the same burst.
        let trace = try expectOwners("""
        ?|#0 building with "default" instance using docker driver
        ?|#0 building with "default" instance using docker driver
        A|#1 [1/2] FROM docker.io/library/python:3.11-slim
        B|#1 [1/3] FROM docker.io/library/python:3.11-slim
        ?|#1 DONE 0.0s
        ?|#1 DONE 0.0s
        A|#2 [2/2] COPY cookie_refresher.py .
        B|#2 [2/3] COPY flask_app/ ./flask_app/
        A|#2 DONE 0.7s
        A|#3 exporting to image
        B|#2 DONE 1.5s
        B|#3 [3/3] RUN useradd app
        B|#3 DONE 1.2s
        A|#3 naming to docker.io/library/cookie-refresher:1 done
        A|#3 DONE 4.0s
        B|#4 exporting to image
        B|#4 naming to docker.io/library/flask:1 done
        B|#4 DONE 3.0s
        """)
        let cookie = try #require(trace.images.first { $0.name == "cookie-refresher" })
        #expect(cookie.dockerfileSteps.count == 1)
        #expect(abs((cookie.dockerfileSteps.first?.duration ?? 0) - 0.7) < 1e-9)
    }

    @Test func outputGoesToTheVertexWhoseMomentAndTextItContinues() throws {
        // Two builds run the same `RUN` at once; their output differs in its seconds and never repeats.
        let trace = try expectOwners("""
        ? 9.90|#0 building with "default" instance using docker driver
        ? 9.91|#0 building with "default" instance using docker driver
        A 9.95|#1 [1/2] FROM docker.io/library/python:3.11-slim
        A 9.95|#1 DONE 0.0s
        B 9.97|#1 [1/3] FROM docker.io/library/python:3.11-slim
        B 9.97|#1 DONE 0.0s
        A 10.00|#2 [2/2] RUN uv pip install --system -r requirements.txt
        B 10.40|#2 [2/3] RUN uv pip install --system -r requirements.txt
        A 10.30|#2 0.301 Using Python 3.11.11 environment at: /usr/local
        B 10.73|#2 0.327 Using Python 3.11.11 environment at: /usr/local
        A 21.98|#2 11.98  Downloaded plotly
        A 21.98|#2 11.98  Downloaded numpy
        B 24.16|#2 13.76  Downloaded plotly
        B 24.16|#2 13.76  Downloaded numpy
        A 22.10|#2 DONE 12.1s
        B 24.30|#2 DONE 13.9s
        """)
        #expect(trace.images.count == 2)
        #expect(Set(trace.images.compactMap { $0.dockerfileSteps.first?.duration }) == [12.1, 13.9])
    }

    @Test func maskedVertexIdsFollowTheirHeader() throws {
        // A CI masked a secret "22": `#22` prints as `#***`.
        let trace = try expectOwners("""
        A|#0 building with "default" instance using docker driver
        A|#21 [deps 4/6] COPY package.json ./
        A|#21 CACHED
        A|#*** [deps 5/6] COPY backend/package.json ./backend/
        A|#*** CACHED
        A|#23 [production 3/8] WORKDIR /app
        A|#23 CACHED
        """)
        let steps = try #require(trace.images.first).dockerfileSteps
        #expect(steps.map(\.index) == [4, 5, 3])
        #expect(steps.allSatisfy { $0.status == .cached })
    }

    @Test func indentedLinesAreRead() throws {
        let trace = try expectOwners("""
        A| #0 building with "default" instance using docker driver
        A| #1 [1/2] FROM docker.io/library/python:3.11-slim
        A| #1 CACHED
        A| #2 [2/2] COPY . .
        A| #2 CACHED
        A| #3 exporting to image
        A| #3 naming to docker.io/library/backtest-backend-test:149 done
        A| #3 DONE 0.0s
        """)
        #expect(trace.images.map(\.name) == ["backtest-backend-test"])
        #expect(trace.images.first?.dockerfileSteps.count == 1)
    }

    /// Two builds of one Dockerfile started together: their command lines and their first lines, either's.
    private let twoBuildsOfOneDockerfile = """
        -|+ docker build -t one:1 .
        -|+ docker build -t two:1 .
        ?|#0 building with "default" instance using docker driver
        ?|#0 building with "default" instance using docker driver
        """

    @Test func identicalBuildsApartInTheirProgressAreNoLongerInterchangeable() throws {
        // Two builds of one Dockerfile load their contexts, untimed. The first transfer could be either's and tells
        // the same story; the second could be the first's progress or the other's start: which it was, nothing
        // says, and the reading says so.
        let trace = try expectOwners("""
        \(twoBuildsOfOneDockerfile)
        ?|#1 [internal] load build context
        ?|#1 [internal] load build context
        ?|#1 transferring context: 1.20MB 0.3s
        ?|#1 transferring context: 2.40MB 0.4s
        ?|#1 transferring context: 3.10MB 0.6s done
        ?|#1 DONE 0.6s
        ?|#1 transferring context: 2.90MB 0.7s done
        ?|#1 DONE 0.7s
        ?|#2 [1/1] FROM docker.io/library/python:3.11-slim
        ?|#2 CACHED
        ?|#2 [1/1] FROM docker.io/library/python:3.11-slim
        ?|#2 CACHED
        ?|#3 exporting to image
        ?|#3 naming to docker.io/library/one:1 done
        ?|#3 DONE 0.1s
        ?|#3 exporting to image
        ?|#3 naming to docker.io/library/two:1 done
        ?|#3 DONE 0.1s
        """)
        #expect(Set(trace.images.compactMap(\.name)) == ["one", "two"])
        #expect(trace.images.contains { $0.attribution == .inferred })
    }

    @Test func identicalBuildsInStepAreInterchangeableAndAFailedOneIsNamedByItsCommand() throws {
        let trace = try expectOwners("""
        \(twoBuildsOfOneDockerfile)
        ?|#1 [1/2] FROM docker.io/library/python:3.11-slim
        ?|#1 [1/2] FROM docker.io/library/python:3.11-slim
        ?|#1 CACHED
        ?|#1 CACHED
        A|#2 [2/2] RUN pip install -r requirements.txt
        A|#2 0.512 Collecting flask
        A|#2 ERROR: process "/bin/sh -c pip install -r requirements.txt" did not complete successfully: exit code: 1
        -|------
        -| > [2/2] RUN pip install -r requirements.txt:
        -|------
        -|ERROR: failed to solve: process "/bin/sh -c pip install -r requirements.txt" did not complete successfully: exit code: 1
        B|#2 [2/2] RUN pip install -r requirements.txt
        B|#2 CACHED
        B|#3 exporting to image
        B|#3 naming to docker.io/library/two:1 done
        B|#3 DONE 0.1s
        """)
        let failed = try #require(trace.images.first { $0.outcome == .failed })
        #expect(failed.name == "one")
        #expect(failed.exitCode == 1)
        #expect(trace.images.first { $0.outcome == .succeeded }?.name == "two")
        // The two builds were alike until one failed: nothing the reading chose could have told another story.
        #expect(trace.images.allSatisfy { $0.attribution == .exact })
    }
}

/// Numbers from a log that no build could print are ignored, never trapped on (issue: crafted numbers crashed the
/// binary).
@Suite struct OutOfRangeBuildNumbersTests {
    /// Found by the `drone` fuzz target: a masked vertex followed by many digits overflowed the vertex number.
    @Test func aMaskFollowedByManyDigitsIsStillAMaskedLine() throws {
        let line = "#*" + String(repeating: "7", count: 60) + " DONE 36.0s"
        let analyzer = try LogAnalyzer(configuration: .default)
        let log = "#0 building with \"default\" instance using docker driver\n#1 [1/2] FROM docker.io/library/python:3.12\n\(line)\n"
        _ = analyzer.summary(reading: try LogReader().read(MemoryByteSource(Array(log.utf8)), into: analyzer))
        let parsed = try #require(Array(line.utf8).withUnsafeBufferPointer { BuildKitLine($0) })
        #expect(parsed.vertex == -1)
    }

    @Test func hugeStepPositionsAndDurationsAreIgnored() throws {
        let trace = try BuildAttributionTrace(lines: [
            ("#0 building with \"default\" instance using docker driver", nil),
            ("#1 [1/2] FROM docker.io/library/python:3.11-slim", nil),
            ("#1 DONE 99999999999999999999.9s", nil),
            ("#2 [9223372036854775807/1] RUN b", nil),
            ("#2 DONE 1.0s", nil),
            ("#3 [2/2] RUN a", nil),
            ("#3 DONE 1e400s", nil),
            ("Step  : FROM x", nil),
            ("Step 99999999999999999999/1 : RUN y", nil),
        ])
        // The legacy lines with no or a huge step number start no build.
        #expect(trace.images.count == 1)
        let image = try #require(trace.images.first)
        // The FROM has no duration (its DONE said nothing a build could take); the huge position is no step.
        #expect(image.steps.first?.duration == nil)
        #expect(image.steps.contains { $0.instruction == "RUN b" && $0.index == nil })
        #expect(image.dockerfileSteps.map(\.index) == [2])
        #expect(image.dockerfileSteps.first?.duration == nil)
        // Classifying it (where the huge position overflowed) gives the class its steps say.
        #expect(image.classification.runClass == .cold)
    }

    @Test func durationsBeyondAYearAreShownAsSuch() {
        #expect(DurationFormat.string(1e19) == "> 1 year")
        #expect(DurationFormat.string(9_223_372_036_854_775_807) == "> 1 year")
        #expect(DurationFormat.string(-1e30) == "< -1 year")
        #expect(DurationFormat.string(.nan) == "—")
        #expect(DurationFormat.string(3725) == "1h02m")
    }
}

/// Blocks that are no image build: buildx's setup before a build, and what a build prints after its export.
@Suite struct NonImageBlockTests {
    @Test func setupAndTrailingBlocksMakeNoImage() throws {
        let trace = try BuildAttributionTrace(lines: [
            ("#1 [internal] booting buildkit", nil),
            ("#1 pulling image moby/buildkit:buildx-stable-1 2.1s done", nil),
            ("#1 DONE 3.2s", nil),
            ("#0 building with \"builder0\" instance using docker-container driver", nil),
            ("#1 [internal] load build definition from Dockerfile", nil),
            ("#1 DONE 0.0s", nil),
            ("#2 [1/2] FROM docker.io/library/python:3.11-slim", nil),
            ("#2 CACHED", nil),
            ("#3 [2/2] COPY . .", nil),
            ("#3 DONE 0.3s", nil),
            ("#4 exporting to image", nil),
            ("#4 naming to docker.io/library/app:1 done", nil),
            ("#4 DONE 0.1s", nil),
            ("#5 exporting cache to registry", nil),
            ("#5 preparing build cache for export 1.2s done", nil),
            ("#5 DONE 1.2s", nil),
            ("#6 resolving provenance for metadata file", nil),
            ("#6 DONE 0.0s", nil),
        ])
        #expect(trace.images.map(\.name) == ["app"])
        let app = try #require(trace.images.first)
        #expect(app.steps.map(\.instruction).suffix(2) == ["exporting cache to registry", "resolving provenance for metadata file"])
        #expect(app.dockerfileSteps.map(\.status) == [.done])
        #expect(app.outcome == .succeeded)
    }
}

/// Woodpecker and Drone entries whose `time` no step could have (issue: `"time": 10000000000000000000` was stored,
/// then crashed every reader of the database).
@Suite struct ImplausibleEntryTimeTests {
    @Test(arguments: ["10000000000000000000", "1e30", "9223372036854775807", "-5"])
    func anEntryTimeNoStepCouldHaveKeepsThePreviousTime(_ time: String) throws {
        let lines = ["Building Docker images in parallel...", "✅ All images built and tagged", "✅ All containers deployed successfully"]
        let entries = lines.enumerated().map { index, line in
            #"{"id":\#(index),"step_id":1,"time":\#(index == 1 ? time : String(index * 5)),"line":\#(index),"data":"\#(Data(line.utf8).base64EncodedString())","type":0}"#
        }
        let file = FileManager.default.temporaryDirectory.appending(path: "buildtime-time-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(("[" + entries.joined(separator: ",") + "]").utf8).write(to: file)
        let run = try Ingester(configuration: .default).run(fromPath: file.path)
        #expect(run.totalSeconds == 10)
        #expect(run.phase(named: "build")?.duration == 0)
        #expect(run.phase(named: "deploy")?.duration == 10)
    }
}
