import Foundation
import PramagentCrypto
#if canImport(Glibc)
import Glibc
#endif

/// The producer side of the audit trail: records wait in an append-only file until the audit
/// writer acknowledges them as durable, and survive restarts of either process.
///
/// `PATH` holds the records as `[u32 BE length][u64 BE seq][record]`, and after the last one a
/// header of zeros (what follows it is stale). Records are copied into a shared memory mapping
/// of the file (no system call per record; the pages belong to the kernel, so a killed process
/// loses nothing it returned from `enqueue`); each append zeroes the header after its record and
/// stores its own length last, so a record cut short by a crash reads as the end of the spool.
/// `PATH.ack` holds the producer id and the highest acknowledged sequence number. When every
/// record is acknowledged the spool starts again at offset 0 in the same pages (no page faults
/// on the decision path once they are mapped writable). Use from one thread at a time (the
/// delivery serialises access).
public final class AuditSpool {
    public enum Failure: Error, CustomStringConvertible {
        case io(String)
        public var description: String { if case .io(let s) = self { return s }; return "" }
    }

    /// Where the unacknowledged records are in the file.
    public struct Plan: Sendable {
        public var first: UInt64
        var entries: [(offset: Int64, length: Int)]
        public var isEmpty: Bool { entries.isEmpty }
    }

    private let path: String
    private let fd: Int32
    public let producerID: String
    /// Highest sequence number the writer acknowledged.
    public private(set) var acknowledged: UInt64 = 0
    /// Sequence number the next record gets.
    public private(set) var nextSeq: UInt64 = 1
    /// Most records kept unacknowledged; beyond it `enqueue` refuses (the caller fails closed).
    public let capacity: Int
    private var index: [(seq: UInt64, offset: Int64, length: Int)] = []
    private var indexStart = 0
    private var end: Int64 = 0
    private var mapping: UnsafeMutableRawPointer?
    private var mappedSize = 0
    static let headerSize = 12
    static let compactAt: Int64 = 1 << 20
    static let growth = 8 << 20

    public var pendingCount: Int { index.count - indexStart }

    public init(path: String, capacity: Int = 100_000) throws {
        self.path = path
        self.capacity = capacity
        if let text = try? String(contentsOfFile: path + ".ack", encoding: .utf8) {
            let parts = text.split(separator: " ")
            producerID = parts.first.map(String.init) ?? "pramagentd-" + secureRandomBytes(8).hexString
            acknowledged = parts.count > 1 ? UInt64(parts[1].trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 : 0
        } else {
            producerID = "pramagentd-" + secureRandomBytes(8).hexString
        }
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure.io("cannot open \(path): \(String(cString: strerror(errno)))") }
        try scan()
        try persistAcknowledged()
    }

    deinit {
        if let mapping { munmap(mapping, mappedSize) }
        close(fd)
    }

    /// Makes the file (and its mapping) at least `size` bytes long.
    private func ensureMapped(_ size: Int) throws {
        if size <= mappedSize, mapping != nil { return }
        let newSize = ((size / AuditSpool.growth) + 1) * AuditSpool.growth
        if let mapping { munmap(mapping, mappedSize) }
        mapping = nil
        var info = stat()
        fstat(fd, &info)
        if Int(info.st_size) < newSize, ftruncate(fd, off_t(newSize)) != 0 {
            throw Failure.io("cannot grow \(path): \(String(cString: strerror(errno)))")
        }
        guard let p = mmap(nil, newSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), p != MAP_FAILED else {
            throw Failure.io("cannot map \(path): \(String(cString: strerror(errno)))")
        }
        mapping = p
        // Fault the next pages in writable now rather than one by one on the decision path
        // (MADV_POPULATE_WRITE, Linux 5.14; data unchanged; a kernel without it just faults later).
        let from = Int(end) & ~4095
        _ = madvise(p + from, min(newSize - from, AuditSpool.growth), 23)
        mapping = p
        mappedSize = newSize
    }

    /// Rebuilds the index from the file and cuts off a partial record at its end.
    private func scan() throws {
        var offset: Int64 = 0
        var header = [UInt8](repeating: 0, count: AuditSpool.headerSize)
        var maxSeq = acknowledged
        while true {
            let n = header.withUnsafeMutableBytes { pread(fd, $0.baseAddress, AuditSpool.headerSize, off_t(offset)) }
            if n < AuditSpool.headerSize { break }
            let length = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
            if length == 0 { break } // the end (or a record whose length was never stored)
            var seq: UInt64 = 0
            for i in 4..<12 { seq = seq << 8 | UInt64(header[i]) }
            guard seq > maxSeq || seq <= acknowledged else { break }
            var probe: UInt8 = 0
            if pread(fd, &probe, 1, off_t(offset + Int64(AuditSpool.headerSize + length - 1))) != 1 { break }
            if seq > acknowledged { index.append((seq, offset + Int64(AuditSpool.headerSize), length)) }
            maxSeq = max(maxSeq, seq)
            offset += Int64(AuditSpool.headerSize + length)
        }
        end = offset
        nextSeq = maxSeq + 1
        // Clear whatever a crash left half-written after the last whole record.
        try ensureMapped(Int(end) + AuditSpool.headerSize)
        let stale = min(mappedSize - Int(end), 1 << 16)
        memset(mapping! + Int(end), 0, stale)
    }

    /// Writes the acknowledged mark to `PATH.ack` (atomically, by rename). A mark older than the
    /// truth only causes resends, which the writer ignores, so it may be written lazily.
    public func persistAcknowledged() throws {
        let tmp = path + ".ack.tmp"
        do {
            try "\(producerID) \(acknowledged)\n".write(toFile: tmp, atomically: false, encoding: .utf8)
        } catch {
            throw Failure.io("cannot write \(tmp): \(error)")
        }
        guard rename(tmp, path + ".ack") == 0 else { throw Failure.io("cannot rename \(tmp): \(String(cString: strerror(errno)))") }
    }

