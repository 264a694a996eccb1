#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Personal data found by a detector with a validator (not by a pattern alone).
public enum PIIKind: String, Sendable, CaseIterable {
    case creditCard = "credit_card"
    case iban
    case ssn
    case email
    case phone
    case ipAddress = "ip_address"
    case dateOfBirth = "date_of_birth"
    case medicalRecordNumber = "medical_record_number"
    case healthPlanID = "health_plan_id"

    /// The typed placeholder used for redaction.
    public var placeholder: String {
        switch self {
        case .creditCard: return "[CREDIT_CARD]"
        case .iban: return "[IBAN]"
        case .ssn: return "[SSN]"
        case .email: return "[EMAIL]"
        case .phone: return "[PHONE]"
        case .ipAddress: return "[IP_ADDRESS]"
        case .dateOfBirth: return "[DATE_OF_BIRTH]"
        case .medicalRecordNumber: return "[MEDICAL_RECORD_NUMBER]"
        case .healthPlanID: return "[HEALTH_PLAN_ID]"
        }
    }

    public var category: String {
        switch self {
        case .creditCard, .iban, .ssn: return "financial_pii"
        case .dateOfBirth, .medicalRecordNumber, .healthPlanID: return "phi"
        case .email, .phone, .ipAddress: return "pii"
        }
    }

    public var severity: Severity {
        switch self {
        case .creditCard, .ssn, .iban, .medicalRecordNumber, .healthPlanID: return .high
        case .dateOfBirth: return .medium
        case .email, .phone, .ipAddress: return .low
        }
    }

    public var ruleID: String { "pii.\(rawValue)" }
}

/// Linear scanners for personal data, each confirmed by a validator (Luhn, mod-97, SSN rules, ...).
public enum PIIDetectors {
    public static func find(_ wanted: Set<PIIKind>, in text: [UInt8]) -> [(kind: PIIKind, range: Range<Int>)] {
        find(wanted, in: text, gates: .all)
    }

    /// Runs only the detectors whose gate is open (see `Gates`).
    static func find(_ wanted: Set<PIIKind>, in text: [UInt8], gates: Gates) -> [(kind: PIIKind, range: Range<Int>)] {
        let kinds = wanted.filter { gates.contains(Gates.forPII($0)) }
        if kinds.isEmpty { return [] }
        var out: [(PIIKind, Range<Int>)] = []
        if kinds.contains(.creditCard) { out += creditCards(text).map { (.creditCard, $0) } }
        if kinds.contains(.iban) { out += ibans(text).map { (.iban, $0) } }
        if kinds.contains(.ssn) { out += ssns(text).map { (.ssn, $0) } }
        if kinds.contains(.email) { out += emails(text).map { (.email, $0) } }
        if kinds.contains(.phone) { out += phones(text).map { (.phone, $0) } }
        if kinds.contains(.ipAddress) { out += ipAddresses(text).map { (.ipAddress, $0) } }
        let needsContext = kinds.contains(.dateOfBirth) || kinds.contains(.medicalRecordNumber) || kinds.contains(.healthPlanID)
        if needsContext {
            let lower = [UInt8](unsafeUninitializedCapacity: text.count) { out, count in
                text.withUnsafeBufferPointer { src in
                    for k in 0..<src.count { let b = src[k]; out[k] = b &- 0x41 < 26 ? b | 0x20 : b }
                }
                count = text.count
            }
            if kinds.contains(.dateOfBirth) { out += datesOfBirth(text, lower).map { (.dateOfBirth, $0) } }
            if kinds.contains(.medicalRecordNumber) {
                out += identifiers(after: mrnTable, text, lower, minDigits: 4, length: 5...15).map { (.medicalRecordNumber, $0) }
            }
            if kinds.contains(.healthPlanID) {
                out += identifiers(after: planTable, text, lower, minDigits: 3, length: 6...20).map { (.healthPlanID, $0) }
            }
        }
        return out
    }

    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    @inline(__always) static func isUpper(_ b: UInt8) -> Bool { b >= 0x41 && b <= 0x5A }
    @inline(__always) static func isAlpha(_ b: UInt8) -> Bool { isUpper(b) || (b >= 0x61 && b <= 0x7A) }
    @inline(__always) static func isAlnum(_ b: UInt8) -> Bool { isDigit(b) || isAlpha(b) }

