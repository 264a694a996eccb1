import ArgumentParser

/// `pramagentctl`: operate pramagentd and work with policies and schemas.
public struct RootCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "pramagentctl",
        abstract: "Operate pramagentd, check and test policies, validate JSON Schemas, benchmark.",
        discussion: """
        Decisions go to the decision socket (--socket, default /run/pramagent/decision.sock);
        reload and status go to the admin socket (--admin-socket, default /run/pramagent/admin.sock).
        Shell completions: pramagentctl --generate-completion-script bash|zsh|fish
        """,
        subcommands: [PolicyCommand.self, CheckCommand.self, ReloadCommand.self, StatusCommand.self,
                      SchemaCommand.self, AuditCommand.self, ScanCommand.self, RedTeamCommand.self, BenchCommand.self, BenchScanCommand.self, BenchSchemaCommand.self, BenchAuditCommand.self, EchoServerCommand.self])

    public init() {}
}

struct DecisionSocketOption: ParsableArguments {
    @Option(name: .customLong("socket"), help: "Decision socket of pramagentd.")
    var path = "/run/pramagent/decision.sock"
}

struct AdminSocketOption: ParsableArguments {
    @Option(name: .customLong("admin-socket"), help: "Admin socket of pramagentd.")
    var path = "/run/pramagent/admin.sock"
}

/// Writes to stderr without buffering surprises.
func printError(_ message: String) {
    FileHandleOutput.stderr(message + "\n")
}
