import Testing
@testable import PramagentRules

/// The hand-written shape gates open whenever the gate patterns (their definition) match.
@Suite struct GateTests {
    static func reference(_ text: [UInt8]) throws -> Gates {
        let scratch = try ScratchPool(databases: [Gates.referenceDatabase])
        return scratch.withScratch { s in
            let collector = MatchCollector(limit: 100)
            Gates.referenceDatabase.scan(text, scratch: s, into: collector)
            var gates: Gates = []
            for hit in collector.hits { gates.insert(Gates.patterns[Int(hit.id)].0) }
            return gates
        }
    }

    static func opened(_ text: [UInt8]) throws -> Gates {
        let scratch = try ScratchPool(databases: [Gates.database])
        return scratch.withScratch { Gates.open(text, scratch: $0) }
    }

    @Test func shapesCoverEveryGatePatternOnCraftedTexts() throws {
        let texts = ["card 4111 1111 1111 1111 ok", "4111-1111-1111-1111", "ssn 123-45-6789", "call +1 555 0100",
                     "(555) 123-4567", "555.123.4567", "IBAN DE89 3704 0044 0532 0130 00", "de89370400440532013000",
                     "mail a.b@example.org", "x@y", "10.0.0.1", "192.168.1.254:80", "fe80::1", "2001:db8:85a3::8a2e",
                     "a:b:c", "deadbeefcafe", "DEADBEEF0123", "\\x41\\x42", "0x41, 0x42", "0X4a 0x", "%41%42", "%zz",
                     "aGVsbG8gd29ybGQ=", "SGVsbG8h", "abc+defghi", "/usr/local/bin", "Q1w2e3r4", "date of birth", "born in",
                     "MRN 12345", "member ID 998", "rot13", "Caesar cipher", "ordinary words only", "naïve café ☕", ""]
        for text in texts {
            let bytes = Array(text.utf8)
            let want = try Self.reference(bytes)
            let got = try Self.opened(bytes)
            #expect(got.isSuperset(of: want), "\"\(text)\": patterns open \(want.rawValue), shapes \(got.rawValue)")
        }
    }

    @Test func shapesCoverEveryGatePatternOnRandomTexts() throws {
        // Alphabets dense in the gates' characters, so that near misses are common.
        let alphabets: [[UInt8]] = [Array("0123456789 -.()+".utf8), Array("0123456789abcdefABCDEF:x\\%, ".utf8),
                                    Array("aZ09+/_-=Qq. ".utf8), Array("de0123456789 @.".utf8)]
        var rng = PIIQualityTests.Rng(state: 7)
        for alphabet in alphabets {
            for _ in 0..<3_000 {
                let length = rng.int(0...23)
                let bytes = (0..<length).map { _ in rng.pick(alphabet) }
                let want = try Self.reference(bytes)
                let got = try Self.opened(bytes)
                #expect(got.isSuperset(of: want), "\(String(decoding: bytes, as: UTF8.self)): patterns \(want.rawValue), shapes \(got.rawValue)")
                if !got.isSuperset(of: want) { return }
            }
        }
    }

    @Test func ordinaryProseOpensFewGates() throws {
        let prose = Array("The meeting moved to Thursday. Please bring the slides and the budget for next quarter.".utf8)
        #expect(try Self.opened(prose).isEmpty)
    }
}
