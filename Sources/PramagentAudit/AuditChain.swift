import PramagentCrypto

/// The hash chain (docs/audit.md):
/// `hash(n) = SHA-256(DOMAIN || BE64(n) || hash(n-1) || record(n))`, `hash(0)` = 32 zero bytes,
/// where DOMAIN is the 18 ASCII bytes "pramagent-audit-v1" followed by one zero byte.
public enum AuditChain {
    public static let domainTag: [UInt8] = Array("pramagent-audit-v1".utf8) + [0]
    public static let genesis = [UInt8](repeating: 0, count: 32)

    public static func hash(seq: UInt64, previous: [UInt8], record: [UInt8]) -> [UInt8] {
        var h = SHA256()
        h.update(domainTag)
        var be = seq.bigEndian
        withUnsafeBytes(of: &be) { h.update($0) }
        h.update(previous)
        h.update(record)
        return h.finalize()
    }
}
