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


def as_terminal_shows(out):
    """QEMU's console output as text, the way a terminal leaves it: CR LF
    is a newline, and "CR ESC [ K" (the monitor's console erasing its
    open line, kernel/console.h) wipes what came before it on its line."""
    text = out.decode("utf-8", errors="replace").replace("\r\n", "\n")
    return re.sub(r"[^\n]*\r\x1b\[K", "", text)


def boot(cpus=4, nodes=2, mem=256, dist=20, kernel=HYP, timeout=30,
         cpu="rv64", extra=(), bundle=None, until=None, keys=(), disk=None):
    """Boot `kernel` on the machine the knobs describe; return a Run.

    bundle: a VM bundle to hand the monitor (QEMU's -initrd).
    disk: a raw disk image for the machine's virtio-blk disk.
    keys: (regex, bytes) pairs: once the output matches the regex (a
    multi-line one: ^ and $ match at line ends; lines end in \r\n here),
    type the bytes on the console (QEMU's stdin), in order.
    until: a regex; once a line of output matches it, QEMU is stopped and
    the run counts as a clean exit (for machines that never power off by
    themselves, e.g. with a guest that spins forever).
    A run that does not end within `timeout` seconds is killed and marked
    timed_out: a hang is a failure, never a wait."""
    extra = list(extra)
    if bundle is not None:
        extra = ["-initrd", bundle] + extra
    cmd = qemu.qemu_command(cpus, nodes, mem, dist, kernel, cpu=cpu,
                            extra=extra, disk=disk)
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if keys else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out, timed_out, stopped = b"", False, False
    keys = [(re.compile(k.encode(), re.M), v) for k, v in keys]
    pattern = re.compile(until.encode()) if until else None
    deadline = start + timeout
    os.set_blocking(proc.stdout.fileno(), False)
    while True:
        chunk = proc.stdout.read()
        if chunk:
            out += chunk
        if pattern is not None and pattern.search(out):
            stopped = True
            break
        if keys and keys[0][0].search(out):
            proc.stdin.write(keys.pop(0)[1])
            proc.stdin.flush()
        if proc.poll() is not None:
            out += proc.stdout.read() or b""
            break
        if time.monotonic() > deadline:
            timed_out = True
            break
        time.sleep(0.02)
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    text = as_terminal_shows(out)
    status = 0 if stopped else proc.returncode
    return Run(cmd, text, status, timed_out, time.monotonic() - start)


GUESTS = os.path.join(ROOT, "build", "tests", "guests")
BUNDLES = os.path.join(ROOT, "build", "tests", "bundles")


def make_bundle(name, dts, search=(GUESTS,)):
    """Write VM configuration `dts` (device-tree source text, see
    hyp/vm/vmconfig.h) and pack it with its images into a VM bundle with
    tools/mkbundle.py; return the bundle's path."""
    os.makedirs(BUNDLES, exist_ok=True)
    src = os.path.join(BUNDLES, name + ".dts")
    out = os.path.join(BUNDLES, name + ".bundle")
    with open(src, "w") as f:
        f.write(dts)
    p = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "mkbundle.py"),
                        "--config", src, "--search", ":".join(search), "-o", out],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise TestFailure("mkbundle failed", p.stdout + p.stderr)
    return out


def vm_config(*vms):
    """Device-tree source for a VM configuration: each vm is a dict with
    the properties of hyp/vm/vmconfig.h (vcpus, memory-mib, home-node, image,
    bootargs), and "name", which becomes the node's name."""
    lines = ["/dts-v1/;", "/ {"]
    for i, vm in enumerate(vms):
        lines.append(f"  {vm.get('name', f'vm{i}')} {{")
        lines.append('    compatible = "disco-v,vm";')
        for key, val in vm.items():
            if key == "name":
                continue
            if val is True:                      # an empty property
                lines.append(f"    {key};")
            elif isinstance(val, int):
                lines.append(f"    {key} = <{val}>;")
            else:
                lines.append(f'    {key} = "{val}";')
        lines.append("  };")
    lines.append("};")
    return "\n".join(lines) + "\n"


def counters(run, vm):
    """The monitor's counters for `vm` as a dict: every name=value pair on
    its "counters <vm>: ..." lines (hyp/vm/vm.c: vm_print_counters)."""
    found = {}
    for line in run.output.splitlines():
        if line.startswith(f"counters {vm}: "):
            for word in line.split()[2:]:
                if "=" in word:
                    k, v = word.split("=", 1)
                    found[k] = int(v)
    if not found:
        run.fail(f"no counters printed for VM {vm}")
    return Counters(run, vm, found)


class Counters(dict):
    """A VM's counters; asking for one the monitor did not print is a test
    failure that keeps the run's output, not a bare KeyError."""

    def __init__(self, run, vm, values):
        super().__init__(values)
        self.run, self.vm = run, vm

    def __missing__(self, key):
        self.run.fail(f"VM {self.vm}: no counter {key!r} printed")
