import Foundation
import Logging
import PramagentAudit
import Synchronization

/// The only thread that touches the audit database. Appends queued while a commit runs are
/// committed together in the next transaction (group commit: one fsync for many records).
public final class Committer: Sendable {
    public struct Outcome: Sendable {
        public var durableProducerSeq: UInt64
        public var headSeq: UInt64
        public var headHash: [UInt8]
        /// Non-empty when the records could not be made durable.
        public var error: String
    }

    private struct Work: @unchecked Sendable {
        var batch: AuditStore.Batch
        var done: @Sendable (Outcome) -> Void
    }

    private let queue = Mutex<(work: [Work], stopping: Bool)>(([], false))
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let logger: Logger
    /// Commits done and records written (for logs and tests).
    public let commits = Atomic<Int>(0)

    /// Opens the database and starts the commit thread. Throws when the database cannot be opened.
    public init(path: String, logger: Logger) throws {
        self.logger = logger
        let store = try AuditStore(path: path)
        let box = StoreBox(store: store)
        let thread = Thread { [self] in self.run(box) }
        thread.name = "audit-committer"
        thread.start()
    }

    /// Not Sendable by itself; only the committer thread uses it.
    private final class StoreBox: @unchecked Sendable {
        let store: AuditStore
        init(store: AuditStore) { self.store = store }
    }

    public func submit(_ batch: AuditStore.Batch, done: @escaping @Sendable (Outcome) -> Void) {
        let accepted = queue.withLock { q -> Bool in
            if q.stopping { return false }
            q.work.append(Work(batch: batch, done: done))
            return true
        }
        if accepted { wake.signal() } else {
            done(Outcome(durableProducerSeq: 0, headSeq: 0, headHash: [], error: "the audit writer is stopping"))
        }
    }

    /// Commits what is queued, then stops the thread.
    public func stop() {
        queue.withLock { $0.stopping = true }
        wake.signal()
        finished.wait()
    }

    private func run(_ box: StoreBox) {
        let store = box.store
        while true {
            wake.wait()
            let (work, stopping) = queue.withLock { q -> ([Work], Bool) in
                defer { q.work = [] }
                return (q.work, q.stopping)
            }
            if !work.isEmpty { commit(work, store) }
            if stopping && queue.withLock({ $0.work.isEmpty }) { break }
        }
        finished.signal()
    }

    private func commit(_ work: [Work], _ store: AuditStore) {
        do {
            let marks = try store.append(work.map(\.batch))
            commits.add(1, ordering: .relaxed)
            for item in work {
                item.done(Outcome(durableProducerSeq: marks[item.batch.producer] ?? 0, headSeq: store.headSeq,
                                  headHash: store.headHash, error: ""))
            }
        } catch {
            logger.error("audit commit failed; records are not acknowledged", metadata: ["error": "\(error)", "batches": "\(work.count)"])
            for item in work {
                item.done(Outcome(durableProducerSeq: store.durable[item.batch.producer] ?? 0, headSeq: store.headSeq,
                                  headHash: store.headHash, error: "\(error)"))
            }
        }
    }
}
