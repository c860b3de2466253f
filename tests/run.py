#!/usr/bin/env python3
"""tests/run.py: run every test and count them (this is `make test`).

  1. Dump the device trees QEMU itself builds for 1, 2 and 4 nodes
     (-machine virt,dumpdtb=), for the device-tree reader's unit test.
  2. Run the host unit tests (build/tests/test_*), which print one line per
     case: "ok   name" or "FAIL name: why".
  3. Run each fuzz target (build/fuzz/fuzz_*, tests/fuzz/) for a few
     seconds from its seed corpus: "ok   fuzz/<name> (N runs)", or FAIL
     with the input that crashed it (tools/fuzz.py).
  4. Run the system tests (tests/system/test_*.py: each lists TESTS), which
     boot QEMU, two at a time.

One line per test, then "N passed, N failed" (and ", N skipped" when a
system test did not apply to this tree, each with a "skip" line saying
why); exit status 1 if anything failed. A failed test's whole output goes
to tests/out/<test name>.log.

With --linux (`make test-linux`) it runs only the Linux tests,
tests/linux/test_*.py, which boot the kernel `make linux` builds; they are
not part of the default run; each of them is skipped, with the reason,
when the kernel is not built.

  python3 tests/run.py [-k SUBSTRING] [-j JOBS] [--linux]
"""

import argparse
import concurrent.futures
import glob
import importlib
import os
import re
import subprocess
import sys
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
OUT = os.path.join(ROOT, "tests", "out")
sys.path.insert(0, os.path.join(ROOT, "tests", "system"))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import fuzz  # noqa: E402
import qemu  # noqa: E402
from lib import TestSkipped  # noqa: E402  (tests/system/lib.py)

# How long `make test` runs each fuzz target (`make fuzz` runs them longer),
# and libFuzzer's random seed for it, fixed so that a failure repeats.
FUZZ_TEST_SECONDS = 4
FUZZ_TEST_SEED = 1

# The machines whose device trees the unit test reads. test_fdt.c knows
# these shapes and checks them, so change both together.
DTB_MACHINES = {
    "virt-n1.dtb": dict(cpus=2, nodes=1),
    "virt-n2.dtb": dict(cpus=4, nodes=2),
    "virt-n4.dtb": dict(cpus=8, nodes=4, dist="0-3=40"),
}


class Results:
    """Counts, prints and logs results."""

    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0

    def ok(self, name, seconds=None, note=None):
        self.passed += 1
        t = f" ({seconds:.1f}s)" if seconds is not None else ""
        t = f" ({note})" if note is not None else t
        print(f"ok   {name}{t}", flush=True)

    def skip(self, name, reason):
        self.skipped += 1
        print(f"skip {name}: {reason}", flush=True)

    def fail(self, name, reason, output=""):
        self.failed += 1
        log = ""
        if output:
            os.makedirs(OUT, exist_ok=True)
            path = os.path.join(OUT, re.sub(r"[^\w.-]", "-", name) + ".log")
            with open(path, "w") as f:
                f.write(output)
            log = f" (output: {os.path.relpath(path, ROOT)})"
        print(f"FAIL {name}: {reason}{log}", flush=True)


def dump_dtbs(results):
    """Step 1: the device trees QEMU builds, in build/tests/dtb/."""
    where = os.path.join(BUILD, "tests", "dtb")
    os.makedirs(where, exist_ok=True)
    for name, knobs in DTB_MACHINES.items():
        path = os.path.join(where, name)
        cmd = qemu.qemu_command(dumpdtb=path, **knobs)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)
        if proc.returncode != 0 or not os.path.exists(path):
            results.fail(f"dtb/{name}", "QEMU could not dump its device tree",
                         " ".join(cmd) + "\n" + proc.stdout + proc.stderr)
    return where


