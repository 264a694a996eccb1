import Logging
import PramagentDecision
import PramagentPolicy
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Loads and reloads the policy bundle; remembers what `status` reports.
public final class PolicyService: Sendable {
    public struct Report: Sendable {
        public var lastError: String = ""
        public var loadedAt: UInt64 = 0
        public var reloadsOK: UInt64 = 0
        public var reloadsFailed: UInt64 = 0
    }

    public struct ReloadOutcome: Sendable {
        public var ok: Bool
        public var version: String
        public var error: String
        public var tools: Int
        public var durationMicros: UInt64
    }

    let directory: String
    let engine: DecisionEngine
    private let logger: Logger
    private let state = Mutex(Report())
    /// Reloads are serialised: one compiles at a time.
    private let reloadLock = Mutex(())
    /// Compiled schemas survive reloads; only changed ones are compiled again.
    private let compileCache = CompileCache()

    public init(directory: String, engine: DecisionEngine, logger: Logger) {
        self.directory = directory
        self.engine = engine
        self.logger = logger
    }

    public var report: Report { state.withLock { $0 } }

    /// Compiles the directory and installs it if it compiles; otherwise the old snapshot keeps serving.
    @discardableResult
    public func reload(reason: String) -> ReloadOutcome {
        reloadLock.withLock { _ in
            let start = SystemClock().monotonicSeconds()
            do {
                let snapshot = try PolicyLoader(cache: compileCache).load(directory: directory)
                let old = engine.snapshot?.version ?? ""
                engine.install(snapshot)
                if !old.isEmpty {
                    engine.audit.recordLifecycle(LifecycleEvent(kind: .policyReload, oldPolicyVersion: old, newPolicyVersion: snapshot.version, detail: reason))
                }
                let micros = UInt64((SystemClock().monotonicSeconds() - start) * 1e6)
                state.withLock {
                    $0.lastError = ""
                    $0.loadedAt = UInt64(time(nil))
                    $0.reloadsOK += 1
                }
                logger.info("policy loaded", metadata: ["version": "\(snapshot.version)", "tools": "\(snapshot.tools.count)",
                                                        "trigger": "\(reason)", "duration_us": "\(micros)", "directory": "\(directory)"])
                return ReloadOutcome(ok: true, version: snapshot.version, error: "", tools: snapshot.tools.count, durationMicros: micros)
            } catch {
                let micros = UInt64((SystemClock().monotonicSeconds() - start) * 1e6)
                let message = "\(error)"
                state.withLock {
                    $0.lastError = message
                    $0.reloadsFailed += 1
                }
                let serving = engine.snapshot?.version ?? ""
                logger.error("policy rejected; previous policy keeps serving", metadata: [
                    "trigger": "\(reason)", "serving": "\(serving.isEmpty ? "none (every call is blocked)" : serving)",
                    "errors": "\(message)",
                ])
                return ReloadOutcome(ok: false, version: serving, error: message, tools: engine.snapshot?.tools.count ?? 0, durationMicros: micros)
            }
        }
    }
}
