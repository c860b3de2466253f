"""grade/gradelib.py: the small library every lab grader is built on.

A grader is a Python file that makes a Grader, declares its tests with
points, and calls main():

    from gradelib import Grader

    g = Grader(lab=1, title="pmap", build=["all", "build/tests/guests/hello.elf"])

    @g.test("vm-hello", points=10, timeout=30)
    def vm_hello(t):
        '''One VM runs the hello guest to the end.'''
        run = t.boot(cpus=2, nodes=1, bundle=t.bundle("hello", t.vm(image="hello.elf")))
        run.expect_clean_exit()
        run.expect("[vm0] hello: done, 0 failed")

    g.main()

main() builds the tree with make, runs each test, and prints one line per
test with OK or FAIL, its points and its time, then `Score: X/Y`. A test
passes when its function returns, and fails when a check raises (Run.fail,
t.fail): all or nothing, so the points of a test are easy to explain.
The whole console output of a failed test (every QEMU run and host program
it started, each with its command) is saved in grade/out/lab<N>-<test>.log.
The exit status is 1 when any point was lost.

  python3 grade/labN.py [-k PATTERN...] [--json FILE] [--no-build]

-k runs only the tests whose name contains one of the patterns: give
several after one -k (-k walk enter) or repeat it (-k walk -k enter). A
pattern that names no test is an error that lists the tests.

--json FILE writes Gradescope's results.json format: one entry per test
(name, score, max_score, status, output) and the overall score.

Python 3 standard library only. The grader grades the tree it sits in;
QEMU commands come from that tree's tools/qemu.py, like everyone else's.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import qemu  # noqa: E402,F401  (tools/qemu.py)
# The runner, the checks on a run and the counters parser are the system
# tests' too (tools/qemurun.py): a grader and `make test` read a run alike.
import qemurun  # noqa: E402
from qemurun import TestFailure, Run, as_terminal_shows, vm_config  # noqa: E402,F401

BUILD = os.path.join(ROOT, "build")
HYP = os.path.join(BUILD, "hyp", "hyp.elf")
GUESTS = os.path.join(BUILD, "tests", "guests")
GUEST_OS = os.path.join(BUILD, "guest-os")
WORK = os.path.join(BUILD, "grade")          # bundles, host test programs
LOGS = os.path.join(ROOT, "grade", "out")    # console output of failed tests

# The host compiler and flags of the host tests: the Makefile's unit-test
# flags (sanitizers on), with grade/unit/host first on the include path so
# that its kernel/riscv.h stands in for the real one (whose inline
# assembly only a RISC-V compiler takes).
HOSTCC = os.environ.get("HOSTCC", "cc")
HOST_CFLAGS = ["-std=gnu11", "-g", "-O1", "-Wall", "-Wextra",
               "-Wno-unused-parameter", "-fsanitize=address,undefined",
               "-fno-sanitize-recover=all", "-Igrade/unit/host", "-I."]


class Test:
    """What a test function gets: helpers that boot, build bundles and run
    host programs, all of which log into this test's transcript."""

    def __init__(self, grader, name, timeout):
        self.grader = grader
        self.name = name
        self.timeout = timeout
        self.transcript = []

    def fail(self, reason):
        raise TestFailure(reason)

    def log(self, text):
        self.transcript.append(text)

    def boot(self, cpus=4, nodes=2, mem=256, dist=20, kernel=HYP, cpu="rv64",
             extra=(), bundle=None, until=None, timeout=None, disk=None,
             numa_model=None):
        """Boot `kernel` on the machine the knobs describe (the knobs of
        `make qemu`), return a Run. bundle: a VM bundle (QEMU's -initrd);
        disk: a raw image for the machine's disk (see bundle's disk_out);
        numa_model: run under the NUMA cost model (tools/numa-model/), with
        these arguments ("" for none; lab 4).
        until: a regex; QEMU is stopped once the output matches it, and the
        run counts as a clean exit. A run still going after `timeout`
        seconds (the test's timeout by default) is killed: a hang fails,
        it never waits forever."""
        cmd = qemurun.qemu_boot_command(cpus, nodes, mem, dist, kernel, cpu=cpu,
                                        extra=extra, bundle=bundle, disk=disk,
                                        numa_model=numa_model)
        return self.run(cmd, timeout=timeout, until=until)

    def run(self, cmd, timeout=None, until=None, cwd=ROOT):
        """Run any program (tools/qemurun.py's run), into the transcript."""
        r = qemurun.run(cmd, timeout or self.timeout, until=until, cwd=cwd)
        note = " (timed out)" if r.timed_out else ""
        self.log(f"$ {' '.join(cmd)}\n{r.output}\n[exit {r.status}{note}, "
                 f"{r.seconds:.1f}s]\n")
        return r

    # ---- VM bundles -----------------------------------------------------

    @staticmethod
    def vm(**props):
        """One VM of a configuration: the properties of hyp/vm/vmconfig.h
        (vcpus, memory-mib, home-node, image, bootargs; write them with _
        for -) and name (the node's name, vm0 by default)."""
        return {k.replace("_", "-"): v for k, v in props.items()}

    def bundle(self, name, *vms, vmid_bits=None, disk_out=None):
        """Write a VM configuration with these VMs (see vm()) and pack it,
        with the guest images it names (test guests, guest-os), into a VM
        bundle; return its path. vmid_bits: the configuration's vmid-bits
        (lab 2: at most that many VMID bits). disk_out: also lay out the
        machine's disk the VMs' disk properties describe, into this file
        (tools/mkbundle.py --disk-out; lab 3)."""
        path = os.path.join(WORK, "bundles", f"lab{self.grader.lab}-{name}")
        dts = vm_config(*vms)
        if vmid_bits is not None:
            dts = dts.replace("/ {", f"/ {{\n  vmid-bits = <{vmid_bits}>;", 1)
        try:
            return qemurun.pack_bundle(dts, path, [GUESTS, GUEST_OS], disk_out=disk_out)
        except TestFailure as e:
            self.log(e.output)
            self.fail(str(e))

    # ---- host tests -------------------------------------------------------

    def host_cases(self, program, cases):
        """Run host test program `program` (see grader.host_program) and
        require that each of `cases` printed "ok   <case>". Fails with the
        first failed case's own message."""
        results = self.grader.host_results(self, program)
        for case in cases:
            line = results.get(case)
            if line is None:
                self.fail(f"{program}: case {case} printed no result "
                          "(see the whole output)")
            if not line.startswith("ok"):
                self.fail(line)

    def expect_audited(self, run):
        """The run's monitor had lab 2's TLB auditor on (the graders build
        with AUDIT=1), and the auditor saw no stale translation."""
        run.expect("audit=on")
        if self.counters(run, "machine").get("audit-violations", -1) != 0:
            run.fail("the lab 2 auditor saw a stale translation")

    def counters(self, run, vm):
        """The monitor's counters for `vm`: every name=value pair on its
        "counters <vm>: ..." lines (hyp/vm/vm.c: vm_print_counters)."""
        return qemurun.counters(run, vm)


