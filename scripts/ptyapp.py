"""The dashboard in a pseudo-terminal, for the measuring scripts beside this file."""
import fcntl, os, pty, select, signal, struct, termios, time


class PtyApp:
    """`binary args...` started in a pseudo-terminal of `rows`×`cols`, in `cwd`."""

    def __init__(self, binary, args, cwd, rows=40, cols=120):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.chdir(cwd)
            os.environ["TERM"] = "xterm-256color"
            os.execv(binary, [binary] + list(args))
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.buf = b""

    def read_until(self, marker: bytes, timeout: float) -> float:
        """Reads output until `marker` shows up (then drops what came before it and the
        marker); returns the time it arrived."""
        end = time.monotonic() + timeout
        while marker not in self.buf:
            left = end - time.monotonic()
            if left <= 0:
                raise SystemExit(f"timed out waiting for {marker!r}")
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                self.buf += os.read(self.fd, 65536)
        at = time.monotonic()
        self.buf = self.buf[self.buf.index(marker) + len(marker):]
        return at

    def send(self, keys: bytes):
        os.write(self.fd, keys)

    def kill(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
