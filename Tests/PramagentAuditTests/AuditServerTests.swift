import Foundation
import Logging
import Testing
import PramagentSystem
import PramagentWire
@testable import PramagentAudit
@testable import PramagentAuditServer
#if canImport(Glibc)
import Glibc
#endif

/// A blocking producer connection speaking AuditAppend / AuditAck.
final class Producer {
    let fd: Int32
    init(_ path: String) throws {
        fd = try UnixSocket.connect(path)
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }
    deinit { close(fd) }

    func send(_ append: Pramagent_V1_AuditAppend) throws {
        let frame = try Framing.frame(append)
        _ = frame.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } // EPIPE, never SIGPIPE
    }

    func receive() throws -> Pramagent_V1_AuditAck? {
        func exactly(_ n: Int) -> [UInt8]? {
            var out = [UInt8](repeating: 0, count: n)
            var got = 0
            while got < n {
                let r = out.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, n - got) }
                if r <= 0 { return nil }
                got += r
            }
            return out
        }
        guard let h = exactly(4) else { return nil }
        let n = Int(h[0]) << 24 | Int(h[1]) << 16 | Int(h[2]) << 8 | Int(h[3])
        guard let body = exactly(n) else { return nil }
        return try Pramagent_V1_AuditAck(serializedBytes: body)
    }

    static func append(_ producer: String, from: UInt64, count: Int) -> Pramagent_V1_AuditAppend {
        Pramagent_V1_AuditAppend.with {
            $0.producerID = producer
            $0.firstProducerSeq = from
            $0.records = (0..<count).map { i in
                var r = Pramagent_V1_AuditRecord()
                r.decision = Pramagent_V1_DecisionRecord.with {
                    $0.decisionID = "\(producer)-\(from + UInt64(i))"; $0.tenant = "t"; $0.tool = "write_note"; $0.verdict = .allow
                }
                return try! r.serializedData()
            }
        }
    }
}

func temporaryDirectory() throws -> String {
    let dir = "/tmp/pramagent-audit-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    chmod(dir, 0o755)
    return dir
}

@Suite("pramagent-auditd", .serialized)
struct AuditServerTests {
    func server(_ dir: String, _ configure: (inout AuditServerConfiguration) -> Void = { _ in }) async throws -> AuditServer {
        var config = AuditServerConfiguration()
        config.databasePath = dir + "/audit.db"
        config.socketPath = dir + "/audit.sock"
        configure(&config)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let s = try AuditServer(configuration: config, logger: logger)
        try await s.start()
        return s
    }

    @Test("batches are acknowledged once durable; resends are stored once; the chain verifies")
    func appendAndAck() async throws {
        let dir = try temporaryDirectory()
        let s = try await server(dir)
        let p = try Producer(dir + "/audit.sock")
        try p.send(Producer.append("pd", from: 1, count: 10))
        let ack = try #require(try p.receive())
        #expect(ack.error == "")
        #expect(ack.durableProducerSeq == 10)
        #expect(ack.headSeq == 10)
        // A resend after a crash overlaps: only the new records are stored.
        try p.send(Producer.append("pd", from: 6, count: 10))
        let again = try #require(try p.receive())
        #expect(again.durableProducerSeq == 15)
        #expect(again.headSeq == 15)
        // A gap is not stored; the ack says where to resume.
        try p.send(Producer.append("pd", from: 20, count: 2))
        #expect(try p.receive()?.durableProducerSeq == 15)
        await s.shutdown()
        let report = try AuditVerifier.verify(path: dir + "/audit.db", expectedHead: (15, [UInt8](again.headHash)))
        #expect(report.ok, "\(report.message)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/audit.sock"))
    }

    @Test("many producers at once share commits (group commit)")
    func groupCommit() async throws {
        let dir = try temporaryDirectory()
        let s = try await server(dir)
        let producers = try (0..<8).map { _ in try Producer(dir + "/audit.sock") }
        for round in 0..<50 {
            for (i, p) in producers.enumerated() { try p.send(Producer.append("p\(i)", from: UInt64(round * 4 + 1), count: 4)) }
            for p in producers { #expect(try p.receive()?.error == "") }
        }
        let commits = s.committer.commits.load(ordering: .relaxed)
        await s.shutdown()
        #expect(commits < 400, "\(commits) commits for 400 batches")
        let report = try AuditVerifier.verify(path: dir + "/audit.db")
        #expect(report.ok)
        #expect(report.rows == 1_600)
    }

    @Test("garbage is answered with an error and the connection closes; others continue")
    func garbage() async throws {
        let dir = try temporaryDirectory()
        let s = try await server(dir)
        let bad = try Producer(dir + "/audit.sock")
        _ = [UInt8]([0, 0, 0, 3, 0xFF, 0xFF, 0xFF]).withUnsafeBytes { write(bad.fd, $0.baseAddress, $0.count) }
        #expect(try bad.receive()?.error.hasPrefix("frame_undecodable") == true)
        let good = try Producer(dir + "/audit.sock")
        try good.send(Producer.append("g", from: 1, count: 1))
        #expect(try good.receive()?.durableProducerSeq == 1)
        await s.shutdown()
    }

    @Test("a peer that is not allowed is refused", .enabled(if: getuid() == 0, "needs root to act as another uid"))
    func refusedPeer() async throws {
        let dir = try temporaryDirectory()
        let s = try await server(dir) { $0.socketMode = 0o666 }
        // nobody (65534) connects with python3, sends a batch, and must get peer_not_allowed.
        let script = """
        import socket,struct
        s=socket.socket(socket.AF_UNIX); s.connect("\(dir)/audit.sock")
        n=struct.unpack(">I", s.recv(4, socket.MSG_WAITALL))[0]; print(s.recv(n, socket.MSG_WAITALL))
        """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        p.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/env", "python3", "-c", script]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(text.contains("peer_not_allowed"))
        await s.shutdown()
        #expect(try AuditReader.head(path: dir + "/audit.db").seq == 0)
    }
}
