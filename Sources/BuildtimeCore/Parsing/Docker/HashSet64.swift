/// A set of 64-bit hashes (of vertex names, of layer digests) that the attribution asks about for every line and
/// every build: open addressing with linear probing over values that are hashes already, so no `Hasher` runs.
struct HashSet64: Equatable {
    /// Slots of a power-of-two table; 0 marks an empty one (the value 0 is kept apart).
    private var slots: [UInt64] = []
    private var hasZero = false
    private(set) var count = 0

    init() {}

    init(_ values: some Sequence<UInt64>) {
        for value in values { insert(value) }
    }

    var isEmpty: Bool { count == 0 }

    func contains(_ value: UInt64) -> Bool {
        if value == 0 { return hasZero }
        guard !slots.isEmpty else { return false }
        return slots.withUnsafeBufferPointer { table in
            let mask = table.count - 1
            var index = Self.start(value, mask)
            while true {
                let slot = table[index]
                if slot == value { return true }
                if slot == 0 { return false }
                index = (index + 1) & mask
            }
        }
    }

    mutating func insert(_ value: UInt64) {
        if value == 0 {
            if !hasZero { hasZero = true; count += 1 }
            return
        }
        // At most half full: probes stay short.
        if (count + 1) * 2 > slots.count { grow() }
        let mask = slots.count - 1
        var index = Self.start(value, mask)
        while slots[index] != 0 {
            if slots[index] == value { return }
            index = (index + 1) & mask
        }
        slots[index] = value
        count += 1
    }

    mutating func remove(_ value: UInt64) {
        if value == 0 {
            if hasZero { hasZero = false; count -= 1 }
            return
        }
        guard !slots.isEmpty else { return }
        let mask = slots.count - 1
        var index = Self.start(value, mask)
        while slots[index] != value {
            if slots[index] == 0 { return }
            index = (index + 1) & mask
        }
        slots[index] = 0
        count -= 1
        // Shift back the values after it that probed past the emptied slot, so every lookup still finds them.
        var hole = index
        var next = (index + 1) & mask
        while slots[next] != 0 {
            let home = Self.start(slots[next], mask)
            // The value may move into the hole when its home is not cyclically within (hole, next].
            if (next - home) & mask >= (next - hole) & mask {
                slots[hole] = slots[next]
                slots[next] = 0
                hole = next
            }
            next = (next + 1) & mask
        }
    }

    mutating func removeAll() {
        slots = []
        hasZero = false
        count = 0
    }

    static func == (a: Self, b: Self) -> Bool {
        a.count == b.count && a.hasZero == b.hasZero && a.slots.allSatisfy { $0 == 0 || b.contains($0) }
    }

    private mutating func grow() {
        let old = slots
        slots = [UInt64](repeating: 0, count: max(16, old.count * 2))
        let nonZero = count - (hasZero ? 1 : 0)
        count -= nonZero
        for value in old where value != 0 { insert(value) }
    }

    /// The home slot: the high bits of a multiplicative mix (names' hashes differ in every bit, digests' too, but a
    /// mix costs nothing and guards against hashes alike in their low bits).
    private static func start(_ value: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (value &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }
}
