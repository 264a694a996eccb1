/// Format checkers (Draft 2020-12 validation, section 7.3), each a small parser of the
/// grammar named in the comment. They run only on strings and only in assertion mode.
enum FormatCheckers {
    static func check(_ kind: FormatKind, _ s: String) -> Bool {
        switch kind {
        case .dateTime: return isDateTime(s)
        case .date: return isDate(Array(s.utf8)[...])
        case .time: return isTime(Array(s.utf8)[...])
        case .duration: return isDuration(s)
        case .email: return isEmail(s, international: false)
        case .idnEmail: return isEmail(s, international: true)
        case .hostname: return Hostnames.isHostname(s)
        case .idnHostname: return Hostnames.isIDNHostname(s)
        case .ipv4: return isIPv4(s)
        case .ipv6: return isIPv6(s)
        case .uri: return URIGrammar.isURI(s, iri: false, reference: false)
        case .uriReference: return URIGrammar.isURI(s, iri: false, reference: true)
        case .iri: return URIGrammar.isURI(s, iri: true, reference: false)
        case .iriReference: return URIGrammar.isURI(s, iri: true, reference: true)
        case .uuid: return isUUID(s)
        case .jsonPointer: return JSONPointer.tokens(s) != nil
        case .relativeJSONPointer: return isRelativeJSONPointer(s)
        case .regex: return (try? ECMARegex(s)) != nil
        case .uriTemplate: return URIGrammar.isURITemplate(s)
        }
    }

    // MARK: RFC 3339 dates and times

