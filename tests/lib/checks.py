"""Assertions for the Python test scripts: each check counts, a failed one
is printed at once, and finish() prints "N passed, M failed" and exits 1
when any failed. Also a free loopback port."""
import socket
import sys


class Checks:
    def __init__(self, name):
        self.name, self.passed, self.failed = name, 0, []

    def __call__(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed.append(what)
            print("%s: FAIL: %s" % (self.name, what), flush=True)

    def finish(self):
        print("%s: %d passed, %d failed" % (self.name, self.passed,
                                            len(self.failed)))
        sys.exit(1 if self.failed else 0)


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on (now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
