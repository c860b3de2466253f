#!/usr/bin/env python3
"""tools/demo_sharing.py: transparent page sharing, live (`make demo-sharing`).

A lecture demo of lab 3 (Disco 4.2.5). Several guest-os VMs boot from one
copy-on-write disk (disk-mode "cow") whose base image holds pmake's
sources (written once by `pmake -g`, as `make bench --memory` does), and
each builds them (`pmake -s`): the monitor maps every block that two VMs
read to one machine page. The monitor prints a `memory-report:` line
every --report-ms (hyp/vm/vm.h); this script reads QEMU's output as it
comes and prints one line per report:

  t  V (guest pages backed, all VMs)  M (machine pages they take)
     shared (shared machine pages)  saved (V - M)  cow-breaks

V and M grow apart as the VMs load: what they share counts once in M.
Then the VMs idle, and the first one writes the sources again (`pmake -g
/src`, the same 48 files, in place): each block it writes that it shared
with the others breaks copy-on-write (cow-breaks jumps, M grows while V
stays: the saving shrinks). Last, the VMs power off one by one and the
machine with them: the script ends by itself.

Meanwhile it rewrites an SVG chart of V, M and shared over time (written
by hand, as tools/bench.py's charts) after each report:
build/demo/sharing.svg. Headless: no terminal needed, QEMU's input is
closed.

  python3 tools/demo_sharing.py [--vms 4] [--report-ms 1000] [--files 48]
                                [--idle 5] [--out build/demo/sharing.svg]
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import qemu  # noqa: E402
import qemurun  # noqa: E402
import svgchart  # noqa: E402

HYP = os.path.join(ROOT, "build", "hyp", "hyp.elf")
GOS = os.path.join(ROOT, "build", "guest-os")
DEMO = os.path.join(ROOT, "build", "demo")
NO_FSYNC = ["-set", "drive.hd0.cache.no-flush=on"]
VM_MIB = 32
PAGE_KIB = 4


def need_tools():
    """The programs and build outputs the demo runs, or exit with what is
    missing and how to get it."""
    qemurun.need_demo_tools("demo-sharing", (HYP, os.path.join(GOS, "kernel.elf"),
                                        os.path.join(GOS, "fs.img")))


def base_image(files):
    """build/demo/fs-src.img: fs.img with pmake's sources in /src, written
    by `pmake -g` on guest-os bare."""
    path = os.path.join(DEMO, "fs-src.img")
    shutil.copyfile(os.path.join(GOS, "fs.img"), path)
    cmd = f"pmake -g /src {files}"
    r = qemurun.run(qemu.qemu_command(1, 1, 64, 20, os.path.join(GOS, "kernel.elf"),
                                      extra=NO_FSYNC + ["-append", f'autorun="{cmd}"'],
                                      disk=path), 300)
    if f"pmake: wrote {files} sources in /src" not in r.output:
        last = (r.output.strip().splitlines() or ["no output"])[-1]
        sys.exit(f"demo-sharing: could not write the sources into {path}: {last}")
    return path


def machine_command(vms, report_ms, files, idle):
    """QEMU's command for the monitor with `vms` guest-os VMs on one cow
    disk: each builds the sources, idles; the first then writes them
    again (onto the blocks it shares: copy-on-write breaks) and idles
    again, the others idle as long. (A new file would not do: guest-os
    puts new blocks in buffers it never shared, or in freed pages it
    kept.)"""
    pmake = f"pmake -j2 -s /src {files}"
    cmds = [f"{pmake}; sleep {idle}; pmake -g /src {files}; sleep {idle}"]
    cmds += [f"{pmake}; sleep {3 * idle}"] * (vms - 1)
    dts = qemurun.vm_config(*[
        {"name": f"vm{i}", "vcpus": 1, "memory-mib": VM_MIB, "image": "kernel.elf",
         "bootargs": f'autorun="{c}"', "disk-mib": 8, "disk-image": "fs-src.img",
         "disk-mode": "cow"} for i, c in enumerate(cmds)])
    dts = dts.replace("/ {", f"/ {{\n  memory-report-ms = <{report_ms}>;", 1)
    disk = os.path.join(DEMO, "sharing.disk")
    bundle = qemurun.pack_bundle(dts, os.path.join(DEMO, "sharing"), [GOS, DEMO],
                                 disk_out=disk)
    return qemu.qemu_command(2, 1, max(256, 64 + vms * VM_MIB), 20, HYP, disk=disk,
                             extra=["-initrd", bundle] + NO_FSYNC)


def mib(pages):
    return pages * PAGE_KIB / 1024


def chart(points, path, vms):
    """An SVG line chart of V, M and shared (MiB) over time, cow-breaks on
    the right-hand axis. points: the memory-report lines' dicts."""
    w, h, left, right, top, bottom = 640, 340, 60, 70, 40, 60
    tmax = max([1.0] + [p["t-ms"] / 1000 for p in points])
    vmax = max([1.0] + [mib(p["virtual"]) for p in points]) * 1.1
    cmax = max([10] + [p["cow-breaks"] for p in points]) * 1.1
    pw, ph = w - left - right, h - top - bottom
    def x(t):
        return left + pw * t / tmax
    def y(v, top_value):
        return top + ph * (1 - v / top_value)
    out = svgchart.start(w, h, f"{vms} guest-os VMs on one copy-on-write disk: "
                         "memory over time")
    out += svgchart.axes(left, top, pw, ph, "seconds", "MiB", h)
    out.append(f'<text x="{w - 10}" y="{top + ph / 2}" text-anchor="middle" '
               f'transform="rotate(90 {w - 10} {top + ph / 2})">cow-breaks</text>')
    for k in range(5):
        v, c, t = vmax * k / 4, cmax * k / 4, tmax * k / 4
        out.append(svgchart.gridline(left, left + pw, y(v, vmax), f"{v:.1f}") +
                   f'<text x="{left + pw + 6}" y="{y(c, cmax) + 4:.1f}">{c:.0f}</text>'
                   f'<text x="{x(t):.1f}" y="{top + ph + 16}" '
                   f'text-anchor="middle">{t:.1f}</text>')
    lines = (("V (guest pages backed)", "#3572b0", lambda p: mib(p["virtual"]), vmax, ""),
             ("M (machine pages)", "#d98b2b", lambda p: mib(p["machine"]), vmax, ""),
             ("shared pages", "#4a9a4a", lambda p: mib(p["shared"]), vmax, ""),
             ("cow-breaks (right axis)", "#a03030", lambda p: p["cow-breaks"], cmax, "4,3"))
    for _, color, value, top_value, dash in lines:
        svgchart.polyline(out, [(x(p["t-ms"] / 1000), y(value(p), top_value))
                                for p in points], color, dash)
    svgchart.legend(out, left, h - 8, [(label, color) for label, color, *_ in lines], 150)
    svgchart.write(out, path)


