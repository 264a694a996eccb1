import ArgumentParser
import Foundation
import PramagentClient
import PramagentDaemon
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
        let result: Pramagent_V1_ScanResult
        if let policies { result = try scanInProcess(body, policies: policies) } else { result = try await scanThroughDaemon(body) }
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

    /// ScanText, or ReportToolResult with --report-tool, through the daemon.
    func scanThroughDaemon(_ body: String) async throws -> Pramagent_V1_ScanResult {
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
        return result
    }

    /// Scans `body` with the policy directory in this process (no audit record); the result in
    /// the daemon's wire form, so both paths print the same.
    func scanInProcess(_ body: String, policies: String) throws -> Pramagent_V1_ScanResult {
        guard reportTool == nil else {
            printError("error: --report-tool needs the daemon (sessions live there); drop --policies")
            throw ExitCode(1)
        }
        let snapshot: PolicySnapshot
        do { snapshot = try PolicyLoader().load(directory: policies) } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        let d: ScanDirection = direction == .input ? .input : direction == .output ? .output : .toolResult
        return Pramagent_V1_ScanResult(DecisionEngine(snapshot: snapshot).scanText(body, direction: d, redact: redact))
    }
}
