import CVectorscan
import Foundation
import PramagentCrypto
import Synchronization

/// Compiled Vectorscan databases, reused within the process and across restarts. Compiling the
/// built-in corpora takes tens of seconds (bounded gaps between words are expensive), loading a
/// serialized database about a millisecond. Keyed by SHA-256 of the library version, the CPU
/// platform, every pattern and its flags; a file that does not deserialize is recompiled.
public enum DatabaseCache {
    private static let memory = Mutex<[String: [UInt8]]>([:])
    private static let directoryBox = Mutex<String?>(defaultDirectory())

    /// Where serialized databases are kept (nil: memory only). The daemon sets `<state-dir>/rules-cache`.
    public static var directory: String? {
        get { directoryBox.withLock { $0 } }
        set { directoryBox.withLock { $0 = newValue } }
    }

    /// A private per-user directory under the temporary directory.
    static func defaultDirectory() -> String? {
        let base = ProcessInfo.processInfo.environment["PRAMAGENT_RULES_CACHE"]
            ?? (NSTemporaryDirectory() as NSString).appendingPathComponent("pramagent-rules-cache-\(getuid())")
        return base.isEmpty ? nil : base
    }

    static func key(patterns: [String], flags: [UInt32]) -> String {
        var bytes = Array(String(cString: hs_version()).utf8) + [0]
        let platform = VectorscanRuntime.choice.platform
        bytes += Array("\(platform.tune)/\(platform.cpu_features)".utf8) + [0]
        for (p, f) in zip(patterns, flags) { bytes += Array(p.utf8) + [0] + Array(String(f).utf8) + [0] }
        return SHA256.hash(bytes).hexString
    }

    /// The cached database for this pattern set and the widths of its patterns compiled without
    /// start-of-match tracking, or nil. Entry layout: u32 count, count x i32 width (-1: none), database.
    static func load(_ key: String, patternCount: Int) -> (VectorscanDatabase, [Int?])? {
        var bytes = memory.withLock { $0[key] }
        if bytes == nil, let dir = trustedDirectory(create: false) {
            let path = (dir as NSString).appendingPathComponent(key + ".hsdb")
            bytes = FileManager.default.contents(atPath: path).map { [UInt8]($0) }
        }
        guard let bytes, bytes.count > 4 else { return nil }
        func u32(_ at: Int) -> UInt32 { bytes[at..<at + 4].reduce(0) { $0 << 8 | UInt32($1) } }
        let count = Int(u32(0))
        let header = 4 + 4 * count
        guard count == patternCount, bytes.count > header else { return nil }
        let widths: [Int?] = (0..<count).map { i in
            let w = Int32(bitPattern: u32(4 + 4 * i))
            return w < 0 ? nil : Int(w)
        }
        guard let db = VectorscanDatabase(serialized: Array(bytes[header...])) else { return nil }
        memory.withLock { table in
            if table.count >= 32 { table.removeAll() }
            table[key] = bytes
        }
        return (db, widths)
    }

    static func store(_ key: String, _ db: VectorscanDatabase, widths: [Int?]) {
        guard let serialized = db.serialized() else { return }
        var bytes: [UInt8] = []
        func put(_ v: UInt32) { bytes += [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        put(UInt32(widths.count))
        for w in widths { put(UInt32(bitPattern: Int32(w ?? -1))) }
        bytes += serialized
        memory.withLock { table in
            if table.count >= 32 { table.removeAll() }
            table[key] = bytes
        }
        guard let dir = trustedDirectory(create: true) else { return }
        let path = (dir as NSString).appendingPathComponent(key + ".hsdb")
        let tmp = path + ".\(getpid()).tmp"
        if FileManager.default.createFile(atPath: tmp, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) {
            if rename(tmp, path) != 0 { unlink(tmp) }
        }
    }

    /// The cache directory if it is ours and private (a database planted by someone else could
    /// make scans miss); created with mode 0700 when asked.
    static func trustedDirectory(create: Bool) -> String? {
        guard let dir = directory else { return nil }
        var info = stat()
        if stat(dir, &info) != 0 {
            guard create, mkdir(dir, 0o700) == 0 || errno == EEXIST, stat(dir, &info) == 0 else { return nil }
        }
        guard info.st_uid == getuid(), info.st_mode & 0o022 == 0, (info.st_mode & S_IFMT) == S_IFDIR else { return nil }
        return dir
    }
}