    /// Appends records; returns the sequence number of the first, or nil when the spool is full.
    public func enqueue(_ records: [[UInt8]]) throws -> UInt64? {
        guard pendingCount + records.count <= capacity else { return nil }
        let first = nextSeq
        let total = records.reduce(0) { $0 + $1.count + AuditSpool.headerSize }
        try ensureMapped(Int(end) + total + AuditSpool.headerSize)
        for record in records { append(record) }
        return first
    }

    /// Appends one record; returns its sequence number, or nil when the spool is full.
    public func enqueue(_ record: [UInt8]) throws -> UInt64? {
        guard pendingCount < capacity else { return nil }
        try ensureMapped(Int(end) + record.count + 2 * AuditSpool.headerSize)
        return append(record)
    }

    /// Copies one record into the mapping (which must have room) and indexes it.
    @discardableResult
    private func append(_ record: [UInt8]) -> UInt64 {
        let seq = nextSeq
        let base = mapping! + Int(end)
        var beSeq = seq.bigEndian
        withUnsafeBytes(of: &beSeq) { base.advanced(by: 4).copyMemory(from: $0.baseAddress!, byteCount: 8) }
        record.withUnsafeBytes { if $0.count > 0 { base.advanced(by: AuditSpool.headerSize).copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
        // The header after it reads as the end (what is there may be a stale record) ...
        memset(base + AuditSpool.headerSize + record.count, 0, AuditSpool.headerSize)
        // ... and the length goes in last: until it is there, the record does not exist.
        AuditSpool.commit(base, length: UInt32(record.count))
        index.append((seq: seq, offset: end + Int64(AuditSpool.headerSize), length: record.count))
        end += Int64(AuditSpool.headerSize + record.count)
        nextSeq = seq + 1
        return seq
    }

    @inline(never)
    private static func commit(_ base: UnsafeMutableRawPointer, length: UInt32) {
        var be = length.bigEndian
        withUnsafeBytes(of: &be) { base.copyMemory(from: $0.baseAddress!, byteCount: 4) }
    }

    /// Where the unacknowledged records after `after` are (at most `limit`); read them with `read(_:)`.
    public func plan(after: UInt64 = 0, limit: Int) -> Plan {
        var start = indexStart
        if start < index.count, after >= index[start].seq {
            // Sequence numbers in the index are consecutive.
            start += Int(after - index[start].seq) + 1
        }
        start = min(start, index.count)
        let slice = index[start..<min(index.count, start + limit)]
        return Plan(first: slice.first?.seq ?? max(after, acknowledged) + 1, entries: slice.map { ($0.offset, $0.length) })
    }

    /// Reads planned records, one array each. Safe without the caller's lock: unacknowledged
    /// bytes never move.
    public func read(_ plan: Plan) throws -> [[UInt8]] {
        let all = try readContiguous(plan)
        return all.ranges.map { Array(all.bytes[$0]) }
    }

    /// Reads planned records into one buffer with one `pread` per contiguous stretch of the file
    /// (normally one); `ranges` locate each record in `bytes`. Safe without the caller's lock.
    public func readContiguous(_ plan: Plan) throws -> (bytes: [UInt8], ranges: [Range<Int>]) {
        var bytes: [UInt8] = []
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(plan.entries.count)
        var i = 0
        while i < plan.entries.count {
            // A run: records that follow each other in the file.
            var j = i
            while j + 1 < plan.entries.count,
                  plan.entries[j + 1].offset == plan.entries[j].offset + Int64(plan.entries[j].length + AuditSpool.headerSize) { j += 1 }
            let from = plan.entries[i].offset
            let count = Int(plan.entries[j].offset - from) + plan.entries[j].length
            let base = bytes.count
            bytes.append(contentsOf: repeatElement(0, count: count))
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + base, count, off_t(from)) }
            guard n == count else { throw Failure.io("short read in \(path)") }
            for k in i...j {
                let start = base + Int(plan.entries[k].offset - from)
                ranges.append(start..<(start + plan.entries[k].length))
            }
            i = j + 1
        }
        return (bytes, ranges)
    }

    /// Unacknowledged records from the oldest, at most `limit`.
    public func pending(limit: Int) throws -> (first: UInt64, records: [[UInt8]]) {
        let p = plan(limit: limit)
        return (p.first, try read(p))
    }

    /// The writer made everything through `seq` durable: forget those records. The mark is
    /// persisted by `persistAcknowledged()` (the delivery calls it now and then), and always
    /// before the file is emptied, so sequence numbers are never reused.
    public func acknowledge(through seq: UInt64) throws {
        guard seq > acknowledged else { return }
        acknowledged = min(seq, nextSeq - 1)
        while indexStart < index.count, index[indexStart].seq <= acknowledged { indexStart += 1 }
        if indexStart == index.count {
            index.removeAll(keepingCapacity: true)
            indexStart = 0
            if end >= AuditSpool.compactAt {
                // The mark first: a crash after the restart of the file must not reuse numbers.
                try persistAcknowledged()
                if mappedSize <= AuditSpool.growth {
                    memset(mapping!, 0, AuditSpool.headerSize)
                    end = 0
                } else {
                    // It grew during an outage: give the space back.
                    if let mapping { munmap(mapping, mappedSize) }
                    mapping = nil
                    mappedSize = 0
                    if ftruncate(fd, 0) == 0 { end = 0 }
                    try ensureMapped(AuditSpool.headerSize)
                }
            }
        } else if indexStart > 4_096 {
            index.removeFirst(indexStart)
            indexStart = 0
        }
    }
}