# What the VMs say that is worth a line of its own in the demo.
EVENTS = re.compile(r"^(\[vm\d+\] pmake: (checksum|wrote|FAILED).*|"
                    r"vm vm\d+: stopped.*|panic: .*)$")


def main():
    p = argparse.ArgumentParser(description="Transparent page sharing, live.")
    p.add_argument("--vms", type=int, default=4, help="guest-os VMs (default 4)")
    p.add_argument("--report-ms", type=int, default=1000,
                   help="the monitor's memory-report period (default 1000)")
    p.add_argument("--files", type=int, default=48, help="pmake's files (default 48)")
    p.add_argument("--idle", type=int, default=5,
                   help="seconds the VMs idle between steps (default 5)")
    p.add_argument("--out", default=os.path.join(DEMO, "sharing.svg"), help="the chart")
    p.add_argument("--timeout", type=int, default=600, help="give up after this many s")
    a = p.parse_args()
    if not 1 <= a.vms <= 8:
        sys.exit("demo-sharing: --vms must be 1 to 8")
    need_tools()
    os.makedirs(DEMO, exist_ok=True)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    print(f"demo-sharing: writing pmake's sources into the base image "
          f"(pmake -g /src {a.files}, guest-os bare)", flush=True)
    base_image(a.files)
    cmd = machine_command(a.vms, a.report_ms, a.files, a.idle)
    print(f"demo-sharing: {a.vms} guest-os VMs of {VM_MIB} MiB on one copy-on-write "
          f"disk, each `pmake -s /src {a.files}`; then vm0 writes the shared "
          "sources again")
    print(f"demo-sharing: the chart: {os.path.relpath(os.path.abspath(a.out), ROOT)} "
          "(rewritten every report)")
    print(f"{'t s':>6} {'V MiB':>7} {'M MiB':>7} {'shared':>7} {'saved':>7} "
          f"{'cow-breaks':>10}", flush=True)
    proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    points, start, tail = [], time.monotonic(), []
    try:
        for raw in proc.stdout:
            line = qemurun.as_terminal_shows(raw).rstrip("\n")
            tail = (tail + [line])[-8:]
            if line.startswith("memory-report: "):
                r = {k: int(v) for k, v in re.findall(r"([\w-]+)=(\d+)", line)}
                points.append(r)
                v, m = mib(r["virtual"]), mib(r["machine"])
                saved = mib(r["virtual"] - r["machine"])
                print(f"{r['t-ms'] / 1000:>6.1f} {v:>7.1f} {m:>7.1f} "
                      f"{mib(r['shared']):>7.1f} {saved:>7.1f} {r['cow-breaks']:>10}",
                      flush=True)
                chart(points, a.out, a.vms)
            elif EVENTS.match(line):
                print(f"       {line}", flush=True)
            if time.monotonic() - start > a.timeout:
                print(f"demo-sharing: no power-off in {a.timeout} s: stopping QEMU")
                break
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    if not points:
        print("demo-sharing: the monitor printed no memory-report line; its last lines:")
        for line in tail:
            print("    " + line)
        sys.exit(1)
    chart(points, a.out, a.vms)
    top = max(points, key=lambda r: r["virtual"])
    print(f"demo-sharing: at most V = {mib(top['virtual']):.1f} MiB in "
          f"M = {mib(top['machine']):.1f} MiB; chart: "
          f"{os.path.relpath(os.path.abspath(a.out), ROOT)}")
    return 0 if proc.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
