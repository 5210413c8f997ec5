import Testing
@testable import BuildtimeCore

/// The attribution's set of hashes answers as `Set<UInt64>` does, through growth, removal with back-shifted probes
/// and the value 0 (which the table keeps apart from its empty slots).
@Suite struct HashSet64Tests {
    @Test(arguments: [1, 2, 3])
    func randomInsertionsAndRemovalsAnswerAsASet(_ seed: UInt64) {
        var random = SplitMix64(seed: seed)
        // Few distinct values (collisions and re-insertions are common), among them 0 and values whose home slots
        // coincide (they differ only in bits the mix maps alike in a small table).
        let pool: [UInt64] = [0] + (0..<60).map { _ in random.next() } + (1...20).map { UInt64($0) << 40 }
        var table = HashSet64()
        var reference = Set<UInt64>()
        for step in 0..<20_000 {
            let value = pool.randomElement(using: &random)!
            if Int.random(in: 0..<3, using: &random) == 0 {
                table.remove(value)
                reference.remove(value)
            } else {
                table.insert(value)
                reference.insert(value)
            }
            #expect(table.count == reference.count, "after step \(step)")
            if step % 97 == 0 {
                for probe in pool { #expect(table.contains(probe) == reference.contains(probe), "\(probe) after step \(step)") }
                #expect(table == HashSet64(reference))
            }
        }
        for probe in pool { #expect(table.contains(probe) == reference.contains(probe)) }
        table.removeAll()
        #expect(table.isEmpty && !table.contains(0) && !table.contains(pool[1]))
    }

    @Test func zeroIsAValueLikeAnyOther() {
        var table = HashSet64()
        #expect(!table.contains(0))
        table.insert(0)
        table.insert(0)
        #expect(table.contains(0) && table.count == 1)
        table.insert(7)
        table.remove(0)
        #expect(!table.contains(0) && table.contains(7) && table.count == 1)
        #expect(table != HashSet64([0, 7]))
        #expect(table == HashSet64([7]))
    }
}
