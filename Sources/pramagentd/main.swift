import ArgumentParser
import Dispatch
import Logging
import Foundation
import PramagentAudit
import PramagentDaemon
import PramagentRules
import PramagentDecision
import PramagentSystem
#if canImport(Glibc)
import Glibc
#endif

@main
struct PramagentDaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pramagentd",
        abstract: "The pramagent decision daemon: answers ALLOW, BLOCK or ESCALATE for agent tool calls.",
        discussion: """
        Agents connect to the decision socket and send length-prefixed pramagent.v1.Request messages \
        (see docs/protocol.md). Operators use the admin socket (pramagentctl status / reload). \
        Callers are identified by their unix peer credentials, never by what they claim.

        Signals: SIGHUP reloads the policy directory (a bundle that fails to compile is rejected and the \
        previous one keeps serving); SIGTERM and SIGINT stop accepting, answer what was already received, \
        and exit 0.
        """)

    @Option(help: "Decision socket for agents.")
    var socket = "/run/pramagent/decision.sock"

    @Option(name: .customLong("admin-socket"), help: "Admin socket for operators.")
    var adminSocket = "/run/pramagent/admin.sock"

    @Option(help: "Policy directory: its top-level *.yaml files form the bundle.")
    var policies = "/etc/pramagent/policies"

    @Option(name: .customLong("state-dir"), help: "State directory (created if missing).")
    var stateDir = "/var/lib/pramagent"

    @Option(name: .customLong("socket-mode"), help: "Octal file mode of the decision socket.")
    var socketMode = "660"

    @Option(name: .customLong("socket-group"), help: "Group that owns the decision socket (agents in it may connect).")
    var socketGroup: String?

    @Option(name: .customLong("admin-socket-mode"), help: "Octal file mode of the admin socket.")
    var adminSocketMode = "600"

    @Option(name: .customLong("admin-socket-group"), help: "Group that owns the admin socket (operators in it may connect).")
    var adminSocketGroup: String?

    @Option(name: .customLong("max-frame"), help: "Largest accepted frame in bytes.")
    var maxFrame = 1 << 20

    @Option(name: .customLong("max-connections"), help: "Connections accepted at once, per socket.")
    var maxConnections = 4096

    @Option(help: "Event loop threads (0: one per core).")
    var threads = 0

    @Option(name: .customLong("audit-socket"), help: ArgumentHelp(
        "Socket of pramagent-auditd. Decisions are spooled in STATE-DIR/audit.spool and delivered there; a write-class ALLOW is answered only once its record is durable. Without it, decisions are not recorded.",
        valueName: "PATH"))
    var auditSocket: String?

    @Option(name: .customLong("audit-timeout-ms"), help: "How long a write-class ALLOW waits for its durable record before it becomes BLOCK audit_unavailable.")
    var auditTimeoutMs = 1000

    @Option(name: .customLong("spool-capacity"), help: "Records kept while the audit writer is unreachable; beyond it every decision is BLOCK audit_unavailable.")
    var spoolCapacity = 100_000

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    func validate() throws {
        for (name, value) in [("--socket-mode", socketMode), ("--admin-socket-mode", adminSocketMode)] {
            guard let mode = UInt32(value, radix: 8), mode <= 0o777 else { throw ValidationError("\(name) must be an octal mode such as 660") }
        }
        guard maxFrame >= 16 else { throw ValidationError("--max-frame must be at least 16") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
    }

    func run() async throws {
        StderrLogHandler.bootstrap(level: logLevel)
        let logger = Logger(label: "pramagentd")
        var config = DaemonConfiguration()
        config.decisionSocket = socket
        config.adminSocket = adminSocket
        config.policiesDirectory = policies
        config.stateDirectory = stateDir
        config.decisionSocketMode = UInt32(socketMode, radix: 8)!
        config.adminSocketMode = UInt32(adminSocketMode, radix: 8)!
        config.decisionSocketGroup = socketGroup
        config.adminSocketGroup = adminSocketGroup
        config.maxFrameSize = maxFrame
        config.maxConnections = maxConnections
        config.threads = threads
        mkdir(stateDir, 0o750)
        // Compiled rule databases survive restarts here (compiling the built-in corpora takes seconds).
        DatabaseCache.directory = ProcessInfo.processInfo.environment["PRAMAGENT_RULES_CACHE"]
            ?? (stateDir as NSString).appendingPathComponent("rules-cache")
        signal(SIGPIPE, SIG_IGN)

        config.auditTimeoutSeconds = Double(auditTimeoutMs) / 1000
        let started = DispatchTime.now()
        var delivery: AuditDelivery? = nil
        var sink: any AuditSink = DiscardingAuditSink()
        if let auditSocket {
            do {
                let spool = try AuditSpool(path: (stateDir as NSString).appendingPathComponent("audit.spool"), capacity: spoolCapacity)
                let d = AuditDelivery(spool: spool, socketPath: auditSocket)
                d.start()
                delivery = d
                sink = SpoolingAuditSink(delivery: d)
                logger.info("auditing", metadata: ["audit_socket": "\(auditSocket)", "producer": "\(spool.producerID)",
                                                   "spooled": "\(spool.pendingCount)"])
            } catch {
                logger.critical("cannot open the audit spool", metadata: ["error": "\(error)", "state_dir": "\(stateDir)"])
                throw ExitCode(1)
            }
        } else {
            logger.warning("no --audit-socket: decisions are not recorded")
        }
        let daemon = Daemon(configuration: config, audit: sink, logger: logger)
        do {
            try await daemon.start()
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        let readyMillis = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e6
        logger.info("ready", metadata: ["startup_ms": "\(Int(readyMillis))", "pid": "\(getpid())"])

        let signals = SignalHandlers()
        signals.on(SIGHUP) { daemon.reload(reason: "SIGHUP") }
        let stop: @Sendable () -> Void = { Task { await daemon.shutdown() } }
        signals.on(SIGTERM, stop)
        signals.on(SIGINT, stop)
        await daemon.waitUntilStopped()
        if let delivery {
            // Give the writer a moment to take what is spooled; the rest waits in the spool.
            for _ in 0..<40 where delivery.pendingCount > 0 { try? await Task.sleep(for: .milliseconds(50)) }
            delivery.stop()
        }
        signals.cancel()
    }
}

/// Signal handling through Dispatch sources (the default actions are disabled first).
final class SignalHandlers: @unchecked Sendable {
    private var sources: [any DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "pramagentd.signals")

    func on(_ signalNumber: Int32, _ body: @escaping @Sendable () -> Void) {
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
        source.setEventHandler(handler: body)
        source.resume()
        sources.append(source)
    }

    func cancel() { sources.forEach { $0.cancel() } }
}
