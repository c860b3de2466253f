#!/usr/bin/env python3
"""tools/bench.py: what virtualization costs (`make bench`).

Runs each splashos application on the bare machine and in a VM on the
monitor, and prints the time each run reports for its parallel part, and
the ratio virtualized / bare, next to what the Disco paper measured for
its workloads (Disco section 5.3, figure 5: 3% overhead for Raytrace,
6% for Engineering, 16% for Pmake and Database).

Two kinds of time:
  - one hart, with `-icount shift=0,sleep=off`: QEMU's virtual time
    advances with instructions, so a run's time does not depend on the
    host's load, and the ratio counts the monitor's extra work. (QEMU 7.2
    supports icount with one hart only.)
  - 4 harts: plain wall-clock virtual time, which the host's load blurs;
    shown for scale, and for the whole-run wall time.

A timing is a benchmark, never a test: nothing here passes or fails.
"""

import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import qemu  # noqa: E402

APPS = ["radix", "lu", "fft", "ocean", "raytrace"]
HYP = os.path.join(ROOT, "build", "hyp", "hyp.elf")
SPLASH = os.path.join(ROOT, "build", "splashos")
ICOUNT = ["-icount", "shift=0,sleep=off"]


def run(cmd, timeout=600):
    """Run QEMU; return (output, wall seconds)."""
    start = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    return p.stdout + p.stderr, time.monotonic() - start


def app_time(out, app):
    """The microseconds the app reports for its parallel part."""
    m = re.search(rf"{app}: .*check=ok .*time=(\d+)us", out)
    return int(m.group(1)) if m else None


def threads_time(out):
    """Microseconds from starting the threads to the last one finishing
    (splashos's own line): includes the first touch of the data."""
    m = re.search(r"splashos: all threads done in (\d+) us", out)
    return int(m.group(1)) if m else None


def ratio(a, b):
    return f"{b / a:.2f}" if a and b else "n/a"


def bare(app, harts, extra):
    cmd = qemu.qemu_command(harts, 1, 256, 20, os.path.join(SPLASH, f"{app}.elf"),
                            extra=["-append", f"threads={harts}"] + extra)
    return run(cmd)


def virtualized(app, harts, extra):
    bundle = os.path.join(ROOT, "build", "bundle", f"bench-{app}-{harts}.bundle")
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "mkbundle.py"),
                    "--image", f"{app}.elf", "--name", app, "--vcpus", str(harts),
                    "--memory-mib", "64", "--bootargs", f"threads={harts}",
                    "--search", SPLASH, "-o", bundle], check=True)
    cmd = qemu.qemu_command(harts, 1, 256, 20, HYP,
                            extra=["-initrd", bundle] + extra)
    return run(cmd)


def main():
    print("splashos, bare vs in a VM on the monitor (time of the parallel part)")
    print("  compute: the app's timed part; threads: start of the threads to")
    print("  the last one done, first touch of the data included")
    print(f"{'app':9} {'harts':>10} {'compute bare':>12} {'VM':>9} {'VM/bare':>7}"
          f" {'threads bare':>12} {'VM':>9} {'VM/bare':>7} {'wall bare/VM s':>15}")
    for harts, extra, label in ((1, ICOUNT, "1 (icount)"), (4, [], "4")):
        for app in APPS:
            out_b, wall_b = bare(app, harts, extra)
            out_v, wall_v = virtualized(app, harts, extra)
            cb, cv = app_time(out_b, app), app_time(out_v, app)
            tb, tv = threads_time(out_b), threads_time(out_v)
            print(f"{app:9} {label:>10} {cb or 0:>12} {cv or 0:>9} {ratio(cb, cv):>7}"
                  f" {tb or 0:>12} {tv or 0:>9} {ratio(tb, tv):>7}"
                  f" {wall_b:>7.1f}/{wall_v:<7.1f}", flush=True)
    print("Disco (figure 5): Raytrace 1.03, Engineering 1.06, Pmake 1.16, Database 1.16")


if __name__ == "__main__":
    main()
