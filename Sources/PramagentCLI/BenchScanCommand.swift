import ArgumentParser
import Foundation
import PramagentClient
import PramagentPolicy
import PramagentRules
import PramagentWire

/// Scanner benchmark on ordinary prose: in process (normalisation and decoding included) and,
/// with --socket, ScanText through the daemon next to a Health round trip.
struct BenchScanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-scan",
        abstract: "Benchmark the rule engine on ordinary prose (1 KiB, 16 KiB, 1 MiB) with every corpus on.",
        discussion: """
        Texts are built from the bundled benign corpus (redteam/benign.jsonl) in order, cut to \
        size; python3 Benchmarks/python/bench_pramagent_rules_py.py builds the same texts for \
        Python pramagent's rules. With --socket it also measures ScanText of 1 KiB through the \
        daemon and a Health request on the same connection (the round trip without a scan), in \
        batches alternated with the same scan in process, and prints what ScanText adds over \
        Health next to the in-process scan (the issue's target: no more than it). \
        --texts builds the texts from another JSON-lines corpus instead (for example prose this \
        project did not write: scripts/debian-docs-benign-corpus), in its order. Under each size, \
        a noise floor: a fixed computation as long as the median scan, run as often and timed the \
        same way; on a shared machine its p99 shows how much of the scan's p99 is the machine's.
        """)

    @Option(help: "Policy directory whose scanning section is measured.") var policies = "policies"
    @Option(help: "Seconds per size.") var seconds = 3.0
    @Option(help: "Also measure ScanText through this decision socket.") var socket: String?
    @Option(help: "Text sizes in KiB.") var sizes: [Int] = [1, 16, 1024]
    @Option(help: "Also time texts of this many bytes (64, say: what a scan costs whatever its length).") var bytes: [Int] = []
    @Option(help: "Run exactly this many scans per size instead of --seconds (for profilers such as perf).") var runs: Int?
    @Option(name: .customLong("profile"), help: "Instead of timing whole scans: time each view's database and the gate pass on a text of this many KiB, and every rule compiled alone; print the slowest rules (N of them, see --top).")
    var profileKiB: Int?
    @Option(help: "Rules listed by --profile.") var top = 25
    @Flag(help: "Instead of timing whole scans: time every prose pattern alone forward and matched from the end (reversed) on the --profile text (16 KiB by default), and list the patterns whose rule should say from_end (and those that say it but should not).")
    var orient = false
    @Option(help: "Build the texts from this JSON-lines corpus ({\"text\": ...} per line) instead of the bundled benign one.")
    var texts: String?
    @Option(help: "With --profile: also time the prose database without its N slowest rules, alternating with the full one (what re-expressing them could save).")
    var dropTop: Int?

    /// The first 137 bundled benign texts: the set the recorded figures were measured on.
    static let bundledLines = Array(RedTeamCorpus.bundledBenign.filter { $0.scope == "text" }.map(\.text).prefix(137))

    /// `bytes` of text: the lines in order, joined by spaces and repeated as needed, cut to size.
    static func prose(bytes: Int, from lines: [String] = bundledLines) -> String {
        var out = ""
        var i = 0
        while out.utf8.count < bytes { out += lines[i % lines.count] + " "; i += 1 }
        return String(decoding: Array(out.utf8.prefix(bytes)), as: UTF8.self)
    }

    static func report(_ name: String, _ samples: inout [UInt64], _ bytes: Int) -> String {
        samples.sort()
        func p(_ q: Double) -> Double { Double(samples[min(samples.count - 1, Int(Double(samples.count) * q))]) / 1000 }
        let mbps = Double(bytes) / (p(0.5) / 1e6) / 1e6
        // The minimum is the figure least disturbed by a noisy machine (A/B comparisons).
        return String(format: "%@: %d runs, min %.1f us, p50 %.1f us, p99 %.1f us, max %.1f us (%.0f MB/s at p50)",
                      name, samples.count, Double(samples.first ?? 0) / 1000, p(0.5), p(0.99), Double(samples.last ?? 0) / 1000, mbps)
    }

    func validate() throws {
        guard seconds > 0, sizes.allSatisfy({ $0 >= 1 }), bytes.allSatisfy({ $0 >= 1 }), (runs ?? 1) >= 1, (profileKiB ?? 1) >= 1, top >= 0 else {
            throw ValidationError("--seconds must be > 0; --sizes, --bytes, --runs and --profile >= 1; --top >= 0")
        }
    }

    func run() async throws {
        var lines = BenchScanCommand.bundledLines
        if let texts {
            guard let body = try? String(contentsOfFile: texts, encoding: .utf8) else {
                printError("error: cannot read \(texts)")
                throw ExitCode(1)
            }
            lines = try RedTeamCorpus.parse(body, source: texts).filter { $0.scope == "text" }.map(\.text)
            guard !lines.isEmpty else {
                printError("error: \(texts) has no texts")
                throw ExitCode(1)
            }
        }
        func prose(bytes: Int) -> String { BenchScanCommand.prose(bytes: bytes, from: lines) }
        let snapshot: PolicySnapshot
        let t0 = nowNanos()
        do { snapshot = try PolicyLoader().load(directory: policies) } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        print(String(format: "policy load incl. rule compile (or cache): %.0f ms", Double(nowNanos() - t0) / 1e6))
        guard let scanning = snapshot.scanning else {
            printError("error: \(policies) has no scanning section")
            throw ExitCode(1)
        }
        if orient {
            let kib = profileKiB ?? 16
            let rows = try scanning.text.orientations(of: Array(prose(bytes: kib << 10).utf8))
            print("prose patterns on \(kib) KiB, alone (median us): forward, from the end; * = the rule says from_end")
            var suggest: [String: [Int]] = [:]
            for row in rows.sorted(by: { $0.forward - ($0.reversed ?? $0.forward) > $1.forward - ($1.reversed ?? $1.forward) }) {
                let reversed = row.reversed.map { String(format: "%8.1f", $0) } ?? "       -"
                print(String(format: "  %8.1f %@ %@ %@#%d", row.forward, reversed, row.fromEnd ? "*" : " ", row.ruleID, row.pattern + 1))
                // From the end when clearly cheaper (the two timings are taken apart, so a margin).
                if let r = row.reversed, r < 0.8 * row.forward { suggest[row.ruleID, default: []].append(row.pattern + 1) }
            }
            print("suggested from_end (rule: pattern numbers; write each as `- from_end: '...'` in the rule's patterns):")
            for (id, numbers) in suggest.sorted(by: { $0.key < $1.key }) { print("  \(id): [\(numbers.sorted().map(String.init).joined(separator: ", "))]") }
            return
        }
        if let profileKiB {
            let profile = try scanning.text.costProfile(of: Array(prose(bytes: profileKiB << 10).utf8), runs: 21, perRule: true)
            print("databases on \(profileKiB) KiB (median of 21 scans):")
            for e in profile.views {
                print(String(format: "  %-14@ %9.1f us  %6d matches  %7.0f KiB database", e.name as NSString, e.micros, e.matches, Double(e.bytes) / 1024))
            }
            let whole = profile.rules.filter { !$0.name.contains("#") && !$0.name.hasPrefix("gate ") }
            let sum = whole.reduce(0) { $0 + $1.micros }
            print(String(format: "slowest rules and patterns (rule#n), each compiled alone (sum over all %d rules: %.0f us):", whole.count, sum))
            func row(_ e: RuleCostProfile.Entry) -> String {
                String(format: "  %8.1f us  %6d matches  %6.0f KiB  %-6@ %@", e.micros, e.matches, Double(e.bytes) / 1024, e.view as NSString, e.name as NSString)
            }
            for e in profile.rules.prefix(top) { print(row(e)) }
            if top > 0 {
                // Databases larger than the CPU's caches are read from memory on every scan.
                print(String(format: "largest compiled alone (sum over all rules: %.0f KiB):", Double(whole.reduce(0) { $0 + $1.bytes }) / 1024))
                for e in profile.rules.sorted(by: { $0.bytes > $1.bytes }).prefix(top) { print(row(e)) }
            }
            if let dropTop {
                guard dropTop >= 0 else { throw ValidationError("--drop-top must be 0 or more") }
                let ids = scanning.text.rules.filter { $0.view == .prose && $0.concept == nil }.map(\.id)
                let slowest = Array(whole.filter { e in e.view == "prose" && ids.contains(e.name) }.prefix(dropTop).map(\.name))
                let text = Array(prose(bytes: profileKiB << 10).utf8)
                let (full, reduced, patterns) = try scanning.text.proseWithout(Set(slowest), on: text)
                print(String(format: "prose database without its %d slowest rules (%d patterns left), alternated: %.1f -> %.1f us (%.2f)",
                             slowest.count, patterns, full, reduced, full > 0 ? reduced / full : 0))
                print("  dropped: " + slowest.joined(separator: " "))
            }
            return
        }
        for size in bytes.sorted() + sizes.map({ $0 << 10 }) {
            let bytes = Array(prose(bytes: size).utf8)
            let found = scanning.text.scan(bytes).findings
            if !found.isEmpty {
                // A finding sends the scan down the origin-tracking path: the figure is then not
                // that of clean prose.
                let ids = Set(found.map(\.ruleID)).sorted().joined(separator: ", ")
                printError("warning: the \(size)-byte text has findings (\(ids)): this measures the slower path of texts that match")
            }
            let findings = found.count
            var samples: [UInt64] = []
            let end = nowNanos() + UInt64(seconds * 1e9)
            while true {
                let a = nowNanos()
                _ = scanning.text.scan(bytes)
                let b = nowNanos()
                samples.append(b - a)
                if let runs { if samples.count >= runs { break } } else if b > end { break }
            }
            let label = size >= 1 << 20 ? "\(size >> 20) MiB" : size % 1024 == 0 ? "\(size >> 10) KiB" : "\(size) bytes"
            print(BenchScanCommand.report("in process \(label) (\(findings) findings)", &samples, size))
            // The same number of runs of a pure computation as long as the median scan: what
            // this machine's noise alone makes of p99 (the scan's p99 cannot be judged below it).
            var floor = NoiseFloor.samples(targetNanos: samples[samples.count / 2], runs: samples.count, clock: nowNanos)
            print(BenchScanCommand.report("  noise floor: a fixed computation of that p50", &floor, size).replacingOccurrences(of: #" \(.*MB/s at p50\)"#, with: "", options: .regularExpression))
        }
        guard let socket else { return }
        let connection = try await PramagentConnection.connect(path: socket)
        let text = prose(bytes: 1 << 10)
        let bytes = Array(text.utf8)
        // Batches of each, alternated until the time is up: the machine's drifts fall on all three.
        var health: [UInt64] = [], scans: [UInt64] = [], local: [UInt64] = [], afterWait: [UInt64] = []
        let end = nowNanos() + UInt64(seconds * 1e9)
        func batch(_ samples: inout [UInt64], _ body: () async throws -> Void) async throws {
            for _ in 0..<100 {
                let a = nowNanos()
                try await body()
                samples.append(nowNanos() - a)
            }
        }
        while nowNanos() < end {
            try await batch(&health) { _ = try await connection.health() }
            try await batch(&scans) { _ = try await connection.scanText(text, direction: .input) }
            try await batch(&local) { _ = scanning.text.scan(bytes) }
            // The daemon's scan runs after it slept in epoll_wait, as this one after a round trip:
            // only the scan is timed.
            for _ in 0..<100 {
                _ = try await connection.health()
                let a = nowNanos()
                _ = scanning.text.scan(bytes)
                afterWait.append(nowNanos() - a)
            }
        }
        print(BenchScanCommand.report("Health round trip", &health, 1 << 10))
        print(BenchScanCommand.report("ScanText 1 KiB round trip", &scans, 1 << 10))
        print(BenchScanCommand.report("  the same scan in process, alternated with them", &local, 1 << 10))
        print(BenchScanCommand.report("  the same scan in process, each right after a Health round trip", &afterWait, 1 << 10))
        func p50(_ s: [UInt64]) -> Double { Double(s[s.count / 2]) / 1000 } // sorted by `report`
        print(String(format: "ScanText adds %.1f us over Health at p50; the scan in process takes %.1f us back to back, %.1f us after a wait (target: no more)",
                     p50(scans) - p50(health), p50(local), p50(afterWait)))
        await connection.close()
    }
}
