/// A small arbitrary-precision unsigned integer (base 2^32 limbs, little endian).
///
/// Only what exact JSON number arithmetic needs: building from decimal digits,
/// scaling by powers of ten, comparison and remainder.
struct BigUInt: Hashable, Sendable, Comparable {
    /// Little-endian limbs with no trailing zero limbs; zero is `[]`.
    private(set) var limbs: [UInt32]

    init() { limbs = [] }

    init(_ value: UInt64) {
        limbs = []
        if value != 0 {
            limbs.append(UInt32(truncatingIfNeeded: value))
            let high = UInt32(truncatingIfNeeded: value >> 32)
            if high != 0 { limbs.append(high) }
        }
    }

    var isZero: Bool { limbs.isEmpty }

    /// The value as a `UInt64` when it fits.
    var uint64Value: UInt64? {
        switch limbs.count {
        case 0: return 0
        case 1: return UInt64(limbs[0])
        case 2: return UInt64(limbs[0]) | (UInt64(limbs[1]) << 32)
        default: return nil
        }
    }

    private mutating func normalize() {
        while let last = limbs.last, last == 0 { limbs.removeLast() }
    }

    /// self = self * m + a
    mutating func multiplyAdd(_ m: UInt32, _ a: UInt32) {
        var carry = UInt64(a)
        for i in limbs.indices {
            let product = UInt64(limbs[i]) * UInt64(m) + carry
            limbs[i] = UInt32(truncatingIfNeeded: product)
            carry = product >> 32
        }
        if carry != 0 { limbs.append(UInt32(carry)) }
        normalize()
    }

    /// Multiplies by 10^n.
    mutating func scaleByPowerOfTen(_ n: Int) {
        var remaining = n
        while remaining > 0 {
            let step = min(remaining, 9)
            var factor: UInt32 = 1
            for _ in 0..<step { factor *= 10 }
            multiplyAdd(factor, 0)
            remaining -= step
        }
    }

    /// Divides by a small divisor, returning the remainder.
    mutating func divide(by divisor: UInt32) -> UInt32 {
        var remainder: UInt64 = 0
        for i in limbs.indices.reversed() {
            let current = (remainder << 32) | UInt64(limbs[i])
            limbs[i] = UInt32(current / UInt64(divisor))
            remainder = current % UInt64(divisor)
        }
        normalize()
        return UInt32(remainder)
    }

    var bitWidth: Int {
        guard let last = limbs.last else { return 0 }
        return (limbs.count - 1) * 32 + (32 - last.leadingZeroBitCount)
    }

    private func bit(_ i: Int) -> Bool {
        let limb = i / 32
        guard limb < limbs.count else { return false }
        return (limbs[limb] >> UInt32(i % 32)) & 1 == 1
    }

    private mutating func shiftLeftOne(orBit: Bool) {
        var carry: UInt32 = orBit ? 1 : 0
        for i in limbs.indices {
            let next = limbs[i] >> 31
            limbs[i] = (limbs[i] << 1) | carry
            carry = next
        }
        if carry != 0 { limbs.append(carry) }
    }

    private mutating func subtract(_ other: BigUInt) {
        var borrow: Int64 = 0
        for i in limbs.indices {
            var d = Int64(limbs[i]) - borrow - (i < other.limbs.count ? Int64(other.limbs[i]) : 0)
            if d < 0 { d += 1 << 32; borrow = 1 } else { borrow = 0 }
            limbs[i] = UInt32(d)
        }
        normalize()
    }

    /// `self mod divisor` by binary long division (divisor must be non-zero).
    func remainder(dividingBy divisor: BigUInt) -> BigUInt {
        precondition(!divisor.isZero)
        if let a = uint64Value, let b = divisor.uint64Value { return BigUInt(a % b) }
        if self < divisor { return self }
        var r = BigUInt()
        for i in stride(from: bitWidth - 1, through: 0, by: -1) {
            r.shiftLeftOne(orBit: bit(i))
            if r >= divisor { r.subtract(divisor) }
        }
        return r
    }

    /// `(self * other) mod m`.
    func multiplied(by other: BigUInt) -> BigUInt {
        if isZero || other.isZero { return BigUInt() }
        var result = [UInt32](repeating: 0, count: limbs.count + other.limbs.count)
        for i in limbs.indices {
            var carry: UInt64 = 0
            for j in other.limbs.indices {
                let t = UInt64(limbs[i]) * UInt64(other.limbs[j]) + UInt64(result[i + j]) + carry
                result[i + j] = UInt32(truncatingIfNeeded: t)
                carry = t >> 32
            }
            result[i + other.limbs.count] = UInt32(carry)
        }
        var product = BigUInt()
        product.limbs = result
        product.normalize()
        return product
    }

    static func < (lhs: BigUInt, rhs: BigUInt) -> Bool {
        if lhs.limbs.count != rhs.limbs.count { return lhs.limbs.count < rhs.limbs.count }
        for i in lhs.limbs.indices.reversed() where lhs.limbs[i] != rhs.limbs[i] {
            return lhs.limbs[i] < rhs.limbs[i]
        }
        return false
    }

    /// Decimal digits, most significant first.
    var decimalString: String {
        if isZero { return "0" }
        var copy = self
        var chunks: [UInt32] = []
        while !copy.isZero { chunks.append(copy.divide(by: 1_000_000_000)) }
        var s = String(chunks.removeLast())
        for chunk in chunks.reversed() {
            let digits = String(chunk)
            s += String(repeating: "0", count: 9 - digits.count) + digits
        }
        return s
    }
}
