"""tests/system/lib.py: boot something under QEMU and look at what it said.

System tests are Python functions that boot the monitor (or, later, a guest)
on a machine described by the same knobs as `make qemu`, through the same
tools/qemu.py, and check its console output. A test returns normally when
it passes and raises TestFailure with a reason when it does not; the
console output of the run goes with the failure, and tests/run.py saves it.
"""

import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import qemu  # noqa: E402  (tools/qemu.py)

HYP = os.path.join(ROOT, "build", "hyp", "hyp.elf")


class TestFailure(Exception):
    """A failed check: the reason, and the console output to keep."""

    def __init__(self, reason, output=""):
        super().__init__(reason)
        self.output = output


class Run:
    """What one QEMU run did: its output, exit status, and whether it hung."""

    def __init__(self, cmd, output, status, timed_out, seconds):
        self.cmd = cmd
        self.output = output
        self.status = status
        self.timed_out = timed_out
        self.seconds = seconds

    def fail(self, reason):
        """Raise TestFailure with this run's command and output attached."""
        raise TestFailure(reason, "$ " + " ".join(self.cmd) + "\n" + self.output)

    def expect(self, text):
        """The output must contain `text`."""
        if text not in self.output:
            self.fail(f"expected {text!r} in the output")

    def forbid(self, text):
        """The output must not contain `text`."""
        if text in self.output:
            self.fail(f"did not expect {text!r} in the output")

    def match(self, pattern):
        """The first match of regex `pattern`, or a failure."""
        m = re.search(pattern, self.output, re.M)
        if m is None:
            self.fail(f"no line matches {pattern!r}")
        return m

    def expect_clean_exit(self):
        """QEMU must have exited by itself, with status 0, without a panic."""
        if self.timed_out:
            self.fail(f"hung: no exit within {self.seconds:.0f}s")
        self.forbid("panic:")
        if self.status != 0:
            self.fail(f"QEMU exited with status {self.status}")


def boot(cpus=4, nodes=2, mem=256, dist=20, kernel=HYP, timeout=30,
         cpu="rv64", extra=()):
    """Boot `kernel` on the machine the knobs describe; return a Run.

    A run that does not end within `timeout` seconds is killed and marked
    timed_out: a hang is a failure, never a wait."""
    cmd = qemu.qemu_command(cpus, nodes, mem, dist, kernel, cpu=cpu,
                            extra=extra)
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        out, _ = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        timed_out = True
    text = out.decode("utf-8", errors="replace").replace("\r\n", "\n")
    return Run(cmd, text, proc.returncode, timed_out,
               time.monotonic() - start)
