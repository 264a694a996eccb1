import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The latency floor: a minimal blocking echo server over a unix socket.
struct EchoServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo-server",
        abstract: "Run a minimal unix-socket echo server (the latency floor for `bench --floor`).",
        discussion: "It returns every byte it reads, one thread per connection, like a ten-line C echo server. Stop it with SIGTERM.")

    @Option(help: "Socket path to listen on.") var socket: String

    func run() throws {
        let listener = try RawSocket.listen(socket)
        signal(SIGPIPE, SIG_IGN)
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { if errno == EINTR { continue }; throw ExitCode(1) }
            let thread = Thread {
                var buffer = [UInt8](repeating: 0, count: 65_536)
                while true {
                    let n = buffer.withUnsafeMutableBytes { read(client, $0.baseAddress, $0.count) }
                    if n <= 0 { break }
                    let ok = buffer.withUnsafeBytes { RawSocket(fd: client).writeAll(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                    if !ok { break }
                }
                Glibc.close(client)
            }
            thread.start()
        }
    }
}
