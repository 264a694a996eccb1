import ArgumentParser
import Foundation
import PramagentAudit
import PramagentWire

/// Durable throughput of the audit store: group commit versus one fsync per record.
struct BenchAuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-audit",
        abstract: "Measure durable audit writes (hash chain + SQLite WAL, synchronous=FULL) on this disk.",
        discussion: "Writes to a fresh database in --dir (default: a temporary directory), then deletes it.")

    @Option(help: "Directory for the temporary database (put it on the disk you will use).") var dir: String?
    @Option(help: "Records per commit in the batched run.") var batch = 256
    @Option(help: "Records in the batched run.") var records = 200_000
    @Option(help: "Single-record commits (the fsync cost).") var single = 2_000

    func run() throws {
        let base = dir ?? NSTemporaryDirectory()
        let path = (base as NSString).appendingPathComponent("pramagent-bench-audit-\(getpid()).db")
        defer { for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) } }
        let store = try AuditStore(path: path)
        var record = Pramagent_V1_AuditRecord()
        record.decision = Pramagent_V1_DecisionRecord.with {
            $0.decisionID = "d-0123456789ab-1"; $0.tenant = "finance_team"; $0.session = "s-42"; $0.tool = "write_note"
            $0.argumentsSha256 = Data(repeating: 7, count: 32); $0.argumentsRedacted = #"{"text":"[REDACTED]"}"#
            $0.verdict = .allow; $0.policyVersion = String(repeating: "a", count: 64); $0.sideEffect = "write"
        }
        let bytes: [UInt8] = try record.serializedBytes()
        var seq: UInt64 = 1
        var t0 = nowNanos()
        for _ in 0..<single {
            try store.append([AuditStore.Batch(producer: "bench", firstProducerSeq: seq, records: [bytes])])
            seq += 1
        }
        let singleSeconds = Double(nowNanos() - t0) / 1e9
        t0 = nowNanos()
        var written = 0
        while written < records {
            let n = min(batch, records - written)
            try store.append([AuditStore.Batch(producer: "bench", firstProducerSeq: seq, records: Array(repeating: bytes, count: n))])
            seq += UInt64(n)
            written += n
        }
        let batchSeconds = Double(nowNanos() - t0) / 1e9
        print("record size \(bytes.count) B")
        print(String(format: "one record per commit: %.0f records/s (%.3f ms per commit: the fsync cost)", Double(single) / singleSeconds, singleSeconds / Double(single) * 1000))
        print(String(format: "%d records per commit: %.0f records/s (%.3f ms per commit)", batch, Double(records) / batchSeconds, batchSeconds / Double((records + batch - 1) / batch) * 1000))
    }
}
