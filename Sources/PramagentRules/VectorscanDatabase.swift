import CVectorscan
import Foundation
import Synchronization

/// A compiled Vectorscan block-mode database: many patterns, one linear-time pass.
final class VectorscanDatabase: @unchecked Sendable {
    let database: OpaquePointer

    /// Compiles `patterns`; pattern `i` reports id `i`. Throws the index and message of the
    /// first pattern Vectorscan rejects.
    init(patterns: [String], flags: [UInt32]) throws(PatternError) {
        _ = HugePageMemory.installed
        let cStrings = patterns.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        var expressions: [UnsafePointer<CChar>?] = cStrings.map { UnsafePointer($0) }
        var ids = (0..<patterns.count).map { UInt32($0) }
        var flagList = flags
        var db: OpaquePointer?
        var error: UnsafeMutablePointer<hs_compile_error_t>?
        var platform = VectorscanRuntime.choice.platform
        let rc = expressions.withUnsafeMutableBufferPointer { e in
            flagList.withUnsafeMutableBufferPointer { f in
                ids.withUnsafeMutableBufferPointer { i in
                    hs_compile_multi(e.baseAddress, f.baseAddress, i.baseAddress, UInt32(patterns.count),
                                     UInt32(HS_MODE_BLOCK), &platform, &db, &error)
                }
            }
        }
        guard rc == HS_SUCCESS, let db else {
            let message = error.map { String(cString: $0.pointee.message) } ?? "compile failed (\(rc))"
            let index = error.map { Int($0.pointee.expression) } ?? -1
            if let error { hs_free_compile_error(error) }
            throw PatternError(index: index, message: message)
        }
        database = db
    }

    /// Restores a database written by `serialized()` (nil when it does not fit this CPU or library).
    init?(serialized bytes: [UInt8]) {
        _ = HugePageMemory.installed
        var db: OpaquePointer?
        let rc = bytes.withUnsafeBufferPointer { b in
            b.withMemoryRebound(to: CChar.self) { hs_deserialize_database($0.baseAddress, $0.count, &db) }
        }
        guard rc == HS_SUCCESS, let db else { return nil }
        database = db
    }

    func serialized() -> [UInt8]? {
        var bytes: UnsafeMutablePointer<CChar>?
        var length = 0
        guard hs_serialize_database(database, &bytes, &length) == HS_SUCCESS, let bytes else { return nil }
        defer { free(bytes) }
        return [UInt8](UnsafeRawBufferPointer(start: bytes, count: length))
    }

    deinit { hs_free_database(database) }

    /// Bytes of the compiled database (what a scan reads besides the text and scratch).
    var size: Int {
        var n = 0
        return hs_database_size(database, &n) == HS_SUCCESS ? n : 0
    }

    /// Compiles one pattern alone; the error message when it does not compile. Used on the error
    /// path of a multi-pattern compile to name the exact pattern.
    static func compileError(_ pattern: String, flags: UInt32) -> String? {
        _ = HugePageMemory.installed
        var db: OpaquePointer?
        var error: UnsafeMutablePointer<hs_compile_error_t>?
        var platform = VectorscanRuntime.choice.platform
        let rc = hs_compile(pattern, flags, UInt32(HS_MODE_BLOCK), &platform, &db, &error)
        if let db { hs_free_database(db) }
        guard rc == HS_SUCCESS else {
            let message = error.map { String(cString: $0.pointee.message) } ?? "compile failed (\(rc))"
            if let error { hs_free_compile_error(error) }
            return message
        }
        return nil
    }

    /// The longest match `pattern` can produce, or nil when unbounded or unknown.
    static func maxWidth(_ pattern: String, flags: UInt32) -> Int? {
        var info: UnsafeMutablePointer<hs_expr_info_t>?
        var error: UnsafeMutablePointer<hs_compile_error_t>?
        guard hs_expression_info(pattern, flags, &info, &error) == HS_SUCCESS, let info else {
            if let error { hs_free_compile_error(error) }
            return nil
        }
        defer { free(info) }
        let width = info.pointee.max_width
        return width == UInt32.max ? nil : Int(width)
    }

    struct PatternError: Error {
        var index: Int
        var message: String
    }
}

/// Collects matches during one scan. Matches beyond `limit` stop the scan (`truncated`).
final class MatchCollector {
    var hits: [(id: UInt32, from: Int, to: Int)] = []
    var limit: Int
    var truncated = false
    init(limit: Int) { self.limit = limit }
}

/// Scratch spaces that fit every database of a rule set; one per concurrent scan.
final class ScratchPool: @unchecked Sendable {
    private let prototype: OpaquePointer
    private struct Scratch: @unchecked Sendable { let pointer: OpaquePointer }
    private let free = Mutex<[Scratch]>([])

    init(databases: [VectorscanDatabase]) throws(VectorscanDatabase.PatternError) {
        var scratch: OpaquePointer?
        for db in databases {
            guard hs_alloc_scratch(db.database, &scratch) == HS_SUCCESS else {
                throw VectorscanDatabase.PatternError(index: -1, message: "cannot allocate Vectorscan scratch space")
            }
        }
        guard let scratch else { throw VectorscanDatabase.PatternError(index: -1, message: "no databases") }
        prototype = scratch
    }

    deinit {
        hs_free_scratch(prototype)
        for s in free.withLock({ $0 }) { hs_free_scratch(s.pointer) }
    }

    func withScratch<T>(_ body: (OpaquePointer) -> T) -> T {
        var scratch = free.withLock { $0.popLast()?.pointer }
        if scratch == nil {
            var clone: OpaquePointer?
            if hs_clone_scratch(prototype, &clone) == HS_SUCCESS { scratch = clone }
        }
        guard let scratch else { fatalError("Vectorscan could not allocate scratch space") }
        defer { free.withLock { $0.append(Scratch(pointer: scratch)) } }
        return body(scratch)
    }
}

extension VectorscanDatabase {
    /// Scans `bytes`, appending (pattern id, from, to) to `collector`. Linear in `bytes.count`.
    func scan(_ bytes: [UInt8], scratch: OpaquePointer, into collector: MatchCollector) {
        bytes.withUnsafeBufferPointer { scan($0, scratch: scratch, into: collector) }
    }

    /// Scans the bytes at `b` (with the routine `VectorscanRuntime` chose).
    func scan(_ b: UnsafeBufferPointer<UInt8>, scratch: OpaquePointer, into collector: MatchCollector) {
        guard !b.isEmpty else { return }
        let onMatch: match_event_handler = { id, from, to, _, context in
            let c = Unmanaged<MatchCollector>.fromOpaque(context!).takeUnretainedValue()
            if c.hits.count >= c.limit { c.truncated = true; return 1 }
            c.hits.append((id, Int(from), Int(to)))
            return 0
        }
        b.withMemoryRebound(to: CChar.self) { c in
            _ = VectorscanRuntime.choice.scan(database, c.baseAddress, UInt32(c.count), 0, scratch, onMatch,
                                              Unmanaged.passUnretained(collector).toOpaque())
        }
    }
}
