import ArgumentParser
import Foundation
import PramagentDecision
import PramagentPolicy

struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Check and test policy bundles before reloading them.",
        subcommands: [PolicyCheckCommand.self, PolicyTestCommand.self])
}

struct PolicyCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Compile a policy directory and report every problem as file:line:column.",
        discussion: "Also runs every scanning rule's match / no_match examples. Exit status: 0 when the bundle compiles and every example holds, 1 otherwise.")

    @Argument(help: "Policy directory (its top-level *.yaml files).")
    var directory: String

    func run() throws {
        do {
            let snapshot = try PolicyLoader().load(directory: directory)
            print("ok: \(directory) compiles (version \(snapshot.version))")
            print("  files: \(snapshot.files.joined(separator: ", "))")
            print("  tools: \(snapshot.tools.count), tenants: \(snapshot.tenants.count), chains: \(snapshot.chains.count)")
            if let scanning = snapshot.scanning {
                print("  scanning: \(scanning.text.rules.count) text rules, \(scanning.arguments.rules.count) argument rules, "
                      + "\(scanning.leak.rules.count) leak rules, detectors: "
                      + "\(scanning.text.piiKinds.union(scanning.leak.piiKinds).map(\.rawValue).sorted().joined(separator: ", "))")
                print("  corpora: \(scanning.corpora.joined(separator: ", "))")
                let failures = scanning.exampleFailures()
                if !failures.isEmpty {
                    for issue in failures { printError("\(issue)") }
                    printError("\(directory): \(failures.count) rule example(s) fail")
                    throw ExitCode(1)
                }
            } else {
                print("  scanning: off (no scanning section; ScanText answers BLOCK scanning_disabled)")
            }
        } catch let error as PolicyLoadError {
            for issue in error.issues { printError("\(issue)") }
            printError("\(directory): \(error.issues.count) problem(s); the bundle would be rejected")
            throw ExitCode(1)
        }
    }
}

struct PolicyTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run the YAML test cases in DIR/tests (or --tests) against the bundle in DIR.",
        discussion: """
        Each case gives a caller, one or more requests, and the expected verdict and reason codes. \
        Cases run in process on a fresh engine each (no daemon needed). Exit status: 0 when all pass.
        """)

    @Argument(help: "Policy directory.")
    var directory: String

    @Option(help: "Directory of test files (default: DIR/tests).")
    var tests: String?

    func run() throws {
        let snapshot: PolicySnapshot
        do {
            snapshot = try PolicyLoader().load(directory: directory)
        } catch {
            for issue in error.issues { printError("\(issue)") }
            throw ExitCode(1)
        }
        let testDirectory = tests ?? (directory as NSString).appendingPathComponent("tests")
        let cases: [PolicyTestCase]
        do {
            cases = try PolicyTestLoader.load(directory: testDirectory)
        } catch {
            for issue in error.issues { printError("\(issue)") }
            throw ExitCode(1)
        }
        if cases.isEmpty {
            printError("no test cases in \(testDirectory)")
            throw ExitCode(1)
        }
        let summary = PolicyTestRunner.run(cases, on: snapshot)
        for failure in summary.failures { print("FAIL \(failure)") }
        print("\(summary.passed) passed, \(summary.failures.count) failed")
        if !summary.failures.isEmpty { throw ExitCode(1) }
    }
}
