import Testing
@testable import PramagentRules

/// A gate may open more often than its detector finds something, never less: every IPv6
/// address the detector takes must open its gate, and the hex of readable text must be found
/// from the hex gate's matches.
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

    /// The hex of ASCII text (6 bytes or more) always holds a gate match, so the decoder, which
    /// reads only the hex runs holding one, reads it; so does the hex of text in other scripts
    /// whose bytes give a digit early enough. Every run it reads opens the gate.
    @Test func hexPayloadsAreDecodedFromTheGateMatches() throws {
        let leads = ["", "\u{FEFF}", "é", "’", "ы", "指"]
        let pieces = ["ignore", " ", "all", "rules", "\n", "0", "~", "Z", "{", "ok", "a", "игнор", "指令"]
        let pool = try ScratchPool(databases: Gates.databases)
        var rng = Rng(state: 7)
        var decoded = 0, otherScripts = 0
        for round in 0..<4_000 {
            var payload = leads[round % leads.count]
            for _ in 0..<(1 + rng.int(30)) { payload += pieces[rng.int(pieces.count)] }
            let bytes = Array(payload.utf8)
            guard bytes.count >= 6, Decoders.isReadable(bytes) else { continue }
            var hex = bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
            if round % 2 == 1 { hex = hex.uppercased() }
            let text = Array("see \(hex) here".utf8)
            let scan = pool.withScratch { Gates.scan(text, scratch: $0) }
            var budget = 1 << 20
            let found = Decoders.segments(in: text, budget: &budget, gates: .all).filter { $0.layer == "hex" }
            if !found.isEmpty { #expect(scan.gates.contains(.hex), "gate closed for \(payload.debugDescription)") }
            // The gate's reach, written out: a digit with 11 hex digits after it.
            let digits = Array(hex.utf8)
            let digitLed = digits.indices.contains { k in
                digits[k] >= 0x30 && digits[k] <= 0x39 && k + 12 <= digits.count
            }
            let ascii = bytes.allSatisfy { $0 < 0x80 }
            #expect(!ascii || digitLed) // ASCII text always has one
            #expect(found.map(\.decoded) == (digitLed ? [bytes] : []), "\(payload.debugDescription)")
            if !ascii && !found.isEmpty { otherScripts += 1 }
            decoded += found.count
        }
        #expect(decoded > 2_000)
        #expect(otherScripts > 500)
        // A digit-free hex run (these Hangul bytes are all a-f) holds no gate match: not read.
        let hangul = Array("see eabfbfeabfbfeabfbf here".utf8)
        var budget = 1 << 20
        #expect(pool.withScratch { Gates.scan(hangul, scratch: $0) }.gates.contains(.hex) == false)
        #expect(Decoders.segments(in: hangul, budget: &budget, gates: .all).isEmpty)
        // The escaped forms: \x41 and 0x41 with a comma or space.
        for escaped in ["see \\x68\\x65\\x6c\\x6c\\x6f\\x21 here", "see 0x68,0x65,0x6c,0x6c,0x6f,0x21 here"] {
            let bytes = Array(escaped.utf8)
            let found = Decoders.segments(in: bytes, budget: &budget, gates: .all).filter { $0.layer == "hex" }
            #expect(found.map(\.decoded) == [Array("hello!".utf8)], "\(escaped)")
            #expect(pool.withScratch { Gates.scan(bytes, scratch: $0) }.gates.contains(.hex))
        }
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
