import ArgumentParser
import Foundation
import JSONSchema

struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "JSON Schema Draft 2020-12 tools.",
        subcommands: [SchemaValidateCommand.self])
}

struct SchemaValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Validate JSON instances against a Draft 2020-12 schema.",
        discussion: """
        File mode: pramagentctl schema validate SCHEMA.json INSTANCE.json...
        Prints valid/invalid per instance with every error. Exit 0 when all are valid, 1 when \
        any is invalid, 2 when the schema or an instance cannot be read, parsed or compiled.

        Batch mode: pramagentctl schema validate --batch
        Reads JSON lines {"schema": ..., "instance": ...} on stdin and writes one JSON line per \
        input: {"valid": bool, "errors": [basic-output units]}, or {"error": "..."} for a bad \
        line (the batch goes on). Exit 0 unless stdin cannot be read.

        References resolve only to the shipped meta-schemas and to --remote mappings; nothing \
        is fetched.
        """)

    @Flag(help: "Read {\"schema\",\"instance\"} JSON lines on stdin.") var batch = false
    @Option(name: .customLong("remote"), help: ArgumentHelp("Serve URIs starting with PREFIX from files in DIR (repeatable).", valueName: "PREFIX=DIR"))
    var remotes: [String] = []
    @Flag(name: .customLong("assert-formats"), help: "Assert `format` instead of treating it as an annotation.") var assertFormats = false
    @Flag(name: .customLong("first-error"), help: "Stop at the first error of each instance.") var firstError = false
    @Flag(help: "Print the spec's basic output format as JSON.") var json = false
    @Argument(help: "Schema file, then instance files (file mode).") var files: [String] = []

    func validate() throws {
        if batch && !files.isEmpty { throw ValidationError("--batch reads stdin; give no files") }
        if !batch && files.count < 2 { throw ValidationError("give a schema file and at least one instance file (or --batch)") }
        for r in remotes where !r.contains("=") { throw ValidationError("--remote takes PREFIX=DIR, got \(r)") }
    }

    var registry: SchemaRegistry {
        var r = SchemaRegistry.standard
        for mapping in remotes {
            let parts = mapping.split(separator: "=", maxSplits: 1).map(String.init)
            r.mapRemote(prefix: parts[0], directory: parts[1])
        }
        return r
    }

    var options: ValidatorOptions { ValidatorOptions(assertFormats: assertFormats) }

    func run() throws {
        if batch { try runBatch() } else { try runFiles() }
    }

    private func read(_ path: String) throws -> JSONValue {
        guard let data = FileManager.default.contents(atPath: path) else {
            printError("\(path): cannot read")
            throw ExitCode(2)
        }
        do { return try JSONParser(limits: .documents).parse([UInt8](data)) } catch {
            printError("\(path): not valid JSON: \(error)")
            throw ExitCode(2)
        }
    }

    private func runFiles() throws {
        let schemaValue = try read(files[0])
        let validator: JSONSchemaValidator
        do {
            validator = try JSONSchemaValidator(schema: schemaValue, baseURI: URL(fileURLWithPath: files[0]).absoluteString,
                                                registry: registry, options: options)
        } catch {
            printError("\(files[0]): invalid schema: \(error) [\(error.code.rawValue)]")
            throw ExitCode(2)
        }
        var anyInvalid = false
        for path in files.dropFirst() {
            let instance = try read(path)
            let result = validator.validate(instance, mode: firstError ? .firstError : .allErrors)
            anyInvalid = anyInvalid || !result.isValid
            if json {
                print(result.basicOutput.jsonText)
            } else if result.isValid {
                print("\(path): valid")
            } else {
                print("\(path): invalid")
                for e in result.errors { print("  \(e.instanceLocation.isEmpty ? "/" : e.instanceLocation): \(e.message) [\(e.keywordLocation)]") }
            }
        }
        if anyInvalid { throw ExitCode(1) }
    }

    private func runBatch() throws {
        var cache: [String: JSONSchemaValidator] = [:]
        let registry = self.registry
        while let line = Swift.readLine(strippingNewline: true) {
            if line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { continue }
            print(answer(line, registry, &cache))
        }
    }

    private func answer(_ line: String, _ registry: SchemaRegistry, _ cache: inout [String: JSONSchemaValidator]) -> String {
        var out = JSONOut()
        let value: JSONValue
        do { value = try JSONParser(limits: .documents).parse(line) } catch {
            out.add("error", "line is not valid JSON: \(error)")
            return out.text
        }
        guard let schema = value["schema"], let instance = value["instance"] else {
            out.add("error", "a line needs \"schema\" and \"instance\"")
            return out.text
        }
        let key = schema.jsonText
        let validator: JSONSchemaValidator
        if let cached = cache[key] { validator = cached } else {
            do {
                validator = try JSONSchemaValidator(schema: schema, registry: registry, options: options)
            } catch {
                out.add("error", "invalid schema: \(error) [\(error.code.rawValue)]")
                return out.text
            }
            if cache.count > 1_000 { cache.removeAll() }
            cache[key] = validator
        }
        let result = validator.validate(instance, mode: firstError ? .firstError : .allErrors)
        out.add("valid", result.isValid)
        let errors = result.basicOutput["errors"]?.jsonText ?? "[]"
        out.add("errors", raw: errors)
        return out.text
    }
}
