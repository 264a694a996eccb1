import ArgumentParser
import Foundation
import PramagentClient
import PramagentDecision
import PramagentPolicy
import PramagentWire

/// One labelled text of a red-team corpus (JSON lines: {"category": ..., "text": ...};
/// category "benign" marks texts that must not be flagged).
struct RedTeamCase: Sendable {
    var category: String
    var text: String
    /// "text" (ScanText) or "arguments" (a string argument of a CheckToolCall).
    var scope: String = "text"
    /// The mutation applied, or nil for the static text.
    var mutation: Mutation?
    var isBenign: Bool { category == "benign" }
}

enum RedTeamCorpus {
    /// Reads JSON lines; fails with the line number of a bad line.
    static func parse(_ text: String, source: String) throws -> [RedTeamCase] {
        var out: [RedTeamCase] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: Any],
                  let body = object["text"] as? String else {
                throw ValidationError("\(source):\(n + 1): expected {\"category\": ..., \"text\": ...}")
            }
            let category = (object["category"] as? String) ?? ((object["label"] as? String) == "benign" ? "benign" : "attack")
            let scope = (object["scope"] as? String) ?? "text"
            guard scope == "text" || scope == "arguments" else {
                throw ValidationError("\(source):\(n + 1): scope must be text or arguments")
            }
            out.append(RedTeamCase(category: category, text: body, scope: scope, mutation: nil))
        }
        return out
    }

    static var bundledAttacks: [RedTeamCase] { (try? parse(BundledRedTeam.attacks, source: "<bundled attacks>")) ?? [] }
    static var bundledBenign: [RedTeamCase] { (try? parse(BundledRedTeam.benign, source: "<bundled benign>")) ?? [] }

    /// Categories whose texts are data (secrets, identifiers): only mutations that keep the data intact.
    static let dataCategories: Set<String> = ["secrets", "financial_pii", "phi", "pii"]

    /// Every attack once as written, plus `perAttack` seeded mutations of each (all kinds in turn).
    static func expand(_ attacks: [RedTeamCase], perAttack: Int, seed: UInt64) -> [RedTeamCase] {
        var rng = SeededGenerator(seed: seed)
        var out = attacks
        for attack in attacks {
            let kinds = dataCategories.contains(attack.category) || attack.scope == "arguments" ? Mutation.forData : Mutation.allCases
            for k in 0..<perAttack {
                let mutation = kinds[(k + Int(rng.next() % UInt64(kinds.count))) % kinds.count]
                out.append(RedTeamCase(category: attack.category, text: mutation.apply(attack.text, &rng), scope: attack.scope,
                                       mutation: mutation))
            }
        }
        return out
    }
}

struct RedTeamCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redteam",
        abstract: "Run attack and benign corpora through the scanner; report detection and false-positive rates.",
        discussion: """
        The bundled attack corpus (redteam/attacks.jsonl: jailbreak, prompt and indirect injection, \
        fictional wrappers, authority framing, OWASP LLM, secrets, financial PII, PHI) is sent as written \
        and as seeded mutations (base64, hex, leetspeak, homoglyphs, zero-width insertion, translation \
        wrapper, authority framing, fictional wrapper, payload splitting, typographic quotes, words glued by case, scrambled inner letters, words cut by punctuation); the bundled benign corpus \
        (redteam/benign.jsonl) measures false positives. Each text is a ScanText request (direction \
        tool_result for indirect injection, input otherwise); anything but ALLOW counts as detected. \
        Cases with "scope": "arguments" (SQL, shell, path traversal, SSRF, template injection) are \
        sent as the string argument --argument-field of a CheckToolCall of --argument-tool for \
        --argument-tenant and count as detected when a reason is argument_injection. \
        --corpus adds external JSON-lines files ({"category": ..., "text": ..., "scope": ...}; category \
        "benign" for texts that must pass). Without --policies it talks to the daemon's decision socket. \
        Exit status 0, or 1 when an error prevented the run.
        """)

    @OptionGroup var socket: DecisionSocketOption
    @Option(help: "Scan in process with this policy directory instead of asking the daemon.") var policies: String?
    @Option(help: "Mutations generated per attack (0: the static corpus only).") var attacks = 9
    @Option(help: "Seed of the mutations.") var seed: UInt64 = 1
    @Option(help: "External JSON-lines corpus (repeatable).") var corpus: [String] = []
    @Flag(help: "Skip the bundled corpora (use with --corpus).") var noBundled = false
    @Flag(help: "Print the report as one JSON object.") var json = false
    @Flag(help: "Also list every missed attack and every false positive.") var verbose = false
    @Option(help: "Tool whose string argument carries argument-scope cases.") var argumentTool = "search_docs"
    @Option(help: "The argument (a top-level string property) that carries them.") var argumentField = "query"
    @Option(help: "Tenant for those calls.") var argumentTenant = "demo"

    func run() async throws {
        var attackCases = noBundled ? [] : RedTeamCorpus.bundledAttacks
        var benignCases = noBundled ? [] : RedTeamCorpus.bundledBenign
        for path in corpus {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                printError("error: cannot read \(path)")
                throw ExitCode(1)
            }
            let cases = try RedTeamCorpus.parse(text, source: path)
            attackCases += cases.filter { !$0.isBenign }
            benignCases += cases.filter(\.isBenign)
        }
        let all = RedTeamCorpus.expand(attackCases, perAttack: max(0, attacks), seed: seed) + benignCases
        let scan = try await scanner()
        var results: [(RedTeamCase, Bool)] = []
        results.reserveCapacity(all.count)
        for c in all {
            let direction: Pramagent_V1_Direction = c.category == "indirect_injection" ? .toolResult : .input
            results.append((c, try await scan(c, direction)))
        }
        let report = RedTeamReport(results: results, seed: seed)
        print(json ? report.json : report.table(verbose: verbose))
    }

    /// A function that answers "was this case flagged?" in process or through the daemon.
    func scanner() async throws -> (RedTeamCase, Pramagent_V1_Direction) async throws -> Bool {
        let tool = argumentTool, field = argumentField, tenant = argumentTenant
        func argumentsJSON(_ text: String) -> String {
            let data = (try? JSONSerialization.data(withJSONObject: [field: text])) ?? Data("{}".utf8)
            return String(decoding: data, as: UTF8.self)
        }
        if let policies {
            let snapshot: PolicySnapshot
            do { snapshot = try PolicyLoader().load(directory: policies) } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
            let engine = DecisionEngine(snapshot: snapshot)
            return { c, direction in
                if c.scope == "arguments" {
                    guard let scanning = snapshot.scanning else { return false }
                    return scanning.argumentThresholds.verdict(for: scanning.arguments.scan(c.text).findings) != .allow
                }
                let d: ScanDirection = direction == .toolResult ? .toolResult : .input
                return engine.scanText(c.text, direction: d, redact: false).verdict != .allow
            }
        }
        let connection: PramagentConnection
        do { connection = try await PramagentConnection.connect(path: socket.path) } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        return { c, direction in
            do {
                if c.scope == "arguments" {
                    let d = try await connection.checkToolCall(tenant: tenant, session: "redteam-\(UUID().uuidString.prefix(8))",
                                                               tool: tool, argumentsJSON: argumentsJSON(c.text))
                    return d.reasons.contains { $0.code == "argument_injection" }
                }
                return try await connection.scanText(c.text, direction: direction).verdict != .allow
            } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
        }
    }
}