    // MARK: labels glued to a value

    /// Labels that may be glued to the value they name ("card4111…", "ibanDE89…", "ssn123-45-…",
    /// "…1111exp"), lower case: a value is read after (or before) one of them as after a space.
    static let cardLabelsBefore: [[UInt8]] = ["card", "cc", "ccnum", "cardno", "cardnumber", "visa", "mastercard", "amex", "pan", "creditcard"].map { Array($0.utf8) }
    static let cardLabelsAfter: [[UInt8]] = ["exp", "expiry", "expires", "cvv", "cvc", "valid"].map { Array($0.utf8) }
    static let ibanLabelsBefore: [[UInt8]] = ["iban", "acct", "account", "konto"].map { Array($0.utf8) }
    static let ibanLabelsAfter: [[UInt8]] = ["eur", "usd", "gbp", "chf", "bic", "swift"].map { Array($0.utf8) }
    static let ssnLabelsBefore: [[UInt8]] = ["ssn", "ss", "socialsecurity"].map { Array($0.utf8) }

    /// The longest label: a longer run of letters is no label, so no run is read further.
    static let longestLabel = (cardLabelsBefore + cardLabelsAfter + ibanLabelsBefore + ibanLabelsAfter + ssnLabelsBefore).map(\.count).max() ?? 0

    /// True when the letters right before offset `i` are one of `labels` (either case) and
    /// nothing alphanumeric comes before that label: "card4111" at the 4.
    static func labelBefore(_ t: [UInt8], _ i: Int, _ labels: [[UInt8]]) -> Bool {
        var start = i
        while start > 0, i - start <= longestLabel, isAlpha(t[start - 1]) { start -= 1 }
        guard start < i, i - start <= longestLabel, start == 0 || !isAlnum(t[start - 1]) else { return false }
        return isLabel(t, start, i, labels)
    }

    /// True when the letters from offset `j` on are one of `labels` and nothing alphanumeric
    /// follows: "1111exp" at the e.
    static func labelAfter(_ t: [UInt8], _ j: Int, _ labels: [[UInt8]]) -> Bool {
        var end = j
        while end < t.count, end - j <= longestLabel, isAlpha(t[end]) { end += 1 }
        guard end > j, end - j <= longestLabel, end == t.count || !isAlnum(t[end]) else { return false }
        return isLabel(t, j, end, labels)
    }

    private static func isLabel(_ t: [UInt8], _ from: Int, _ to: Int, _ labels: [[UInt8]]) -> Bool {
        labels.contains { label in label.count == to - from && zip(label, t[from..<to]).allSatisfy { $0 == $1 | 0x20 } }
    }

    // MARK: payment cards

    /// 13-19 digits, optionally grouped by single spaces or dashes, passing Luhn, with a known issuer prefix.
    static func creditCards(_ t: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var i = 0
        let n = t.count
        while i < n {
            guard isDigit(t[i]), i == 0 || !isAlnum(t[i - 1]) || (isAlpha(t[i - 1]) && labelBefore(t, i, cardLabelsBefore)) else { i += 1; continue }
            var digits: [UInt8] = []
            var j = i
            var separator: UInt8? = nil
            while j < n && digits.count <= 19 {
                if isDigit(t[j]) { digits.append(t[j] - 0x30); j += 1; continue }
                if (t[j] == 0x20 || t[j] == 0x2D), j + 1 < n, isDigit(t[j + 1]), separator == nil || separator == t[j] {
                    separator = t[j]
                    j += 1
                    continue
                }
                break
            }
            if (13...19).contains(digits.count), j == n || !isAlnum(t[j]) || (isAlpha(t[j]) && labelAfter(t, j, cardLabelsAfter)),
               luhn(digits), knownIssuer(digits) {
                out.append(i..<j)
            }
            i = max(j, i + 1)
        }
        return out
    }

    public static func luhn(_ digits: [UInt8]) -> Bool {
        var sum = 0
        for (k, d) in digits.reversed().enumerated() {
            var v = Int(d)
            if k % 2 == 1 { v *= 2; if v > 9 { v -= 9 } }
            sum += v
        }
        return sum % 10 == 0
    }

