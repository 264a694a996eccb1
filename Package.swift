// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "pramagent",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "pramagentd", targets: ["pramagentd"]),
        .executable(name: "pramagentctl", targets: ["pramagentctl"]),
        .executable(name: "pramagent-auditd", targets: ["pramagent-auditd"]),
        .library(name: "PramagentClient", targets: ["PramagentClient"]),
        .library(name: "JSONSchema", targets: ["JSONSchema"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.0"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.0"),
    ],
    targets: [
        // JSON parsing and JSON Schema Draft 2020-12: no dependencies at all.
        .target(name: "JSONSchema"),
        // The v1 wire contract: generated protobuf code and the frame format.
        .target(name: "PramagentWire", dependencies: [
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        // SHA-256 (and later Ed25519) through OpenSSL.
        .target(name: "PramagentCrypto", dependencies: ["COpenSSL"]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // The audit trail: hash chain, SQLite store with group commit, verification.
        .target(name: "PramagentAudit", dependencies: ["CSQLite", "PramagentCrypto", "PramagentWire", "PramagentSystem"]),
        // Unix plumbing shared by the daemons and tools: accounts, socket paths, peer credentials, logging.
        .target(name: "PramagentSystem", dependencies: [
            "JSONSchema",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // pramagent-auditd: the writer process (NIO server, peer checks, group commit thread).
        .target(name: "PramagentAuditServer", dependencies: [
            "PramagentAudit", "PramagentWire", "PramagentSystem",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "pramagent-auditd", dependencies: [
            "PramagentAuditServer", "PramagentSystem",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Policy model, YAML loading with file:line errors, compilation into a snapshot.
        .target(name: "PramagentPolicy", dependencies: [
            "PramagentRules",
            "JSONSchema", "PramagentCrypto", "PramagentSystem",
            .product(name: "Yams", package: "Yams"),
        ]),
        .systemLibrary(name: "CVectorscan", pkgConfig: "libhs", providers: [.apt(["libvectorscan-dev"])]),
        // The rule engine: normalisation, bounded decoding, Vectorscan multi-pattern matching, PII detectors.
        .target(name: "PramagentRules", dependencies: ["CVectorscan", "PramagentCrypto"]),
        // The decision pipeline: sessions, rate limits, chains, the audit seam.
        .target(name: "PramagentDecision", dependencies: ["PramagentPolicy", "PramagentRules", "JSONSchema", "PramagentCrypto"]),
        // The daemon: NIO servers on the decision and admin sockets, reload, shutdown.
        .target(name: "PramagentDaemon", dependencies: [
            "PramagentDecision", "PramagentPolicy", "PramagentRules", "PramagentWire", "PramagentSystem", "PramagentAudit", "JSONSchema", "PramagentCrypto",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOExtras", package: "swift-nio-extras"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Swift client library: async, pipelined, typed errors.
        .target(name: "PramagentClient", dependencies: [
            "PramagentWire",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOExtras", package: "swift-nio-extras"),
        ]),
        // pramagentctl's commands, as a library so tests can drive them.
        .target(name: "PramagentCLI", dependencies: [
            "PramagentClient", "PramagentPolicy", "PramagentDecision", "PramagentWire", "JSONSchema", "PramagentAudit", "PramagentSystem",
            "PramagentDaemon", "PramagentRules",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ]),
        .executableTarget(name: "pramagentd", dependencies: [
            "PramagentDaemon", "PramagentSystem", "PramagentAudit", "PramagentDecision", "PramagentRules",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "pramagentctl", dependencies: [
            "PramagentCLI", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "JSONSchemaTests", dependencies: ["JSONSchema"], exclude: ["optional-failures.txt"]),
        .testTarget(name: "PramagentWireTests", dependencies: [
            "PramagentWire", .product(name: "NIOEmbedded", package: "swift-nio"),
        ]),
        .testTarget(name: "PramagentPolicyTests", dependencies: [
            "PramagentPolicy", "PramagentRules", "JSONSchema", "PramagentCrypto", .product(name: "Yams", package: "Yams"),
        ]),
        .testTarget(name: "PramagentAuditTests", dependencies: [
            "PramagentAudit", "PramagentAuditServer", "PramagentWire", "PramagentCrypto", "PramagentSystem",
        ]),
        .testTarget(name: "PramagentRulesTests", dependencies: ["PramagentRules"]),
        .testTarget(name: "PramagentDecisionTests", dependencies: ["PramagentDecision", "PramagentPolicy", "JSONSchema"]),
        .testTarget(name: "PramagentDaemonTests", dependencies: [
            "PramagentDaemon", "PramagentDecision", "PramagentWire", "PramagentCrypto", "JSONSchema",
        ]),
        .testTarget(name: "PramagentEndToEndTests", dependencies: [
            "PramagentClient", "PramagentDaemon", "PramagentWire", "PramagentCLI", "PramagentSystem", "PramagentAudit",
        ]),
    ]
)
