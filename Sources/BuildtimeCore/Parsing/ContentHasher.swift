/// Streaming XXH64 (seed 0) of a log's bytes: a fast, well-specified 64-bit content hash used to recognise a log
/// that was already stored. It is not a security measure.
struct ContentHasher {
    private static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private static let prime3: UInt64 = 0x1656_67B1_9E37_79F9
    private static let prime4: UInt64 = 0x85EB_CA77_C2B2_AE63
    private static let prime5: UInt64 = 0x27D4_EB2F_1656_67C5

    private var v1: UInt64 = prime1 &+ prime2
    private var v2: UInt64 = prime2
    private var v3: UInt64 = 0
    private var v4: UInt64 = 0 &- prime1
    private var buffer = [UInt8](repeating: 0, count: 32)
    private var buffered = 0
    private(set) var length: UInt64 = 0

    private static func round(_ accumulator: UInt64, _ input: UInt64) -> UInt64 {
        let value = accumulator &+ input &* prime2
        return ((value << 31) | (value >> 33)) &* prime1
    }

    private static func merge(_ accumulator: UInt64, _ value: UInt64) -> UInt64 {
        (accumulator ^ round(0, value)) &* prime1 &+ prime4
    }

    private static func load64(_ pointer: UnsafeRawPointer) -> UInt64 {
        UInt64(littleEndian: pointer.loadUnaligned(as: UInt64.self))
    }

    private mutating func stripe(_ pointer: UnsafeRawPointer) {
        v1 = Self.round(v1, Self.load64(pointer))
        v2 = Self.round(v2, Self.load64(pointer + 8))
        v3 = Self.round(v3, Self.load64(pointer + 16))
        v4 = Self.round(v4, Self.load64(pointer + 24))
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var pointer = bytes.baseAddress, bytes.count > 0 else { return }
        var remaining = bytes.count
        length &+= UInt64(remaining)
        if buffered > 0 {
            let take = min(32 - buffered, remaining)
            buffer.withUnsafeMutableBytes { ($0.baseAddress! + buffered).copyMemory(from: pointer, byteCount: take) }
            buffered += take
            pointer += take
            remaining -= take
            guard buffered == 32 else { return }
            buffer.withUnsafeBytes { stripe($0.baseAddress!) }
            buffered = 0
        }
        var (a, b, c, d) = (v1, v2, v3, v4)
        while remaining >= 32 {
            a = Self.round(a, Self.load64(pointer))
            b = Self.round(b, Self.load64(pointer + 8))
            c = Self.round(c, Self.load64(pointer + 16))
            d = Self.round(d, Self.load64(pointer + 24))
            pointer += 32
            remaining -= 32
        }
        (v1, v2, v3, v4) = (a, b, c, d)
        if remaining > 0 {
            buffer.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: pointer, byteCount: remaining) }
            buffered = remaining
        }
    }

    /// The hash of everything added so far.
    func finalize() -> UInt64 {
        var hash: UInt64
        if length >= 32 {
            hash = v1.rotated(1) &+ v2.rotated(7) &+ v3.rotated(12) &+ v4.rotated(18)
            hash = Self.merge(hash, v1)
            hash = Self.merge(hash, v2)
            hash = Self.merge(hash, v3)
            hash = Self.merge(hash, v4)
        } else {
            hash = Self.prime5
        }
        hash &+= length
        buffer.withUnsafeBytes { raw in
            var index = 0
            while index + 8 <= buffered {
                hash ^= Self.round(0, Self.load64(raw.baseAddress! + index))
                hash = hash.rotated(27) &* Self.prime1 &+ Self.prime4
                index += 8
            }
            if index + 4 <= buffered {
                hash ^= UInt64(UInt32(littleEndian: (raw.baseAddress! + index).loadUnaligned(as: UInt32.self))) &* Self.prime1
                hash = hash.rotated(23) &* Self.prime2 &+ Self.prime3
                index += 4
            }
            while index < buffered {
                hash ^= UInt64(raw[index]) &* Self.prime5
                hash = hash.rotated(11) &* Self.prime1
                index += 1
            }
        }
        hash ^= hash >> 33
        hash &*= Self.prime2
        hash ^= hash >> 29
        hash &*= Self.prime3
        hash ^= hash >> 32
        return hash
    }

    /// The fingerprint stored with a run: the hash and the byte count, in hex.
    var fingerprint: String {
        let hash = String(finalize(), radix: 16)
        return String(repeating: "0", count: 16 - hash.count) + hash + "-" + String(length, radix: 16)
    }
}

private extension UInt64 {
    func rotated(_ bits: UInt64) -> UInt64 { (self << bits) | (self >> (64 - bits)) }
}
