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
        var last = -1
        let n = bytes.count
        let complete = bytes.withUnsafeBufferPointer { src -> Bool in
            classes.withUnsafeBufferPointer { cls in
                func of(_ k: Int) -> UInt8 { k >= 0 && k < n ? cls[Int(src[k])] : 0 }
                /// Whether a match has its first byte or pair at `s` (see the pattern), and the
                /// six base64 bytes after it.
                func startsMatch(_ s: Int) -> Bool {
                    let c = of(s), before = of(s - 1)
                    let opens = c & plusSlash != 0
                        || (before & (lower | upper) != 0 && c & (upper | digit) != 0)
                        || (before & digit != 0 && c & (lower | upper) != 0)
                    guard opens, s + 6 < n else { return false }
                    for k in s + 1...s + 6 where cls[Int(src[k])] & body == 0 { return false }
                    return true
                }
                /// A capital, digit, '+' or '/' at `j`: a match may start there, or (a digit
                /// before a small letter) at `j + 1`.
                func emit(_ s: Int) -> Bool {
                    guard s + 7 > last, startsMatch(s) else { return true }
                    if out.count == limit { return false }
                    out.append(s + 7)
                    last = s + 7
                    return true
                }
                func visit(_ j: Int) -> Bool {
                    guard emit(j) else { return false }
                    return !(of(j) & digit != 0 && of(j + 1) & lower != 0) || emit(j + 1)
                }
                guard let base = UnsafeRawPointer(src.baseAddress) else { return true }
                var i = 0
                while i + 8 <= n {
                    let x = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    // Capitals (0x41-0x5A), '/' and digits (0x2F-0x39), '+' (0x2B).
                    var hits = (between(x, 0x40, 0x5B) | between(x, 0x2E, 0x3A) | between(x, 0x2A, 0x2C)).littleEndian
                    while hits != 0 {
                        if !visit(i + hits.trailingZeroBitCount >> 3) { return false }
                        hits &= hits &- 1
                    }
                    i += 8
                }
                while i < n {
                    if of(i) & (upper | digit | plusSlash) != 0, !visit(i) { return false }
                    i += 1
                }
                return true
            }
        }
        return complete ? out : nil
    }
}
