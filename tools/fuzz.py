#!/usr/bin/env python3
"""tools/fuzz.py: run the fuzz targets (tests/fuzz/, built by `make fuzzers`)
and say what each found. This is `make fuzz`; tests/run.py uses run() for
its short runs.

  python3 tools/fuzz.py [--seconds S] [NAME ...]

Each target build/fuzz/fuzz_<name> runs for S seconds (default 60) from
its seed corpus tests/fuzz/corpus/<name>/, which it only reads, and the
inputs earlier runs found, build/fuzz/corpus/<name>/, where it adds the
new ones. One line per target:

  fuzz/vplic: 123456 runs in 60 s, cov 310 ft 1422, corpus 250 inputs, nothing found
  fuzz/fdt: CRASH after 9876 runs: ERROR: AddressSanitizer: heap-buffer-overflow ...
      reproducer: build/fuzz/crashes/fdt/crash-3f2a...
      rerun:      build/fuzz/fuzz_fdt build/fuzz/crashes/fdt/crash-3f2a...

"cov" is how many edges of the code the inputs reached, "ft" (features)
how many distinct edge-and-count pairs libFuzzer tells apart; both are
its own numbers. Exit status 1 if a target crashed or could not run.
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD_FUZZ = os.path.join(ROOT, "build", "fuzz")
SEEDS = os.path.join(ROOT, "tests", "fuzz", "corpus")


class Result:
    """What one run of one target did."""

    def __init__(self, name):
        self.name = name
        self.runs = 0
        self.cov = self.ft = self.corpus = None
        self.seconds = None
        self.error = None       # why it failed, or None
        self.reproducer = None  # the input that crashed it, if any
        self.output = ""

    def line(self):
        if self.error is None:
            return (f"fuzz/{self.name}: {self.runs} runs in {self.seconds} s, "
                    f"cov {self.cov} ft {self.ft}, corpus {self.corpus} inputs, "
                    f"nothing found")
        text = f"fuzz/{self.name}: {self.error}"
        if self.reproducer:
            rel = os.path.relpath(self.reproducer, ROOT)
            text += (f"\n    reproducer: {rel}"
                     f"\n    rerun:      build/fuzz/fuzz_{self.name} {rel}")
        return text


def names():
    """Every fuzz target in the tree: tests/fuzz/fuzz_<name>.c."""
    found = []
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "fuzz", "fuzz_*.c"))):
        name = os.path.basename(path)[len("fuzz_"):-len(".c")]
        if name != "stubs":
            found.append(name)
    return found


def why_not_built():
    """Why a target binary is missing, as far as we can tell (the same
    tests as tools/deps.sh)."""
    install = "Debian packages clang and libclang-rt-14-dev; 'make deps' installs them"
    if shutil.which("clang") is None:
        return f"not built: clang is not installed ({install})"
    runtime = subprocess.run(["clang", "--print-runtime-dir"], capture_output=True,
                             text=True).stdout.strip()
    if not os.path.exists(os.path.join(runtime, f"libclang_rt.fuzzer-{os.uname().machine}.a")):
        return f"not built: clang has no libFuzzer runtime in {runtime} ({install})"
    return "not built: see make's output above"


def run(name, seconds, fresh=False, seed=None):
    """Run target `name` for `seconds` seconds. With fresh, start from the
    seed corpus alone and keep what it finds apart (build/fuzz/test-corpus),
    as `make test` does; otherwise grow build/fuzz/corpus/<name>. A fixed
    `seed` makes libFuzzer's choices repeatable. Returns a Result."""
    r = Result(name)
    binary = os.path.join(BUILD_FUZZ, f"fuzz_{name}")
    if not os.access(binary, os.X_OK):
        r.error = why_not_built()
        return r
    work = os.path.join(BUILD_FUZZ, "test-corpus" if fresh else "corpus", name)
    if fresh:
        shutil.rmtree(work, ignore_errors=True)
    crashes = os.path.join(BUILD_FUZZ, "crashes", name)
    os.makedirs(work, exist_ok=True)
    os.makedirs(crashes, exist_ok=True)
    cmd = [binary, f"-max_total_time={seconds}", "-timeout=10",
           "-print_final_stats=1", f"-artifact_prefix={crashes}/", work]
    if seed is not None:
        cmd.insert(1, f"-seed={seed}")
    seeds = os.path.join(SEEDS, name)
    if os.path.isdir(seeds):
        cmd.append(seeds)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                              timeout=seconds + 120, stdin=subprocess.DEVNULL)
        out, status = proc.stdout + proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) \
            else (e.stdout or "")
        status = "timeout"
    r.output = " ".join(cmd) + "\n" + out
    parse(r, out)
    if status == "timeout":
        r.error = f"did not stop within {seconds + 120} s"
    elif status != 0 or r.reproducer:
        first = next((l.strip() for l in out.splitlines()
                      if "ERROR:" in l or "rule broken" in l or "runtime error" in l
                      or "deadly signal" in l), f"exit status {status}")
        r.error = f"CRASH after {r.runs} runs: {first}"
    return r


def parse(r, out):
    """Fill r's numbers from libFuzzer's output."""
    for line in out.splitlines():
        m = re.match(r"#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/", line)
        if m:
            r.runs = int(m.group(1))
            r.cov, r.ft, r.corpus = m.group(2), m.group(3), m.group(4)
        m = re.match(r"stat::number_of_executed_units: (\d+)", line)
        if m:
            r.runs = int(m.group(1))
        m = re.match(r"Done (\d+) runs in (\d+) second", line)
        if m:
            r.runs, r.seconds = int(m.group(1)), int(m.group(2))
        m = re.search(r"Test unit written to (\S+)", line)
        if m:
            path = m.group(1)
            r.reproducer = path if os.path.isabs(path) else os.path.join(ROOT, path)


def main():
    p = argparse.ArgumentParser(description="Run Disco-V's fuzz targets.")
    p.add_argument("--seconds", type=int, default=60,
                   help="how long to run each target (default 60)")
    p.add_argument("names", nargs="*", help="targets to run (default: all)")
    a = p.parse_args()
    bad = 0
    for name in a.names or names():
        print(f"fuzz/{name}: running for {a.seconds} s...", flush=True)
        r = run(name, a.seconds)
        print(r.line(), flush=True)
        if r.error:
            bad += 1
            if not r.reproducer:
                print(r.output[-3000:])
    print(f"{bad} of {len(a.names or names())} targets found something or failed"
          if bad else "Nothing found.")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