    private static func digits(_ b: ArraySlice<UInt8>, _ start: Int, _ count: Int) -> Int? {
        guard start + count <= b.endIndex else { return nil }
        var v = 0
        for i in start..<(start + count) {
            let c = b[i]
            guard c >= 48 && c <= 57 else { return nil }
            v = v * 10 + Int(c - 48)
        }
        return v
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// full-date = date-fullyear "-" date-month "-" date-mday
    static func isDate(_ b: ArraySlice<UInt8>) -> Bool {
        let s = b.startIndex
        guard b.count == 10, b[s + 4] == 0x2D, b[s + 7] == 0x2D,
              let y = digits(b, s, 4), let m = digits(b, s + 5, 2), let d = digits(b, s + 8, 2) else { return false }
        return m >= 1 && m <= 12 && d >= 1 && d <= daysIn(month: m, year: y)
    }

    /// full-time = partial-time time-offset; a leap second must fall at 23:59:60 UTC.
    static func isTime(_ b: ArraySlice<UInt8>) -> Bool {
        let s = b.startIndex
        guard b.count >= 9, b[s + 2] == 0x3A, b[s + 5] == 0x3A,
              let h = digits(b, s, 2), let m = digits(b, s + 3, 2), let sec = digits(b, s + 6, 2),
              h <= 23, m <= 59, sec <= 60 else { return false }
        var i = s + 8
        if i < b.endIndex, b[i] == 0x2E {
            i += 1
            let start = i
            while i < b.endIndex, b[i] >= 48, b[i] <= 57 { i += 1 }
            if i == start { return false }
        }
        guard i < b.endIndex else { return false }
        var offsetMinutes = 0
        switch b[i] {
        case 0x5A, 0x7A: // Z z
            i += 1
        case 0x2B, 0x2D:
            guard i + 6 == b.endIndex, b[i + 3] == 0x3A, let oh = digits(b, i + 1, 2), let om = digits(b, i + 4, 2),
                  oh <= 23, om <= 59 else { return false }
            offsetMinutes = (oh * 60 + om) * (b[i] == 0x2B ? 1 : -1)
            i += 6
        default:
            return false
        }
        guard i == b.endIndex else { return false }
        if sec == 60 {
            let utc = ((h * 60 + m - offsetMinutes) % 1440 + 1440) % 1440
            return utc == 23 * 60 + 59
        }
        return true
    }

    static func isDateTime(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard b.count > 11, b[10] == 0x54 || b[10] == 0x74 else { return false }
        return isDate(b[0..<10]) && isTime(b[11...])
    }

    /// RFC 3339 appendix A: P(n)Y(n)M(n)D[T(n)H(n)M(n)S] in order, or P(n)W.
    static func isDuration(_ s: String) -> Bool {
        var chars = Array(s.utf8)[...]
        guard chars.first == 0x50 else { return false }
        chars = chars.dropFirst()
        guard !chars.isEmpty else { return false }
        var inTime = false
        var order = 0
        var sawComponent = false
        var sawTimeComponent = false
        var sawWeek = false
        let dateUnits: [UInt8] = [0x59, 0x4D, 0x44] // Y M D
        let timeUnits: [UInt8] = [0x48, 0x4D, 0x53] // H M S
        while let c = chars.first {
            if c == 0x54 { // T
                if inTime { return false }
                inTime = true
                order = 0
                chars = chars.dropFirst()
                continue
            }
            var count = 0
            while let d = chars.first, d >= 48, d <= 57 { count += 1; chars = chars.dropFirst() }
            guard count > 0, let unit = chars.first else { return false }
            chars = chars.dropFirst()
            if unit == 0x57 { // W
                if sawComponent || inTime { return false }
                sawWeek = true
                sawComponent = true
                continue
            }
            if sawWeek { return false }
            let units = inTime ? timeUnits : dateUnits
            // Units form a contiguous run (RFC 3339 appendix A: dur-year = "Y" [dur-month], ...).
            let started = inTime ? sawTimeComponent : sawComponent
            guard let k = units.firstIndex(of: unit), started ? k == order : true else { return false }
            order = k + 1
            sawComponent = true
            if inTime { sawTimeComponent = true }
        }
        if inTime && !sawTimeComponent { return false }
        return sawComponent
    }

    // MARK: Addresses

    /// dotted-quad, each 0-255 in decimal without leading zeros (RFC 2673 section 3.2).
    static func isIPv4(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return false }
            if p.count > 1 && p.hasPrefix("0") { return false }
            guard let v = Int(p), v <= 255 else { return false }
        }
        return true
    }

    /// RFC 4291 section 2.2 text forms, with an optional trailing dotted quad; no zone id.
    static func isIPv6(_ s: String) -> Bool {
        guard !s.isEmpty, s.utf8.count <= 45 else { return false }
        var text = Substring(s)
        var groupsNeeded = 8
        if let lastColon = text.lastIndex(of: ":"), text[text.index(after: lastColon)...].contains(".") {
            guard isIPv4(String(text[text.index(after: lastColon)...])) else { return false }
            text = text[...lastColon]
            if text.hasSuffix("::") == false { text = text.dropLast() }
            groupsNeeded = 6
        }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return false }
        func groups(_ part: String) -> Int? {
            if part.isEmpty { return 0 }
            let gs = part.split(separator: ":", omittingEmptySubsequences: false)
            for g in gs {
                guard !g.isEmpty, g.count <= 4, g.unicodeScalars.allSatisfy({ $0.properties.isASCIIHexDigit }) else { return nil }
            }
            return gs.count
        }
        if halves.count == 1 {
            return groups(halves[0]) == groupsNeeded
        }
        guard let a = groups(halves[0]), let b = groups(halves[1]) else { return false }
        return a + b < groupsNeeded
    }

    // MARK: Email (RFC 5321 section 4.1.2 Mailbox; RFC 6531 for idn-email)

    static func isEmail(_ s: String, international: Bool) -> Bool {
        guard let at = s.lastIndex(of: "@") else { return false }
        let local = s[..<at]
        let domain = String(s[s.index(after: at)...])
        guard !local.isEmpty, !domain.isEmpty else { return false }
        if local.hasPrefix("\"") {
            guard local.count >= 2, local.hasSuffix("\"") else { return false }
            var escaped = false
            for c in local.dropFirst().dropLast().unicodeScalars {
                if escaped { escaped = false; continue }
                if c == "\\" { escaped = true; continue }
                if c == "\"" || c.value < 0x20 || c.value == 0x7F { return false }
                if c.value > 0x7F && !international { return false }
            }
            if escaped { return false }
        } else {
            let atext = "!#$%&'*+-/=?^_`{|}~"
            for atom in local.split(separator: ".", omittingEmptySubsequences: false) {
                guard !atom.isEmpty else { return false }
                for c in atom.unicodeScalars {
                    let ok = (c.value < 0x80 && (c.properties.isAlphabetic || ("0"..."9").contains(c) || atext.unicodeScalars.contains(c)))
                        || (international && c.value >= 0x80)
                    if !ok { return false }
                }
            }
        }
        if domain.hasPrefix("[") && domain.hasSuffix("]") {
            let literal = String(domain.dropFirst().dropLast())
            if literal.lowercased().hasPrefix("ipv6:") { return isIPv6(String(literal.dropFirst(5))) }
            return isIPv4(literal)
        }
        return international ? Hostnames.isIDNHostname(domain) : Hostnames.isHostname(domain)
    }

    // MARK: Others

    /// RFC 4122 string form: 8-4-4-4-12 hex digits.
    static func isUUID(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard b.count == 36 else { return false }
        for (i, c) in b.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                if c != 0x2D { return false }
            } else if !((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)) {
                return false
            }
        }
        return true
    }

    /// draft-handrews-relative-json-pointer: non-negative-integer [ "#" / json-pointer ].
    static func isRelativeJSONPointer(_ s: String) -> Bool {
        let b = Array(s.utf8)
        var i = 0
        while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
        guard i > 0, !(i > 1 && b[0] == 48) else { return false }
        let rest = String(decoding: b[i...], as: UTF8.self)
        if rest == "#" { return true }
        return JSONPointer.tokens(rest) != nil
    }
}
