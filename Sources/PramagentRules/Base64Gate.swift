/// The base64 gate (`Gates.patterns`, `.base64`) without an automaton:
/// `([a-z][A-Z0-9]|[A-Z][A-Z0-9]|[0-9][A-Za-z]|[+/])[A-Za-z0-9+/_-]{6}`, case sensitive, every
/// match end. Vectorscan ran this class pattern over every byte (no literal to skip to), about
/// a tenth of a 1 KiB scan. Every match has a capital, digit, '+' or '/' at its first or second
/// byte, so eight bytes at a time are tested for one of those (SWAR, exact per byte) and only
/// their neighbourhoods are read. `Base64GateTests` holds it to the pattern's database.
enum Base64Gate {
    private static let lower: UInt8 = 1, upper: UInt8 = 2, digit: UInt8 = 4, plusSlash: UInt8 = 8, body: UInt8 = 16

    /// Byte classes: lower case, upper case, digit, '+' or '/', and base64 ([A-Za-z0-9+/_-]).
    private static let classes: [UInt8] = (0..<256).map { b in
        switch UInt8(b) {
        case 0x61...0x7A: return lower | body
        case 0x41...0x5A: return upper | body
        case 0x30...0x39: return digit | body
        case 0x2B, 0x2F: return plusSlash | body
        case 0x5F, 0x2D: return body
        default: return 0
        }
    }

    /// Bit 7 of each byte of `x` set when that byte is greater than `low` and less than `high`
    /// (bytes of 0x80 and up never), without carries between bytes: `0 <= low < high <= 128`.
    @inline(__always) private static func between(_ x: UInt64, _ low: UInt64, _ high: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101, seven = ones &* 127, top = ones &* 128
        let low7 = x & seven
        return (ones &* (127 &+ high) &- low7) & ~x & (low7 &+ ones &* (127 &- low)) & top
    }

    /// Offsets just past each match, ascending; nil when there are more than `limit`.
    static func ends(_ bytes: [UInt8], limit: Int) -> [Int]? {
        var out: [Int] = []
        let n = bytes.count
        out.reserveCapacity(min(limit, n / 64 + 8))
        // Written without nested functions: captured mutable state cost an exclusivity check
        // per access, which was most of this pass at 1 KiB.
        let complete = bytes.withUnsafeBufferPointer { src -> Bool in
            classes.withUnsafeBufferPointer { cls -> Bool in
                guard let text = src.baseAddress, let table = cls.baseAddress else { return true }
                var last = -1 // the last end appended
                var i = 0
                while i < n {
                    // The next capital, digit, '+' or '/' at or after i, eight bytes at a time.
                    var j = -1
                    while i + 8 <= n {
                        let x = UnsafeRawPointer(text + i).loadUnaligned(as: UInt64.self)
                        // Capitals (0x41-0x5A), '/' and digits (0x2F-0x39), '+' (0x2B).
                        let hits = (between(x, 0x40, 0x5B) | between(x, 0x2E, 0x3A) | between(x, 0x2A, 0x2C)).littleEndian
                        if hits != 0 { j = i + hits.trailingZeroBitCount >> 3; break }
                        i += 8
                    }
                    if j < 0 {
                        while i < n && table[Int(text[i])] & (upper | digit | plusSlash) == 0 { i += 1 }
                        guard i < n else { break }
                        j = i
                    }
                    i = j + 1
                    // A match may begin at j, or (a digit before a small letter) at j + 1.
                    let c = table[Int(text[j])]
                    let next = j + 1 < n ? table[Int(text[j + 1])] : 0
                    var s = j
                    while s <= j + 1 {
                        defer { s += 1 }
                        if s == j + 1 && !(c & digit != 0 && next & lower != 0) { break }
                        guard s + 7 > last, s + 6 < n else { continue }
                        let here = table[Int(text[s])], before = s > 0 ? table[Int(text[s - 1])] : 0
                        let opens = here & plusSlash != 0
                            || (before & (lower | upper) != 0 && here & (upper | digit) != 0)
                            || (before & digit != 0 && here & (lower | upper) != 0)
                        guard opens else { continue }
                        var k = s + 1
                        while k <= s + 6 && table[Int(text[k])] & body != 0 { k += 1 }
                        guard k > s + 6 else { continue }
                        if out.count == limit { return false }
                        out.append(s + 7)
                        last = s + 7
                    }
                }
                return true
            }
        }
        return complete ? out : nil
    }
}
