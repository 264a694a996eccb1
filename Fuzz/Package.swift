// swift-tools-version:6.0
// libFuzzer targets for the JSON parser and for schema compile + validate.
// Sources/JSONSchema is a symlink to the main package's module, so this package
// builds the validator with the fuzzer's instrumentation. See README.md here.
import PackageDescription

let package = Package(
    name: "pramagent-fuzz",
    platforms: [.macOS(.v15)],
    targets: [
        .target(name: "JSONSchema"),
        .executableTarget(name: "FuzzJSONParser", dependencies: ["JSONSchema"]),
        .executableTarget(name: "FuzzSchemaValidate", dependencies: ["JSONSchema"]),
    ]
)
