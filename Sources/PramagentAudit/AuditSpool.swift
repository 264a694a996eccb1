import PramagentCrypto

/// The producer side of the audit trail: records wait in a local SQLite file until the audit
/// writer acknowledges them as durable, and survive restarts of either process. Records are
/// numbered 1, 2, 3, … per producer; the producer id is created once and kept in the file.
/// Use from one thread at a time (the delivery serialises access).
public final class AuditSpool {
    let database: SQLiteDatabase
    private let insert: SQLiteStatement
    public let producerID: String
    /// Highest sequence number the writer acknowledged.
    public private(set) var acknowledged: UInt64 = 0
    /// Sequence number the next record gets.
    public private(set) var nextSeq: UInt64 = 1
    /// Most records kept unacknowledged; beyond it `enqueue` refuses (the caller fails closed).
    public let capacity: Int

    public var pendingCount: Int { Int(nextSeq - 1 - acknowledged) }

    public init(path: String, capacity: Int = 100_000) throws {
        self.capacity = capacity
        database = try SQLiteDatabase(path: path, readOnly: false)
        let mode = try database.prepare("PRAGMA journal_mode=WAL")
        _ = try mode.step()
        // NORMAL: a record written here survives the process being killed (it is in the WAL);
        // records that must survive power loss are the ones the writer made durable.
        try database.exec("PRAGMA synchronous=NORMAL")
        try database.exec("CREATE TABLE IF NOT EXISTS spool (seq INTEGER PRIMARY KEY, record BLOB NOT NULL)")
        try database.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        let get = try database.prepare("SELECT value FROM meta WHERE key = ?1")
        get.bind(1, "producer_id")
        if try get.step() {
            producerID = get.text(0)
        } else {
            producerID = "pramagentd-" + secureRandomBytes(8).hexString
            let put = try database.prepare("INSERT INTO meta (key, value) VALUES ('producer_id', ?1)")
            put.bind(1, producerID)
            _ = try put.step()
        }
        get.reset()
        get.bind(1, "acknowledged")
        if try get.step() { acknowledged = UInt64(get.text(0)) ?? 0 }
        let last = try database.prepare("SELECT MAX(seq) FROM spool")
        if try last.step(), !last.isNull(0) { nextSeq = max(UInt64(last.int64(0)) + 1, acknowledged + 1) } else { nextSeq = acknowledged + 1 }
        insert = try database.prepare("INSERT INTO spool (seq, record) VALUES (?1, ?2)")
    }

    /// Stores records; returns the sequence number of the first, or nil when the spool is full.
    public func enqueue(_ records: [[UInt8]]) throws -> UInt64? {
        guard pendingCount + records.count <= capacity else { return nil }
        let first = nextSeq
        try database.exec("BEGIN")
        do {
            for (i, record) in records.enumerated() {
                insert.reset()
                insert.bind(1, Int64(first + UInt64(i)))
                insert.bind(2, record)
                _ = try insert.step()
            }
            try database.exec("COMMIT")
        } catch {
            try? database.exec("ROLLBACK")
            throw error
        }
        nextSeq = first + UInt64(records.count)
        return first
    }

    /// Unacknowledged records from the oldest, at most `limit`.
    public func pending(limit: Int) throws -> (first: UInt64, records: [[UInt8]]) {
        let select = try database.prepare("SELECT seq, record FROM spool WHERE seq > ?1 ORDER BY seq LIMIT ?2")
        select.bind(1, Int64(acknowledged))
        select.bind(2, Int64(limit))
        var records: [[UInt8]] = []
        var first: UInt64 = acknowledged + 1
        while try select.step() {
            if records.isEmpty { first = UInt64(select.int64(0)) }
            records.append(select.blob(1))
        }
        return (first, records)
    }

    /// The writer made everything through `seq` durable: forget those records.
    public func acknowledge(through seq: UInt64) throws {
        guard seq > acknowledged else { return }
        let upTo = min(seq, nextSeq - 1)
        try database.exec("BEGIN")
        do {
            let delete = try database.prepare("DELETE FROM spool WHERE seq <= ?1")
            delete.bind(1, Int64(upTo))
            _ = try delete.step()
            let put = try database.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('acknowledged', ?1)")
            put.bind(1, String(upTo))
            _ = try put.step()
            try database.exec("COMMIT")
        } catch {
            try? database.exec("ROLLBACK")
            throw error
        }
        acknowledged = upTo
    }
}
