import ArgumentParser
import Foundation
import JSONSchema

/// In-process JSON Schema benchmark: parse + validate per iteration, like a decision does.
struct BenchSchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-schema",
        abstract: "Benchmark the JSON Schema validator in process (parse included) on a schema and instance.",
        discussion: """
        Without arguments it runs the two reference cases in Benchmarks/schema: the send_payment \
        arguments, and a 5 KiB order with nested arrays against a 52-keyword schema. Compare with \
        python3 Benchmarks/schema/bench_python_jsonschema.py in the same run.
        """)

    @Option(help: "Directory with the reference cases.") var directory = "Benchmarks/schema"
    @Option(help: "Seconds per case.") var seconds = 3.0
    @Argument(help: "SCHEMA.json INSTANCE.json (optional: a custom case).") var files: [String] = []

    func run() throws {
        let cases: [(String, String, String)] = files.count == 2
            ? [("custom", files[0], files[1])]
            : [("payment", directory + "/payment.schema.json", directory + "/payment.instance.json"),
               ("order-5KiB", directory + "/order.schema.json", directory + "/order.instance.json")]
        for (name, schemaPath, instancePath) in cases {
            guard let schemaText = try? String(contentsOfFile: schemaPath, encoding: .utf8),
                  let instanceText = try? String(contentsOfFile: instancePath, encoding: .utf8) else {
                printError("cannot read \(schemaPath) or \(instancePath)")
                throw ExitCode(2)
            }
            let validator = try JSONSchemaValidator(schemaText: schemaText)
            let parser = JSONParser(limits: .arguments)
            guard validator.isValid(try parser.parse(instanceText)) else {
                printError("\(instancePath) is not valid against \(schemaPath)")
                throw ExitCode(1)
            }
            var samples: [UInt64] = []
            samples.reserveCapacity(1 << 22)
            let end = nowNanos() + UInt64(seconds * 1e9)
            var valid = true
            while true {
                let t0 = nowNanos()
                let instance = try parser.parse(instanceText)
                valid = valid && validator.validate(instance, mode: .firstError).isValid
                let t1 = nowNanos()
                samples.append(t1 - t0)
                if t1 > end { break }
            }
            samples.sort()
            func p(_ q: Double) -> Double { Double(samples[min(samples.count - 1, Int(Double(samples.count) * q))]) / 1000 }
            print(String(format: "pramagent %@: %d runs, p50 %.2f us, p99 %.2f us%@", name, samples.count, p(0.5), p(0.99), valid ? "" : " (INVALID?)"))
        }
    }
}
