import Dispatch
import Foundation
import PramagentSystem
import PramagentWire
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Sends spooled records to pramagent-auditd, in order, and forgets them once acknowledged;
/// after a disconnect it reconnects and resends what is unacknowledged (the writer stores each
/// record once). Callers can wait for a record to become durable.
public final class AuditDelivery: Sendable {
    private final class SpoolBox: @unchecked Sendable {
        let spool: AuditSpool
        init(_ spool: AuditSpool) { self.spool = spool }
    }

    private struct Waiter: @unchecked Sendable {
        var id: UInt64
        var seq: UInt64
        var done: @Sendable (Bool) -> Void
    }

    private let box: SpoolBox
    /// Guards every use of the spool.
    private let spoolLock = Mutex(())
    private let waiters = Mutex<(next: UInt64, list: [Waiter])>((1, []))
    private let durableSeq = Atomic<UInt64>(0)
    private let stopping = Atomic<Bool>(false)
    /// Set when a record someone waits for was spooled.
    private let urgent = Atomic<Bool>(false)
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let status = Mutex<String>("")
    public let socketPath: String
    public let producerID: String
    public let batchLimit: Int
    /// Batches sent before waiting for an ack (the writer commits what arrives meanwhile together).
    public let window: Int
    /// How long records nobody waits for may sit in the spool before they are sent.
    public let linger: Double

    public init(spool: AuditSpool, socketPath: String, batchLimit: Int = 1_024, window: Int = 4, linger: Double = 0.005) {
        self.window = window
        self.linger = linger
        box = SpoolBox(spool)
        self.socketPath = socketPath
        self.producerID = spool.producerID
        self.batchLimit = batchLimit
        durableSeq.store(spool.acknowledged, ordering: .relaxed)
    }

    /// Highest producer sequence number known durable.
    public var durable: UInt64 { durableSeq.load(ordering: .acquiring) }
    /// The last delivery problem (empty while deliveries succeed).
    public var lastError: String { status.withLock { $0 } }
    public var pendingCount: Int { spoolLock.withLock { _ in box.spool.pendingCount } }

    public func start() {
        let thread = Thread { [self] in self.run() }
        thread.name = "audit-delivery"
        thread.start()
    }

    public func stop() {
        stopping.store(true, ordering: .releasing)
        wake.signal()
        finished.wait()
        failWaiters()
    }

    /// Spools a record; returns its sequence number, or nil when the spool is full or fails.
    /// `urgent` records (someone waits for them to be durable) are sent at once; others within `linger`.
    public func enqueue(_ record: [UInt8], urgent: Bool = true) -> UInt64? {
        let seq = spoolLock.withLock { _ in try? box.spool.enqueue(record) }
        guard let seq = seq ?? nil else { return nil }
        if urgent {
            self.urgent.store(true, ordering: .releasing)
            wake.signal()
        }
        return seq
    }

