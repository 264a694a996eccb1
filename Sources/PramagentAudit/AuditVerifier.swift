import CSQLite
import PramagentCrypto

/// Recomputes a database's hash chain, streaming (constant memory), and names the first bad row.
public enum AuditVerifier {
    public enum Problem: String, Sendable {
        /// A row's content no longer matches its hash (record, hash or sequence number edited).
        case changed
        /// A row does not chain to the row before it (a row was inserted, or rows reordered).
        case broken
        /// Sequence numbers have a gap: rows were deleted.
        case deleted
        /// A row holds the row before it, moved down: a row was inserted before it.
        case inserted
        /// A row holds the row after it: rows were swapped, or one deleted and the rest renumbered.
        case reordered
        /// The database ends before the expected head: the tail was truncated.
        case truncated
        /// The row at the expected head's sequence number has another hash: the log was rewritten.
        case rewritten
    }

    public struct Report: Sendable {
        public var rows: UInt64
        public var headSeq: UInt64
        public var headHash: [UInt8]
        /// The first problem found (nil when the chain verifies).
        public var problem: Problem?
        public var problemSeq: UInt64
        public var message: String
        public var ok: Bool { problem == nil }
    }

    /// Verifies the database at `path` (opened read-only; a copy with no daemon running is fine).
    /// `expectedHead`, when given, is a published (seq, hash) the log must still contain.
    public static func verify(path: String, expectedHead: (seq: UInt64, hash: [UInt8])? = nil) throws -> Report {
        let database = try SQLiteDatabase(path: path, readOnly: true)
        let rows = try database.prepare("SELECT seq, prev_hash, hash, record FROM audit ORDER BY seq")
        var report = Report(rows: 0, headSeq: 0, headHash: AuditChain.genesis, problem: nil, problemSeq: 0, message: "")
        var expectedSeq: UInt64 = 1
        var previous = AuditChain.genesis
        func fail(_ p: Problem, _ seq: UInt64, _ message: String) -> Report {
            report.problem = p
            report.problemSeq = seq
            report.message = message
            return report
        }
        while try rows.step() {
            let seq = UInt64(rows.int64(0))
            let prev = rows.blob(1)
            let stored = rows.blob(2)
            let record = rows.blob(3)
            if seq != expectedSeq {
                return fail(.deleted, expectedSeq, "rows \(expectedSeq)...\(seq - 1) are missing (deleted); the next row present is \(seq)")
            }
            if AuditChain.hash(seq: seq, previous: prev, record: record) != stored {
                if seq > 1, AuditChain.hash(seq: seq - 1, previous: prev, record: record) == stored {
                    return fail(.inserted, seq, "row \(seq) is the former row \(seq - 1) moved down: a row was inserted before it")
                }
                if AuditChain.hash(seq: seq + 1, previous: prev, record: record) == stored {
                    return fail(.reordered, seq, "row \(seq) holds the former row \(seq + 1): rows were reordered, or one was deleted and the rest renumbered")
                }
                return fail(.changed, seq, "row \(seq) does not match its hash: its record or hash was changed")
            }
            if prev != previous {
                return fail(.broken, seq, "row \(seq) does not chain to row \(seq - 1): a row was inserted before it, or rows were reordered")
            }
            if let head = expectedHead, head.seq == seq, head.hash != stored {
                return fail(.rewritten, seq, "row \(seq) has hash \(stored.hexString), the published head says \(head.hash.hexString)")
            }
            previous = stored
            report.rows += 1
            report.headSeq = seq
            report.headHash = stored
            expectedSeq += 1
        }
        if let head = expectedHead, head.seq > report.headSeq {
            return fail(.truncated, report.headSeq + 1, "the log ends at row \(report.headSeq) but the published head is row \(head.seq): the tail was truncated")
        }
        return report
    }
}

