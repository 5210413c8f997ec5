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
