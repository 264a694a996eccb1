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
        var seq: UInt64
        /// Uptime nanoseconds after which the waiter is told "not durable".
        var deadline: UInt64
        var done: @Sendable (Bool) -> Void
    }

    private let box: SpoolBox
    /// Guards every use of the spool.
    private let spoolLock = Mutex(())
    private let waiters = Mutex<(list: [Waiter], earliest: UInt64)>(([], .max))
    private let durableSeq = Atomic<UInt64>(0)
    private let stopping = Atomic<Bool>(false)
    /// Set when a record someone waits for was spooled.
    private let urgent = Atomic<Bool>(false)
    private let doorbell = Doorbell()
    /// How long the writer may leave sent batches unacknowledged before the connection is dropped.
    static let ackTimeout: UInt64 = 2_000_000_000
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
        doorbell.ring()
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
            doorbell.ring()
        }
        return seq
    }

    /// Calls `done(true)` once `seq` is durable, or `done(false)` after `timeout` seconds (checked
    /// by the delivery thread, which wakes at least every `linger`, or every 100 ms while the
    /// writer is unreachable: no timer per call).
    public func waitDurable(_ seq: UInt64, timeout: Double, _ done: @escaping @Sendable (Bool) -> Void) {
        if seq <= durable { done(true); return }
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, timeout) * 1e9)
        waiters.withLock { w in
            w.list.append(Waiter(seq: seq, deadline: deadline, done: done))
            w.earliest = min(w.earliest, deadline)
        }
        // The ack may have arrived between the check and the registration.
        if seq <= durable { fire() }
    }

    /// The framed `AuditAppend` of records read from the spool, written without copying each
    /// record into a message object first.
    static func appendFrame(_ producerID: String, first: UInt64, _ records: (bytes: [UInt8], ranges: [Range<Int>])) -> [UInt8] {
        var w = ProtoWireWriter(capacity: records.bytes.count + 8 * records.ranges.count + producerID.utf8.count + 16, framed: true)
        w.string(1, producerID)
        w.unsigned(2, first)
        records.bytes.withUnsafeBytes { all in
            for r in records.ranges { w.repeatedElement(3, bytes: UnsafeRawBufferPointer(rebasing: all[r])) }
        }
        return w.finishFrame()
    }

    private func fire() {
        let d = durable
        let ready = waiters.withLock { w -> [Waiter] in
            let ready = w.list.filter { $0.seq <= d }
            if !ready.isEmpty { w.list.removeAll { $0.seq <= d } }
            return ready
        }
        for w in ready { w.done(true) }
    }

    /// Tells the waiters whose deadline passed that their record is not durable.
    private func expire() {
        let now = DispatchTime.now().uptimeNanoseconds
        let expired = waiters.withLock { w -> [Waiter] in
            guard now >= w.earliest else { return [] }
            let expired = w.list.filter { $0.deadline <= now }
            w.list.removeAll { $0.deadline <= now }
            w.earliest = w.list.map(\.deadline).min() ?? .max
            return expired
        }
        for w in expired { w.done(false) }
    }

    private func failWaiters() {
        let all = waiters.withLock { w -> [Waiter] in defer { w.list = []; w.earliest = .max }; return w.list }
        for w in all { w.done(false) }
    }

    private func run() {
        var fd: Int32 = -1
        var acks = FrameReader()
        var sentThrough = durable
        var inflight = 0
        var lastSend = DispatchTime.now()
        var lastPersist = DispatchTime.now()
        // Since when the oldest unacknowledged batch has waited (reset by every ack).
        var ackWaitSince: UInt64 = 0
        var persisted = durable
        func disconnect(_ why: String) {
            status.withLock { $0 = why }
            if fd >= 0 { close(fd) }
            fd = -1
            acks = FrameReader()
            inflight = 0
            sentThrough = durable
        }
        while !stopping.load(ordering: .acquiring) {
            expire()
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
                            doorbell.wait(seconds: 0.1)
                            continue
                        }
                    }
                    guard let records = try? box.spool.readContiguous(plan) else {
                        disconnect("cannot read the audit spool")
                        doorbell.wait(seconds: 0.1)
                        continue
                    }
                    guard RawIO.writeAll(fd, AuditDelivery.appendFrame(producerID, first: plan.first, records)) else {
                        disconnect("lost the connection to the audit writer")
                        continue
                    }
                    sentThrough = plan.first + UInt64(records.ranges.count) - 1
                    if inflight == 0 { ackWaitSince = DispatchTime.now().uptimeNanoseconds }
                    inflight += 1
                    lastSend = DispatchTime.now()
                    continue
                }
            }
            if inflight > 0 {
                // Wait for the ack, but wake for new urgent records too: they are sent while the
                // writer commits, and join its next group commit.
                guard doorbell.wait(seconds: linger, orReadable: fd) else {
                    if DispatchTime.now().uptimeNanoseconds - ackWaitSince > AuditDelivery.ackTimeout {
                        disconnect("the audit writer did not acknowledge within \(AuditDelivery.ackTimeout / 1_000_000_000) s")
                    }
                    continue
                }
                // One read takes every ack that has arrived.
                guard acks.fill(fd) else {
                    disconnect("lost the connection to the audit writer")
                    doorbell.wait(seconds: 0.05)
                    continue
                }
                while fd >= 0, let frame = acks.next() {
                    guard let ack = try? Pramagent_V1_AuditAck(serializedBytes: [UInt8](frame)) else {
                        disconnect("the audit writer sent an undecodable ack")
                        break
                    }
                    inflight -= 1
                    ackWaitSince = DispatchTime.now().uptimeNanoseconds
                    if ack.durableProducerSeq > durable {
                        spoolLock.withLock { _ in try? box.spool.acknowledge(through: ack.durableProducerSeq) }
                        durableSeq.store(ack.durableProducerSeq, ordering: .releasing)
                    }
                    status.withLock { $0 = ack.error }
                    if !ack.error.isEmpty {
                        // The writer cannot make records durable: resend from the last durable one, later.
                        disconnect(ack.error)
                        doorbell.wait(seconds: 0.1)
                    }
                }
                if acks.failed { disconnect("the audit writer sent a malformed frame") }
                fire()
                continue
            }
            doorbell.wait(seconds: linger)
        }
        if fd >= 0 { close(fd) }
        try? box.spool.persistAcknowledged()
        finished.signal()
    }
}

