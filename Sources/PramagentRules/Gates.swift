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
        // IPv6: two colons with at most one group between them (every address the detector takes
        // has two colons, and a group is at most 4 hex digits). A leading `[0-9a-f]{0,4}` added
        // nothing (it may match empty) but kept the matcher busy on every letter a-f.
        (.ipAddress, #"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]|:[0-9a-f]{0,4}:"#),
        (.dateOfBirth, #"birth|born|dob|d\.o\.b"#),
        (.medicalRecordNumber, #"medical record|mrn|patient id|patient number|chart number"#),
        (.healthPlanID, #"health plan|member id|member number|subscriber id|insurance id|policy number|medicare|medicaid|beneficiary id|group number"#),
        (.base64, #"([a-z][A-Z0-9]|[A-Z][A-Z0-9]|[0-9][A-Za-z]|[+/])[A-Za-z0-9+/_-]{6}"#),
        // A hex run is decoded when it holds a match of this gate (`Decoders.holdsHexGateMatch`):
        // a digit and 11 hex digits, which the hex of any ASCII text of 6 bytes or more has (the
        // first hex digit of an ASCII byte is 0-7), and the hex of text in other scripts almost
        // always (spaces are 20, Cyrillic and Arabic lead bytes d0-db, continuations 80-9f).
        // `[0-9a-f]{12}` alone was the slowest gate: prose is full of the letters a-f.
        (.hex, #"[0-9][0-9a-f]{11}|\\x[0-9a-f]{2}|0x[0-9a-f]{2}[, ]"#),
        (.url, #"%[0-9a-f]{2}"#),
        (.rot13, #"rot[ -]?13|rot[ -]?thirteen|caesar|cipher|shift(ed)? (each|every|all) (letter|character)|decod|decrypt|unscramble|vtaber|nyy cerivbhf|vafgehpgvba"#),
    ]

    static let all = Gates(rawValue: (1 << 13) - 1)

    /// The gate databases (tiny; compiled once per process). The base64 gate, the only
    /// case-sensitive one, has a database of its own that reports every match: together with
    /// the others it made the pass several times slower on text where it opens early (67
    /// against 11 + 1.5 us on 16 KiB of package documentation). A rule engine scans neither:
    /// the gates that report once are part of its raw database, and the base64 gate is a byte
    /// loop (`Base64Gate`); these databases are the definition both are tested against.
    static let databases: [VectorscanDatabase] = patternsOfDatabase.map(compile)

    /// The gates whose every match end is kept: they say where the runs worth decoding are.
    /// (Hex was tried too: its matches cost ~6 us per 16 KiB and prose hardly opens it.)
    static let located: Gates = [.base64]

    /// Pattern index (into `patterns`) of each id of each database in `databases`.
    static let patternsOfDatabase: [[Int]] = [
        patterns.indices.filter { !located.contains(patterns[$0].0) },
        patterns.indices.filter { located.contains(patterns[$0].0) },
    ]

    /// Compile flags of gate pattern `index`: caseless but for base64; every gate that is not
    /// located reports once.
    static func flags(_ index: Int) -> UInt32 {
        UInt32(HS_FLAG_DOTALL) | (located.contains(patterns[index].0) ? 0 : UInt32(HS_FLAG_SINGLEMATCH))
            | (patterns[index].0 == .base64 ? 0 : UInt32(HS_FLAG_CASELESS))
    }

    private static func compile(_ indices: [Int]) -> VectorscanDatabase {
        let flags = indices.map(flags)
        do throws(VectorscanDatabase.PatternError) {
            return try VectorscanDatabase(patterns: indices.map { patterns[$0].1 }, flags: flags)
        } catch {
            fatalError("gate patterns do not compile: \(error.message)")
        }
    }

    /// Which gates `bytes` opens.
    static func open(_ bytes: [UInt8], scratch: OpaquePointer) -> Gates { scan(bytes, scratch: scratch).gates }

    /// What one gate pass found: the open gates, and where the base64 gate matches end.
    struct Scan {
        var gates: Gates
        /// Offsets just past each base64 gate match, ascending; nil when it matched more than
        /// `maxEnds` times (the decoder then reads the whole text).
        var base64Ends: [Int]?
    }

    static let maxEnds = 4_096

    /// The base64 gate alone, by `Base64Gate` (the same matches as its database, without a
    /// pass of the automaton); a rule engine reads the other gates in its raw pass.
    static func scanBase64(_ bytes: [UInt8]) -> Scan {
        guard let ends = Base64Gate.ends(bytes, limit: maxEnds) else { return Scan(gates: .base64, base64Ends: nil) }
        return Scan(gates: ends.isEmpty ? [] : .base64, base64Ends: ends)
    }

    /// Every gate through its database (the reference `Base64Gate` and the raw pass are held to).
    static func scan(_ bytes: [UInt8], scratch: OpaquePointer) -> Scan {
        var result = Scan(gates: [], base64Ends: [])
        for (database, indices) in zip(databases, patternsOfDatabase) {
            let locating = located.contains(patterns[indices[0]].0)
            let collector = MatchCollector(limit: locating ? maxEnds : indices.count + 1)
            database.scan(bytes, scratch: scratch, into: collector)
            for hit in collector.hits { result.gates.insert(patterns[indices[Int(hit.id)]].0) }
            guard locating else { continue }
            if collector.truncated {
                // Cut short: a gate not seen yet may still be open.
                result.gates.formUnion(located)
                result.base64Ends = nil
            } else {
                result.base64Ends = collector.hits.map(\.to)
            }
        }
        return result
    }

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
