import Foundation
import Testing
import JSONSchema

@Suite("JSON-Schema-Test-Suite draft2020-12")
struct OfficialSuiteTests {
    @Test("required tests all pass, no skip list", arguments: Suite.files(in: ""))
    func required(file: String) throws {
        let tally = try Suite.run(file: file, assertFormats: false)
        for failure in tally.failures { Issue.record("\(failure)") }
        #expect(tally.passed > 0)
    }

    @Test("the required suite is present and complete")
    func requiredSuiteIsPresent() throws {
        let files = Suite.files(in: "")
        #expect(files.count >= 40, "suite not found at \(Suite.root.path)")
        var passed = 0
        var failed = 0
        for file in files {
            let tally = try Suite.run(file: file, assertFormats: false)
            passed += tally.passed
            failed += tally.failures.count
        }
        print("JSON Schema required suite: \(passed) passed, \(failed) failed")
        #expect(failed == 0)
        #expect(passed >= 1200)
    }

    /// Optional tests: every failing group must be listed with a reason in optional-failures.txt.
    @Test("optional tests: pass rate printed, failures only where documented")
    func optional() throws {
        let files = Suite.files(in: "optional") + Suite.files(in: "optional/format")
        var passed = 0
        var failures: [Suite.Failure] = []
        for file in files {
            let tally = try Suite.run(file: file, assertFormats: file.hasPrefix("optional/format/"))
            passed += tally.passed
            failures += tally.failures
        }
        let rate = Double(passed) / Double(max(1, passed + failures.count)) * 100
        print("JSON Schema optional suite: \(passed) passed, \(failures.count) failed (\(String(format: "%.1f", rate))%)")
        let documented = Set(OptionalFailures.groups())
        for failure in failures where !documented.contains("\(failure.file) | \(failure.group)") {
            Issue.record("undocumented optional failure: \(failure)")
        }
        #expect(rate >= 95)
    }
}

enum OptionalFailures {
    /// "file | group" lines from optional-failures.txt (text after " -- " is the reason).
    static func groups() -> [String] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("optional-failures.txt")
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            if line.hasPrefix("#") || line.trimmingCharacters(in: .whitespaces).isEmpty { return nil }
            return line.components(separatedBy: " -- ").first?.trimmingCharacters(in: .whitespaces)
        }
    }
}
