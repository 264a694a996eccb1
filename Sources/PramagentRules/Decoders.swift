/// Bounded decoding layers: base64, hex and URL-encoded runs in a text are decoded so the
/// rules can look inside them. Every layer is linear; depth and total size are bounded by the caller.
enum Decoders {
    struct Segment {
        /// Where the encoded run is in the text it was found in.
        var range: Range<Int>
        var layer: String
        var decoded: [UInt8]
    }

    /// Shortest runs worth decoding (shorter ones are ordinary words and numbers).
    static let minBase64 = 8
    static let minHex = 12

    /// Encoded runs of `text` whose decoded form is readable text, within `budget` decoded bytes.
    static func segments(in text: [UInt8], budget: inout Int) -> [Segment] {
        segments(in: text, budget: &budget, gates: .all)
    }

    /// Only the layers whose gate is open (see `Gates`). With `base64Ends` (where the base64
    /// gate matched in `text`), only the base64 runs holding a gate match are looked at; hex
    /// runs are decoded when they hold a hex gate match (`holdsHexGateMatch`).
    static func segments(in text: [UInt8], budget: inout Int, gates: Gates, base64Ends: [Int]? = nil) -> [Segment] {
        var out: [Segment] = []
        if gates.contains(.base64) { for run in base64Ends.map({ base64Candidates(text, around: $0) }) ?? base64Candidates(text) {
            // Padding only at the end: "key=value" is not one run.
            var end = run.upperBound
            while end < text.count && end - run.upperBound < 2 && text[end] == 0x3D { end += 1 }
            let range = run.lowerBound..<end
            guard budget > 0, let decoded = base64(text[range]), isReadable(decoded) else { continue }
            budget -= decoded.count
            out.append(Segment(range: range, layer: "base64", decoded: decoded))
        } }
        if gates.contains(.hex) {
            func decode(_ range: Range<Int>) {
                guard range.count >= minHex, budget > 0, let decoded = hex(text[range]), isReadable(decoded) else { return }
                budget -= decoded.count
                out.append(Segment(range: range, layer: "hex", decoded: decoded))
            }
            scanRuns(text, of: hexRun) { range in if holdsHexGateMatch(text, range) { decode(range) } }
        }
        guard gates.contains(.url) else { return out }
        scanRuns(text, of: urlToken) { range in
            guard budget > 0, text[range].contains(0x25), let decoded = percentDecoded(text[range]), isReadable(decoded) else { return }
            budget -= decoded.count
            out.append(Segment(range: range, layer: "url", decoded: decoded))
        }
        return out
    }

    /// Byte classes of the runs looked for (bits of `runClasses`).
    static let base64Run: UInt8 = 1, hexRun: UInt8 = 2, urlToken: UInt8 = 4, hexOrColon: UInt8 = 8

    /// Bits of `base64Classes`: member of a base64 run, `+` or `/`, upper-case letter or digit,
    /// digit, letter or digit.
    static let b64Member: UInt8 = 1, b64Sign: UInt8 = 2, b64UpperOrDigit: UInt8 = 4, b64Digit: UInt8 = 8, b64Alnum: UInt8 = 16

    static let base64Classes: [UInt8] = (0..<256).map { b in
        let v = UInt8(b)
        let digit = v >= 0x30 && v <= 0x39, upper = v >= 0x41 && v <= 0x5A, lower = v >= 0x61 && v <= 0x7A
        return (isBase64Byte(v) ? b64Member : 0) | (v == 0x2B || v == 0x2F ? b64Sign : 0) | (upper || digit ? b64UpperOrDigit : 0)
            | (digit ? b64Digit : 0) | (upper || lower || digit ? b64Alnum : 0)
    }

    /// The maximal base64 runs of at least `minBase64` bytes that `looksEncoded` accepts, in one
    /// pass without a branch per byte: run length and the "looks encoded" sign are carried along,
    /// and only a run's end is tested (prose has word breaks everywhere, which a branchy loop
    /// mispredicts).
    static func base64Candidates(_ text: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        text.withUnsafeBufferPointer { src in
            base64Classes.withUnsafeBufferPointer { cls in
                var length = 0     // bytes of the current run
                var encoded = 0    // 1 when the run so far looks encoded
                var previous = 0  // class of the previous byte in the run (0 at its start)
                for i in 0..<src.count {
                    let c = Int(cls[Int(src[i])])
                    let member = c & 1
                    // One test per byte, taken only at the end of a run worth decoding.
                    if (member ^ 1) & (length >= minBase64 ? 1 : 0) & encoded != 0 { out.append(i - length..<i) }
                    // looksEncoded: a sign, or an upper-case letter or digit after a letter or
                    // digit that is not a digit after a digit (bit arithmetic: no branches).
                    let sign = c >> 1 & 1
                    let mixed = c >> 2 & 1 & previous >> 4 & ((previous & c) >> 3 & 1 ^ 1)
                    encoded = member & (encoded | sign | mixed)
                    length = (length + 1) & -member
                    previous = c & -member
                }
                if length >= minBase64, encoded != 0 { out.append(src.count - length..<src.count) }
            }
        }
        return out
    }

