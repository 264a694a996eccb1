import CVectorscan
import Foundation

/// Cheap preconditions, checked in one Vectorscan pass, that decide which detectors and decoders
/// run at all: ordinary prose has no digit groups, no '@', no long base64 runs, so most of the
/// validator passes are skipped. A gate only has to fire whenever its detector could find
/// something (it may fire more often).
struct Gates: OptionSet {
    let rawValue: UInt32

    static let creditCard = Gates(rawValue: 1 << 0)
    static let ssn = Gates(rawValue: 1 << 1)
    static let iban = Gates(rawValue: 1 << 2)
    static let email = Gates(rawValue: 1 << 3)
    static let phone = Gates(rawValue: 1 << 4)
    static let ipAddress = Gates(rawValue: 1 << 5)
    static let dateOfBirth = Gates(rawValue: 1 << 6)
    static let medicalRecordNumber = Gates(rawValue: 1 << 7)
    static let healthPlanID = Gates(rawValue: 1 << 8)
    static let base64 = Gates(rawValue: 1 << 9)
    static let hex = Gates(rawValue: 1 << 10)
    static let url = Gates(rawValue: 1 << 11)
    /// Mentions of letter-shift ciphers: only then is the prose view also read in ROT13 (an extra
    /// pass over every text would double the cost of the prose rules).
    static let rot13 = Gates(rawValue: 1 << 12)

