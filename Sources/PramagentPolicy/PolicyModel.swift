import JSONSchema
import Synchronization

/// Process-wide small integers for tool names, so session history holds no strings.
/// Only names that appear in compiled policies are interned, so the table stays small.
public enum ToolIdentifiers {
    private static let table = Mutex<[String: Int32]>([:])

    public static func id(for name: String) -> Int32 {
        table.withLock { t in
            if let id = t[name] { return id }
            let id = Int32(t.count)
            t[name] = id
            return id
        }
    }
}

/// Side-effect taxonomy, in rising severity.
public enum SideEffect: String, Sendable, CaseIterable, Comparable {
    case read
    case compute
    case meteredCompute = "metered_compute"
    case write
    case configChange = "config_change"
    case externalMessage = "external_message"
    case payment
    case destructive

    public var rank: Int { SideEffect.allCases.firstIndex(of: self)! }
    public static func < (a: SideEffect, b: SideEffect) -> Bool { a.rank < b.rank }
}

/// A verdict the policy can prescribe. Ordered by restrictiveness: allow < escalate < block.
public enum PolicyVerdict: String, Sendable, Comparable {
    case allow
    case escalate
    case block

    private var rank: Int {
        switch self {
        case .allow: return 0
        case .escalate: return 1
        case .block: return 2
        }
    }
    public static func < (a: PolicyVerdict, b: PolicyVerdict) -> Bool { a.rank < b.rank }
}

/// Where something was written: file and 1-based line and column.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public init(file: String, line: Int, column: Int) { self.file = file; self.line = line; self.column = column }
    public var description: String { "\(file):\(line):\(column)" }
}

/// A tool as compiled into a snapshot.
public struct ToolPolicy: Sendable {
    public let name: String
    /// `ToolIdentifiers.id(for: name)`.
    public let id: Int32
    public let sideEffect: SideEffect
    public let action: PolicyVerdict
    /// Tenants that may use the tool; nil means every tenant (`["*"]`).
    public let tenants: Set<String>?
    /// Allowed operations; nil when the tool does not restrict them.
    public let operations: Set<String>?
    /// The compiled argument schema; nil when the tool has none (any JSON object is accepted).
    public let schema: JSONSchemaValidator?
    /// Maximum calls of this tool per session.
    public let maxCallsPerSession: Int?
    public let location: SourceLocation
}

/// One element of a dangerous chain.
public enum ChainStep: Sendable, Hashable, CustomStringConvertible {
    /// A call whose side effect is exactly this one.
    case sideEffect(SideEffect)
    /// A call whose side effect is this one or more severe (`>=write`).
    case atLeast(SideEffect)
    /// A call of this tool (`tool:NAME`); `id` is `ToolIdentifiers.id(for: name)`.
    case tool(name: String, id: Int32)
    /// A tool result reported in the session was found to carry injected instructions (`tainted`).
    case tainted

    /// The pseudo tool id a taint event has in session history (matched only by `.tainted`).
    public static let taintEventID: Int32 = -1

    /// A `tool:NAME` step.
    public static func tool(_ name: String) -> ChainStep { .tool(name: name, id: ToolIdentifiers.id(for: name)) }

    public func matches(toolID: Int32, sideEffect: SideEffect) -> Bool {
        if toolID == ChainStep.taintEventID { return self == .tainted }
        switch self {
        case .tainted: return false
        case .sideEffect(let s): return s == sideEffect
        case .atLeast(let s): return sideEffect >= s
        case .tool(_, let id): return id == toolID
        }
    }

    public var description: String {
        switch self {
        case .sideEffect(let s): return s.rawValue
        case .atLeast(let s): return ">=" + s.rawValue
        case .tool(let t, _): return "tool:" + t
        case .tainted: return "tainted"
        }
    }
}

/// A sequence of calls in one session that together are dangerous.
public struct ChainPolicy: Sendable {
    public let name: String
    public let steps: [ChainStep]
    public let verdict: PolicyVerdict
    /// Only calls within this many seconds of the completing call count; nil means the whole history.
    public let withinSeconds: Double?
    public let description: String
    public let location: SourceLocation
}

/// Per-tenant limits.
public struct TenantPolicy: Sendable {
    public let name: String
    /// Token bucket: sustained calls per second and burst size; nil means unlimited.
    public let ratePerSecond: Double?
    public let burst: Double
    /// Fixed-window quota: at most `quotaCalls` per `quotaWindowSeconds`; nil means unlimited.
    public let quotaCalls: Int?
    public let quotaWindowSeconds: Double
}

/// Defaults that apply to the whole bundle.
public struct PolicyDefaults: Sendable {
    /// Verdict for a tool the policy does not know.
    public var unknownTool: PolicyVerdict = .block
    /// Limits for parsing `arguments_json`.
    public var argumentLimits = JSONLimits(maxBytes: 64 << 10, maxDepth: 32, maxStringBytes: 32 << 10,
                                           maxContainerCount: 1_000, maxNumberLength: 100)
    /// Sessions idle this long are forgotten.
    public var sessionIdleSeconds: Double = 3_600
    /// Most sessions tracked at once; new sessions beyond it are blocked (fail closed).
    public var maxSessions = 100_000
    /// Calls remembered per session for chain detection.
    public var sessionHistory = 64
    /// Assert JSON Schema `format` in tool schemas.
    public var assertFormats = false

    public init() {}
}

/// Unix identities mapped to the tenants they may speak for.
public struct CallerTable: Sendable {
    public struct Grant: Sendable {
        /// nil means every tenant ("*").
        public var tenants: Set<String>?
    }
    public var byUID: [UInt32: Grant] = [:]
    public var byGID: [UInt32: Grant] = [:]

    public init() {}

    /// Tenants a caller may speak for: the union of its uid's and gid's grants.
    public func mayActFor(uid: UInt32, gid: UInt32, tenant: String) -> Bool {
        for grant in [byUID[uid], byGID[gid]] {
            guard let grant else { continue }
            guard let tenants = grant.tenants else { return true }
            if tenants.contains(tenant) { return true }
        }
        return false
    }

    public func isKnown(uid: UInt32, gid: UInt32) -> Bool { byUID[uid] != nil || byGID[gid] != nil }
}

/// An immutable, compiled policy bundle. Requests finish on the snapshot they started with.
public final class PolicySnapshot: Sendable {
    /// SHA-256 (hex) of the bundle's files.
    public let version: String
    public let tools: [String: ToolPolicy]
    public let tenants: [String: TenantPolicy]
    public let callers: CallerTable
    public let chains: [ChainPolicy]
    public let defaults: PolicyDefaults
    /// The files that made up the bundle, relative to its directory.
    public let files: [String]
    /// Text and argument scanning; nil when the bundle has no `scanning` section.
    public let scanning: ScanningPolicy?

    public init(version: String, tools: [String: ToolPolicy], tenants: [String: TenantPolicy], callers: CallerTable,
                chains: [ChainPolicy], defaults: PolicyDefaults, files: [String], scanning: ScanningPolicy? = nil) {
        self.scanning = scanning
        self.version = version
        self.tools = tools
        self.tenants = tenants
        self.callers = callers
        self.chains = chains
        self.defaults = defaults
        self.files = files
    }
}