def run_unit(results, binary, args, pattern):
    """Step 2: one unit-test program; each of its cases counts."""
    prog = os.path.basename(binary)
    try:
        proc = subprocess.run([binary] + args, capture_output=True, text=True,
                              timeout=300, stdin=subprocess.DEVNULL)
        out, status = proc.stdout + proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as e:
        out, status = (e.stdout or b"").decode(errors="replace"), "timeout"
    cases = 0
    for line in out.splitlines():
        m = re.match(r"^(ok|FAIL) +(\w+)(?:: (.*))?$", line)
        if not m or (pattern and pattern not in f"unit/{prog}/{m.group(2)}"):
            continue
        cases += 1
        name = f"unit/{prog}/{m.group(2)}"
        if m.group(1) == "ok":
            results.ok(name)
        else:
            results.fail(name, m.group(3) or "failed", out)
    # A crash (a sanitizer report, a segfault) ends the program early: that
    # is a failure even if every case printed so far passed.
    if status != 0 and not any(l.startswith("FAIL") for l in out.splitlines()):
        results.fail(f"unit/{prog}", f"exited with status {status}", out)
    elif cases == 0 and not pattern:
        results.fail(f"unit/{prog}", "ran no test cases", out)


def run_fuzz(results, pattern):
    """Step 3: each fuzz target for a few seconds, from its seeds alone."""
    for name in fuzz.names():
        full = f"fuzz/{name}"
        if pattern and pattern not in full:
            continue
        r = fuzz.run(name, FUZZ_TEST_SECONDS, fresh=True, seed=FUZZ_TEST_SEED)
        if r.error is None:
            results.ok(full, note=f"{r.runs} runs")
        else:
            results.fail(full, r.line()[len(full) + 2:], r.output)


def run_system(results, pattern, jobs, folder="system"):
    """Step 4: the system tests in tests/<folder>/, `jobs` at a time,
    reported in order."""
    tests = []
    sys.path.insert(0, os.path.join(ROOT, "tests", folder))
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", folder, "test_*.py"))):
        mod = importlib.import_module(os.path.basename(path)[:-3])
        for name, fn in mod.TESTS:
            full = f"{folder}/{name}"
            if not pattern or pattern in full:
                tests.append((full, fn))

    def one(test):
        name, fn = test
        start = time.monotonic()
        try:
            fn()
            return name, None, "", time.monotonic() - start
        except TestSkipped as e:        # does not apply to this tree
            return name, e, "", 0
        except Exception as e:          # a failed check, or a broken test
            out = getattr(e, "output", "") or traceback.format_exc()
            return name, str(e), out, time.monotonic() - start

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for name, error, out, secs in pool.map(one, tests):
            if error is None:
                results.ok(name, secs)
            elif isinstance(error, TestSkipped):
                results.skip(name, str(error))
            else:
                results.fail(name, error, out)


def main():
    p = argparse.ArgumentParser(description="Run Disco-V's tests.")
    p.add_argument("-k", dest="pattern", default="",
                   help="only tests whose name contains this")
    p.add_argument("-j", dest="jobs", type=int, default=2,
                   help="system tests to run at once (default 2)")
    p.add_argument("--linux", action="store_true",
                   help="run the Linux tests (tests/linux/) instead")
    a = p.parse_args()

    results = Results()
    start = time.monotonic()
    if a.linux:
        run_system(results, a.pattern, a.jobs, folder="linux")
    else:
        dtb_dir = dump_dtbs(results)
        unit_args = {"test_fdt": [dtb_dir], "test_dt_machine": [dtb_dir]}
        for binary in sorted(glob.glob(os.path.join(BUILD, "tests", "test_*"))):
            if os.access(binary, os.X_OK) and not binary.endswith(".d"):
                run_unit(results, binary,
                         unit_args.get(os.path.basename(binary), []), a.pattern)
        run_fuzz(results, a.pattern)
        run_system(results, a.pattern, a.jobs)

    print(f"({time.monotonic() - start:.0f}s)")
    skipped = f", {results.skipped} skipped" if results.skipped else ""
    print(f"{results.passed} passed, {results.failed} failed{skipped}")
    sys.exit(1 if results.failed else 0)


if __name__ == "__main__":
    main()
