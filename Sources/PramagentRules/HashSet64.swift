/// A set of 64-bit hashes for lookups in hot loops: open addressing in one array, the key's own
/// bits as its slot (the keys are hashes already), no per-lookup hasher as `Set` has. Immutable
/// once built. Key 0 marks an empty slot, so 0 is stored as 1 (a lookup of 0 or 1 reads 1).
struct HashSet64: Sendable {
    private let slots: [UInt64]
    private let shift: UInt64

    init<S: Sequence>(_ keys: S) where S.Element == UInt64 {
        let unique = Set(keys.map(Self.stored))
        var capacity = 16
        while capacity < unique.count * 2 { capacity *= 2 }
        let shift = UInt64(64 - capacity.trailingZeroBitCount)
        var slots = [UInt64](repeating: 0, count: capacity)
        for key in unique {
            var slot = Self.slot(key, shift)
            while slots[slot] != 0 { slot = (slot + 1) & (capacity - 1) }
            slots[slot] = key
        }
        self.slots = slots
        self.shift = shift
    }

    @inline(__always) private static func stored(_ key: UInt64) -> UInt64 { key == 0 ? 1 : key }
    @inline(__always) private static func slot(_ key: UInt64, _ shift: UInt64) -> Int { Int((key &* 0x9E37_79B9_7F4A_7C15) >> shift) }

    @inline(__always) func contains(_ key: UInt64) -> Bool {
        let key = Self.stored(key)
        return slots.withUnsafeBufferPointer { s in
            var slot = Self.slot(key, shift)
            while true {
                let k = s[slot]
                if k == key { return true }
                if k == 0 { return false }
                slot = (slot + 1) & (s.count - 1)
            }
        }
    }

}