    /// The runs `base64Candidates(text)` finds that hold the end of a gate match (`ends`:
    /// offsets just past each match, ascending), found from those offsets: work in proportion
    /// to the runs there, not to the text (prose has a few such runs, and paths or identifiers
    /// open the gate).
    static func base64Candidates(_ text: [UInt8], around ends: [Int]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        text.withUnsafeBufferPointer { src in
            base64Classes.withUnsafeBufferPointer { cls in
                var covered = 0 // end of the last run looked at
                for end in ends where end > covered && end <= src.count {
                    var lo = end - 1, hi = end
                    guard cls[Int(src[lo])] & b64Member != 0 else { continue }
                    while lo > 0 && cls[Int(src[lo - 1])] & b64Member != 0 { lo -= 1 }
                    while hi < src.count && cls[Int(src[hi])] & b64Member != 0 { hi += 1 }
                    covered = hi
                    if hi - lo >= minBase64, looksEncoded(text[lo..<hi]) { out.append(lo..<hi) }
                }
            }
        }
        return out
    }

    /// True when the hex run `range` of `text` holds a match of the hex gate (`Gates.patterns`):
    /// a digit and 11 hex digits, `\x` and 2 hex digits, or `0x`, 2 hex digits and a comma or
    /// space. Only such runs are decoded, so the gate opens for every run the decoder reads.
    static func holdsHexGateMatch(_ text: [UInt8], _ range: Range<Int>) -> Bool {
        var fromDigit = 0 // hex digits in a row since the first digit among them (0: none)
        for k in range {
            let b = text[k]
            guard hexValue(b) != nil else {
                fromDigit = 0
                if (b == 0x78 || b == 0x58), k + 2 < range.upperBound, hexValue(text[k + 1]) != nil, hexValue(text[k + 2]) != nil {
                    if k > range.lowerBound, text[k - 1] == 0x5C { return true }           // \x41
                    if k > range.lowerBound, text[k - 1] == 0x30, k + 3 < text.count,
                       text[k + 3] == 0x2C || text[k + 3] == 0x20 { return true }                  // 0x41,
                }
                continue
            }
            if fromDigit > 0 { fromDigit += 1 } else if b >= 0x30 && b <= 0x39 { fromDigit = 1 }
            if fromDigit >= 12 { return true }
        }
        return false
    }

    static let runClasses: [UInt8] = (0..<256).map { b in
        let v = UInt8(b)
        return (isBase64Byte(v) ? base64Run : 0) | (isHexRunByte(v) ? hexRun : 0) | (v > 0x20 && v < 0x7F ? urlToken : 0)
            | (hexValue(v) != nil || v == 0x3A ? hexOrColon : 0)
    }

    /// Calls `body` with every maximal run of bytes of class `kind` (a table lookup per byte: a
    /// predicate closure here was not inlined and cost a call per byte).
    static func scanRuns(_ text: [UInt8], of kind: UInt8, _ body: (Range<Int>) -> Void) {
        text.withUnsafeBufferPointer { src in
            runClasses.withUnsafeBufferPointer { cls in
                var i = 0
                let n = src.count
                while i < n {
                    guard cls[Int(src[i])] & kind != 0 else { i += 1; continue }
                    var j = i + 1
                    while j < n && cls[Int(src[j])] & kind != 0 { j += 1 }
                    body(i..<j)
                    i = j
                }
            }
        }
    }

