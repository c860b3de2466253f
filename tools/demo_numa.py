#!/usr/bin/env python3
"""tools/demo_numa.py: pages that follow their users, live (`make demo-numa`).

A lecture demo of lab 4 (Disco 4.2.3, "NUMA memory management"). One
guest-os VM of two vCPUs spans both nodes of a 2-hart, 2-node machine
(span-nodes: chunk k of its RAM and vCPU k on node k), and runs two
copies of `engineering` at once, one per vCPU. guest-os knows nothing of
nodes: it hands out pages from the bottom of its RAM, which is node 0's
chunk, so the copy on vCPU 1 starts with every one of its pages remote.
With numa-policy "migrate" (hyp/mem/numa.h) the monitor finds those pages
by hinting faults and moves them to node 1.

The whole run is under the NUMA cost model (tools/numa-model/), with its
`interval=` argument: every --interval million instructions, each hart
prints its line (cumulative counts). This script reads QEMU's output as it
comes and prints, at most once a second, one line:

  t (wall s)  modelled ms  local share of the misses since the last line,
  per hart and for both, and since the start  pages migrated

The share of hart 1 (node 1) starts near 0% and climbs as its pages
arrive. The monitor prints its policy's counters every second (a
`numa-report:` line with vm=, migrated= and replicated=, asked for with
the configuration's memory-report-ms; see NUMA_REPORT below), and again
when the VM stops. Meanwhile it rewrites an SVG chart of the
local share over modelled time (written by hand, as tools/bench.py's
charts): build/demo/numa.svg. It ends when the VM powers off. Headless:
no terminal needed, QEMU's input is closed.

With --rebalance, the scheduler's part (hyp/cpu/sched.c): two guest-os
VMs of one vCPU each, eng-a and eng-b, both homed on node 0 with the same
policy, each running one `engineering`. Node 0's one hart is overloaded,
hart 1 (node 1) idles: once one vCPU has waited in line three slices, the
scheduler moves it to hart 1 (whichever waited its three slices first),
and the policy then moves its pages after it. The live line adds the
vCPU moves (vcpu-moves, both VMs together, as "migrated" is): it goes to
1, hart 1's share of local misses starts near 0% (it runs a VM whose
memory is all on node 0) and climbs as "migrated" climbs, while hart 0
stays local. With --policy off as well, the vCPU still moves (any hart
may take it) but its pages stay behind: hart 1 stays remote.

  python3 tools/demo_numa.py [--mrefs 3] [--policy migrate|replicate|off]
                             [--rebalance] [--interval 40] [--out build/demo/numa.svg]
"""

import argparse
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
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
VM = "eng"
REBALANCE_VMS = ("eng-a", "eng-b")   # --rebalance: both on node 0
HARTS = 2
# The policy's knobs (hyp/vm/vmconfig.h): as make bench's figure-8 runs.
SCAN_MS, SCAN_PAGES = 10, 256
# The monitor's periodic line of the policy's counters (hyp/vm/vm.h):
#   numa-report: t-ms=1000 vm=eng revoked=.. hints=.. migrated=.. ...
NUMA_REPORT = re.compile(r"^numa-report: (.*)$")
MODEL_LINE = re.compile(r"^numa-model (hart\d+|total): (.*)$")
COUNTERS = re.compile(r"^counters (\S+): numa (.*)$")


def need_tools():
    """The programs and build outputs the demo runs, or exit with what is
    missing and how to get it."""
    qemurun.need_demo_tools("demo-numa", (HYP, os.path.join(GOS, "kernel.elf"),
                                        os.path.join(GOS, "fs.img"), qemu.NUMA_MODEL))


def machine_command(mrefs, policy, interval, rebalance, work):
    """QEMU's command: the monitor with one spanning guest-os VM running
    two engineering copies (or, for rebalance, two VMs of one vCPU on node
    0, each running one copy, on one copy-on-write disk), under the cost
    model printing every interval million instructions. Its disk and VM
    bundle are `work`.img and `work` (beside the chart: two demos with
    different charts, as the tests run them at once, share no file)."""
    disk = work + ".img"
    numa = {} if policy == "off" else {"numa-policy": policy, "numa-scan-ms": SCAN_MS,
                                       "numa-scan-pages": SCAN_PAGES}
    if rebalance:
        vms = [dict({"name": name, "vcpus": 1, "memory-mib": 64, "home-node": 0,
                     "image": "kernel.elf", "bootargs": f'autorun="engineering {mrefs}"',
                     "disk-mib": 8, "disk-image": "fs.img", "disk-mode": "cow"}, **numa)
               for name in REBALANCE_VMS]
        disk_out = disk
    else:
        shutil.copyfile(os.path.join(GOS, "fs.img"), disk)
        vms = [dict({"name": VM, "vcpus": HARTS, "memory-mib": 64, "span-nodes": True,
                     "image": "kernel.elf",
                     "bootargs": f'autorun="engineering {mrefs} & engineering {mrefs}; wait"',
                     "disk-mib": os.path.getsize(disk) >> 20}, **numa)]
        disk_out = None
    # The monitor's memory report, every second: with it comes each VM's
    # numa-report line (its policy's counters, pages per node, vCPU moves).
    dts = qemurun.vm_config(*vms).replace("/ {", "/ {\n  memory-report-ms = <1000>;", 1)
    bundle = qemurun.pack_bundle(dts, work, [GOS], disk_out=disk_out)
    return qemu.qemu_command(HARTS, 2, 256, 20, HYP, disk=disk,
                             extra=["-initrd", bundle] + NO_FSYNC,
                             numa_model=f"interval={interval}")


