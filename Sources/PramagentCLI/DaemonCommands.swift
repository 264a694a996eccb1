import ArgumentParser
import Foundation
import PramagentClient
import PramagentWire

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Ask the daemon for one decision and print it.",
        discussion: """
        Example: pramagentctl check --tenant finance_team --tool send_payment \\
                   --args '{"amount_usd":250,"destination":"acct-123456"}'
        Exit status: 0 when a decision was received (whatever the verdict), 1 on errors.
        """)

    @OptionGroup var socket: DecisionSocketOption
    @Option(help: "Tenant to speak for.") var tenant: String
    @Option(help: "Session id.") var session = "cli"
    @Option(help: "Tool name.") var tool: String
    @Option(help: "Arguments as JSON text.") var args = "{}"
    @Option(help: "Operation within the tool, if it restricts operations.") var operation = ""
    @Flag(help: "Print the decision as one JSON object.") var json = false

    func run() async throws {
        let connection: PramagentConnection
        do { connection = try await PramagentConnection.connect(path: socket.path) } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        do {
            let d = try await connection.checkToolCall(tenant: tenant, session: session, tool: tool, argumentsJSON: args, operation: operation)
            await connection.close()
            print(json ? DecisionText.json(d) : DecisionText.human(d))
        } catch {
            await connection.close()
            printError("error: \(error)")
            throw ExitCode(1)
        }
    }
}

enum DecisionText {
    static func verdict(_ v: Pramagent_V1_Verdict) -> String {
        switch v {
        case .allow: return "ALLOW"
        case .block: return "BLOCK"
        case .escalate: return "ESCALATE"
        default: return "UNSPECIFIED"
        }
    }

    static func human(_ d: Pramagent_V1_Decision) -> String {
        var lines = ["\(verdict(d.verdict))  decision \(d.decisionID)  policy \(d.policyVersion.prefix(12))"]
        for r in d.reasons {
            var line = "  \(r.code): \(r.message)"
            if !r.keywordLocation.isEmpty { line += " [schema \(r.keywordLocation)]" }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    static func json(_ d: Pramagent_V1_Decision) -> String {
        var o = JSONOut()
        o.add("verdict", verdict(d.verdict))
        o.add("decision_id", d.decisionID)
        o.add("policy_version", d.policyVersion)
        o.add("side_effect", d.sideEffect)
        let reasons = d.reasons.map { r -> String in
            var j = JSONOut()
            j.add("code", r.code)
            j.add("message", r.message)
            if !r.instancePath.isEmpty || !r.keyword.isEmpty {
                j.add("instance_path", r.instancePath)
                j.add("keyword", r.keyword)
                j.add("keyword_location", r.keywordLocation)
            }
            if !r.chain.isEmpty { j.add("chain", r.chain) }
            return j.text
        }
        o.add("reasons", raw: "[" + reasons.joined(separator: ",") + "]")
        return o.text
    }
}

struct ReloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Make the daemon compile its policy directory again (like SIGHUP) and report the outcome.",
        discussion: "Exit status: 0 when the new bundle is serving, 1 when it was rejected (the old one keeps serving).")

    @OptionGroup var admin: AdminSocketOption

    func run() async throws {
        let connection: PramagentConnection
        do { connection = try await PramagentConnection.connect(path: admin.path) } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        let result: Pramagent_V1_ReloadResult
        do { result = try await connection.reload() } catch {
            await connection.close()
            printError("error: \(error)")
            throw ExitCode(1)
        }
        await connection.close()
        if result.ok {
            print("reloaded: version \(result.policyVersion), \(result.tools) tools, \(result.durationUs) us")
        } else {
            printError("rejected; still serving \(result.policyVersion.isEmpty ? "nothing" : result.policyVersion):\n\(result.error)")
            throw ExitCode(1)
        }
    }
}

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the policy version, the last reload error, uptime and connections.")

    @OptionGroup var admin: AdminSocketOption
    @Flag(help: "Print as one JSON object.") var json = false

    func run() async throws {
        let connection: PramagentConnection
        do { connection = try await PramagentConnection.connect(path: admin.path) } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        let s: Pramagent_V1_StatusReport
        do { s = try await connection.status() } catch {
            await connection.close()
            printError("error: \(error)")
            throw ExitCode(1)
        }
        await connection.close()
        if json {
            var o = JSONOut()
            o.add("policy_version", s.policyVersion)
            o.add("last_reload_error", s.lastReloadError)
            o.add("uptime_seconds", s.uptimeSeconds)
            o.add("open_connections", Int(s.openConnections))
            o.add("decisions_total", s.decisionsTotal)
            o.add("tools", Int(s.tools))
            o.add("sessions", Int(s.sessions))
            o.add("policy_loaded_at", s.policyLoadedAt)
            o.add("reloads_ok", s.reloadsOk)
            o.add("reloads_failed", s.reloadsFailed)
            print(o.text)
            return
        }
        print("policy version:    \(s.policyVersion.isEmpty ? "none loaded (every call is blocked)" : s.policyVersion)")
        print("last reload error: \(s.lastReloadError.isEmpty ? "none" : s.lastReloadError)")
        print("uptime:            \(s.uptimeSeconds) s")
        print("open connections:  \(s.openConnections)")
        print("decisions:         \(s.decisionsTotal)")
        print("tools:             \(s.tools)")
        print("sessions:          \(s.sessions)")
        print("reloads:           \(s.reloadsOk) ok, \(s.reloadsFailed) rejected")
    }
}
