#if canImport(Glibc)
import Glibc
#endif

/// A wake-up that a thread can wait for together with a socket becoming readable (a self-pipe
/// polled beside the socket), so one thread can both send new work and read replies.
final class Doorbell: Sendable {
    private let fd: Int32
    private let ringFD: Int32

    init() {
        var ends: [Int32] = [-1, -1]
        precondition(pipe(&ends) == 0, "pipe failed: \(String(cString: strerror(errno)))")
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        fd = ends[0]
        ringFD = ends[1]
    }

    deinit { close(fd); close(ringFD) }

    /// Wakes the waiter (rings while nobody waits are kept until the next wait; a full pipe
    /// already means "ring").
    func ring() {
        var one: UInt8 = 1
        _ = write(ringFD, &one, 1)
    }

    /// Waits up to `seconds` for a ring, or for `socket` (when >= 0) to have data or hang up.
    /// Clears the rings; returns true when the socket is ready to read.
    @discardableResult
    func wait(seconds: Double, orReadable socket: Int32 = -1) -> Bool {
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: socket, events: Int16(POLLIN), revents: 0)]
        let n = poll(&fds, socket >= 0 ? 2 : 1, Int32(max(0, (seconds * 1000).rounded(.up))))
        guard n > 0 else { return false }
        if fds[0].revents != 0 {
            var drain = [UInt8](repeating: 0, count: 256)
            while read(fd, &drain, drain.count) == drain.count {}
        }
        return socket >= 0 && fds[1].revents != 0
    }
}
