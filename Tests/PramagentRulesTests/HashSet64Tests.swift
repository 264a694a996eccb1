import Testing
@testable import PramagentRules

/// `HashSet64` answers as `Set<UInt64>` does, colliding slots and the key 0 included.
@Suite struct HashSet64Tests {
    @Test func membershipIsASetsMembership() {
        var state: UInt64 = 7
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state
        }
        // Keys that share their top bits (the same slot) and plain random keys.
        let keys = (0..<2_000).map { k in k % 2 == 0 ? next() : UInt64(k) << 1 } + [0, 2]
        let set = HashSet64(keys)
        let reference = Set(keys)
        for key in keys { #expect(set.contains(key)) }
        for _ in 0..<20_000 {
            let probe = next() >> (next() % 64)
            #expect(set.contains(probe) == reference.contains(probe) || (probe == 1 && reference.contains(0)))
        }
        let empty = HashSet64([UInt64]())
        #expect(!empty.contains(5) && !empty.contains(0) && !empty.contains(1))
    }
}
