"""What the Python test scripts share: counted checks (as broker_lib.sh's
`check` counts for the shell ones) and a free loopback port."""
import socket


class Checks:
    def __init__(self):
        self.passed, self.failures = 0, []

    def __call__(self, ok, what):
        """Counts a check; a failed one is printed at once."""
        if ok:
            self.passed += 1
        else:
            self.failures.append(what)
            print("FAIL " + what, flush=True)


def free_port():
    """A TCP port on 127.0.0.1 nothing listens on (now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