    /// Issuer identification ranges (ISO/IEC 7812) of the major networks, with their lengths.
    static func knownIssuer(_ d: [UInt8]) -> Bool {
        func prefix(_ k: Int) -> Int { d.prefix(k).reduce(0) { $0 * 10 + Int($1) } }
        let n = d.count
        switch d[0] {
        case 4: return n == 13 || n == 16 || n == 19 // Visa
        case 5:
            if [5018, 5020, 5038, 5893].contains(prefix(4)) { return n >= 13 } // Maestro
            return (51...55).contains(prefix(2)) && n == 16 // Mastercard
        case 2:
            if (2200...2204).contains(prefix(4)) { return n >= 16 } // Mir
            return (2221...2720).contains(prefix(4)) && n == 16 // Mastercard 2-series
        case 3:
            let p2 = prefix(2)
            if p2 == 34 || p2 == 37 { return n == 15 } // American Express
            if (3528...3589).contains(prefix(4)) { return (16...19).contains(n) } // JCB
            if p2 == 36 || p2 == 38 || p2 == 39 || (300...305).contains(prefix(3)) { return (14...19).contains(n) } // Diners
            return false
        case 6:
            if prefix(4) == 6011 || prefix(2) == 65 || (644...649).contains(prefix(3)) { return (16...19).contains(n) } // Discover
            if prefix(2) == 62 { return (16...19).contains(n) } // UnionPay
            if [6304, 6759, 6761, 6762, 6763].contains(prefix(4)) { return n >= 13 } // Maestro
            return false
        default: return false
        }
    }

    // MARK: IBAN

    /// Lengths by country (ISO 13616 registry).
    static let ibanLengths: [String: Int] = [
        "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29, "BY": 28,
        "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
        "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
        "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20,
        "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15,
        "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19,
        "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
    ]

    /// Country code, check digits and BBAN of the country's exact length (spaces between groups
    /// allowed), passing the ISO 7064 mod-97 check.
    static func ibans(_ t: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        let n = t.count
        var i = 0
        while i + 4 <= n {
            // Country letters in either case (IBANs are often typed in lower case).
            guard isAlpha(t[i]), isAlpha(t[i + 1]), isDigit(t[i + 2]), isDigit(t[i + 3]),
                  i == 0 || !isAlnum(t[i - 1]) || (isAlpha(t[i - 1]) && labelBefore(t, i, ibanLabelsBefore)),
                  let length = ibanLengths[String(decoding: [t[i] & ~0x20, t[i + 1] & ~0x20], as: UTF8.self)] else { i += 1; continue }
            var chars: [UInt8] = []
            var j = i
            while j < n && chars.count < length {
                let b = t[j]
                if isDigit(b) || isUpper(b) { chars.append(b); j += 1 }
                else if b == 0x20, chars.count % 4 == 0, j + 1 < n, isAlnum(t[j + 1]) { j += 1 }
                else if isAlpha(b) { chars.append(b & ~0x20); j += 1 }
                else { break }
            }
            if chars.count == length, j == n || !isAlnum(t[j]) || labelAfter(t, j, ibanLabelsAfter), mod97(chars) == 1 {
                out.append(i..<j)
                i = j
            } else {
                i += 1
            }
        }
        return out
    }

    static func mod97(_ chars: [UInt8]) -> Int {
        var remainder = 0
        for b in chars[4...] + chars[..<4] {
            if isDigit(b) {
                remainder = (remainder * 10 + Int(b - 0x30)) % 97
            } else {
                remainder = (remainder * 100 + Int(b - 0x41 + 10)) % 97
            }
        }
        return remainder
    }

    // MARK: SSN