class Grader:
    """One lab's tests, their points, and the build they need."""

    def __init__(self, lab, title, build=("all",), build_points=0):
        self.lab = lab
        self.title = title
        self.build_targets = list(build)
        self.build_points = build_points
        self.tests = []               # (name, points, timeout, fn)
        self.host_programs = {}       # name -> (sources, cache of results)

    def test(self, name, points, timeout=30):
        """Decorator: a graded test worth `points`; its QEMU runs time out
        after `timeout` seconds each."""
        def register(fn):
            self.tests.append((name, points, timeout, fn))
            return fn
        return register

    def host_program(self, name, sources):
        """Declare a host test program built from `sources` (paths in the
        tree) with HOST_CFLAGS; tests use it with t.host_cases()."""
        self.host_programs[name] = [sources, None]

    def host_results(self, t, name):
        """Build and run host program `name` (once for all tests), log
        what it printed into t's transcript; return {case: its line}."""
        entry = self.host_programs[name]
        if entry[1] is None:
            entry[1] = build_and_run_host(name, entry[0])
        log, cases, error = entry[1]
        t.log(log)
        if error:
            t.fail(error)
        return cases

    # ---- running ----------------------------------------------------------

    def build(self):
        """make the targets this lab needs; returns (ok, seconds, output)."""
        start = time.monotonic()
        jobs = str(os.cpu_count() or 1)
        # AUDIT=1: the software TLB auditor is built in (lab 2 is graded
        # by it; hyp/mem/tlb_audit.h).
        cmd = ["make", "--no-print-directory", "-j", jobs, "AUDIT=1"] + self.build_targets
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=900)
        out = f"$ {' '.join(cmd)}\n{p.stdout}{p.stderr}"
        return p.returncode == 0, time.monotonic() - start, out

    def main(self):
        p = argparse.ArgumentParser(description=f"Grade lab {self.lab} ({self.title}).")
        p.add_argument("-k", dest="patterns", metavar="PATTERN", nargs="+",
                       action="extend", default=[],
                       help="only the tests whose name contains one of these "
                       "(several after one -k, or -k again)")
        p.add_argument("--json", metavar="FILE",
                       help="also write Gradescope's results.json to FILE")
        p.add_argument("--no-build", action="store_true",
                       help="do not run make first")
        a = p.parse_args()
        names = [name for name, _, _, _ in self.tests]
        unknown = [k for k in a.patterns if not any(k in n for n in names)]
        if unknown:
            p.error(f"no test of lab {self.lab} has {', '.join(map(repr, unknown))} "
                    f"in its name; the tests are: {' '.join(names)}")
        sys.exit(self.grade(a.patterns, a.json, not a.no_build))

    def grade(self, patterns=(), json_path=None, build=True):
        """Run the tests whose name contains one of `patterns` (all of
        them when there is none); print and save the results; return the
        exit status."""
        os.makedirs(LOGS, exist_ok=True)
        for old in os.listdir(LOGS):
            if old.startswith(f"lab{self.lab}-") and old.endswith(".log"):
                os.remove(os.path.join(LOGS, old))
        print(f"== lab {self.lab}: {self.title} ==", flush=True)
        results = []                  # (name, score, points, reason, output, secs)

        built, build_out = True, ""
        if build:
            built, secs, build_out = self.build()
            if self.build_points or not built:
                reason = None if built else \
                    "make failed: " + first_error(build_out)
                score = self.build_points if built else 0
                results.append(self.report("build", score, self.build_points,
                                           reason, build_out, secs))

        for name, points, timeout, fn in self.tests:
            if patterns and not any(k in name for k in patterns):
                continue
            if not built:
                results.append(self.report(name, 0, points,
                               "not run: the tree does not build", "", 0))
                continue
            t = Test(self, name, timeout)
            start = time.monotonic()
            reason = None
            try:
                fn(t)
            except TestFailure as e:
                reason = str(e)
            except Exception:           # a broken grader or a missing tool
                reason = "the grader itself failed: " + \
                    traceback.format_exc().strip().splitlines()[-1]
                t.log(traceback.format_exc())
            secs = time.monotonic() - start
            results.append(self.report(name, 0 if reason else points, points,
                                       reason, "".join(t.transcript), secs))

        score = sum(r[1] for r in results)
        total = sum(r[2] for r in results)
        print(f"Score: {score}/{total}", flush=True)
        if json_path:
            self.write_json(json_path, results, score)
        return 0 if score == total else 1

    def report(self, name, score, points, reason, output, secs):
        """Print one test's line (and why it failed); save its log."""
        mark = "OK  " if reason is None else "FAIL"
        print(f"{mark}  {score:>3}/{points:<3} {name} ({secs:.1f}s)", flush=True)
        if reason is not None:
            print(f"      {reason}", flush=True)
            if output:
                path = os.path.join(LOGS, f"lab{self.lab}-{name}.log")
                with open(path, "w") as f:
                    f.write(output)
                print(f"      whole output: {os.path.relpath(path, ROOT)}",
                      flush=True)
        return (name, score, points, reason, output, secs)

    def write_json(self, path, results, score):
        """Gradescope's results.json: the score and one entry per test."""
        tests = []
        for name, got, points, reason, output, secs in results:
            text = "passed" if reason is None else reason
            if reason is not None and output:
                text += "\n\n" + tail(output, 8000)
            tests.append({"name": f"lab {self.lab}: {name}", "score": got,
                          "max_score": points,
                          "status": "passed" if reason is None else "failed",
                          "output": text})
        doc = {"score": score, "execution_time": int(sum(r[5] for r in results)),
               "tests": tests}
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")


