import ArgumentParser
import Dispatch
import Logging
import PramagentAuditServer
import PramagentSystem
#if canImport(Glibc)
import Glibc
#endif

@main
struct AuditDaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pramagent-auditd",
        abstract: "The pramagent audit writer: the only writer of the hash-chained audit database.",
        discussion: """
        Accepts AuditAppend batches (proto/pramagent/v1/audit.proto, same framing as the decision \
        socket) from its own uid and the uids/gids given with --allow-uid/--allow-gid (peer \
        credentials); anyone else is refused and logged. Each batch is answered with an AuditAck \
        once its records are durable (SQLite WAL, synchronous=FULL, one transaction for all \
        batches queued meanwhile). Records resent after a crash are stored once. SIGTERM commits \
        what is queued and exits 0. Verify a database with `pramagentctl audit verify DB`.
        """)

    @Option(help: "Audit database file (created if missing).") var db = "/var/lib/pramagent/audit.db"
    @Option(help: "Socket for producers.") var socket = "/run/pramagent/audit.sock"
    @Option(name: .customLong("socket-mode"), help: "Octal file mode of the socket.") var socketMode = "660"
    @Option(name: .customLong("socket-group"), help: "Group that owns the socket.") var socketGroup: String?
    @Option(name: .customLong("allow-uid"), help: "A uid allowed to write records (repeatable).") var allowUIDs: [UInt32] = []
    @Option(name: .customLong("allow-gid"), help: "A gid allowed to write records (repeatable).") var allowGIDs: [UInt32] = []
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.") var logLevel = "info"

    func validate() throws {
        guard let mode = UInt32(socketMode, radix: 8), mode <= 0o777 else { throw ValidationError("--socket-mode must be octal, e.g. 660") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
    }

    func run() async throws {
        StderrLogHandler.bootstrap(level: logLevel)
        let logger = Logger(label: "pramagent-auditd")
        signal(SIGPIPE, SIG_IGN)
        var config = AuditServerConfiguration()
        config.databasePath = db
        config.socketPath = socket
        config.socketMode = UInt32(socketMode, radix: 8)!
        config.socketGroup = socketGroup
        config.allowedUIDs = Set(allowUIDs)
        config.allowedGIDs = Set(allowGIDs)
        let server: AuditServer
        do {
            server = try AuditServer(configuration: config, logger: logger)
            try await server.start()
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)", "db": "\(db)", "socket": "\(socket)"])
            throw ExitCode(1)
        }
        logger.info("ready", metadata: ["db": "\(db)", "socket": "\(socket)", "pid": "\(getpid())"])
        let stopped = DispatchSemaphore(value: 0)
        let queue = DispatchQueue(label: "signals")
        var sources: [any DispatchSourceSignal] = []
        for s in [SIGTERM, SIGINT] {
            signal(s, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: s, queue: queue)
            source.setEventHandler { stopped.signal() }
            source.resume()
            sources.append(source)
        }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async { stopped.wait(); c.resume() }
        }
        await server.shutdown()
        logger.info("stopped", metadata: ["commits": "\(server.committer.commits.load(ordering: .relaxed))"])
        sources.forEach { $0.cancel() }
    }
}