    /// `AAA-GG-SSSS` (or with spaces): area 001-899 except 666, group 01-99, serial 0001-9999;
    /// the two numbers published in advertising (078-05-1120, 219-09-9999) are excluded.
    static func ssns(_ t: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        let n = t.count
        var i = 0
        while i + 11 <= n {
            let sep = t[i + 3]
            guard sep == 0x2D || sep == 0x20, t[i + 6] == sep,
                  i == 0 || !(isAlnum(t[i - 1]) || t[i - 1] == 0x2D) || (isAlpha(t[i - 1]) && labelBefore(t, i, ssnLabelsBefore)),
                  i + 11 == n || !(isAlnum(t[i + 11]) || (t[i + 11] == 0x2D && i + 12 < n && isDigit(t[i + 12]))) else { i += 1; continue }
            let groups = [t[i..<i + 3], t[i + 4..<i + 6], t[i + 7..<i + 11]]
            guard groups.allSatisfy({ $0.allSatisfy(isDigit) }) else { i += 1; continue }
            let value = groups.map { $0.reduce(0) { $0 * 10 + Int($1 - 0x30) } }
            if validSSN(area: value[0], group: value[1], serial: value[2]) { out.append(i..<i + 11); i += 11 } else { i += 1 }
        }
        return out
    }

    public static func validSSN(area: Int, group: Int, serial: Int) -> Bool {
        guard area > 0, area != 666, area < 900, group > 0, serial > 0 else { return false }
        if (area, group, serial) == (78, 5, 1120) || (area, group, serial) == (219, 9, 9999) { return false }
        return true
    }

    // MARK: email

    static func isLocalByte(_ b: UInt8) -> Bool { isAlnum(b) || b == 0x2E || b == 0x5F || b == 0x25 || b == 0x2B || b == 0x2D }
    static func isDomainByte(_ b: UInt8) -> Bool { isAlnum(b) || b == 0x2E || b == 0x2D }

    /// local@domain.tld with a letters-only top-level domain of two or more letters.
    static func emails(_ t: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        let n = t.count
        var lastEnd = 0
        for at in offsets(of: 0x40, in: t) {
            var s = at
            while s > lastEnd && isLocalByte(t[s - 1]) { s -= 1 }
            while s < at && t[s] == 0x2E { s += 1 }
            guard s < at else { continue }
            var e = at + 1
            while e < n && isDomainByte(t[e]) { e += 1 }
            while e > at + 1 && (t[e - 1] == 0x2E || t[e - 1] == 0x2D) { e -= 1 }
            guard let dot = t[(at + 1)..<e].lastIndex(of: 0x2E), dot > at + 1 else { continue }
            let tld = t[(dot + 1)..<e]
            guard tld.count >= 2, tld.allSatisfy(isAlpha), !t[(at + 1)..<e].contains(where: { $0 == 0x2E }) || !hasEmptyLabel(t[(at + 1)..<e]) else { continue }
            out.append(s..<e)
            lastEnd = e
        }
        return out
    }

