import Testing
@testable import PramagentRules

/// Seeded generators of valid values and near misses (a validator must reject them), embedded
/// in sentences; precision and recall of each detector must be at least 99 %.
@Suite struct PIIQualityTests {
    struct Rng {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
        mutating func digits(_ n: Int) -> String { String((0..<n).map { _ in Character(String(int(0...9))) }) }
        mutating func pick<T>(_ items: [T]) -> T { items[int(0...items.count - 1)] }
    }

    static let templates = ["Please use %@ for the order.", "%@", "My details: %@.", "(%@)", "Ref %@ was updated yesterday at 10:00."]

    func luhnDigit(_ body: String) -> Int {
        let digits = body.map { Int(String($0))! }
        var sum = 0
        for (k, d) in digits.reversed().enumerated() {
            var v = d
            if k % 2 == 0 { v *= 2; if v > 9 { v -= 9 } }
            sum += v
        }
        return (10 - sum % 10) % 10
    }

    func card(_ rng: inout Rng) -> String {
        let (prefix, length): (String, Int) = rng.pick([("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("2720", 16), ("34", 15), ("37", 15),
                                                        ("6011", 16), ("65", 16), ("3530", 16), ("36", 14), ("4", 13),
                                                        ("62", 16), ("5018", 16), ("6759", 16), ("6304", 19), ("2200", 16)])
        let body = prefix + rng.digits(length - prefix.count - 1)
        let number = body + String(luhnDigit(body))
        switch rng.int(0...2) {
        case 0: return number
        case 1: return stride(from: 0, to: number.count, by: 4).map { i -> String in
                let s = number.index(number.startIndex, offsetBy: i)
                return String(number[s..<number.index(s, offsetBy: min(4, number.count - i))]) }.joined(separator: " ")
        default: return stride(from: 0, to: number.count, by: 4).map { i -> String in
                let s = number.index(number.startIndex, offsetBy: i)
                return String(number[s..<number.index(s, offsetBy: min(4, number.count - i))]) }.joined(separator: "-")
        }
    }

    /// The same card with its last digit changed: Luhn fails.
    func brokenCard(_ rng: inout Rng) -> String {
        var c = card(&rng)
        let last = Int(String(c.removeLast()))!
        return c + String((last + rng.int(1...9)) % 10)
    }

    func iban(_ rng: inout Rng, valid: Bool) -> String {
        let (country, length) = rng.pick(Array(PIIDetectors.ibanLengths).sorted { $0.key < $1.key })
        let bban = rng.digits(length - 4)
        let rearranged = bban + country.unicodeScalars.map { String($0.value - 55) }.joined() + "00"
        var remainder = 0
        for ch in rearranged { remainder = (remainder * 10 + Int(String(ch))!) % 97 }
        var check = 98 - remainder
        if !valid { check = (check + rng.int(1...96) - 2) % 97 + 2 }
        let compact = country + (check < 10 ? "0" : "") + String(check) + bban
        if rng.int(0...1) == 0 { return compact }
        return stride(from: 0, to: compact.count, by: 4).map { i -> String in
            let s = compact.index(compact.startIndex, offsetBy: i)
            return String(compact[s..<compact.index(s, offsetBy: min(4, compact.count - i))]) }.joined(separator: " ")
    }

    func ssn(_ rng: inout Rng, valid: Bool) -> String {
        var area = rng.int(1...899), group = rng.int(1...99), serial = rng.int(1...9999)
        if area == 666 { area = 665 }
        if !valid {
            switch rng.int(0...3) {
            case 0: area = 0
            case 1: area = rng.pick([666, rng.int(900...999)])
            case 2: group = 0
            default: serial = 0
            }
        }
        func pad(_ v: Int, _ n: Int) -> String { String(repeating: "0", count: max(0, n - String(v).count)) + String(v) }
        return "\(pad(area, 3))-\(pad(group, 2))-\(pad(serial, 4))"
    }

    func email(_ rng: inout Rng, valid: Bool) -> String {
        let local = rng.pick(["alice", "bob.smith", "j_doe", "first.last+tag", "x99"]) + String(rng.int(1...999))
        let domain = rng.pick(["example.com", "mail.example.org", "corp.example.co.uk", "example.io"])
        if valid { return "\(local)@\(domain)" }
        return rng.pick(["\(local)@localhost", "\(local)@example", "@\(domain)", "\(local) at \(domain)", "\(local)@.com"])
    }

    func measure(_ kind: PIIKind, _ make: (inout Rng, Bool) -> String) -> (precision: Double, recall: Double) {
        var rng = Rng(state: 42)
        var tp = 0, fp = 0, fn = 0
        for i in 0..<2_000 {
            let valid = i % 2 == 0
            let value = make(&rng, valid)
            let text = rng.pick(PIIQualityTests.templates).replacingOccurrences(of: "%@", with: value)
            let bytes = Array(text.utf8)
            let found = PIIDetectors.find([kind], in: bytes).map { String(decoding: bytes[$0.range], as: UTF8.self) }
            if valid {
                if found.contains(value) { tp += 1 } else { fn += 1 }
                fp += found.filter { $0 != value }.count
            } else {
                fp += found.count
            }
        }
        return (Double(tp) / Double(max(1, tp + fp)), Double(tp) / Double(max(1, tp + fn)))
    }

    @Test func cardsIBANsSSNsAndEmailsAreFoundPrecisely() {
        let results: [(PIIKind, (Double, Double))] = [
            (.creditCard, measure(.creditCard) { rng, valid in valid ? card(&rng) : brokenCard(&rng) }),
            (.iban, measure(.iban) { rng, valid in iban(&rng, valid: valid) }),
            (.ssn, measure(.ssn) { rng, valid in ssn(&rng, valid: valid) }),
            (.email, measure(.email) { rng, valid in email(&rng, valid: valid) }),
        ]
        for (kind, (precision, recall)) in results {
            print("PII \(kind.rawValue): precision \(precision * 100)%, recall \(recall * 100)%")
            #expect(precision >= 0.99, "\(kind) precision \(precision)")
            #expect(recall >= 0.99, "\(kind) recall \(recall)")
        }
    }

    @Test func validatorsAcceptRealValuesAndRejectNearMisses() {
        #expect(PIIDetectors.luhn([4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]))
        #expect(!PIIDetectors.luhn([4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]))
        #expect(PIIDetectors.validSSN(area: 536, group: 22, serial: 8765))
        for (a, g, s) in [(0, 22, 8765), (666, 22, 8765), (912, 22, 8765), (536, 0, 8765), (536, 22, 0), (78, 5, 1120)] {
            #expect(!PIIDetectors.validSSN(area: a, group: g, serial: s))
        }
        let find = { (k: PIIKind, t: String) in PIIDetectors.find([k], in: Array(t.utf8)).count }
        #expect(find(.iban, "IBAN DE89 3704 0044 0532 0130 00") == 1)
        #expect(find(.iban, "IBAN DE88 3704 0044 0532 0130 00") == 0)
        #expect(find(.iban, "iban: gb29 nwbk 6016 1331 9268 19") == 1) // typed in lower case
        #expect(find(.creditCard, "order 1234 5678 9012 3456") == 0)       // fails Luhn
        #expect(find(.creditCard, "id 8111111111111111") == 0)             // passes Luhn, no issuer
        #expect(find(.phone, "call +44 20 7946 0958 or (212) 555-0142") == 2)
        #expect(find(.phone, "version 212-555-01423 build") == 0)
        #expect(find(.ipAddress, "hosts 192.168.1.20 and 2001:db8::1, not 999.1.1.1 or std::vector") == 2)
        #expect(find(.dateOfBirth, "DOB: 03/14/1985; meeting 03/14/1985") == 1)
        // A birthday that names an event dates the event, not a birth.
        #expect(find(.dateOfBirth, "Emma's 30th Birthday Party\n\nDate: July 15th, 2024") == 0)
        #expect(find(.dateOfBirth, "birthday-dinner on 2024-07-15") == 0)
        #expect(find(.dateOfBirth, "Birthday: July 15th, 1994") == 1)
        #expect(find(.dateOfBirth, "her birthday is 14 March 1985") == 1)
        #expect(find(.medicalRecordNumber, "MRN: 00123456") == 1)
        #expect(find(.medicalRecordNumber, "mrn pending") == 0)
    }

    @Test func valuesGluedToTheirLabelsAreFound() {
        let spans = { (k: PIIKind, t: String) -> [String] in
            let b = Array(t.utf8)
            return PIIDetectors.find([k], in: b).map { String(decoding: b[$0.1], as: UTF8.self) }
        }
        // A label glued before or after the value reads as a space would.
        #expect(spans(.creditCard, "card4111111111111111") == ["4111111111111111"])
        #expect(spans(.creditCard, "VISA4111-1111-1111-1111 exp 09/29") == ["4111-1111-1111-1111"])
        #expect(spans(.creditCard, "pay 4111111111111111exp0929") == [])  // the label must end the letters' run
        #expect(spans(.creditCard, "pay 4111111111111111cvv 123") == ["4111111111111111"])
        #expect(spans(.iban, "ibanDE89370400440532013000") == ["DE89370400440532013000"])
        #expect(spans(.iban, "to DE89370400440532013000EUR today") == ["DE89370400440532013000"])
        #expect(spans(.ssn, "ssn123-45-6789") == ["123-45-6789"])
        // Other letters glued on are part of some other token (a SKU, a hash, a word).
        #expect(spans(.creditCard, "SKU4111111111111111 x4111111111111111 cardinal4111111111111111 4111111111111111abc") == [])
        #expect(spans(.iban, "xDE89370400440532013000 DE89370400440532013000XYZ") == [])
        #expect(spans(.ssn, "abc123-45-6789 rssn123-45-6789") == [])
    }
}
