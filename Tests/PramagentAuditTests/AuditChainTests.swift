import Foundation
import Testing
import PramagentCrypto
@testable import PramagentAudit

/// A fresh database with `count` records from one producer.
func makeDatabase(_ count: Int) throws -> (path: String, store: AuditStore) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pramagent-audit-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let path = dir.appendingPathComponent("audit.db").path
    let store = try AuditStore(path: path)
    let records = (1...count).map { Array("record \($0) {\"tool\":\"t\"}".utf8) }
    try store.append([AuditStore.Batch(producer: "p1", firstProducerSeq: 1, records: records)])
    return (path, store)
}

func tamper(_ path: String, _ sql: String, _ binds: [(Int32, [UInt8])] = []) throws {
    let db = try SQLiteDatabase(path: path, readOnly: false)
    let statement = try db.prepare(sql)
    for (i, b) in binds { statement.bind(i, b) }
    _ = try statement.step()
}

func column(_ path: String, _ sql: String) throws -> [UInt8] {
    let db = try SQLiteDatabase(path: path, readOnly: true)
    let statement = try db.prepare(sql)
    _ = try statement.step()
    return statement.blob(0)
}

@Suite("Audit hash chain")
struct AuditChainTests {
    @Test("the chain layout is SHA-256(tag || BE64 seq || prev || record), written down in docs/audit.md")
    func layout() {
        let record: [UInt8] = [1, 2, 3]
        var bytes = Array("pramagent-audit-v1".utf8) + [0]
        bytes += [0, 0, 0, 0, 0, 0, 0, 7]
        bytes += [UInt8](repeating: 0xAB, count: 32)
        bytes += record
        #expect(AuditChain.hash(seq: 7, previous: [UInt8](repeating: 0xAB, count: 32), record: record) == SHA256.hash(bytes))
        #expect(AuditChain.domainTag.count == 19)
    }

    @Test("a clean database verifies; head matches the store")
    func clean() throws {
        let (path, store) = try makeDatabase(20)
        let report = try AuditVerifier.verify(path: path, expectedHead: (store.headSeq, store.headHash))
        #expect(report.ok, "\(report.message)")
        #expect(report.rows == 20)
        #expect(report.headSeq == 20)
        #expect(report.headHash == store.headHash)
    }

    @Test("resent records are stored once; gaps stop a batch")
    func idempotence() throws {
        let (path, store) = try makeDatabase(5)
        let again = try store.append([AuditStore.Batch(producer: "p1", firstProducerSeq: 3, records: (3...8).map { [UInt8($0)] })])
        #expect(again["p1"] == 8)
        #expect(store.headSeq == 8)
        let gap = try store.append([AuditStore.Batch(producer: "p1", firstProducerSeq: 10, records: [[1]])])
        #expect(gap["p1"] == 8)
        #expect(store.headSeq == 8)
        let other = try store.append([AuditStore.Batch(producer: "p2", firstProducerSeq: 1, records: [[9], [9]])])
        #expect(other["p2"] == 2)
        // Reopening finds the same head and high-water marks.
        let reopened = try AuditStore(path: path)
        #expect(reopened.headSeq == 10)
        #expect(reopened.durable == ["p1": 8, "p2": 2])
        #expect(try AuditVerifier.verify(path: path).ok)
    }

    @Test("several batches of one producer in one commit (pipelined sends)")
    func batchesOfOneProducer() throws {
        let (path, store) = try makeDatabase(2)
        let marks = try store.append([AuditStore.Batch(producer: "p1", firstProducerSeq: 3, records: [[3], [4]]),
                                      AuditStore.Batch(producer: "p1", firstProducerSeq: 5, records: [[5]]),
                                      AuditStore.Batch(producer: "p2", firstProducerSeq: 1, records: [[1]])])
        #expect(marks == ["p1": 5, "p2": 1])
        #expect(store.headSeq == 6)
        #expect(try AuditVerifier.verify(path: path).ok)
    }