    /// Offsets of every `byte` in `t`, found with `memchr` (a loop over the text in Swift took
    /// a bounds check and a branch per byte; prose has few '@').
    static func offsets(of byte: UInt8, in t: [UInt8]) -> [Int] {
        var out: [Int] = []
        t.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            var p = UnsafeRawPointer(base)
            let end = UnsafeRawPointer(base + buffer.count)
            while p < end, let hit = memchr(p, Int32(byte), end - p) {
                out.append(UnsafeRawPointer(hit) - UnsafeRawPointer(base))
                p = UnsafeRawPointer(hit) + 1
            }
        }
        return out
    }

    static func hasEmptyLabel(_ domain: ArraySlice<UInt8>) -> Bool {
        var previousDot = true
        for b in domain {
            if b == 0x2E { if previousDot { return true }; previousDot = true } else { previousDot = false }
        }
        return previousDot
    }

    // MARK: phone numbers

    /// E.164 (`+` and 8-15 digits, separators allowed) and North American national formats
    /// (`(212) 555-0142`, `212-555-0142`, `212.555.0142`).
    static func phones(_ t: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        let n = t.count
        var i = 0
        while i < n {
            let b = t[i]
            if b == 0x2B, i + 1 < n, t[i + 1] >= 0x31 && t[i + 1] <= 0x39, i == 0 || !isAlnum(t[i - 1]) {
                var digits = 0
                var j = i + 1
                var last = j
                while j < n {
                    if isDigit(t[j]) { digits += 1; j += 1; last = j; continue }
                    if (t[j] == 0x20 || t[j] == 0x2D || t[j] == 0x2E || t[j] == 0x28 || t[j] == 0x29), j + 1 < n,
                       isDigit(t[j + 1]) || t[j + 1] == 0x28 { j += 1; continue }
                    break
                }
                if (8...15).contains(digits), last == n || !isAlnum(t[last]) { out.append(i..<last); i = last; continue }
                i += 1
                continue
            }
            if (b == 0x28 || isDigit(b)), i == 0 || !(isAlnum(t[i - 1]) || t[i - 1] == 0x2D || t[i - 1] == 0x2E || t[i - 1] == 0x2B),
               let end = nanp(t, i) {
                out.append(i..<end)
                i = end
                continue
            }
            i += 1
        }
        return out
    }

    /// A NANP number at `i`: area code [2-9]XX (optionally in parentheses), a separator, exchange
    /// [2-9]XX, the same separator, four digits. Returns the end offset.
    static func nanp(_ t: [UInt8], _ i: Int) -> Int? {
        let n = t.count
        var j = i
        let paren = t[j] == 0x28
        if paren { j += 1 }
        guard j + 3 <= n, t[j] >= 0x32 && t[j] <= 0x39, isDigit(t[j + 1]), isDigit(t[j + 2]) else { return nil }
        j += 3
        var sep: UInt8 = 0
        if paren {
            guard j < n, t[j] == 0x29 else { return nil }
            j += 1
            if j < n && t[j] == 0x20 { j += 1 }
            sep = 0x2D
        } else {
            guard j < n, t[j] == 0x2D || t[j] == 0x2E || t[j] == 0x20 else { return nil }
            sep = t[j]
            j += 1
        }
        guard j + 8 <= n, t[j] >= 0x32 && t[j] <= 0x39, isDigit(t[j + 1]), isDigit(t[j + 2]) else { return nil }
        j += 3
        guard t[j] == sep || (paren && t[j] == 0x2E) else { return nil }
        j += 1
        guard t[j..<j + 4].allSatisfy(isDigit) else { return nil }
        j += 4
        guard j == n || !(isAlnum(t[j]) || (t[j] == 0x2D && j + 1 < n && isDigit(t[j + 1]))) else { return nil }
        return j
    }

    // MARK: IP addresses

    /// Dotted-quad IPv4 (each octet 0-255, no leading zeros) and IPv6 (validated by inet_pton).
    static func ipAddresses(_ t: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        let n = t.count
        var i = 0
        while i < n {
            if isDigit(t[i]), i == 0 || !(isAlnum(t[i - 1]) || t[i - 1] == 0x2E), let end = ipv4(t, i) {
                out.append(i..<end)
                i = end
                continue
            }
            i += 1
        }
        Decoders.scanRuns(t, of: Decoders.hexOrColon) { run in
            let s = run.lowerBound, e = run.upperBound
            guard run.count >= 3, run.count <= 45, s == 0 || !(isAlnum(t[s - 1]) || t[s - 1] == 0x2E),
                  e == n || !isAlnum(t[e]) else { return }
            var colons = 0
            for k in run where t[k] == 0x3A { colons += 1 }
            guard colons >= 2, colons < run.count else { return }
            var addr = in6_addr()
            let ok = (Array(t[run]) + [0]).withUnsafeBufferPointer { b in
                b.withMemoryRebound(to: CChar.self) { inet_pton(AF_INET6, $0.baseAddress, &addr) }
            }
            if ok == 1 { out.append(run) }
        }
        return out
    }

    static func ipv4(_ t: [UInt8], _ i: Int) -> Int? {
        let n = t.count
        var j = i
        for part in 0..<4 {
            guard j < n, isDigit(t[j]) else { return nil }
            var value = 0
            let start = j
            while j < n && isDigit(t[j]) && j - start < 3 { value = value * 10 + Int(t[j] - 0x30); j += 1 }
            guard value <= 255, !(j - start > 1 && t[start] == 0x30), j == n || !isDigit(t[j]) else { return nil }
            if part < 3 {
                guard j < n, t[j] == 0x2E else { return nil }
                j += 1
            }
        }
        guard j == n || !(isAlnum(t[j]) || (t[j] == 0x2E && j + 1 < n && isDigit(t[j + 1]))) else { return nil }
        return j
    }

    // MARK: in context

    static let birthKeywords = ["date of birth", "birth date", "birthdate", "birthday", "born on", "born", "dob", "d.o.b"]
    static let mrnKeywords = ["medical record number", "medical record no", "medical record #", "mrn", "patient id", "patient number", "chart number"]
    static let planKeywords = ["health plan id", "health plan number", "member id", "member number", "subscriber id",
                               "insurance id", "policy number", "medicare number", "medicaid number", "beneficiary id", "group number"]
    static let months = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
                         "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"]

    /// Keywords by first byte, as bytes (built once).
    final class KeywordTable: Sendable {
        let byFirst: [[[UInt8]]]
        /// 1 where some keyword starts with the byte (checked before touching `byFirst`).
        let starts: [UInt8]
        init(_ keywords: [String]) {
            var table = [[[UInt8]]](repeating: [], count: 256)
            var starts = [UInt8](repeating: 0, count: 256)
            for k in keywords { let b = Array(k.utf8); table[Int(b[0])].append(b); starts[Int(b[0])] = 1 }
            byFirst = table
            self.starts = starts
        }
    }
    static let birthTable = KeywordTable(birthKeywords)
    static let mrnTable = KeywordTable(mrnKeywords)
    static let planTable = KeywordTable(planKeywords)

    /// 1 for ASCII letters and digits (`isAlnum`), as a table.
    static let alnumTable: [UInt8] = (0..<256).map { isAlnum(UInt8($0)) ? 1 : 0 }

    /// Offsets just after each whole-word occurrence of any keyword: one pass over the text.
    /// The word-start test is table arithmetic, so the only branch per byte is taken at the start
    /// of a word whose first letter begins some keyword (a test per letter mispredicted often).
    static func keywordEnds(_ table: KeywordTable, _ lower: [UInt8]) -> [Int] {
        var ends: [Int] = []
        let n = lower.count
        lower.withUnsafeBufferPointer { t in
            table.starts.withUnsafeBufferPointer { starts in
                alnumTable.withUnsafeBufferPointer { alnum in
                    var previousAlnum: UInt8 = 0
                    for i in 0..<n {
                        let b = Int(t[i])
                        let start = starts[b] & (previousAlnum ^ 1)
                        previousAlnum = alnum[b]
                        guard start != 0 else { continue }
                        for k in table.byFirst[b] where i + k.count <= n {
                            let same = k.withUnsafeBufferPointer { kb in memcmp(t.baseAddress! + i, kb.baseAddress!, k.count) == 0 }
                            if same, i + k.count == n || alnum[Int(t[i + k.count])] == 0 { ends.append(i + k.count) }
                        }
                    }
                }
            }
        }
        return ends
    }

    /// Words after "birthday" that make the date that of an event ("the birthday party: July 15th, 2024").
    static let birthdayEvents = ["party", "parties", "celebration", "dinner", "lunch", "brunch", "bash", "picnic", "cake",
                                 "gift", "gifts", "present", "presents", "card", "cards", "event", "trip", "surprise"].map { Array($0.utf8) }

    /// Whether the birth keyword ending at `k` is "birthday" followed by an event word.
    static func isBirthdayEvent(_ lower: [UInt8], keywordEnd k: Int) -> Bool {
        guard k >= 8, lower[(k - 8)..<k].elementsEqual("birthday".utf8) else { return false }
        var i = k
        while i < lower.count, lower[i] == 0x20 || lower[i] == 0x2D { i += 1 }
        return birthdayEvents.contains { w in
            i + w.count <= lower.count && lower[i..<(i + w.count)].elementsEqual(w)
                && (i + w.count == lower.count || !isAlnum(lower[i + w.count]))
        }
    }

    /// A date within 32 bytes after a birth keyword: 1985-03-14, 03/14/1985, 14.03.1985, March 14, 1985, 14 March 1985.
    /// Not after "birthday" naming an event (a party, a dinner, a cake): that date is the event's.
    static func datesOfBirth(_ t: [UInt8], _ lower: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var covered = 0
        for k in keywordEnds(birthTable, lower) where k >= covered && !isBirthdayEvent(lower, keywordEnd: k) {
            let limit = min(t.count, k + 32)
            var i = k
            while i < limit {
                if (i == 0 || !isAlnum(t[i - 1])), let end = date(lower, i) {
                    out.append(i..<end)
                    covered = end
                    break
                }
                i += 1
            }
        }
        return out
    }

    static func number(_ t: [UInt8], _ i: Int, _ digits: ClosedRange<Int>) -> (Int, Int)? {
        var j = i
        var v = 0
        while j < t.count && isDigit(t[j]) && j - i < digits.upperBound { v = v * 10 + Int(t[j] - 0x30); j += 1 }
        guard digits.contains(j - i), j == t.count || !isDigit(t[j]) else { return nil }
        return (v, j)
    }

    static func date(_ t: [UInt8], _ i: Int) -> Int? {
        let n = t.count
        if let (a, j) = number(t, i, 1...4), j < n, t[j] == 0x2D || t[j] == 0x2F || t[j] == 0x2E {
            let sep = t[j]
            guard let (b, k) = number(t, j + 1, 1...2), k < n, t[k] == sep, let (c, end) = number(t, k + 1, 2...4) else { return nil }
            if j - i == 4 { return (1...12).contains(b) && (1...31).contains(c) && end - k - 1 == 2 ? end : nil }
            let dayMonth = (1...31).contains(a) && (1...31).contains(b) && (a <= 12 || b <= 12)
            return dayMonth ? end : nil
        }
        // Month names: "march 14, 1985" or "14 march 1985".
        func month(_ at: Int) -> Int? {
            for m in months {
                let bytes = Array(m.utf8)
                if at + bytes.count <= n, t[at..<at + bytes.count].elementsEqual(bytes),
                   at + bytes.count == n || !isAlpha(t[at + bytes.count]) {
                    var e = at + bytes.count
                    if e < n && t[e] == 0x2E { e += 1 }
                    return e
                }
            }
            return nil
        }
        func skipSpaces(_ at: Int) -> Int { var e = at; while e < n && (t[e] == 0x20 || t[e] == 0x2C) { e += 1 }; return e }
        if let m = month(i) {
            guard let (day, d) = number(t, skipSpaces(m), 1...2), (1...31).contains(day) else { return nil }
            var e = d
            if e + 1 < n, (t[e] == 0x73 && t[e + 1] == 0x74) || (t[e] == 0x6E && t[e + 1] == 0x64) || (t[e] == 0x72 && t[e + 1] == 0x64) || (t[e] == 0x74 && t[e + 1] == 0x68) { e += 2 }
            guard let (_, y) = number(t, skipSpaces(e), 4...4) else { return nil }
            return y
        }
        if let (day, d) = number(t, i, 1...2), (1...31).contains(day), let m = month(skipSpaces(d)), skipSpaces(d) > d {
            guard let (_, y) = number(t, skipSpaces(m), 4...4) else { return nil }
            return y
        }
        return nil
    }

    /// An identifier (letters, digits, dashes; at least `minDigits` digits) within 24 bytes after a keyword.
    static func identifiers(after keywords: KeywordTable, _ t: [UInt8], _ lower: [UInt8], minDigits: Int, length: ClosedRange<Int>) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var covered = 0
        for k in keywordEnds(keywords, lower) where k >= covered {
            var i = k
            let limit = min(t.count, k + 24)
            // Skip the glue between keyword and value: spaces, ':', '#', '-', "is", "no.", "number".
            while i < limit, !isAlnum(t[i]) || lower[i..<min(t.count, i + 3)].elementsEqual(Array("is ".utf8))
                    || lower[i..<min(t.count, i + 3)].elementsEqual(Array("no.".utf8)) {
                i += isAlnum(t[i]) ? 3 : 1
            }
            guard i < limit else { continue }
            var j = i
            var digits = 0
            while j < t.count && (isAlnum(t[j]) || (t[j] == 0x2D && j + 1 < t.count && isAlnum(t[j + 1]))) {
                if isDigit(t[j]) { digits += 1 }
                j += 1
            }
            if digits >= minDigits, length.contains(j - i) {
                out.append(i..<j)
                covered = j
            }
        }
        return out
    }
}
