import ArgumentParser
import Foundation
import PramagentAudit
import PramagentDaemon
import PramagentDecision
import PramagentPolicy
import PramagentWire
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Latency and throughput figures of one run.
struct BenchStats {
    var label: String
    var requests: Int
    var seconds: Double
    var p50: Double
    var p99: Double
    var p999: Double
    var max: Double
    var wrong: Int
    var failures: Int

    init(label: String, latenciesNanos: [UInt64], seconds: Double, wrong: Int, failures: Int) {
        let sorted = latenciesNanos.sorted()
        func pct(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return .nan }
            return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1000
        }
        self.label = label
        requests = sorted.count
        self.seconds = seconds
        p50 = pct(0.5); p99 = pct(0.99); p999 = pct(0.999)
        max = sorted.last.map { Double($0) / 1000 } ?? .nan
        self.wrong = wrong
        self.failures = failures
    }

    var throughput: Double { seconds > 0 ? Double(requests) / seconds : 0 }

    var line: String {
        String(format: "%-10@ %9d req  %10.0f req/s  p50 %7.1f us  p99 %7.1f us  p999 %7.1f us  max %8.1f us  wrong %d  failed %d",
               label as NSString, requests, throughput, p50, p99, p999, max, wrong, failures)
    }

    var json: String {
        var o = JSONOut()
        o.add("target", label); o.add("requests", requests); o.add("seconds", seconds); o.add("per_second", throughput)
        o.add("p50_us", p50); o.add("p99_us", p99); o.add("p999_us", p999); o.add("max_us", max)
        o.add("wrong", wrong); o.add("failed", failures)
        return o.text
    }
}

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Load generator: latency percentiles and decisions/s against pramagentd (or in process).",
        discussion: """
        Closed loop: each connection keeps --depth requests in flight for --duration seconds (after \
        --warmup seconds that are not counted). A --mix fraction of the calls are well-formed and must be \
        ALLOWed; the rest break the schema and must be BLOCKed; every 64th answer is checked ("wrong"). \
        --floor first measures a minimal echo server over the same kind of socket with the same load, \
        so the figure that matters on a noisy machine is what the daemon adds over that floor. \
        --in-process measures the decision pipeline alone (no socket) on the bundle in --policies. \
        --against SOCKET compares two daemons fairly on a noisy machine: each connection sends one \
        request to --socket, then one to SOCKET, in turn, so both see the same moments of the machine \
        (e.g. the same build with and without --audit-socket); the ratio of their p50s is reported. \
        Pin the daemons and this client to different CPUs (taskset), as scripts/bench-audit-e2e \
        does: unpinned, where threads happen to wake can make two identical daemons differ 2x. \
        Defaults target the shipped policy's lookup_customer tool (read, 5-property schema).
        """)

    @Option(name: .customLong("socket"), help: "Decision socket.") var socketPath = "/run/pramagent/decision.sock"
    @Option(help: "Concurrent connections.") var connections = 1
    @Option(help: "Requests in flight per connection (pipelining depth).") var depth = 1
    @Option(help: "Seconds to measure.") var duration = 5.0
    @Option(help: "Seconds of unmeasured warm-up.") var warmup = 1.0
    @Option(help: "Fraction of calls that should be allowed (the rest are schema violations).") var mix = 1.0
    @Option(help: "Tenant.") var tenant = "demo"
    @Option(help: "Tool.") var tool = "lookup_customer"
    @Option(help: "Arguments of an allowed call.")
    var args = #"{"customer_id":"cus_12345678","fields":["name","plan"],"include_history":false,"history_limit":5,"locale":"en"}"#
    @Option(name: .customLong("blocked-args"), help: "Arguments of a blocked call.")
    var blockedArgs = #"{"customer_id":"nope","history_limit":1000}"#
    @Flag(help: "Also measure the echo-server floor and report what the daemon adds.") var floor = false
    @Flag(name: .customLong("in-process"), help: "Measure the pipeline in process instead of through the socket.") var inProcess = false
    @Option(help: "Policy directory for --in-process.") var policies = "policies"
    @Option(name: .customLong("audit-spool"), help: "With --in-process: a second engine, taking turns with the first, also spools every decision's audit record in this directory (no writer); both are reported.")
    var auditSpool: String?
    @Option(help: "A second decision socket measured interleaved with --socket (depth 1), for an A/B ratio.")
    var against: String?
    @Flag(help: "Print JSON lines instead of a table.") var json = false

    func validate() throws {
        guard connections >= 1, depth >= 1, duration > 0, warmup >= 0, (0...1).contains(mix) else {
            throw ValidationError("connections and depth must be >= 1, duration > 0, mix within 0...1")
        }
        if against != nil, depth != 1 || floor || inProcess {
            throw ValidationError("--against measures at depth 1 and cannot be combined with --floor or --in-process")
        }
    }

    func run() throws {
        if inProcess { return try runInProcess() }
        if let against {
            let pair = try measureInterleaved(paths: [socketPath, against])
            if json {
                for r in pair { print(r.json) }
                var o = JSONOut()
                o.add("p50_ratio", pair[1].p50 / pair[0].p50)
                print(o.text)
            } else {
                print("connections \(connections), interleaved, \(duration) s, mix \(mix) allowed")
                for r in pair { print(r.line) }
                print(String(format: "p50 ratio (second / first): %.3f, p99 ratio %.3f", pair[1].p50 / pair[0].p50, pair[1].p99 / pair[0].p99))
            }
            return
        }
        var results: [BenchStats] = []
        if floor {
            let path = "/tmp/pramagent-echo-\(getpid()).sock"
            let child = try startEchoServer(path)
            defer { kill(child, SIGTERM); var status: Int32 = 0; waitpid(child, &status, 0); unlink(path) }
            results.append(try measure(label: "echo", path: path, verify: false))
        }
        results.append(try measure(label: "pramagentd", path: socketPath, verify: true))
        report(results)
    }

    /// Prints the results; with two, also what the second adds over the first (`added` names it).
    private func report(_ results: [BenchStats], added: String = "added by pramagentd over the echo floor") {
        if json {
            for r in results { print(r.json) }
            if results.count == 2 {
                var o = JSONOut()
                o.add("added_p50_us", results[1].p50 - results[0].p50)
                o.add("added_p99_us", results[1].p99 - results[0].p99)
                print(o.text)
            }
            return
        }
        print("connections \(connections), depth \(depth), \(duration) s, mix \(mix) allowed")
        for r in results { print(r.line) }
        if results.count == 2 {
            print(String(format: "%@: p50 %.1f us, p99 %.1f us", added, results[1].p50 - results[0].p50, results[1].p99 - results[0].p99))
        }
    }

    private func startEchoServer(_ path: String) throws -> pid_t {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(executable), strdup("echo-server"), strdup("--socket"), strdup(path), nil]
        defer { argv.forEach { free($0) } }
        guard posix_spawn(&pid, executable, nil, nil, argv, environ) == 0 else { throw BenchError("cannot start the echo server") }
        for _ in 0..<200 {
            if let s = try? RawSocket.connect(path) { s.close(); return pid }
            usleep(10_000)
        }
        kill(pid, SIGTERM)
        throw BenchError("the echo server did not start")
    }

    /// One pair of request frames per connection (each connection is its own session).
    private func frames(session: String) throws -> (allowed: [UInt8], blocked: [UInt8]) {
        func frame(_ arguments: String) throws -> [UInt8] {
            var r = Pramagent_V1_Request()
            r.requestID = 1
            r.checkToolCall = Pramagent_V1_CheckToolCall.with {
                $0.tenant = tenant; $0.session = session; $0.tool = tool; $0.argumentsJson = arguments
            }
            return try Framing.frame(r)
        }
        return (try frame(args), try frame(blockedArgs))
    }

    private func measure(label: String, path: String, verify: Bool) throws -> BenchStats {
        let sockets = try (0..<connections).map { _ in try RawSocket.connect(path) }
        let start = nowNanos()
        let measureFrom = start + UInt64(warmup * 1e9)
        let end = measureFrom + UInt64(duration * 1e9)
        let results = Mutex<[(latencies: [UInt64], wrong: Int, failures: Int)]>([])
        var threads: [Thread] = []
        for (index, socket) in sockets.enumerated() {
            let depth = self.depth
            let mix = self.mix
            let (allowed, blocked) = try frames(session: "bench-\(getpid())-\(index)")
            let thread = Thread {
                var latencies: [UInt64] = []
                latencies.reserveCapacity(1 << 20)
                var sentAt = [UInt64](repeating: 0, count: depth)
                var expectAllow = [Bool](repeating: true, count: depth)
                var head = 0
                var tail = 0
                var wrong = 0
                var failures = 0
                var counter = index
                var buffer = [UInt8](repeating: 0, count: 4096)
                func send() -> Bool {
                    counter += 1
                    let allow = mix >= 1 || Double(counter % 1000) / 1000 < mix
                    let frame = allow ? allowed : blocked
                    sentAt[tail % depth] = nowNanos()
                    expectAllow[tail % depth] = allow
                    tail += 1
                    return frame.withUnsafeBytes { socket.writeAll($0) }
                }
                for _ in 0..<depth where !send() { failures += 1 }
                while true {
                    guard let length = socket.readFrame(&buffer) else { failures += 1; break }
                    let now = nowNanos()
                    let slot = head % depth
                    head += 1
                    if now >= measureFrom { latencies.append(now - sentAt[slot]) }
                    if verify && head % 64 == 0 {
                        let response = try? Pramagent_V1_Response(serializedBytes: Array(buffer[0..<length]))
                        let verdict = response?.decision.verdict
                        if verdict != (expectAllow[slot] ? .allow : .block) { wrong += 1 }
                    }
                    if now >= end { break }
                    if !send() { failures += 1; break }
                }
                socket.close()
                results.withLock { $0.append((latencies, wrong, failures)) }
            }
            thread.stackSize = 1 << 20
            threads.append(thread)
        }
        threads.forEach { $0.start() }
        while results.withLock({ $0.count }) < sockets.count { usleep(20_000) }
        let seconds = Double(min(nowNanos(), end + 1_000_000_000) - measureFrom) / 1e9
        let all = results.withLock { $0 }
        return BenchStats(label: label, latenciesNanos: all.flatMap(\.latencies), seconds: Swift.min(seconds, duration + 0.5),
                          wrong: all.reduce(0) { $0 + $1.wrong }, failures: all.reduce(0) { $0 + $1.failures })
    }

    /// Each connection thread sends one request to each socket in turn (depth 1) and keeps
    /// separate latencies, so slow and fast moments of the machine fall on both alike.
    private func measureInterleaved(paths: [String]) throws -> [BenchStats] {
        let start = nowNanos()
        let measureFrom = start + UInt64(warmup * 1e9)
        let end = measureFrom + UInt64(duration * 1e9)
        let results = Mutex<[[(latencies: [UInt64], wrong: Int, failures: Int)]]>(paths.map { _ in [] })
        var threads: [Thread] = []
        for index in 0..<connections {
            let sockets = try paths.map { try RawSocket.connect($0) }
            let frames = try paths.indices.map { try self.frames(session: "bench-\(getpid())-\(index)-\($0)") }
            let mix = self.mix
            let thread = Thread {
                var latencies = paths.map { _ in [UInt64]() }
                var wrong = [Int](repeating: 0, count: paths.count)
                var failures = [Int](repeating: 0, count: paths.count)
                var buffer = [UInt8](repeating: 0, count: 4096)
                var counter = index
                loop: while true {
                    counter += 1
                    let allow = mix >= 1 || Double(counter % 1000) / 1000 < mix
                    for (i, socket) in sockets.enumerated() {
                        let frame = allow ? frames[i].allowed : frames[i].blocked
                        let sent = nowNanos()
                        guard frame.withUnsafeBytes({ socket.writeAll($0) }), let length = socket.readFrame(&buffer) else {
                            failures[i] += 1
                            break loop
                        }
                        let now = nowNanos()
                        if now >= measureFrom { latencies[i].append(now - sent) }
                        if counter % 64 == 0 {
                            let response = try? Pramagent_V1_Response(serializedBytes: Array(buffer[0..<length]))
                            if response?.decision.verdict != (allow ? .allow : .block) { wrong[i] += 1 }
                        }
                    }
                    if nowNanos() >= end { break }
                }
                sockets.forEach { $0.close() }
                results.withLock { r in for i in paths.indices { r[i].append((latencies[i], wrong[i], failures[i])) } }
            }
            thread.stackSize = 1 << 20
            threads.append(thread)
        }
        threads.forEach { $0.start() }
        while results.withLock({ $0[0].count }) < connections { usleep(20_000) }
        let seconds = Swift.min(Double(min(nowNanos(), end + 1_000_000_000) - measureFrom) / 1e9, duration + 0.5)
        return results.withLock { r in
            paths.indices.map { i in
                BenchStats(label: i == 0 ? "first" : "second", latenciesNanos: r[i].flatMap(\.latencies), seconds: seconds,
                           wrong: r[i].reduce(0) { $0 + $1.wrong }, failures: r[i].reduce(0) { $0 + $1.failures })
            }
        }
    }

    private func runInProcess() throws {
        let snapshot: PolicySnapshot
        do { snapshot = try PolicyLoader().load(directory: policies) } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
        // With --audit-spool a second engine spools every record; the two take turns request by
        // request, so the difference between their figures is the audit seam's cost.
        var engines = [DecisionEngine(snapshot: snapshot, audit: DiscardingAuditSink())]
        var delivery: AuditDelivery? = nil
        if let auditSpool {
            let spool = try AuditSpool(path: auditSpool + "/bench-\(getpid()).spool", capacity: 100_000_000)
            let d = AuditDelivery(spool: spool, socketPath: auditSpool + "/nobody-listens.sock")
            d.start()
            delivery = d
            engines.append(DecisionEngine(snapshot: snapshot, audit: SpoolingAuditSink(delivery: d)))
        }
        defer {
            delivery?.stop()
            if let auditSpool { unlink(auditSpool + "/bench-\(getpid()).spool"); unlink(auditSpool + "/bench-\(getpid()).spool.ack") }
        }
        let caller = CallerIdentity(uid: 0, gid: 0, pid: getpid())
        let requests = [ToolCallRequest(tenant: tenant, session: "bench", tool: tool, argumentsJSON: args),
                        ToolCallRequest(tenant: tenant, session: "bench", tool: tool, argumentsJSON: blockedArgs)]
        var latencies: [[UInt64]] = engines.map { _ in [] }
        for k in latencies.indices { latencies[k].reserveCapacity(1 << 22) }
        var wrong = 0
        let start = nowNanos()
        let measureFrom = start + UInt64(warmup * 1e9)
        let end = measureFrom + UInt64(duration * 1e9)
        var i = 0
        measuring: while true {
            let allow = mix >= 1 || Double(i % 1000) / 1000 < mix
            i += 1
            for (k, engine) in engines.enumerated() {
                let t0 = nowNanos()
                let d = engine.decide(requests[allow ? 0 : 1], caller: caller)
                let t1 = nowNanos()
                if (d.verdict == .allow) != allow { wrong += 1 }
                if t0 >= measureFrom { latencies[k].append(t1 - t0) }
                if t1 >= end { break measuring }
            }
        }
        report(latencies.enumerated().map { k, l in
            BenchStats(label: k == 0 ? "in-process" : "+audit", latenciesNanos: l, seconds: duration, wrong: wrong, failures: 0)
        }, added: "added by the audit seam")
    }
}
