import Testing
@testable import BuildtimeCore

@Suite struct ContentHasherTests {
    private func hash(_ bytes: [UInt8], splits: [Int] = []) -> UInt64 {
        var hasher = ContentHasher()
        var start = 0
        for split in splits + [bytes.count] {
            bytes[start..<split].withUnsafeBytes { hasher.update($0) }
            start = split
        }
        return hasher.finalize()
    }

    @Test func matchesPublishedXXH64Values() {
        #expect(hash([]) == 0xEF46_DB37_51D8_E999)
        #expect(hash(Array("abc".utf8)) == 0x44BC_2CF5_AD77_0999)
    }

    @Test func streamingInAnyChunksGivesTheSameHash() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let whole = hash(bytes)
        for splits in [[1], [31, 32, 33], [5, 64, 65, 500, 999], Array(stride(from: 7, to: 1000, by: 7))] {
            #expect(hash(bytes, splits: splits) == whole)
        }
        #expect(hash(Array(bytes.dropLast())) != whole)
    }

    @Test func fingerprintCarriesTheLength() {
        var hasher = ContentHasher()
        Array("abc".utf8).withUnsafeBytes { hasher.update($0) }
        #expect(hasher.fingerprint == "44bc2cf5ad770999-3")
    }
}
