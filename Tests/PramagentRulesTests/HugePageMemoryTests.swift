import CVectorscan
import Testing
@testable import PramagentRules

/// Databases live in 2 MiB-aligned mappings when large, in `malloc` blocks when small, and
/// either kind scans as before and is given back.
@Suite struct HugePageMemoryTests {
    @Test func largeBlocksAreAlignedMappingsAndSmallOnesComeFromMalloc() throws {
        for size in [1, 100, HugePageMemory.threshold - HugePageMemory.header - 1, HugePageMemory.threshold, 3 << 20, 4 << 20] {
            let pointer = try #require(HugePageMemory.allocate(size))
            let block = Int(bitPattern: pointer) - HugePageMemory.header
            #expect(Int(bitPattern: pointer) % 64 == 0 || size + HugePageMemory.header < HugePageMemory.threshold)
            let length = UnsafeRawPointer(bitPattern: block)!.load(as: Int.self)
            if size + HugePageMemory.header >= HugePageMemory.threshold {
                #expect(block % HugePageMemory.pageSize == 0, "a \(size)-byte block starts on a 2 MiB boundary")
                #expect(length % HugePageMemory.pageSize == 0 && length >= size + HugePageMemory.header)
            } else {
                #expect(length == 0, "a \(size)-byte block comes from malloc")
            }
            // Every byte is writable and reads back.
            let bytes = pointer.assumingMemoryBound(to: UInt8.self)
            for k in stride(from: 0, to: size, by: 4096) { bytes[k] = UInt8(truncatingIfNeeded: k >> 12) }
            bytes[size - 1] = 0xA5
            for k in stride(from: 0, to: size - 1, by: 4096) { #expect(bytes[k] == UInt8(truncatingIfNeeded: k >> 12)) }
            #expect(bytes[size - 1] == 0xA5)
            HugePageMemory.release(pointer)
        }
        HugePageMemory.release(nil)
    }

    @Test func aLargeDatabaseLivesInAnAlignedMappingAndScans() throws {
        // Thousands of distinct words, each with a bounded tail: a database of more than a MiB.
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        var words: [String] = []
        for _ in 0..<3_000 {
            var word = ""
            for _ in 0..<10 {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                word.append(Character(Unicode.Scalar(UInt8(97 + (state >> 33) % 26))))
            }
            words.append(word)
        }
        let db = try VectorscanDatabase(patterns: words.map { "\\b\($0)[a-z]{0,40}[0-9]" }, flags: words.map { _ in UInt32(HS_FLAG_SINGLEMATCH) })
        #expect(HugePageMemory.installed)
        let pool = try ScratchPool(databases: [db])
        let collector = MatchCollector(limit: 100)
        pool.withScratch { db.scan(Array("say \(words[2_345])xyz1 and \(words[7])2 twice".utf8), scratch: $0, into: collector) }
        #expect(Set(collector.hits.map(\.id)) == [2_345, 7])
        try #require(db.size + HugePageMemory.header >= HugePageMemory.threshold, "\(db.size) bytes")
        let block = Int(bitPattern: UnsafeRawPointer(db.database)) - HugePageMemory.header
        #expect(block % HugePageMemory.pageSize == 0, "the \(db.size)-byte database starts a 2 MiB mapping")
    }
}