def words(text):
    """name=value words -> {name: float or str} ("55.2%" -> 55.2)."""
    out = {}
    for k, v in re.findall(r"([\w-]+)=(\S+)", text):
        try:
            out[k] = float(v.rstrip("%"))
        except ValueError:
            out[k] = v
    return out


def share(local, remote):
    return 100 * local / (local + remote) if local + remote else None


def fmt(v):
    return f"{v:.0f}%" if v is not None else "-"


def chart(points, path, policy):
    """An SVG line chart of the local share (per hart and for both, over
    each live line's interval) against modelled time. points: dicts with
    "t" (modelled s) and "hart0", "hart1", "all" (percent or None)."""
    w, h, left, right, top, bottom = 640, 340, 60, 20, 40, 60
    tmax = max([0.1] + [p["t"] for p in points])
    pw, ph = w - left - right, h - top - bottom
    def x(t):
        return left + pw * t / tmax
    def y(v):
        return top + ph * (1 - v / 100)
    out = svgchart.start(w, h, f'Local share of cache misses, numa-policy "{policy}" '
                         "(modelled)")
    out += svgchart.axes(left, top, pw, ph, "modelled seconds", "local misses %", h)
    for k in range(5):
        v, t = 25 * k, tmax * k / 4
        out.append(svgchart.gridline(left, left + pw, y(v), v) +
                   f'<text x="{x(t):.1f}" y="{top + ph + 16}" '
                   f'text-anchor="middle">{t:.1f}</text>')
    series = (("all", "both harts", "#3572b0"), ("hart0", "hart 0 (node 0)", "#4a9a4a"),
              ("hart1", "hart 1 (node 1)", "#d98b2b"))
    for key, _, color in series:
        svgchart.polyline(out, [(x(p["t"]), y(p[key])) for p in points
                                if p[key] is not None], color)
    svgchart.legend(out, left, h - 8, [(label, color) for _, label, color in series], 160)
    svgchart.write(out, path)


# What the VMs say that is worth a line of its own in the demo.
EVENTS = re.compile(r"^(\[eng[-\w]*\] engineering: checksum.*|vm \S+: stopped.*|panic: .*|"
                    r"counters eng[-\w]*: (numa|memory) .*)$")


class Live:
    """The model's interval lines as they come, turned into live lines."""

    def __init__(self, out, policy, rebalance):
        self.out, self.policy, self.rebalance = out, policy, rebalance
        self.now = {}             # hart -> its latest cumulative line
        self.then = {}            # hart -> its line at the last live line
        self.points = []
        self.reports = {}         # VM -> its latest numa-report words
        self.last_print = 0.0

    def total(self, key):
        """A numa-report count, all VMs together, or "-" before any."""
        if not self.reports:
            return "-"
        return f"{sum(r.get(key, 0) for r in self.reports.values()):.0f}"

    def model_line(self, hart, values):
        self.now[hart] = values

    def due(self):
        """A live line when every hart has reported since the last one and
        a second has passed."""
        return (len(self.now) == HARTS and time.monotonic() - self.last_print >= 1.0 and
                all(self.now[h] is not self.then.get(h) for h in self.now))

    def print_line(self, start):
        self.last_print = time.monotonic()
        point = {"t": max(v["time-ms"] for v in self.now.values()) / 1000}
        tl = tr = cl = cr = 0
        for h in sorted(self.now):
            v, before = self.now[h], self.then.get(h, {})
            dl = v["misses-local"] - before.get("misses-local", 0)
            dr = v["misses-remote"] - before.get("misses-remote", 0)
            point[h] = share(dl, dr)
            tl, tr = tl + dl, tr + dr
            cl, cr = cl + v["misses-local"], cr + v["misses-remote"]
        point["all"] = share(tl, tr)
        self.then = dict(self.now)
        self.points.append(point)
        moves = f" {self.total('vcpu-moves'):>10}" if self.rebalance else ""
        print(f"{time.monotonic() - start:>6.1f} {point['t'] * 1000:>9.0f} "
              f"{fmt(point.get('hart0')):>6} {fmt(point.get('hart1')):>6} "
              f"{fmt(point['all']):>6} {fmt(share(cl, cr)):>7} "
              f"{self.total('migrated'):>9}{moves}", flush=True)
        chart(self.points, self.out, self.policy)


