/// RFC 3986 (URI) and RFC 3987 (IRI) syntax checks, and RFC 6570 template syntax.
enum URIGrammar {
    private static func isUnreserved(_ c: Unicode.Scalar, iri: Bool) -> Bool {
        switch c.value {
        case 0x41...0x5A, 0x61...0x7A, 0x30...0x39: return true
        case 0x2D, 0x2E, 0x5F, 0x7E: return true
        default:
            // RFC 3987 ucschar ranges (approximately: every non-ASCII scalar except controls and specials).
            guard iri, c.value >= 0xA0 else { return false }
            if (0xFDD0...0xFDEF).contains(c.value) || (c.value & 0xFFFE) == 0xFFFE { return false }
            return !(0xE000...0xF8FF).contains(c.value)
        }
    }

    private static func isSubDelim(_ c: Unicode.Scalar) -> Bool { "!$&'()*+,;=".unicodeScalars.contains(c) }

    /// Checks that every scalar is allowed by `extra` or is unreserved/sub-delim, with valid %HH escapes.
    private static func scan(_ s: Substring, iri: Bool, extra: String) -> Bool {
        let scalars = Array(s.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            if c == "%" {
                guard i + 2 < scalars.count, scalars[i + 1].properties.isASCIIHexDigit,
                      scalars[i + 2].properties.isASCIIHexDigit else { return false }
                i += 3
                continue
            }
            if !(isUnreserved(c, iri: iri) || isSubDelim(c) || extra.unicodeScalars.contains(c)) { return false }
            i += 1
        }
        return true
    }

    static func isURI(_ s: String, iri: Bool, reference: Bool) -> Bool {
        var rest = Substring(s)
        if let hash = rest.firstIndex(of: "#") {
            guard scan(rest[rest.index(after: hash)...], iri: iri, extra: ":@/?") else { return false }
            rest = rest[..<hash]
        }
        if let q = rest.firstIndex(of: "?") {
            guard scan(rest[rest.index(after: q)...], iri: iri, extra: ":@/?") else { return false }
            rest = rest[..<q]
        }
        var hasScheme = false
        if let colon = rest.firstIndex(of: ":"), URIReference.isScheme(rest[..<colon]) {
            hasScheme = true
            rest = rest[rest.index(after: colon)...]
        }
        if !hasScheme {
            guard reference else { return false }
            // A relative path's first segment must not contain ':'.
            let firstSegment = rest.prefix { $0 != "/" }
            if firstSegment.contains(":") { return false }
        }
        if rest.hasPrefix("//") {
            rest = rest.dropFirst(2)
            let end = rest.firstIndex(of: "/") ?? rest.endIndex
            guard isAuthority(rest[..<end], iri: iri) else { return false }
            rest = rest[end...]
        }
        return scan(rest, iri: iri, extra: ":@/")
    }

    private static func isAuthority(_ a: Substring, iri: Bool) -> Bool {
        var hostPort = a
        if let at = a.lastIndex(of: "@") {
            guard scan(a[..<at], iri: iri, extra: ":") else { return false }
            hostPort = a[a.index(after: at)...]
        }
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { return false }
            let literal = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            guard FormatCheckers.isIPv6(literal) || literal.lowercased().hasPrefix("v") else { return false }
            let after = hostPort[hostPort.index(after: close)...]
            return after.isEmpty || (after.hasPrefix(":") && after.dropFirst().allSatisfy(\.isASCIIDigitChar))
        }
        var host = hostPort
        if let colon = hostPort.lastIndex(of: ":") {
            guard hostPort[hostPort.index(after: colon)...].allSatisfy(\.isASCIIDigitChar) else { return false }
            host = hostPort[..<colon]
        }
        return scan(host, iri: iri, extra: "")
    }

    /// RFC 6570 section 2: literals and `{operator varspec,...}` expressions.
    static func isURITemplate(_ s: String) -> Bool {
        var inExpression = false
        var expression = ""
        for c in s.unicodeScalars {
            if inExpression {
                if c == "}" {
                    guard isExpression(expression) else { return false }
                    inExpression = false
                    expression = ""
                } else if c == "{" {
                    return false
                } else {
                    expression.unicodeScalars.append(c)
                }
            } else if c == "{" {
                inExpression = true
            } else if c == "}" || c.value < 0x21 || c.value == 0x7F || "\"<>\\^`|".unicodeScalars.contains(c) {
                return false
            }
        }
        return !inExpression
    }

    private static func isExpression(_ e: String) -> Bool {
        var body = Substring(e)
        if let first = body.unicodeScalars.first, "+#./;?&=,!@|".unicodeScalars.contains(first) { body = body.dropFirst() }
        guard !body.isEmpty else { return false }
        for spec in body.split(separator: ",", omittingEmptySubsequences: false) {
            var name = spec
            if name.hasSuffix("*") { name = name.dropLast() } else if let colon = name.firstIndex(of: ":") {
                let length = name[name.index(after: colon)...]
                guard !length.isEmpty, length.count <= 4, length.allSatisfy(\.isASCIIDigitChar), !length.hasPrefix("0") else { return false }
                name = name[..<colon]
            }
            guard !name.isEmpty, !name.hasPrefix("."), !name.hasSuffix("."), !name.contains(".."),
                  name.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic && $0.value < 0x80 || ("0"..."9").contains($0) || $0 == "_" || $0 == "." || $0 == "%" })
            else { return false }
        }
        return true
    }
}

extension Character {
    var isASCIIDigitChar: Bool { ("0"..."9").contains(self) }
}
