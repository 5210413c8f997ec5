import Foundation
import Testing
@testable import BuildtimeCore

/// An ingested log gets the machine's state where the pipeline printed it.
@Suite struct LogContextTests {
    static func context(_ lines: [String]) throws -> RunContext? {
        let analyzer = try LogAnalyzer(configuration: .default, readsBuilds: false)
        let outcome = try LogReader().read(MemoryByteSource(Array((lines.joined(separator: "\n") + "\n").utf8)), into: analyzer)
        return analyzer.summary(reading: outcome).context
    }

    @Test func dockerSystemDfDiskLoadAndCores() throws {
        let context = try #require(try Self.context([
            "CI_PIPELINE_EVENT=push", "CI_PREV_COMMIT_SHA=abc123", #"CI_PIPELINE_FILES=["app/main.py"]"#,
            "+ docker system df",
            "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE",
            "Images          87        3         33.50GB   31.40GB (93%)",
            "Containers      3         3         28.4MB    0B (0%)",
            "Local Volumes   2         2         1.21GB    0B (0%)",
            "Build Cache     120       0         52.40GB   47.90GB",
            "+ df -P /var/lib/docker",
            "Filesystem     1024-blocks     Used Available Capacity Mounted on",
            "/dev/sda1        102687672  99600000   3087672      97% /var/lib/docker",
            " 16:26:00 up 12 days,  3:04,  0 users,  load average: 7.80, 7.02, 6.24",
            "CPUs: 4",
            " Docker Root Dir: /var/lib/docker",
            "+ df -h /",
            "Filesystem      Size  Used Avail Use% Mounted on",
            "overlay          98G   95G  3.0G  97% /",
            "10:00:00 up 1 day, load average: 0.50, 0.40, 0.30",
        ]))
        #expect(context.docker?.images?.total == 87)
        #expect(context.docker?.buildCache?.size == 52.4e9)
        #expect(context.docker?.buildCache?.reclaimable == 47.9e9)
        #expect(context.start?.diskPath == "/var/lib/docker")
        #expect(context.start?.diskSizeBytes == 102687672.0 * 1024)
        #expect(context.start?.diskFreeBytes == 3087672.0 * 1024)
        #expect(context.start?.load1 == 7.8 && context.start?.load15 == 6.24)
        #expect(context.start?.cores == 4)
        #expect(context.end?.diskFreeBytes == 3.0 * 1024 * 1024 * 1024)
        #expect(context.end?.load1 == 0.5)
        #expect(context.dockerRoot == "/var/lib/docker")
        #expect(context.event == "push" && context.previousCommit == "abc123")
        #expect(context.changedFiles == ["app/main.py"] && context.changedFilesSource == "CI_PIPELINE_FILES")
    }

    static func table(images: Int, cache: String) -> [String] {
        ["TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE",
         "Images          \(images)        2         3.50GB    1.40GB (40%)",
         "Containers      2         2         28.4MB    0B (0%)",
         "Local Volumes   0         0         0B        0B",
         "Build Cache     40        0         \(cache)   \(cache)"]
    }

    @Test func dockerSystemDfOfSeveralHostsIsKeptPerHost() throws {
        // A deploy that checks each of its hosts: every table is that host's, none silently taken for the others.
        let context = try #require(try Self.context(
            ["+ docker system df"] + Self.table(images: 5, cache: "1.20GB")
            + ["+ ssh -p 2222 deploy@web-1 docker system df"] + Self.table(images: 61, cache: "48.1GB")
            + ["+ docker -H ssh://deploy@10.0.0.7:22 system df", ""] + Self.table(images: 7, cache: "2.00GB")
            + ["+ DOCKER_HOST=tcp://build-2:2376 docker system df"] + Self.table(images: 8, cache: "3.00GB")
            + ["$ docker --context prod system df"] + Self.table(images: 9, cache: "4.00GB")
            + ["db-1 | CHANGED | rc=0 >>"] + Self.table(images: 10, cache: "900.0MB")
            // The machine's own table again at the end: its first stays.
            + ["+ docker system df"] + Self.table(images: 6, cache: "9.90GB")
        ))
        let hosts = try #require(context.dockerHosts)
        #expect(hosts.map(\.host) == [nil, "web-1", "10.0.0.7", "build-2", "prod", "db-1"])
        #expect(hosts.map { $0.images?.total } == [5, 61, 7, 8, 9, 10])
        #expect(context.docker?.host == nil && context.docker?.buildCache?.size == 1.2e9)
        // Only web-1's cache is large, and the hint says whose it is.
        let hints = HintEngine().machine(context).filter { $0.kind == .buildCacheLarge || $0.kind == .imagesPilingUp }
        #expect(hints.map { $0.facts.first?.host } == ["web-1", "web-1"])
        #expect(hints.first?.facts.first?.bytes == 48.1e9)
        #expect(hints.map(FactText.title) == ["the build cache is large on web-1", "images are piling up on web-1: the cleanup is not running"])
        #expect(RunRenderer.machine(context).contains("build cache 48.1GB (48.1GB reclaimable) on web-1"))
        #expect(RunRenderer.machine(context).contains("build cache 1.2GB (1.2GB reclaimable) on this machine"))
    }

    @Test func oneRemoteHostsTableIsLabelledAndATableAfterOtherLinesIsTheMachinesOwn() throws {
        let remote = try #require(try Self.context(["+ ssh web-1 'docker system df'"] + Self.table(images: 5, cache: "1.20GB")))
        #expect(remote.docker?.host == "web-1")
        #expect(remote.dockerHosts == nil)
        #expect(RunRenderer.machine(remote).contains("on web-1"))
        // The command's table is the one right after it: a table printed later, after other work, is no host's.
        let local = try #require(try Self.context(["+ ssh web-1 docker system df", "ssh: connect to host web-1 port 22: Connection refused",
                                                   "+ ./deploy.sh", "Deploying...", "done", "+ sleep 1", "+ echo checking", "checking"]
                                                  + Self.table(images: 5, cache: "1.20GB")))
        #expect(local.docker?.host == nil)
        #expect(DockerDiskUsage.host(inCommand: "docker -H unix:///var/run/docker.sock system df") == .some(nil))
        #expect(DockerDiskUsage.host(inCommand: "docker system prune -f") == nil)
    }

    @Test func aContextStoredBeforeHostsWereKeptReadsTheSame() throws {
        // `run.context` as the previous version stored it: no `dockerHosts`, no `host`.
        let stored = #"{"docker":{"images":{"total":19,"active":3,"size":6410000000,"reclaimable":4310000000},"buildCache":{"total":90,"active":0,"size":5760000000,"reclaimable":1130000000}},"dockerRoot":"/var/lib/docker"}"#
        let context = try JSONDecoder().decode(RunContext.self, from: Data(stored.utf8))
        #expect(context.docker?.images?.total == 19 && context.docker?.host == nil)
        #expect(context.dockerHosts == nil)
        #expect(context.dockerUsages.map(\.buildCache?.size) == [5.76e9])
        #expect(RunRenderer.machine(context) == "build cache 5.8GB (1.1GB reclaimable)")
    }

    @Test func aLogThatPrintsNoneOfItHasNoContext() throws {
        #expect(try Self.context(["Building Docker images in parallel...", "Images are great", "Filesystem", "TYPE"]) == nil)
    }

    @Test func theHintsReadTheContext() throws {
        let context = try #require(try Self.context([
            "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE", "Build Cache     120       0         52.40GB   47.90GB",
            "Filesystem     1024-blocks     Used Available Capacity Mounted on", "/dev/sda1 102687672 99600000 3087672 97% /",
            " 16:26:00 up 12 days,  0 users,  load average: 7.80, 7.02, 6.24", "CPUs: 4",
        ]))
        #expect(HintEngine().machine(context).map(\.kind) == [.buildCacheLarge, .diskNearlyFull, .cpuContention])
        // Unknown cores: a load alone says nothing.
        var noCores = context
        noCores.start?.cores = 0
        #expect(!HintEngine().machine(noCores).map(\.kind).contains(.cpuContention))
    }

    @Test func theBuildCacheFromBuildxDuAndSystemDfVerbose() throws {
        // `docker buildx du` (tab-separated, `*` after shared ids), with its closing totals.
        let du = try #require(try Self.context([
            "+ docker buildx du",
            "ID\t\t\t\t\t\tRECLAIMABLE\tSIZE\t\tLAST ACCESSED",
            "yl2k2g6qw9q2rti15rl1mkegs*              \ttrue \t\t14.77MB   \t4 days ago",
            "Shared:\t\t1.2GB",
            "Private:\t4.5GB",
            "Reclaimable:\t5.7GB",
            "Total:\t\t5.9GB",
        ]))
        #expect(du.docker?.buildCache?.size == 5.9e9)
        #expect(du.docker?.buildCache?.reclaimable == 5.7e9)
        // `docker system df -v` without its summary table: the section's head gives the size.
        let verbose = try #require(try Self.context(["Build cache usage: 239B", "", "CACHE ID       CACHE TYPE     SIZE      CREATED         LAST USED"]))
        #expect(verbose.docker?.buildCache?.size == 239)
        // A `Total:` line of some other tool is no build cache.
        #expect(try Self.context(["Total: 12GB"]) == nil)
    }
}
