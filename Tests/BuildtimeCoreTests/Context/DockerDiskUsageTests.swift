import Foundation
import Testing
@testable import BuildtimeCore

@Suite struct DockerDiskUsageTests {
    @Test func defaultTable() throws {
        let usage = try #require(DockerDiskUsage.parse("""
            TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE
            Images          45        3         37.25GB   37.25GB (100%)
            Containers      4         4         3.14GB    0B (0%)
            Local Volumes   0         0         0B        0B
            Build Cache     939       0         159.3GB   159.3GB
            """))
        #expect(usage.images == .init(total: 45, active: 3, size: 37.25e9, reclaimable: 37.25e9))
        #expect(usage.containers?.reclaimable == 0)
        #expect(usage.localVolumes == .init(total: 0, active: 0, size: 0, reclaimable: 0))
        #expect(usage.buildCache == .init(total: 939, active: 0, size: 159.3e9, reclaimable: 159.3e9))
    }

    @Test(arguments: [("158B", 158.0), ("2.23kB", 2230), ("256.5MB", 256.5e6), ("2.833 GB", 2.833e9), ("-2.5e+08 B (-8%)", -2.5e8), ("0 B", 0)])
    func sizes(text: String, bytes: Double) {
        #expect(DockerDiskUsage.bytes(text).map { abs($0 - bytes) < 1e-3 } == true)
    }

    @Test func notDiskUsage() {
        #expect(DockerDiskUsage.parse("hello\nworld") == nil)
        #expect(DockerDiskUsage.bytes("12 apples") == nil)
    }
}

@Suite(.enabled(if: Fixtures.hasRealWorld, "../shared/realworld is not here"))
struct DockerDiskUsageRealWorldTests {
    private func parse(_ name: String) throws -> DockerDiskUsage? {
        DockerDiskUsage.parse(try String(contentsOfFile: Fixtures.realWorldFile(name), encoding: .utf8))
    }

    @Test func tableAndVerbose() throws {
        let usage = try #require(try parse("docker-system-df-and-verbose.txt"))
        #expect(usage.images == .init(total: 1, active: 0, size: 10, reclaimable: 10))
        #expect(usage.buildCache == .init(total: 15, active: 0, size: 239, reclaimable: 239))
    }

    @Test func jsonRows() throws {
        let usage = try #require(try parse("docker-system-df-format-json-docs-example.jsonl"))
        #expect(usage.images == .init(total: 6, active: 2, size: 2.631e9, reclaimable: 2.498e9))
        #expect(usage.containers == .init(total: 7, active: 1, size: 2230, reclaimable: 1114))
        #expect(usage.buildCache == .init(total: 17, active: 0, size: 158, reclaimable: 158))
    }

    @Test func legacyUnitsNegativeAndNoBuildCache() throws {
        let usage = try #require(try parse("docker-system-df-legacy-units-and-negative.txt"))
        #expect(usage.images == .init(total: 13, active: 7, size: 2.833e9, reclaimable: -2.5e8))
        #expect(usage.containers == .init(total: 12, active: 12, size: 201.9e6, reclaimable: 0))
        #expect(usage.buildCache == nil)
    }

    @Test func verboseRowsAloneAreNotASummary() throws {
        #expect(try parse("docker-system-df-verbose-images-containers.txt") == nil)
    }
}