def lines_of(proc):
    """proc's output lines as they come, from its stdout (the console) and
    its stderr (the model's lines) read apart, by a thread each: QEMU
    writes the console a byte at a time, so on one pipe a model line could
    land inside a console line and cut it."""
    lines = queue.Queue()
    def pump(stream):
        for raw in stream:
            lines.put(raw)
        lines.put(None)
    for stream in (proc.stdout, proc.stderr):
        threading.Thread(target=pump, args=(stream,), daemon=True).start()
    ended = 0
    while ended < 2:
        raw = lines.get()
        if raw is None:
            ended += 1
        else:
            yield raw


def main():
    p = argparse.ArgumentParser(description="Pages that follow their users, live.")
    p.add_argument("--mrefs", type=int, default=3,
                   help="millions of references per engineering copy (default 3)")
    p.add_argument("--policy", default="migrate", choices=("migrate", "replicate", "off"),
                   help='the VM\'s numa-policy (default "migrate"; "off" to compare)')
    p.add_argument("--rebalance", action="store_true",
                   help="two 1-vCPU VMs on node 0: the scheduler moves one to node 1, "
                        "its pages follow")
    p.add_argument("--interval", type=int, default=40,
                   help="the model's report period, millions of instructions per hart")
    p.add_argument("--out", default=os.path.join(DEMO, "numa.svg"), help="the chart")
    p.add_argument("--timeout", type=int, default=600, help="give up after this many s")
    a = p.parse_args()
    if a.mrefs < 1 or a.interval < 1:
        sys.exit("demo-numa: --mrefs and --interval must be at least 1")
    need_tools()
    os.makedirs(DEMO, exist_ok=True)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    work = os.path.splitext(os.path.abspath(a.out))[0]
    cmd = machine_command(a.mrefs, a.policy, a.interval, a.rebalance, work)
    if a.rebalance:
        print(f"demo-numa: two guest-os VMs of 1 vCPU, {' and '.join(REBALANCE_VMS)}, both "
              f"on node 0 with numa-policy \"{a.policy}\", each run `engineering "
              f"{a.mrefs}`; node 0's hart is overloaded, node 1's idles, until the "
              "scheduler moves one vCPU there")
    else:
        print(f"demo-numa: a guest-os VM of 2 vCPUs spanning 2 nodes, numa-policy "
              f"\"{a.policy}\", runs `engineering {a.mrefs}` twice at once; its pages "
              "start on node 0")
    print("demo-numa: under the NUMA cost model; the chart: "
          f"{os.path.relpath(os.path.abspath(a.out), ROOT)} (rewritten every line)")
    print("  local share of the misses since the previous line (hart 1 is on node 1), "
          "and since the start")
    moves = f" {'vcpu-moves':>10}" if a.rebalance else ""
    print(f"{'t s':>6} {'model ms':>9} {'hart0':>6} {'hart1':>6} {'both':>6} "
          f"{'overall':>7} {'migrated':>9}{moves}", flush=True)
    proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    live = Live(a.out, a.policy, a.rebalance)
    start, tail, final, numa = time.monotonic(), [], None, {}
    try:
        for raw in lines_of(proc):
            line = qemurun.as_terminal_shows(raw).rstrip("\n")
            tail = (tail + [line])[-8:]
            m = MODEL_LINE.match(line)
            if m and m.group(1) == "total":
                final = words(m.group(2))
            elif m:
                live.model_line(m.group(1), words(m.group(2)))
                if live.due():
                    live.print_line(start)
            elif NUMA_REPORT.match(line):
                r = words(NUMA_REPORT.match(line).group(1))
                if "vm" in r and "migrated" in r:
                    live.reports[r["vm"]] = r
            elif EVENTS.match(line):
                if COUNTERS.match(line):
                    numa[COUNTERS.match(line).group(1)] = words(COUNTERS.match(line).group(2))
                print(f"       {line}", flush=True)
            if time.monotonic() - start > a.timeout:
                print(f"demo-numa: no power-off in {a.timeout} s: stopping QEMU")
                break
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    if not live.points or final is None:
        print("demo-numa: the cost model printed no report; QEMU's last lines:")
        for line in tail:
            print("    " + line)
        sys.exit(1)
    chart(live.points, a.out, a.policy)
    moved = (f", {sum(n['migrated'] for n in numa.values()):.0f} pages migrated"
             if numa else "")
    if numa and a.rebalance:
        moved += f", {sum(n.get('vcpu-moves', 0) for n in numa.values()):.0f} vCPU moves"
    print(f"demo-numa: {final['local-share']:.0f}% of all misses local "
          f"(last line: {fmt(live.points[-1]['all'])}){moved}; chart: "
          f"{os.path.relpath(os.path.abspath(a.out), ROOT)}")
    return 0 if proc.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
