/// Reads rows of an audit database in order (read-only, streaming).
public enum AuditReader {
    public struct Row: Sendable {
        public var seq: UInt64
        public var hash: [UInt8]
        public var record: [UInt8]
        public var producer: String
        public var producerSeq: UInt64
    }

    /// Calls `body` for every row from `fromSeq` on; `body` returns false to stop.
    public static func forEachRow(path: String, fromSeq: UInt64 = 1, _ body: (Row) throws -> Bool) throws {
        let database = try SQLiteDatabase(path: path, readOnly: true)
        let rows = try database.prepare("SELECT seq, hash, record, producer, producer_seq FROM audit WHERE seq >= ?1 ORDER BY seq")
        rows.bind(1, Int64(fromSeq))
        while try rows.step() {
            let row = Row(seq: UInt64(rows.int64(0)), hash: rows.blob(1), record: rows.blob(2),
                          producer: rows.text(3), producerSeq: UInt64(rows.int64(4)))
            if try !body(row) { return }
        }
    }

    /// The last row's sequence number and hash (0 and 32 zero bytes for an empty log).
    public static func head(path: String) throws -> (seq: UInt64, hash: [UInt8]) {
        let database = try SQLiteDatabase(path: path, readOnly: true)
        let last = try database.prepare("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
        guard try last.step() else { return (0, AuditChain.genesis) }
        return (UInt64(last.int64(0)), last.blob(1))
    }
}
