import Foundation
import Logging
import PramagentDaemon
import PramagentSystem
import PramagentWire
import SwiftProtobuf
#if canImport(Glibc)
import Glibc
#endif

/// A temporary directory with a policy bundle, removed at the end.
final class Workspace {
    let path: String

    init(policies: [String: String] = [:]) throws {
        var template = Array("/tmp/pramagent-e2e-XXXXXX".utf8CString)
        guard let created = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw TestFailure("mkdtemp failed")
        }
        path = String(cString: created)
        chmod(path, 0o755)
        try FileManager.default.createDirectory(atPath: policyDirectory, withIntermediateDirectories: true)
        for (name, text) in policies { try write(name, text) }
    }

    var policyDirectory: String { path + "/policies" }
    var decisionSocket: String { path + "/decision.sock" }
    var adminSocket: String { path + "/admin.sock" }

    func write(_ name: String, _ text: String) throws {
        try text.write(toFile: policyDirectory + "/" + name, atomically: true, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// The repository root (for the shipped policies) and the build directory (for the binaries).
enum Paths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    /// Daemons started by the tests share one compiled-rules cache (a cold compile takes a second or two).
    static let sharedRulesCache: Void = {
        setenv("PRAMAGENT_RULES_CACHE", NSTemporaryDirectory() + "pramagent-test-rules-cache-\(getuid())", 1)
    }()
    static var buildDirectory: String {
        _ = sharedRulesCache
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // swift test runs .build/<config>/<package>PackageTests.xctest
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("pramagentd").path), dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        return dir.path
    }
    static var pramagentd: String { buildDirectory + "/pramagentd" }
    static var pramagentctl: String { buildDirectory + "/pramagentctl" }
}

/// pramagentd running in this process on a workspace's sockets.
final class InProcessDaemon {
    let daemon: Daemon
    let workspace: Workspace

    init(_ workspace: Workspace, configure: (inout DaemonConfiguration) -> Void = { _ in }) async throws {
        self.workspace = workspace
        var config = DaemonConfiguration()
        config.decisionSocket = workspace.decisionSocket
        config.adminSocket = workspace.adminSocket
        config.policiesDirectory = workspace.policyDirectory
        config.stateDirectory = workspace.path
        config.threads = 2
        config.drainSeconds = 2
        configure(&config)
        var logger = Logger(label: "e2e")
        logger.logLevel = .critical
        daemon = Daemon(configuration: config, logger: logger)
        try await daemon.start()
    }

    func stop() async { await daemon.shutdown() }
}

/// A blocking frame-level client, as a client in any language would write it from proto/ and docs/protocol.md.
final class RawClient {
    let fd: Int32

    init(_ path: String, timeoutSeconds: Int = 5) throws {
        do { fd = try UnixSocket.connect(path) } catch { throw TestFailure(error.description) }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(raw bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            // MSG_NOSIGNAL: a daemon that closes the connection (as it must on a bad frame) gives
            // EPIPE here, not a SIGPIPE that kills the whole test process.
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TestFailure("write failed: \(String(cString: strerror(errno)))") }
            offset += n
        }
    }

    func send(_ request: Pramagent_V1_Request) throws { try send(raw: try Framing.frame(request)) }

    private func readExactly(_ count: Int) throws -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let n = out.withUnsafeMutableBytes { read(fd, $0.baseAddress! + offset, count - offset) }
            if n == 0 { return nil }
            guard n > 0 else { throw TestFailure("read failed or timed out: \(String(cString: strerror(errno)))") }
            offset += n
        }
        return out
    }

    /// The next response, or nil when the daemon closed the connection.
    func receive() throws -> Pramagent_V1_Response? {
        guard let header = try readExactly(4) else { return nil }
        let length = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
        guard let body = try readExactly(length) else { return nil }
        return try Pramagent_V1_Response(serializedBytes: body)
    }

    /// True when the daemon has closed its side (read returns EOF).
    func isClosedByPeer() throws -> Bool { try readExactly(1) == nil }

    func call(_ request: Pramagent_V1_Request) throws -> Pramagent_V1_Response {
        try send(request)
        guard let r = try receive() else { throw TestFailure("connection closed") }
        return r
    }

    static func check(_ tenant: String, _ tool: String, _ args: String, session: String = "s", id: UInt64 = 1,
                      operation: String = "") -> Pramagent_V1_Request {
        var r = Pramagent_V1_Request()
        r.requestID = id
        r.checkToolCall = Pramagent_V1_CheckToolCall.with {
            $0.tenant = tenant; $0.session = session; $0.tool = tool; $0.argumentsJson = args; $0.operation = operation
        }
        return r
    }
}

/// Runs a command and returns its exit status and output. A command still running after
/// `timeout` seconds is killed and reported as a failure, so no test can hang the run.
func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
         timeout: Double = 60) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let pid = process.processIdentifier
    let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    watchdog.cancel()
    if process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL {
        throw TestFailure("\(executable) \(arguments.joined(separator: " ")) did not finish within \(Int(timeout)) s")
    }
    return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

let examplesPolicy: String = {
    (try? String(contentsOfFile: Paths.root + "/policies/examples/payments.yaml", encoding: .utf8)) ?? ""
}()

/// The examples bundle without its rate limits (for tests that send many calls).
let unlimitedExamplesPolicy: String = examplesPolicy.replacingOccurrences(of: "rate: { per_second: 50, burst: 100 }", with: "")