/// Frames read from a socket in as few `read(2)` calls as possible: `fill` reads what has
/// arrived, `next` hands out the complete frames (4-byte big-endian length, then the body).
struct FrameReader {
    private var buffer = [UInt8](repeating: 0, count: 64 << 10)
    private var start = 0
    private var end = 0
    /// Set when a frame announced a length of 0 or more than `maxFrame`.
    private(set) var failed = false
    static let maxFrame = 1 << 20

    /// One read; false on end of file or error.
    mutating func fill(_ fd: Int32) -> Bool {
        if start == end { start = 0; end = 0 }
        if buffer.count - end < 4_096 {
            // Move the partial frame to the front, growing only for a frame bigger than the buffer.
            buffer.replaceSubrange(0..<(end - start), with: buffer[start..<end])
            end -= start
            start = 0
            if buffer.count - end < 4_096 { buffer.append(contentsOf: [UInt8](repeating: 0, count: buffer.count)) }
        }
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + end, $0.count - end) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            end += n
            return true
        }
    }

    mutating func next() -> ArraySlice<UInt8>? {
        guard !failed, end - start >= 4 else { return nil }
        let n = Int(buffer[start]) << 24 | Int(buffer[start + 1]) << 16 | Int(buffer[start + 2]) << 8 | Int(buffer[start + 3])
        guard n > 0, n <= FrameReader.maxFrame else { failed = true; return nil }
        guard end - start >= 4 + n else { return nil }
        defer { start += 4 + n }
        return buffer[(start + 4)..<(start + 4 + n)]
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
}