    static func isBase64Byte(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x2B || b == 0x2F || b == 0x2D || b == 0x5F
    }

    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x41...0x46: return b - 0x41 + 10
        case 0x61...0x66: return b - 0x61 + 10
        default: return nil
        }
    }

    /// Hex digits, plus the `\x` and `0x` prefixes and separators of escaped byte lists.
    static func isHexRunByte(_ b: UInt8) -> Bool { hexValue(b) != nil || b == 0x5C || b == 0x78 || b == 0x2C }

    /// Base64 of text mixes cases and digits inside a run; words ("installation", "Hello") do not.
    /// The definition `base64Candidates` computes in its single pass (a test holds them equal).
    static func looksEncoded(_ run: ArraySlice<UInt8>) -> Bool {
        var previous: UInt8 = 0
        for b in run {
            if b == 0x2B || b == 0x2F { return true }
            let upperOrDigit = (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39)
            let letter = (previous >= 0x41 && previous <= 0x5A) || (previous >= 0x61 && previous <= 0x7A) || (previous >= 0x30 && previous <= 0x39)
            if upperOrDigit && letter && !(previous >= 0x30 && previous <= 0x39 && b >= 0x30 && b <= 0x39) { return true }
            previous = b
        }
        return false
    }

    /// Standard or URL-safe base64, padding optional. Nil when the run is not base64.
    static func base64(_ run: ArraySlice<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(run.count * 3 / 4)
        var acc: UInt32 = 0
        var bits = 0
        var sawPadding = false
        for b in run {
            let v: UInt32
            switch b {
            case 0x41...0x5A: v = UInt32(b - 0x41)
            case 0x61...0x7A: v = UInt32(b - 0x61 + 26)
            case 0x30...0x39: v = UInt32(b - 0x30 + 52)
            case 0x2B, 0x2D: v = 62
            case 0x2F, 0x5F: v = 63
            case 0x3D: sawPadding = true; continue
            default: return nil
            }
            if sawPadding { return nil }
            acc = acc << 6 | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((acc >> UInt32(bits)) & 0xFF))
            }
        }
        return out.isEmpty ? nil : out
    }

    /// Plain hex pairs, or `\x41\x42` / `0x41,0x42` escapes.
    static func hex(_ run: ArraySlice<UInt8>) -> [UInt8]? {
        var digits: [UInt8] = []
        digits.reserveCapacity(run.count)
        var i = run.startIndex
        while i < run.endIndex {
            let b = run[i]
            if b == 0x5C || b == 0x2C { i += 1; continue } // \ ,
            if b == 0x78, i > run.startIndex, run[i - 1] == 0x5C || run[i - 1] == 0x30 && digits.count % 2 == 1 {
                if run[i - 1] == 0x30 { digits.removeLast() } // the 0 of 0x
                i += 1
                continue
            }
            guard let v = hexValue(b) else { return nil }
            digits.append(v)
            i += 1
        }
        guard digits.count >= 8, digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var k = 0
        while k < digits.count { out.append(digits[k] << 4 | digits[k + 1]); k += 2 }
        return out
    }

    /// Percent-decoding of a token with at least two `%HH` escapes; nil otherwise.
    static func percentDecoded(_ token: ArraySlice<UInt8>) -> [UInt8]? {
        var escapes = 0
        var out: [UInt8] = []
        out.reserveCapacity(token.count)
        var i = token.startIndex
        while i < token.endIndex {
            let b = token[i]
            if b == 0x25, i + 2 < token.endIndex, let h = hexValue(token[i + 1]), let l = hexValue(token[i + 2]) {
                out.append(h << 4 | l)
                escapes += 1
                i += 3
            } else {
                out.append(b == 0x2B ? 0x20 : b)
                i += 1
            }
        }
        return escapes >= 2 ? out : nil
    }

    /// Decoded bytes that look like text (valid UTF-8, few control characters), so binary data
    /// and hashes that happen to be valid base64 or hex are not scanned as text.
    static func isReadable(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 4 else { return false }
        var printable = 0
        var alphanumerics = 0
        for b in bytes {
            // Bytes of other scripts (UTF-8 sequences, checked below) count as printable letters:
            // a payload in Russian or Chinese is as readable as one in English.
            if (b >= 0x20 && b < 0x7F) || b == 0x0A || b == 0x0D || b == 0x09 || b >= 0x80 { printable += 1 }
            if (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b >= 0x80 { alphanumerics += 1 }
        }
        // Payloads are punctuation-heavy ("' OR '1'='1", "../../etc"): a fifth alphanumeric is enough;
        // random bytes fail the printable test long before.
        guard printable * 100 >= bytes.count * 95, alphanumerics * 5 >= bytes.count else { return false }
        return String(validating: bytes, as: UTF8.self) != nil
    }
}