    /// (gate, pattern); matched caseless on the raw bytes, except the base64 gate, which looks for
    /// the mixed case of encoded text (words such as "installation" do not open it).
    static let patterns: [(Gates, String)] = [
        (.creditCard, #"[0-9]([ -]?[0-9]){12}"#),
        (.ssn, #"[0-9]{3}[- ][0-9]{2}[- ][0-9]{4}"#),
        (.iban, #"[a-z]{2}[0-9]{2} ?[a-z0-9]{4}"#),
        (.email, #"[a-z0-9._%+-]@[a-z0-9-]"#),
        (.phone, #"\+[1-9]|[0-9]{3}[-. )]{1,2}[0-9]{3}[-. ][0-9]{4}"#),
        (.ipAddress, #"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]|[0-9a-f]{0,4}:[0-9a-f]{0,4}:"#),
        (.dateOfBirth, #"birth|born|dob|d\.o\.b"#),
        (.medicalRecordNumber, #"medical record|mrn|patient id|patient number|chart number"#),
        (.healthPlanID, #"health plan|member id|member number|subscriber id|insurance id|policy number|medicare|medicaid|beneficiary id|group number"#),
        (.base64, #"([a-z][A-Z0-9]|[A-Z][A-Z0-9]|[0-9][A-Za-z]|[+/])[A-Za-z0-9+/_-]{6}"#),
        (.hex, #"[0-9a-f]{12}|\\x[0-9a-f]{2}|0x[0-9a-f]{2}[, ]"#),
        (.url, #"%[0-9a-f]{2}"#),
        (.rot13, #"rot[ -]?13|rot[ -]?thirteen|caesar|cipher|shift(ed)? (each|every|all) (letter|character)|decod|decrypt|unscramble|vtaber|nyy cerivbhf|vafgehpgvba"#),
    ]

    static let all = Gates(rawValue: (1 << 13) - 1)

    /// Gates of words, matched by Vectorscan; the others are shapes of characters, found by
    /// `shapes` (Vectorscan took 3–5 ns a byte on their classes over prose, a byte loop ~1).
    static let wordGates: Gates = [.dateOfBirth, .medicalRecordNumber, .healthPlanID, .rot13]

    /// The gate database: the word gates' patterns (tiny; compiled once per process).
    static let database: VectorscanDatabase = compile(patterns.filter { wordGates.contains($0.0) })

    /// Every gate pattern in one database: the definition `shapes` must cover (tests, profiles).
    static let referenceDatabase: VectorscanDatabase = compile(patterns)

    private static func compile(_ list: [(Gates, String)]) -> VectorscanDatabase {
        let flags = list.map { gate, _ in
            UInt32(HS_FLAG_SINGLEMATCH | HS_FLAG_DOTALL) | (gate == .base64 ? 0 : UInt32(HS_FLAG_CASELESS))
        }
        do throws(VectorscanDatabase.PatternError) {
            return try VectorscanDatabase(patterns: list.map(\.1), flags: flags)
        } catch {
            fatalError("gate patterns do not compile: \(error.message)")
        }
    }

    /// Which gates `bytes` opens.
    static func open(_ bytes: [UInt8], scratch: OpaquePointer) -> Gates {
        let collector = MatchCollector(limit: patterns.count + 1)
        database.scan(bytes, scratch: scratch, into: collector)
        let words = patterns.filter { wordGates.contains($0.0) }
        var gates = shapes(bytes)
        for hit in collector.hits { gates.insert(words[Int(hit.id)].0) }
        return gates
    }

    /// The gates whose patterns (see `patterns`) are shapes of characters, in one pass: every
    /// text one of those patterns matches opens its gate here too (a test holds them against the
    /// patterns); a few more may open (a digit run with separators opens the card, SSN and phone
    /// gates alike), which only costs a detector pass.
    static func shapes(_ bytes: [UInt8]) -> Gates {
        // Local constants: a static in the loop would be a lazy global read on every byte.
        let digit = Shape.digit, hex = Shape.hex, lower = Shape.lower, upper = Shape.upper, base64 = Shape.base64
        let numberSeparator = Shape.numberSeparator, alpha = Shape.lower | Shape.upper
        var gates: UInt32 = 0
        bytes.withUnsafeBufferPointer { b in
            shapeClasses.withUnsafeBufferPointer { cls in
                let n = b.count
                // Digits in the current run of digits and number separators (space - . ( )).
                var runDigits = 0
                // Dots that follow a digit in the current run of digits and dots.
                var ipDots = 0
                // Hex digits since the last `:` (-1: none yet, or something else came after it).
                var sinceColon = -1
                var hexRun = 0
                // The current run of base64 characters: where it started, and the earliest end of a trigger in it.
                var b64Start = -1
                var b64TriggerEnd = Int.max
                for i in 0..<n {
                    let c = b[i]
                    let k = cls[Int(c)]
                    // Digit runs: cards (13 digits), SSNs (9), phone numbers (10).
                    if k & digit != 0 {
                        runDigits += 1
                        if runDigits >= 9 {
                            gates |= Gates.ssn.rawValue
                            if runDigits >= 10 { gates |= Gates.phone.rawValue }
                            if runDigits >= 13 { gates |= Gates.creditCard.rawValue }
                        }
                        // IBAN: two letters, then two digits.
                        if i >= 2, i + 1 < n, cls[Int(b[i - 1])] & alpha != 0, cls[Int(b[i - 2])] & alpha != 0,
                           cls[Int(b[i + 1])] & digit != 0 { gates |= Gates.iban.rawValue }
                    } else if k & numberSeparator == 0 {
                        runDigits = 0
                    }
                    // IPv4: three dots after digits in a run of digits and dots.
                    if c == 0x2E {
                        if i > 0 && cls[Int(b[i - 1])] & digit != 0 { ipDots += 1; if ipDots >= 3 { gates |= Gates.ipAddress.rawValue } }
                    } else if k & digit == 0 {
                        ipDots = 0
                    }
                    // IPv6: two `:` with at most four hex digits between them.
                    if c == 0x3A {
                        if (0...4).contains(sinceColon) { gates |= Gates.ipAddress.rawValue }
                        sinceColon = 0
                    } else if k & hex != 0 {
                        if sinceColon >= 0 { sinceColon += 1 }
                    } else {
                        sinceColon = -1
                    }
                    // Hex: a run of 12, `\x` or `0x` with two hex digits (then `,` or space), `%` with two.
                    if k & hex != 0 {
                        hexRun += 1
                        if hexRun >= 12 { gates |= Gates.hex.rawValue }
                    } else {
                        hexRun = 0
                    }
                    if i + 2 < n, cls[Int(b[i + 1])] & hex != 0, cls[Int(b[i + 2])] & hex != 0 {
                        if c == 0x25 { gates |= Gates.url.rawValue }
                        if i > 0, c | 0x20 == 0x78, b[i - 1] == 0x5C { gates |= Gates.hex.rawValue }
                        if i > 0, c | 0x20 == 0x78, b[i - 1] == 0x30, i + 3 < n, b[i + 3] == 0x2C || b[i + 3] == 0x20 {
                            gates |= Gates.hex.rawValue
                        }
                    }
                    if c == 0x40 { gates |= Gates.email.rawValue }
                    if c == 0x2B, i + 1 < n, b[i + 1] >= 0x31, b[i + 1] <= 0x39 { gates |= Gates.phone.rawValue }
                    // Base64: a trigger (mixed case or letters with digits, or `+` `/`), then six more.
                    if k & base64 != 0 {
                        if b64Start < 0 { b64Start = i; b64TriggerEnd = Int.max }
                        if c == 0x2B || c == 0x2F {
                            b64TriggerEnd = min(b64TriggerEnd, i + 1)
                        } else if i + 1 < n {
                            let next = cls[Int(b[i + 1])]
                            let pair = (k & lower != 0 && next & (upper | digit) != 0) || (k & upper != 0 && next & (upper | digit) != 0)
                                || (k & digit != 0 && next & (upper | lower) != 0)
                            if pair { b64TriggerEnd = min(b64TriggerEnd, i + 2) }
                        }
                        if b64TriggerEnd != Int.max && i + 1 >= b64TriggerEnd + 6 { gates |= Gates.base64.rawValue }
                    } else {
                        b64Start = -1
                    }
                }
            }
        }
        return Gates(rawValue: gates)
    }

    /// Byte classes of `shapes`.
    private enum Shape {
        static let digit: UInt8 = 1, hex: UInt8 = 2, lower: UInt8 = 4, upper: UInt8 = 8, base64: UInt8 = 16
        static let numberSeparator: UInt8 = 32
    }
    private static let shapeClasses: [UInt8] = {
        var t = [UInt8](repeating: 0, count: 256)
        for b in 0x30...0x39 { t[b] |= Shape.digit | Shape.hex | Shape.base64 }
        for b in 0x61...0x7A { t[b] |= Shape.lower | Shape.base64 }
        for b in 0x41...0x5A { t[b] |= Shape.upper | Shape.base64 }
        for b in Array(0x61...0x66) + Array(0x41...0x46) { t[b] |= Shape.hex }
        for b in [0x2B, 0x2F, 0x5F, 0x2D] { t[b] |= Shape.base64 }
        for b in [0x20, 0x2D, 0x2E, 0x28, 0x29] { t[b] |= Shape.numberSeparator }
        return t
    }()

    static func forPII(_ kind: PIIKind) -> Gates {
        switch kind {
        case .creditCard: return .creditCard
        case .iban: return .iban
        case .ssn: return .ssn
        case .email: return .email
        case .phone: return .phone
        case .ipAddress: return .ipAddress
        case .dateOfBirth: return .dateOfBirth
        case .medicalRecordNumber: return .medicalRecordNumber
        case .healthPlanID: return .healthPlanID
        }
    }
}
