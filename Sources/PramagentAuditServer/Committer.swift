import Foundation
import Logging
import NIOCore
import PramagentAudit
import Synchronization

/// Group commit on the writer's event loop, the only place that touches the audit database:
/// the batches decoded during one turn of the loop (from every connection) are committed at
/// the end of that turn in one transaction with one fsync. While a commit runs, new batches
/// wait in the socket buffers and form the next group. No thread hand-off on the way from the
/// socket to the disk and back.
public final class Committer: @unchecked Sendable {
    public struct Outcome: Sendable {
        public var durableProducerSeq: UInt64
        public var headSeq: UInt64
        public var headHash: [UInt8]
        /// Non-empty when the records could not be made durable.
        public var error: String
    }

    private struct Work {
        var batch: AuditStore.Batch
        var done: (Outcome) -> Void
    }

    // Confined to `loop` (checked): the store, the queue and the flags.
    private let store: AuditStore
    private let loop: any EventLoop
    private var pending: [Work] = []
    private var scheduled = false
    private var stopped = false
    private let logger: Logger
    /// Commits done (for logs and tests).
    public let commits = Atomic<Int>(0)

    /// Opens the database. Throws when it cannot be opened.
    public init(path: String, loop: any EventLoop, logger: Logger) throws {
        self.logger = logger
        self.loop = loop
        store = try AuditStore(path: path)
    }

    /// Queues a batch for the commit at the end of this turn of the loop; `done` runs on the loop.
    func submit(_ batch: AuditStore.Batch, done: @escaping (Outcome) -> Void) {
        loop.preconditionInEventLoop()
        guard !stopped else {
            done(Outcome(durableProducerSeq: 0, headSeq: 0, headHash: [], error: "the audit writer is stopping"))
            return
        }
        pending.append(Work(batch: batch, done: done))
        if !scheduled {
            scheduled = true
            // Runs after the reads of this turn: every connection's batches join one commit.
            loop.execute { self.commitPending() }
        }
    }

    /// Commits what is queued; later submissions are refused.
    public func stop() async {
        try? await loop.submit {
            self.commitPending()
            self.stopped = true
        }.get()
    }

    private func commitPending() {
        scheduled = false
        guard !pending.isEmpty else { return }
        let work = pending
        pending = []
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
