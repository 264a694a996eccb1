import ArgumentParser
import Foundation
import PramagentClient
import PramagentDecision
import PramagentPolicy
import PramagentWire
import SwiftProtobuf

/// `pramagentctl scan`: one ScanText (or ReportToolResult) through the daemon, or in process
/// with `--policies`.
struct ScanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Scan a text with the daemon's rules and print the verdict and findings.",
        discussion: """
        The text is the argument, or standard input with "-". Spans are UTF-8 byte offsets into \
        the text. With --report-tool the text is reported as what that tool returned in \
        --session (injection findings taint the session). With --policies the text is scanned in \
        this process by that policy directory, without a daemon (for rule authors; no audit record). \
        Exit status: 0 ALLOW, 2 ESCALATE, 3 BLOCK, 1 on errors. Example: pramagentctl scan --redact "card 4111 1111 1111 1111"
        """)

    enum Direction: String, ExpressibleByArgument, CaseIterable { case input, output, toolResult = "tool_result" }

    @OptionGroup var socket: DecisionSocketOption
    @Option(help: "input, output or tool_result.") var direction: Direction = .input
    @Flag(help: "Also print the text with PII and secrets replaced by placeholders.") var redact = false
    @Option(help: "Report the text as this tool's result (ReportToolResult) instead of ScanText.") var reportTool: String?
    @Option(help: "Tenant (for --report-tool).") var tenant = ""
    @Option(help: "Session (for --report-tool).") var session = "cli"
    @Flag(help: "Print the result as one JSON object.") var json = false
    @Option(help: "Scan in process with this policy directory instead of asking the daemon (not with --report-tool).") var policies: String?
    @Argument(help: "The text, or - for standard input.") var text: String

    func run() async throws {
        let body = text == "-" ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) : text
        if let policies {
            guard reportTool == nil else {
                printError("error: --report-tool needs the daemon (sessions live there); drop --policies")
                throw ExitCode(1)
            }
            let result = try scanInProcess(body, policies: policies)
            throw ExitCode(Int32(result))
        }
        let connection: PramagentConnection
        do { connection = try await PramagentConnection.connect(path: socket.path) } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        let result: Pramagent_V1_ScanResult
        do {
            if let tool = reportTool {
                result = try await connection.reportToolResult(tenant: tenant, session: session, tool: tool, text: body, redact: redact)
            } else {
                let wire: Pramagent_V1_Direction = direction == .input ? .input : direction == .output ? .output : .toolResult
                result = try await connection.scanText(body, direction: wire, redact: redact)
            }
        } catch {
            await connection.close()
            printError("error: \(error)")
            throw ExitCode(1)
        }
        await connection.close()
        if json {
            var options = JSONEncodingOptions()
            options.preserveProtoFieldNames = true
            print((try? result.jsonString(options: options)) ?? "{}")
        } else {
            let verdict = DecisionText.verdict(result.verdict)
            print("\(verdict)\(result.sessionTainted ? " (session tainted)" : "")\(result.truncated ? " (scan truncated)" : "")")
            let bytes = Array(body.utf8)
            for f in result.findings {
                let s = Int(f.start), e = Int(f.end)
                let excerpt = s <= e && e <= bytes.count ? String(decoding: bytes[s..<e].prefix(80), as: UTF8.self) : ""
                let layers = f.layers.isEmpty ? "" : " via " + f.layers.joined(separator: "/")
                print("  \(f.severity) \(f.ruleID) [\(f.category)] \(s)..<\(e)\(layers): \(excerpt.debugDescription)")
            }
            for r in result.reasons { print("  reason \(r.code): \(r.message)") }
            if redact { print(result.redactedText) }
        }
        switch result.verdict {
        case .allow: return
        case .escalate: throw ExitCode(2)
        default: throw ExitCode(3)
        }
    }
}

extension ScanCommand {
    /// Scans `body` with the policy directory in this process and prints the result like the
    /// daemon's; returns the exit status.
    func scanInProcess(_ body: String, policies: String) throws -> Int {
        let snapshot: PolicySnapshot
        do { snapshot = try PolicyLoader().load(directory: policies) } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        let d: ScanDirection = direction == .input ? .input : direction == .output ? .output : .toolResult
        let outcome = DecisionEngine(snapshot: snapshot).scanText(body, direction: d, redact: redact)
        let bytes = Array(body.utf8)
        if json {
            var object: [String: Any] = [
                "verdict": outcome.verdict.rawValue.uppercased(),
                "findings": outcome.findings.map { f in
                    ["rule_id": f.ruleID, "category": f.category, "severity": f.severity.rawValue, "start": f.start, "end": f.end,
                     "layers": f.layers] as [String: Any]
                },
                "reasons": outcome.reasons.map { ["code": $0.code.rawValue, "message": $0.message] },
                "truncated": outcome.truncated,
                "policy_version": outcome.policyVersion,
            ]
            if let redacted = outcome.redactedText { object["redacted_text"] = redacted }
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(outcome.verdict.rawValue.uppercased() + (outcome.truncated ? " (scan truncated)" : ""))
            for f in outcome.findings {
                let excerpt = f.start <= f.end && f.end <= bytes.count ? String(decoding: bytes[f.start..<f.end].prefix(80), as: UTF8.self) : ""
                let layers = f.layers.isEmpty ? "" : " via " + f.layers.joined(separator: "/")
                print("  \(f.severity.rawValue) \(f.ruleID) [\(f.category)] \(f.start)..<\(f.end)\(layers): \(excerpt.debugDescription)")
            }
            for r in outcome.reasons { print("  reason \(r.code.rawValue): \(r.message)") }
            if let redacted = outcome.redactedText, redact { print(redacted) }
        }
        switch outcome.verdict {
        case .allow: return 0
        case .escalate: return 2
        case .block: return 3
        }
    }
}
