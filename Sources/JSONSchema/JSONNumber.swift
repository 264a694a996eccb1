/// An exact JSON number: `(-1)^negative * mantissa * 10^exponent`.
///
/// Normalised so that equal values have equal representations: the mantissa has
/// no trailing decimal zeros, and zero is always `+0 * 10^0`. So `1.0 == 1`,
/// `1.0` is an integer, and `0.3` is an exact multiple of `0.1`.
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// Mantissa when it fits in 64 bits (`big == nil`).
    let small: UInt64
    /// Mantissa when it does not fit in 64 bits.
    let big: BigUInt?
    private let storedExponent: Int32
    /// Number of decimal digits of the mantissa.
    private let storedDigitCount: Int32
    public let negative: Bool

    public var exponent: Int { Int(storedExponent) }
    var digitCount: Int { Int(storedDigitCount) }

    init(negative: Bool, mantissa: BigUInt, exponent: Int) {
        var m = mantissa
        var e = exponent
        if m.isZero {
            self.init(negative: false, small: 0, exponent: 0)
            return
        }
        while true {
            var probe = m
            if probe.divide(by: 10) == 0 { m = probe; e += 1 } else { break }
        }
        if let s = m.uint64Value {
            self.init(negative: negative, small: s, exponent: e)
        } else {
            self.init(raw: negative, exponent: e, small: 0, big: m, digitCount: m.decimalString.count)
        }
    }

    private init(raw negative: Bool, exponent: Int, small: UInt64, big: BigUInt?, digitCount: Int) {
        self.negative = negative
        self.storedExponent = Int32(clamping: exponent)
        self.small = small
        self.big = big
        self.storedDigitCount = Int32(clamping: digitCount)
    }

    init(negative: Bool, small: UInt64, exponent: Int) {
        var m = small
        var e = exponent
        if m == 0 {
            self.init(raw: false, exponent: 0, small: 0, big: nil, digitCount: 1)
            return
        }
        while m % 10 == 0 { m /= 10; e += 1 }
        var digits = 1
        var t = m
        while t >= 10 { t /= 10; digits += 1 }
        self.init(raw: negative, exponent: e, small: m, big: nil, digitCount: digits)
    }

    public init(_ value: Int) {
        self.init(negative: value < 0, small: value.magnitude.toUInt64, exponent: 0)
    }

    /// Parses the JSON number grammar (RFC 8259 section 6) exactly; nil when `text` is not one.
    public init?(_ text: String) {
        var utf8 = Array(text.utf8)
        guard let n = utf8.withUnsafeMutableBufferPointer({ JSONNumber.parse(UnsafeBufferPointer($0)) }) else { return nil }
        self = n
    }

    /// Parses bytes that are exactly one JSON number.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> JSONNumber? {
        var i = 0
        let n = bytes.count
        var negative = false
        if i < n, bytes[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        guard i < n else { return nil }
        var mantissaSmall: UInt64 = 0
        var mantissaBig: BigUInt? = nil
        var significant = 0
        var exponentAdjust = 0
        func push(_ d: UInt8) {
            let digit = UInt64(d &- 48)
            if significant == 0 && digit == 0 { return }
            significant += 1
            if mantissaBig == nil {
                let (m1, o1) = mantissaSmall.multipliedReportingOverflow(by: 10)
                let (m2, o2) = m1.addingReportingOverflow(digit)
                if !o1 && !o2 { mantissaSmall = m2; return }
                mantissaBig = BigUInt(mantissaSmall)
            }
            mantissaBig!.multiplyAdd(10, UInt32(digit))
        }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
        } else if bytes[i] >= UInt8(ascii: "1") && bytes[i] <= UInt8(ascii: "9") {
            while i < n, bytes[i] >= 48, bytes[i] <= 57 { push(bytes[i]); i += 1 }
        } else {
            return nil
        }
        if i < n, bytes[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < n, bytes[i] >= 48, bytes[i] <= 57 {
                if significant > 0 || bytes[i] != 48 { push(bytes[i]) }
                exponentAdjust -= 1
                i += 1
            }
            if i == start { return nil }
        }
        var exponent = 0
        if i < n, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            var expNegative = false
            if i < n, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
                expNegative = bytes[i] == UInt8(ascii: "-"); i += 1
            }
            let start = i
            while i < n, bytes[i] >= 48, bytes[i] <= 57 {
                // Exponents are clamped far beyond any meaningful magnitude; comparison
                // stays exact because it never scales by more than the digit counts.
                if exponent < 100_000_000 { exponent = exponent * 10 + Int(bytes[i] - 48) }
                i += 1
            }
            if i == start { return nil }
            if expNegative { exponent = -exponent }
        }
        guard i == n else { return nil }
        if let big = mantissaBig {
            return JSONNumber(negative: negative, mantissa: big, exponent: exponent + exponentAdjust)
        }
        return JSONNumber(negative: negative, small: mantissaSmall, exponent: exponent + exponentAdjust)
    }

    public var isZero: Bool { big == nil && small == 0 }

    /// True when the value is mathematically an integer (`1.0`, `1e3`).
    public var isInteger: Bool { exponent >= 0 }

    var mantissa: BigUInt { big ?? BigUInt(small) }

    /// The value as an `Int` when it is an integer that fits.
    public var intValue: Int? {
        guard isInteger, big == nil else { return nil }
        var v = small
        for _ in 0..<exponent {
            let (m, o) = v.multipliedReportingOverflow(by: 10)
            if o { return nil }
            v = m
        }
        if negative { return v <= UInt64(Int.max) + 1 ? Int(truncatingIfNeeded: 0 &- v) : nil }
        return v <= UInt64(Int.max) ? Int(v) : nil
    }

    /// The nearest `Double` (for display and interop only; never used to decide).
    public var doubleValue: Double { Double(description) ?? (negative ? -.infinity : .infinity) }

    /// Three-way comparison of exact values.
    public static func compare(_ a: JSONNumber, _ b: JSONNumber) -> Int {
        if a.negative != b.negative {
            return a.negative ? -1 : 1
        }
        let magnitude = compareMagnitude(a, b)
        return a.negative ? -magnitude : magnitude
    }

    private static func compareMagnitude(_ a: JSONNumber, _ b: JSONNumber) -> Int {
        if a.isZero || b.isZero { return a.isZero ? (b.isZero ? 0 : -1) : 1 }
        let orderA = a.digitCount + a.exponent
        let orderB = b.digitCount + b.exponent
        if orderA != orderB { return orderA < orderB ? -1 : 1 }
        if a.big == nil, b.big == nil, a.exponent == b.exponent {
            return a.small == b.small ? 0 : (a.small < b.small ? -1 : 1)
        }
        // Same order of magnitude: the exponent difference is bounded by the digit counts.
        var ma = a.mantissa
        var mb = b.mantissa
        if a.exponent > b.exponent { ma.scaleByPowerOfTen(a.exponent - b.exponent) }
        if b.exponent > a.exponent { mb.scaleByPowerOfTen(b.exponent - a.exponent) }
        return ma == mb ? 0 : (ma < mb ? -1 : 1)
    }

    /// True when `self / divisor` is an integer, computed exactly (`divisor` > 0).
    public func isMultiple(of divisor: JSONNumber) -> Bool {
        if isZero { return true }
        if divisor.isZero { return false }
        let shift = exponent - divisor.exponent
        // A normalised mantissa is never divisible by 10, so a finer divisor cannot divide it.
        if shift < 0 { return false }
        if big == nil, divisor.big == nil, shift <= 19 {
            var scaled = small % divisor.small
            var ok = true
            for _ in 0..<shift {
                let (m, o) = scaled.multipliedReportingOverflow(by: 10)
                if o { ok = false; break }
                scaled = m % divisor.small
            }
            if ok { return scaled == 0 }
        }
        let modulus = divisor.mantissa
        var result = mantissa.remainder(dividingBy: modulus)
        var base = BigUInt(10).remainder(dividingBy: modulus)
        var e = shift
        while e > 0 && !result.isZero {
            if e & 1 == 1 { result = result.multiplied(by: base).remainder(dividingBy: modulus) }
            base = base.multiplied(by: base).remainder(dividingBy: modulus)
            e >>= 1
        }
        return result.isZero
    }

    public static func == (a: JSONNumber, b: JSONNumber) -> Bool {
        a.negative == b.negative && a.exponent == b.exponent && a.small == b.small && a.big == b.big
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(negative); hasher.combine(storedExponent); hasher.combine(small); hasher.combine(big)
    }

    /// Appends the JSON text of the number (the same text as `description`), without building a
    /// String for the common case of an integer that fits 64 bits.
    public func appendJSONText(to out: inout [UInt8]) {
        guard big == nil, exponent == 0 else { out.append(contentsOf: description.utf8); return }
        if negative { out.append(UInt8(ascii: "-")) }
        var digits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)  // 32 bytes: room for 20 digits
        withUnsafeMutableBytes(of: &digits) { buf in
            var v = small
            var i = buf.count
            repeat {
                i -= 1
                buf[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            } while v > 0
            out.append(contentsOf: buf[i...])
        }
    }

    /// Shortest exact rendering, e.g. `250`, `0.3`, `1e+400`.
    public var description: String {
        let digits = big?.decimalString ?? String(small)
        let sign = negative ? "-" : ""
        if exponent >= 0 {
            if exponent <= 21 - digits.count { return sign + digits + String(repeating: "0", count: exponent) }
            return sign + scientific(digits)
        }
        let point = digits.count + exponent
        if point > 0 {
            return sign + digits.prefix(point) + "." + digits.dropFirst(point)
        }
        if point > -7 { return sign + "0." + String(repeating: "0", count: -point) + digits }
        return sign + scientific(digits)
    }

    private func scientific(_ digits: String) -> String {
        let e = exponent + digits.count - 1
        let head = digits.count > 1 ? String(digits.prefix(1)) + "." + digits.dropFirst() : digits
        return head + "e" + (e >= 0 ? "+" : "") + String(e)
    }
}

extension UInt {
    var toUInt64: UInt64 { UInt64(self) }
}
