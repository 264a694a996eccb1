/// Dangerous chains that apply unless the bundle sets `defaults.builtin_chains: false`.
/// A bundle chain with the same name replaces the built-in one.
public enum BuiltinChains {
    static let definitions: [(name: String, steps: [SideEffect], description: String)] = [
        ("data_exfiltration", [.read, .externalMessage], "data read in this session is sent out"),
        ("read_then_payment", [.read, .payment], "a payment follows a read in the same session"),
        ("repeated_writes", [.write, .write, .write], "three writes in one session"),
        ("privilege_escalation", [.read, .write, .payment], "read, then write, then payment"),
        ("config_then_destructive", [.configChange, .destructive], "a configuration change followed by a destructive call"),
        ("write_then_external_message", [.write, .externalMessage], "written data is sent out"),
        ("message_burst", [.externalMessage, .externalMessage, .externalMessage], "three external messages in one session"),
    ]

    public static var all: [ChainPolicy] {
        let builtin = SourceLocation(file: "<builtin>", line: 0, column: 0)
        return definitions.map { d in
            ChainPolicy(name: d.name, steps: d.steps.map { .sideEffect($0) }, verdict: .escalate, withinSeconds: nil,
                        description: d.description, location: builtin)
        } + [
            ChainPolicy(name: "tainted_then_external", steps: [.tainted, .atLeast(.externalMessage)], verdict: .escalate,
                        withinSeconds: nil, description: "a tool result with injected instructions, then a call that sends data out",
                        location: builtin),
        ]
    }
}