    /// Calls `done(true)` once `seq` is durable, or `done(false)` after `timeout` seconds.
    public func waitDurable(_ seq: UInt64, timeout: Double, _ done: @escaping @Sendable (Bool) -> Void) {
        if seq <= durable { done(true); return }
        let id = waiters.withLock { w -> UInt64 in
            let id = w.next
            w.next += 1
            w.list.append(Waiter(id: id, seq: seq, done: done))
            return id
        }
        // The ack may have arrived between the check and the registration.
        if seq <= durable { fire() }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [self] in
            let expired = waiters.withLock { w -> Waiter? in
                guard let i = w.list.firstIndex(where: { $0.id == id }) else { return nil }
                return w.list.remove(at: i)
            }
            expired?.done(false)
        }
    }

    private func fire() {
        let d = durable
        let ready = waiters.withLock { w -> [Waiter] in
            let ready = w.list.filter { $0.seq <= d }
            w.list.removeAll { $0.seq <= d }
            return ready
        }
        for w in ready { w.done(true) }
    }

    private func failWaiters() {
        let all = waiters.withLock { w -> [Waiter] in defer { w.list = [] }; return w.list }
        for w in all { w.done(false) }
    }

    private func run() {
        var fd: Int32 = -1
        var buffer = [UInt8](repeating: 0, count: 256)
        var sentThrough = durable
        var inflight = 0
        var lastSend = DispatchTime.now()
        var lastPersist = DispatchTime.now()
        var persisted = durable
        func disconnect(_ why: String) {
            status.withLock { $0 = why }
            if fd >= 0 { close(fd) }
            fd = -1
            inflight = 0
            sentThrough = durable
        }
        while !stopping.load(ordering: .acquiring) {
            // Persist the acknowledged mark now and then, outside the lock (a stale mark is safe).
            if durable > persisted, DispatchTime.now().uptimeNanoseconds - lastPersist.uptimeNanoseconds > 200_000_000 {
                let mark = durable
                try? box.spool.persistAcknowledged()
                persisted = mark
                lastPersist = DispatchTime.now()
            }
            // Records nobody waits for are sent in batches, at most `linger` late.
            let due = urgent.load(ordering: .acquiring)
                || Double(DispatchTime.now().uptimeNanoseconds - lastSend.uptimeNanoseconds) / 1e9 >= linger
            if inflight < window && due {
                // Only the plan is taken under the lock; reading the bytes does not hold up decisions.
                urgent.store(false, ordering: .releasing)
                let plan = spoolLock.withLock { _ in box.spool.plan(after: sentThrough, limit: batchLimit) }
                if plan.isEmpty { lastSend = DispatchTime.now() }
                if !plan.isEmpty {
                    if fd < 0 {
                        do {
                            fd = try UnixSocket.connect(socketPath)
                            var tv = timeval(tv_sec: 2, tv_usec: 0)
                            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                        } catch {
                            disconnect("audit writer unreachable: \(error.description)")
                            _ = wake.wait(timeout: .now() + 0.1)
                            continue
                        }
                    }
                    guard let records = try? box.spool.read(plan) else {
                        disconnect("cannot read the audit spool")
                        _ = wake.wait(timeout: .now() + 0.1)
                        continue
                    }
                    let append = Pramagent_V1_AuditAppend.with {
                        $0.producerID = producerID
                        $0.firstProducerSeq = plan.first
                        $0.records = records.map { Data($0) }
                    }
                    guard let frame = try? Framing.frame(append), RawIO.writeAll(fd, frame) else {
                        disconnect("lost the connection to the audit writer")
                        continue
                    }
                    sentThrough = plan.first + UInt64(records.count) - 1
                    inflight += 1
                    lastSend = DispatchTime.now()
                    continue
                }
            }
            if inflight > 0 {
                guard let ack = RawIO.readFrame(fd, &buffer).flatMap({ try? Pramagent_V1_AuditAck(serializedBytes: $0) }) else {
                    disconnect("lost the connection to the audit writer")
                    _ = wake.wait(timeout: .now() + 0.05)
                    continue
                }
                inflight -= 1
                if ack.durableProducerSeq > durable {
                    spoolLock.withLock { _ in try? box.spool.acknowledge(through: ack.durableProducerSeq) }
                    durableSeq.store(ack.durableProducerSeq, ordering: .releasing)
                    fire()
                }
                status.withLock { $0 = ack.error }
                if !ack.error.isEmpty {
                    // The writer cannot make records durable: resend from the last durable one, later.
                    disconnect(ack.error)
                    _ = wake.wait(timeout: .now() + 0.1)
                }
                continue
            }
            _ = wake.wait(timeout: .now() + linger)
        }
        if fd >= 0 { close(fd) }
        try? box.spool.persistAcknowledged()
        finished.signal()
    }
}

/// Blocking frame I/O on a file descriptor.
enum RawIO {
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            // MSG_NOSIGNAL: a writer that went away is an error to handle, not a SIGPIPE.
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    static func readExactly(_ fd: Int32, _ count: Int, into buffer: inout [UInt8]) -> Bool {
        if buffer.count < count { buffer = [UInt8](repeating: 0, count: count) }
        var offset = 0
        while offset < count {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + offset, count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    static func readFrame(_ fd: Int32, _ buffer: inout [UInt8]) -> [UInt8]? {
        guard readExactly(fd, 4, into: &buffer) else { return nil }
        let n = Int(buffer[0]) << 24 | Int(buffer[1]) << 16 | Int(buffer[2]) << 8 | Int(buffer[3])
        guard n > 0, n <= 1 << 20, readExactly(fd, n, into: &buffer) else { return nil }
        return Array(buffer[0..<n])
    }
}
