import Foundation
import JSONSchema

/// Locates and runs the official JSON-Schema-Test-Suite (shipped beside the project in ../shared).
enum Suite {
    static var root: URL {
        if let env = ProcessInfo.processInfo.environment["PRAMAGENT_JSONSCHEMA_SUITE"] { return URL(fileURLWithPath: env) }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("../shared/jsonschema-suite").standardizedFileURL
    }

    static var registry: SchemaRegistry {
        var r = SchemaRegistry.standard
        r.mapRemote(prefix: "http://localhost:1234/", directory: root.appendingPathComponent("remotes").path)
        return r
    }

    struct Failure: CustomStringConvertible {
        var file: String
        var group: String
        var test: String
        var detail: String
        var description: String { "\(file) | \(group) | \(test): \(detail)" }
    }

    struct Tally {
        var passed = 0
        var failures: [Failure] = []
    }

    static func files(in subdirectory: String) -> [String] {
        let dir = root.appendingPathComponent("tests/draft2020-12").appendingPathComponent(subdirectory)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted().map { subdirectory.isEmpty ? $0 : subdirectory + "/" + $0 }
    }

    static func run(file: String, assertFormats: Bool) throws -> Tally {
        let url = root.appendingPathComponent("tests/draft2020-12").appendingPathComponent(file)
        let data = try Data(contentsOf: url)
        let groups = try JSONParser(limits: .documents).parse([UInt8](data))
        var tally = Tally()
        for group in groups.arrayValue ?? [] {
            let description = group["description"]?.stringValue ?? "?"
            let tests = group["tests"]?.arrayValue ?? []
            let validator: JSONSchemaValidator
            do {
                validator = try JSONSchemaValidator(schema: group["schema"]!, baseURI: "urn:suite:\(file)",
                                                    registry: registry, options: ValidatorOptions(assertFormats: assertFormats))
            } catch {
                for t in tests {
                    tally.failures.append(Failure(file: file, group: description, test: t["description"]?.stringValue ?? "?",
                                                  detail: "schema did not compile: \(error)"))
                }
                continue
            }
            for t in tests {
                let expected = t["valid"]?.boolValue ?? false
                let all = validator.validate(t["data"]!, mode: .allErrors)
                let first = validator.validate(t["data"]!, mode: .firstError)
                let quick = validator.isValid(t["data"]!)
                if all.isValid == expected && first.isValid == expected && quick == expected
                    && all.isValid == all.errors.isEmpty && first.isValid == first.errors.isEmpty {
                    tally.passed += 1
                } else {
                    tally.failures.append(Failure(file: file, group: description, test: t["description"]?.stringValue ?? "?",
                                                  detail: "expected valid=\(expected), got all=\(all.isValid) first=\(first.isValid) quick=\(quick) \(all.errors.first.map { "\($0)" } ?? "")"))
                }
            }
        }
        return tally
    }
}