/// Detection per category (static and mutated), per mutation, and the false-positive rate.
struct RedTeamReport {
    struct Tally { var total = 0, flagged = 0; var rate: Double { total == 0 ? 0 : Double(flagged) / Double(total) } }
    var byCategory: [String: (staticTally: Tally, mutated: Tally)] = [:]
    var byMutation: [String: Tally] = [:]
    var benign = Tally()
    var missed: [RedTeamCase] = []
    var falsePositives: [RedTeamCase] = []
    let seed: UInt64

    init(results: [(RedTeamCase, Bool)], seed: UInt64) {
        self.seed = seed
        for (c, flagged) in results {
            if c.isBenign {
                benign.total += 1
                if flagged { benign.flagged += 1; falsePositives.append(c) }
                continue
            }
            var entry = byCategory[c.category] ?? (Tally(), Tally())
            if let m = c.mutation {
                entry.mutated.total += 1
                if flagged { entry.mutated.flagged += 1 }
                byMutation[m.rawValue, default: Tally()].total += 1
                if flagged { byMutation[m.rawValue, default: Tally()].flagged += 1 }
            } else {
                entry.staticTally.total += 1
                if flagged { entry.staticTally.flagged += 1 }
            }
            if !flagged { missed.append(c) }
            byCategory[c.category] = entry
        }
    }

    func table(verbose: Bool) -> String {
        func pct(_ t: Tally) -> String { t.total == 0 ? "-" : String(format: "%5.1f%% (%d/%d)", t.rate * 100, t.flagged, t.total) }
        var lines = ["category              static               mutated"]
        for name in byCategory.keys.sorted() {
            let e = byCategory[name]!
            lines.append(name.padding(toLength: 22, withPad: " ", startingAt: 0) + pct(e.staticTally).padding(toLength: 21, withPad: " ", startingAt: 0) + pct(e.mutated))
        }
        lines.append("")
        lines.append("mutation              detected")
        for name in byMutation.keys.sorted() { lines.append(name.padding(toLength: 22, withPad: " ", startingAt: 0) + pct(byMutation[name]!)) }
        lines.append("")
        lines.append("benign false positives: " + pct(benign) + "   (seed \(seed))")
        if verbose {
            for c in missed { lines.append("MISSED [\(c.category)\(c.mutation.map { "/" + $0.rawValue } ?? "")] \(c.text.debugDescription)") }
            for c in falsePositives { lines.append("FALSE POSITIVE [\(c.scope)] \(c.text.debugDescription)") }
        }
        return lines.joined(separator: "\n")
    }

    var json: String {
        func obj(_ t: Tally) -> [String: Any] { ["total": t.total, "detected": t.flagged, "rate": t.rate] }
        var categories: [String: Any] = [:]
        for (name, e) in byCategory { categories[name] = ["static": obj(e.staticTally), "mutated": obj(e.mutated)] }
        var mutations: [String: Any] = [:]
        for (name, t) in byMutation { mutations[name] = obj(t) }
        let root: [String: Any] = ["seed": seed, "categories": categories, "mutations": mutations,
                                   "benign": ["total": benign.total, "false_positives": benign.flagged, "rate": benign.rate]]
        let data = (try? JSONSerialization.data(withJSONObject: root, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
