import Foundation
import Logging
import Synchronization
import Testing
import PramagentWire
@testable import PramagentAudit
@testable import PramagentAuditServer

@Suite("Spool and delivery to pramagent-auditd", .serialized)
struct AuditDeliveryTests {
    func writer(_ dir: String) async throws -> AuditServer {
        var config = AuditServerConfiguration()
        config.databasePath = dir + "/audit.db"
        config.socketPath = dir + "/audit.sock"
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let s = try AuditServer(configuration: config, logger: logger)
        try await s.start()
        return s
    }

    func record(_ i: Int) -> [UInt8] { Array("record-\(i)".utf8) }

    func waitAll(_ d: AuditDelivery, _ seq: UInt64, timeout: Double) async -> Bool {
        await withCheckedContinuation { c in d.waitDurable(seq, timeout: timeout) { c.resume(returning: $0) } }
    }

    @Test("records become durable in order; a writer outage is survived by the spool")
    func outageAndResume() async throws {
        let dir = try temporaryDirectory()
        var server = try await writer(dir)
        let spool = try AuditSpool(path: dir + "/audit.spool")
        let delivery = AuditDelivery(spool: spool, socketPath: dir + "/audit.sock")
        delivery.start()
        var last: UInt64 = 0
        for i in 1...500 { last = try #require(delivery.enqueue(record(i))) }
        #expect(await waitAll(delivery, last, timeout: 5))
        #expect(delivery.pendingCount == 0)
        // The writer goes away: records wait in the spool, durability waits time out.
        await server.shutdown()
        for i in 501...600 { last = try #require(delivery.enqueue(record(i))) }
        #expect(await waitAll(delivery, last, timeout: 0.5) == false)
        #expect(delivery.pendingCount == 100)
        #expect(!delivery.lastError.isEmpty)
        // It comes back on the same database: everything is delivered once.
        server = try await writer(dir)
        #expect(await waitAll(delivery, last, timeout: 5))
        delivery.stop()
        await server.shutdown()
        let report = try AuditVerifier.verify(path: dir + "/audit.db")
        #expect(report.ok, "\(report.message)")
        #expect(report.rows == 600)
        var order: [String] = []
        try AuditReader.forEachRow(path: dir + "/audit.db") { row in order.append(String(decoding: row.record, as: UTF8.self)); return true }
        #expect(order == (1...600).map { "record-\($0)" })
    }

    @Test("a restarted producer resends what was not acknowledged, and nothing twice")
    func producerRestart() async throws {
        let dir = try temporaryDirectory()
        // Records spooled while no writer runs (the producer then "crashes").
        do {
            let spool = try AuditSpool(path: dir + "/audit.spool")
            for i in 1...50 { _ = try spool.enqueue([record(i)]) }
        }
        let server = try await writer(dir)
        let spool = try AuditSpool(path: dir + "/audit.spool")
        #expect(spool.pendingCount == 50)
        let delivery = AuditDelivery(spool: spool, socketPath: dir + "/audit.sock")
        delivery.start()
        #expect(await waitAll(delivery, 50, timeout: 5))
        delivery.stop()
        // Restart again: the acknowledged mark survived; new records continue the numbering.
        let again = try AuditSpool(path: dir + "/audit.spool")
        #expect(again.acknowledged == 50)
        #expect(again.producerID == spool.producerID)
        let d2 = AuditDelivery(spool: again, socketPath: dir + "/audit.sock")
        d2.start()
        let seq = try #require(d2.enqueue(record(51)))
        #expect(seq == 51)
        #expect(await waitAll(d2, 51, timeout: 5))
        d2.stop()
        await server.shutdown()
        #expect(try AuditVerifier.verify(path: dir + "/audit.db").rows == 51)
    }

    @Test("a record cut short by a crash is dropped at open; whole ones are kept; an acknowledged spool is emptied")
    func tornTailAndCompaction() throws {
        let dir = try temporaryDirectory()
        let path = dir + "/audit.spool"
        do {
            let spool = try AuditSpool(path: path)
            for i in 1...3 { _ = try spool.enqueue([record(i)]) }
        }
        // Half a header and then half a record, as a crash in the middle of write(2) might leave.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data([0, 0, 0, 50, 0, 0, 0, 0, 0, 0, 0, 4, 1, 2]))
        try handle.close()
        let spool = try AuditSpool(path: path)
        #expect(spool.pendingCount == 3)
        #expect(try spool.enqueue([record(4)]) == 4)
        #expect(try spool.pending(limit: 10).records == (1...4).map(record))
        try spool.acknowledge(through: 4)
        #expect(spool.pendingCount == 0)
        // The mark is persisted lazily: before that, a restart resends (the writer ignores repeats).
        let early = try AuditSpool(path: path)
        #expect(early.pendingCount == 4)
        #expect(early.nextSeq == 5)
        try spool.persistAcknowledged()
        let reopened = try AuditSpool(path: path)
        #expect(reopened.nextSeq == 5)
        #expect(reopened.pendingCount == 0)
    }

    @Test("an acknowledged spool starts again in the same pages; stale records behind the end are never read back")
    func restartInPlace() throws {
        let dir = try temporaryDirectory()
        let path = dir + "/audit.spool"
        let spool = try AuditSpool(path: path)
        // Old records whose bytes, where the new end will fall (offset 60 = three 20-byte records),
        // look like a header of a record numbered far ahead: only the zeroed end stops a scan there.
        var big = [UInt8](repeating: 0x5A, count: 400)
        let fakeHeader: [UInt8] = [0, 0, 0, 8, 0, 0, 0, 0, 0, 0x0F, 0x42, 0x40] + Array("XXXXXXXX".utf8)
        big.replaceSubrange(48..<68, with: fakeHeader)
        var last: UInt64 = 0
        for _ in 0..<3_000 { last = try #require(try spool.enqueue(big)) }
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        try spool.acknowledge(through: last)
        // Shorter records now overwrite the start of the stale ones.
        for i in 1...3 { #expect(try spool.enqueue(record(i)) == last + UInt64(i)) }
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int == size)
        // A restart (as after kill -9) finds exactly the three new records.
        let reopened = try AuditSpool(path: path)
        #expect(reopened.acknowledged == last)
        #expect(reopened.pendingCount == 3)
        #expect(try reopened.pending(limit: 10).records == (1...3).map(record))
        #expect(reopened.nextSeq == last + 4)
    }

    @Test("a batch is read in one piece and framed by hand exactly as the generated message frames it")
    func appendFrameMatchesGenerated() throws {
        let dir = try temporaryDirectory()
        let spool = try AuditSpool(path: dir + "/audit.spool")
        for i in 1...40 { _ = try spool.enqueue(i == 7 ? [] : record(i)) }
        try spool.acknowledge(through: 5)
        let plan = spool.plan(after: 5, limit: 30)
        let together = try spool.readContiguous(plan)
        let expected = (6...35).map { $0 == 7 ? [] : record($0) }
        #expect(together.ranges.map { Array(together.bytes[$0]) } == expected)
        let frame = AuditDelivery.appendFrame("pramagentd-x", first: plan.first, together)
        let reference = try Framing.frame(Pramagent_V1_AuditAppend.with {
            $0.producerID = "pramagentd-x"
            $0.firstProducerSeq = plan.first
            $0.records = expected.map { Data($0) }
        })
        #expect(frame == reference)
    }

    @Test("acks split across reads and several in one read are all found")
    func frameReader() throws {
        var fds: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let frames = try (1...3).map { i in try Framing.frame(Pramagent_V1_AuditAck.with { $0.durableProducerSeq = UInt64(i) }) }
        let all = frames.flatMap { $0 }
        var reader = FrameReader()
        var got: [UInt64] = []
        // The first frame and half of the second; then the rest.
        for part in [all[..<(frames[0].count + 3)], all[(frames[0].count + 3)...]] {
            _ = Array(part).withUnsafeBytes { Glibc.send(fds[1], $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            let filled = reader.fill(fds[0])
            #expect(filled)
            while let f = reader.next() { got.append(try Pramagent_V1_AuditAck(serializedBytes: [UInt8](f)).durableProducerSeq) }
        }
        #expect(got == [1, 2, 3])
        // A zero length is malformed: the reader stops and says so.
        _ = [UInt8]([0, 0, 0, 0]).withUnsafeBytes { Glibc.send(fds[1], $0.baseAddress, 4, Int32(MSG_NOSIGNAL)) }
        let filled = reader.fill(fds[0])
        let next = reader.next()
        #expect(filled && next == nil && reader.failed)
    }

    @Test("a full spool refuses new records (the caller fails closed)")
    func fullSpool() throws {
        let dir = try temporaryDirectory()
        let spool = try AuditSpool(path: dir + "/audit.spool", capacity: 10)
        for i in 1...10 { #expect(try spool.enqueue([record(i)]) != nil) }
        #expect(try spool.enqueue([record(11)]) == nil)
        try spool.acknowledge(through: 4)
        #expect(try spool.enqueue([record(11)]) == 11)
        #expect(try spool.pending(limit: 100).first == 5)
    }
}
