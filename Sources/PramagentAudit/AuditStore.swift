import CSQLite
import PramagentCrypto

/// The audit database: an append-only, hash-chained table in SQLite (WAL, synchronous=FULL).
/// One writer (pramagent-auditd) owns it; use an instance from one thread at a time.
public final class AuditStore {
    /// A batch of records from one producer, numbered from `firstProducerSeq` without gaps.
    public struct Batch {
        public var producer: String
        public var firstProducerSeq: UInt64
        public var records: [[UInt8]]
        public init(producer: String, firstProducerSeq: UInt64, records: [[UInt8]]) {
            self.producer = producer
            self.firstProducerSeq = firstProducerSeq
            self.records = records
        }
    }

    let database: SQLiteDatabase
    private let insert: SQLiteStatement
    public private(set) var headSeq: UInt64 = 0
    public private(set) var headHash: [UInt8] = AuditChain.genesis
    /// Highest durable producer sequence number per producer.
    public private(set) var durable: [String: UInt64] = [:]

    public init(path: String) throws {
        database = try SQLiteDatabase(path: path, readOnly: false)
        // SQLite quietly opens a file it cannot write read-only: refuse, the writer must write.
        if sqlite3_db_readonly(database.handle, "main") == 1 {
            throw SQLiteError(code: SQLITE_READONLY, message: "\(path) is read-only; the audit writer needs to write it")
        }
        let mode = try database.prepare("PRAGMA journal_mode=WAL")
        guard try mode.step(), mode.text(0).lowercased() == "wal" else {
            throw SQLiteError(code: SQLITE_CANTOPEN, message: "\(path) cannot use write-ahead logging (read-only or unsupported file system)")
        }
        try database.exec("PRAGMA synchronous=FULL")
        try database.exec("""
            CREATE TABLE IF NOT EXISTS audit (
              seq INTEGER PRIMARY KEY,
              prev_hash BLOB NOT NULL,
              hash BLOB NOT NULL,
              record BLOB NOT NULL,
              producer TEXT NOT NULL,
              producer_seq INTEGER NOT NULL,
              UNIQUE (producer, producer_seq)
            )
            """)
        insert = try database.prepare("INSERT INTO audit (seq, prev_hash, hash, record, producer, producer_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        let last = try database.prepare("SELECT seq, prev_hash, hash, record FROM audit ORDER BY seq DESC LIMIT 1")
        if try last.step() {
            let seq = UInt64(last.int64(0))
            let stored = last.blob(2)
            // The tail must still hash correctly, or this database has been damaged.
            guard AuditChain.hash(seq: seq, previous: last.blob(1), record: last.blob(3)) == stored else {
                throw SQLiteError(code: SQLITE_CORRUPT, message: "the last row (seq \(seq)) does not match its hash; run `pramagentctl audit verify`")
            }
            headSeq = seq
            headHash = stored
        }
        let marks = try database.prepare("SELECT producer, MAX(producer_seq) FROM audit GROUP BY producer")
        while try marks.step() { durable[marks.text(0)] = UInt64(marks.int64(1)) }
    }

    /// Appends batches in one transaction (one fsync: group commit). Records already stored
    /// (a resend after a crash) are skipped; a gap in a producer's numbering stops that
    /// producer's batch. Returns the highest durable producer sequence of each producer seen.
    @discardableResult
    public func append(_ batches: [Batch]) throws -> [String: UInt64] {
        var seq = headSeq
        var hash = headHash
        var marks = durable
        try database.exec("BEGIN IMMEDIATE")
        do {
            for batch in batches {
                var high = marks[batch.producer] ?? 0
                for (i, record) in batch.records.enumerated() {
                    let producerSeq = batch.firstProducerSeq + UInt64(i)
                    if producerSeq <= high { continue }
                    if producerSeq != high + 1 { break }
                    seq += 1
                    let next = AuditChain.hash(seq: seq, previous: hash, record: record)
                    insert.reset()
                    insert.bind(1, Int64(seq))
                    insert.bind(2, hash)
                    insert.bind(3, next)
                    insert.bind(4, record)
                    insert.bind(5, batch.producer)
                    insert.bind(6, Int64(producerSeq))
                    _ = try insert.step()
                    hash = next
                    high = producerSeq
                }
                marks[batch.producer] = high
            }
            try database.exec("COMMIT")
        } catch {
            try? database.exec("ROLLBACK")
            throw error
        }
        headSeq = seq
        headHash = hash
        durable = marks
        // One producer may have several batches in one commit (pipelined sends).
        var result: [String: UInt64] = [:]
        for batch in batches { result[batch.producer] = marks[batch.producer] ?? 0 }
        return result
    }
}
