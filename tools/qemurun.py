"""tools/qemurun.py: run QEMU (or any program), and look at what it said.

The one runner the system tests (tests/system/lib.py), the lab graders
(grade/gradelib.py) and the benchmarks share, so that they boot machines
the same way and read the console the same way. QEMU's command line comes
from tools/qemu.py, the same as `make qemu`'s.

A check that does not hold raises TestFailure with a reason a student can
act on; the whole console output goes with it, for the log.

Python 3 standard library only (it ships in every lab handout).
"""

import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import qemu  # noqa: E402  (tools/qemu.py)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class TestFailure(Exception):
    """A failed check: the reason in one line, and the output to keep."""

    def __init__(self, reason, output=""):
        super().__init__(reason)
        self.output = output


class Run:
    """What one run did: its command, console output (as a terminal shows
    it), exit status, and whether it hung."""

    def __init__(self, cmd, output, status, timed_out, seconds):
        self.cmd = cmd
        self.output = output
        self.status = status
        self.timed_out = timed_out
        self.seconds = seconds

    def fail(self, reason):
        """Raise TestFailure with this run's command and output attached."""
        raise TestFailure(reason, "$ " + " ".join(self.cmd) + "\n" + self.output)

    def panic_line(self):
        """The monitor's panic message, if it panicked."""
        m = re.search(r"^panic: .*$", self.output, re.M)
        return m.group(0) if m else None

    def why_not(self, reason):
        """A missing line is often the symptom of a panic or a hang: say
        that too, since it is what to look at first."""
        panic = self.panic_line()
        if panic:
            return f"{reason}; the monitor panicked first: {panic}"
        if self.timed_out:
            return f"{reason}; the machine hung ({self.seconds:.0f}s)"
        return reason

    def expect(self, text):
        """The output must contain `text`."""
        if text not in self.output:
            self.fail(self.why_not(f"expected {text!r} in the output"))

    def forbid(self, text):
        """The output must not contain `text`."""
        if text in self.output:
            self.fail(f"did not expect {text!r} in the output")

    def match(self, pattern):
        """The first match of regex `pattern` (^ and $ match at line ends),
        or a failure."""
        m = re.search(pattern, self.output, re.M)
        if m is None:
            self.fail(self.why_not(f"no line matches {pattern!r}"))
        return m

    def lines(self, prefix):
        """Every output line that starts with `prefix`."""
        return [l for l in self.output.splitlines() if l.startswith(prefix)]

    def expect_clean_exit(self):
        """The machine must have stopped by itself, with status 0, and
        without a monitor panic."""
        panic = self.panic_line()
        if panic:
            self.fail(f"the monitor panicked: {panic}")
        if self.timed_out:
            self.fail(f"hung: no exit within {self.seconds:.0f}s")
        # The software TLB auditor (built in by make test and the graders,
        # AUDIT=1; hyp/mem/tlb_audit.h): no run may have used a translation
        # that a missing fence left stale.
        if "tlb-audit: VIOLATION" in self.output:
            line = next(l for l in self.output.splitlines() if "tlb-audit: VIOLATION" in l)
            self.fail(f"the TLB auditor saw a stale translation: {line}")
        if self.status != 0:
            self.fail(f"QEMU exited with status {self.status}")


def as_terminal_shows(out):
    """Console output as text, the way a terminal leaves it: CR LF is a
    newline, and "CR ESC [ K" (the monitor's console erasing its open
    line, kernel/console.h) wipes what came before it on its line."""
    text = out.decode("utf-8", errors="replace").replace("\r\n", "\n")
    return re.sub(r"[^\n]*\r\x1b\[K", "", text)