def build_and_run_host(name, sources):
    """Compile a host test program and run it: (log, {case: line}, error)."""
    binary = os.path.join(WORK, name)
    os.makedirs(WORK, exist_ok=True)
    cmd = [HOSTCC] + HOST_CFLAGS + ["-o", binary] + sources
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=300)
    log = f"$ {' '.join(cmd)}\n{p.stdout}{p.stderr}"
    if p.returncode != 0:
        return log, {}, f"{name} does not compile on the host: " + \
            first_error(p.stdout + p.stderr)
    try:
        p = subprocess.run([binary], cwd=ROOT, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=120)
        out, status = p.stdout + p.stderr, p.returncode
    except subprocess.TimeoutExpired as e:
        out, status = (e.stdout or b"").decode(errors="replace"), "timeout"
    log += f"$ {os.path.relpath(binary, ROOT)}\n{out}[exit {status}]\n"
    return log, parse_cases(out), None


def parse_cases(output):
    """{case: line} from a host test's "ok   case" / "FAIL case: why" lines."""
    found = {}
    for line in output.splitlines():
        m = re.match(r"^(ok|FAIL) +(\w+)(?::|$)", line)
        if m:
            found[m.group(2)] = line
    return found


def first_error(output):
    """The first line of compiler or make output that says "error"."""
    for line in output.splitlines():
        if "error" in line.lower() and not line.startswith("$ "):
            return line.strip()
    lines = [l for l in output.splitlines() if l.strip()]
    return lines[-1].strip() if lines else "(no output)"


def tail(text, limit):
    """At most the last `limit` characters of text, cut at a line."""
    if len(text) <= limit:
        return text
    cut = text[-limit:]
    return "...\n" + cut[cut.find("\n") + 1:]