    @Test("a changed byte is found at its row")
    func changedByte() throws {
        let (path, _) = try makeDatabase(20)
        var record = try column(path, "SELECT record FROM audit WHERE seq = 7")
        record[0] ^= 1
        try tamper(path, "UPDATE audit SET record = ?1 WHERE seq = 7", [(1, record)])
        let r = try AuditVerifier.verify(path: path)
        #expect(r.problem == .changed)
        #expect(r.problemSeq == 7)
    }

    @Test("a deleted row is found")
    func deleted() throws {
        let (path, _) = try makeDatabase(20)
        try tamper(path, "DELETE FROM audit WHERE seq = 9")
        let r = try AuditVerifier.verify(path: path)
        #expect(r.problem == .deleted)
        #expect(r.problemSeq == 9)
    }

    @Test("an inserted row (with a correct hash of its own) is found")
    func inserted() throws {
        let (path, _) = try makeDatabase(20)
        try tamper(path, "UPDATE audit SET seq = -seq WHERE seq >= 5")
        try tamper(path, "UPDATE audit SET seq = 1 - seq WHERE seq < 0")
        let prev = try column(path, "SELECT hash FROM audit WHERE seq = 4")
        let forged = Array("forged".utf8)
        let hash = AuditChain.hash(seq: 5, previous: prev, record: forged)
        try tamper(path, "INSERT INTO audit (seq, prev_hash, hash, record, producer, producer_seq) VALUES (5, ?1, ?2, ?3, 'x', 1)",
                   [(1, prev), (2, hash), (3, forged)])
        let r = try AuditVerifier.verify(path: path)
        #expect(r.problem == .inserted, "\(r.message)")
        #expect(r.problemSeq == 6)
    }

    @Test("two swapped rows are found")
    func swapped() throws {
        let (path, _) = try makeDatabase(20)
        try tamper(path, "UPDATE audit SET seq = -1 WHERE seq = 11")
        try tamper(path, "UPDATE audit SET seq = 11 WHERE seq = 12")
        try tamper(path, "UPDATE audit SET seq = 12 WHERE seq = -1")
        let r = try AuditVerifier.verify(path: path)
        #expect(r.problem == .reordered, "\(r.message)")
        #expect(r.problemSeq == 11)
    }

    @Test("a truncated tail is found against a published head; a rewritten one too")
    func truncated() throws {
        let (path, store) = try makeDatabase(20)
        let head = (store.headSeq, store.headHash)
        try tamper(path, "DELETE FROM audit WHERE seq > 17")
        #expect(try AuditVerifier.verify(path: path).ok) // without a head, a shorter log is self-consistent
        let r = try AuditVerifier.verify(path: path, expectedHead: head)
        #expect(r.problem == .truncated)
        #expect(r.problemSeq == 18)
        let rewritten = try AuditVerifier.verify(path: path, expectedHead: (17, [UInt8](repeating: 1, count: 32)))
        #expect(rewritten.problem == .rewritten)
        #expect(rewritten.problemSeq == 17)
    }

    @Test("a store refuses to open on a damaged tail")
    func damagedTail() throws {
        let (path, _) = try makeDatabase(3)
        try tamper(path, "UPDATE audit SET record = x'00' WHERE seq = 3")
        #expect(throws: SQLiteError.self) { try AuditStore(path: path) }
    }
}

@Suite("Independent Python verifier (docs/audit.md)")
struct PythonVerifierTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/verify_audit.py").path

    func run(_ args: [String]) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", Self.script] + args
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, text)
    }

    @Test("agrees with the Swift verifier on clean and tampered databases",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") || FileManager.default.isExecutableFile(atPath: "/usr/local/bin/python3")))
    func agrees() throws {
        let (path, store) = try makeDatabase(30)
        let ok = try run([path, String(store.headSeq), store.headHash.hexString])
        #expect(ok.0 == 0, "\(ok.1)")
        #expect(ok.1.contains("30 rows"))
        var record = try column(path, "SELECT record FROM audit WHERE seq = 12")
        record[2] ^= 0x40
        try tamper(path, "UPDATE audit SET record = ?1 WHERE seq = 12", [(1, record)])
        let bad = try run([path])
        #expect(bad.0 == 1)
        #expect(bad.1.contains("row 12"))
    }
}
