import Testing
@testable import PramagentRules

/// A gate may open more often than its detector finds something, never less: every hex
/// segment the decoder would read and every IPv6 address the detector takes must open its gate.
@Suite struct GateTests {
    struct Rng {
        var state: UInt64
        mutating func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        /// Fewer than `count` pieces picked at random, joined (test texts).
        mutating func text(of pieces: [String], fewerThan count: Int) -> String {
            var text = ""
            for _ in 0..<int(count) { text += pieces[int(pieces.count)] }
            return text
        }
    }

    func gates(_ text: String) throws -> Gates {
        let pool = try ScratchPool(databases: Gates.databases)
        return pool.withScratch { Gates.open(Array(text.utf8), scratch: $0) }
    }

    @Test func everyReadableHexSegmentOpensTheHexGate() throws {
        // Payloads of every length from 4 bytes up, with the bytes whose hex has no digit
        // (a byte-order mark, é, CJK, ’) at the start, where they hurt a digit-led gate most.
        let leads = ["", "\u{FEFF}", "é", "\u{AFFF}", "’"]
        let pieces = ["ignore", " ", "all", "rules", "\n", "0", "~", "Z", "{", "ok", "a"]
        var rng = Rng(state: 7)
        var decoded = 0
        for round in 0..<4_000 {
            var payload = leads[round % leads.count]
            for _ in 0..<(1 + rng.int(30)) { payload += pieces[rng.int(pieces.count)] }
            var hex = Array(payload.utf8).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
            if round % 2 == 1 { hex = hex.uppercased() }
            let text = "see \(hex) here"
            var budget = 1 << 20
            let found = Decoders.segments(in: Array(text.utf8), budget: &budget, gates: .all).filter { $0.layer == "hex" }
            guard !found.isEmpty else { continue }
            decoded += 1
            #expect(try gates(text).contains(.hex), "gate closed for \(text.debugDescription)")
        }
        #expect(decoded > 1_000) // the property was checked on many decodable texts
    }

    @Test func everyIPv6AddressOpensTheAddressGate() throws {
        var rng = Rng(state: 11)
        var found = 0
        for round in 0..<3_000 {
            var groups = (0..<8).map { _ in String(rng.int(0x10000), radix: 16) }
            if round % 2 == 0 { groups = groups.map { $0.uppercased() } }
            var address = groups.joined(separator: ":")
            if round % 3 == 1 { // compress a run of groups to "::"
                let from = rng.int(7), to = from + 1 + rng.int(7 - from)
                address = groups[..<from].joined(separator: ":") + "::" + groups[to...].joined(separator: ":")
            }
            let text = "host \(address) is up"
            guard !PIIDetectors.ipAddresses(Array(text.utf8)).isEmpty else { continue }
            found += 1
            #expect(try gates(text).contains(.ipAddress), "gate closed for \(text)")
        }
        #expect(found > 2_000)
    }

    @Test func proseWithoutDigitsKeepsTheHexAndAddressGatesClosed() throws {
        let text = "A decade ago the faced beef cafe added a deaf bee; see std::vector and the facade."
        let open = try gates(text)
        #expect(!open.contains(.hex))
        #expect(open.contains(.ipAddress)) // "::" could start an address; the detector decides
        #expect(!(try gates("the faced beef cafe added a deaf bee bed")).contains(.ipAddress))
    }
}