def run(cmd, timeout, until=None, keys=(), cwd=ROOT):
    """Run `cmd`; return a Run whose output is its stdout, then its stderr.
    The two are read apart: QEMU writes the console a byte at a time and
    the NUMA model's lines (on stderr) whole, so on one pipe a model line
    could land inside a console line and cut it.

    keys: (regex, bytes) pairs: once the output matches the regex (^ and $
    match at line ends; lines end in \\r\\n here), type the bytes on the
    program's stdin, in order.
    until: a regex; once the output matches it, the program is stopped and
    the run counts as a clean exit (for machines that never power off by
    themselves, e.g. with a guest that spins forever).
    A run that does not end within `timeout` seconds is killed and marked
    timed_out: a hang is a failure, never a wait."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd,
                            stdin=subprocess.PIPE if keys else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err, timed_out, stopped = b"", b"", False, False
    keys = [(re.compile(k.encode(), re.M), v) for k, v in keys]
    pattern = re.compile(until.encode(), re.M) if until else None
    os.set_blocking(proc.stdout.fileno(), False)
    os.set_blocking(proc.stderr.fileno(), False)
    while True:
        out += proc.stdout.read() or b""
        err += proc.stderr.read() or b""
        if pattern is not None and (pattern.search(out) or pattern.search(err)):
            stopped = True
            break
        if keys and keys[0][0].search(out):
            try:
                proc.stdin.write(keys.pop(0)[1])
                proc.stdin.flush()
            except BrokenPipeError:
                # The program is gone (it powered off, or crashed): the
                # rest cannot be typed, and the checks on its output say
                # what went wrong, with the output to show.
                out += b"\r\nqemurun: program exited before all keys were typed\r\n"
                keys = []
        if proc.poll() is not None:
            out += proc.stdout.read() or b""
            err += proc.stderr.read() or b""
            break
        if time.monotonic() - start > timeout:
            timed_out = True
            break
        time.sleep(0.02)
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    status = 0 if stopped else proc.returncode
    if out and err and not out.endswith(b"\n"):
        out += b"\n"
    return Run(cmd, as_terminal_shows(out + err), status, timed_out,
               time.monotonic() - start)


def qemu_boot_command(cpus=4, nodes=2, mem=256, dist=20, kernel=None,
                      cpu="rv64", extra=(), bundle=None, disk=None,
                      numa_model=None):
    """QEMU's command to boot `kernel` on the machine the knobs describe
    (the knobs of `make qemu`), with a VM bundle as its -initrd and a raw
    disk image for the machine's virtio-blk disk, if given; under the NUMA
    cost model if numa_model is a string of its arguments ("" for none)."""
    extra = list(extra)
    if bundle is not None:
        extra = ["-initrd", bundle] + extra
    return qemu.qemu_command(cpus, nodes, mem, dist, kernel, cpu=cpu,
                             extra=extra, disk=disk, numa_model=numa_model)


def vm_config(*vms):
    """Device-tree source for a VM configuration: each vm is a dict with
    the properties of hyp/vm/vmconfig.h (vcpus, memory-mib, home-node,
    image, bootargs, ...), and "name", which becomes the node's name
    (vm0, vm1, ... by default). True is an empty property (span-nodes)."""
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
                text = val.replace("\\", "\\\\").replace('"', '\\"')
                lines.append(f'    {key} = "{text}";')
        lines.append("  };")
    lines.append("};")
    return "\n".join(lines) + "\n"


def pack_bundle(dts, path, search, disk_out=None):
    """Write VM configuration `dts` to path.dts and pack it with the guest
    images it names (found in the folders of `search`) into the VM bundle
    path.bundle with tools/mkbundle.py; return the bundle's path. With
    disk_out, also write there the machine's disk that the VMs'
    disk-image properties lay out (mkbundle.py --disk-out)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".dts", "w") as f:
        f.write(dts)
    cmd = [sys.executable, os.path.join(ROOT, "tools", "mkbundle.py"),
           "--config", path + ".dts", "--search", ":".join(search),
           "-o", path + ".bundle"]
    if disk_out is not None:
        cmd += ["--disk-out", disk_out]
    p = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        last = ((p.stdout + p.stderr).strip().splitlines() or ["?"])[-1]
        raise TestFailure(f"could not pack the VM bundle {os.path.basename(path)}: "
                          f"{last}", p.stdout + p.stderr)
    return path + ".bundle"


class Counters(dict):
    """A VM's counters; asking for one the monitor did not print is a
    failure that keeps the run's output, not a bare KeyError."""

    def __init__(self, run, vm, values):
        super().__init__(values)
        self.run, self.vm = run, vm

    def __missing__(self, key):
        self.run.fail(f"VM {self.vm}: no counter {key!r} printed")


def counters(run, vm):
    """The monitor's counters for `vm` as a dict: every name=value pair
    with a whole-number value on its "counters <vm>: ..." lines (the format
    README's "The console" gives; hyp/vm/vm.c: vm_print_counters)."""
    found = {}
    for line in run.lines(f"counters {vm}: "):
        for word in line.split()[2:]:
            if "=" in word:
                k, v = word.split("=", 1)
                if v.isdigit():
                    found[k] = int(v)
    if not found:
        run.fail(run.why_not(f"no counters printed for VM {vm}"))
    return Counters(run, vm, found)


def need_demo_tools(demo, outputs):
    """For a lecture demo (tools/demo_*.py): exit with what is missing and
    how to get it, if QEMU, dtc (for the VM bundle) or one of the build
    outputs (paths) is not there."""
    missing = []
    if shutil.which("qemu-system-riscv64") is None:
        missing.append("qemu-system-riscv64 (make deps installs it)")
    if shutil.which("dtc") is None:
        missing.append("dtc, for the VM bundle (make deps installs it)")
    for path in outputs:
        if not os.path.exists(path):
            missing.append(f"{os.path.relpath(path, ROOT)} (make {demo} builds it)")
    if missing:
        sys.exit(f"{demo}: missing: " + "; ".join(missing))
