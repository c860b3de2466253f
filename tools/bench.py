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

Then each guest-os workload (guest-os/user/pmake.c, engineering.c,
database.c, modelled on Disco's Pmake, Engineering and Database) on the
bare machine and in a VM of one vCPU, both on one hart with icount; the
time is the workload's own, read from the time CSR (in microseconds,
shown in ms; under icount, virtual time: one instruction a nanosecond). Each workload also prints a checksum, which must be the
same both ways. The disk is a fresh copy of guest-os's image for every
run, with QEMU's cache.no-flush (as in the tests: the guest's flushes
still reach the device, the host's fsync is skipped).

The runs with a disk are noisy even under icount (a disk wait takes what
the host's disk takes, and the host may be busy), so each guest-os run
that counts is made --repeat times (default 3): the table shows the
fastest, which is the one the host disturbed least, and the slowest
beside it, so the spread is visible.

Then 8 VMs running pmake at once on the default machine (4 harts, 2
nodes, no icount), against one VM alone: the wall time of the whole run
and the slowest VM's own time for the workload (and again on as many
harts as the host has cores, if it has fewer than 4). Then a small command's
latency (guest-os/user/interactive.c) alone and beside a VM running
database, which floods the real disk: how fairly the monitor shares it.
Then memory after Disco's figure 6 (Disco 5.3): pmake in 1, 2, 4 and 8
guest-os VMs booted from one copy-on-write disk whose base image holds
its sources, and bare: V (guest pages backed) and M (machine pages they
take) beside Disco's, and M(8 VMs) / M(1 VM) against Disco's 1.4
(build/bench/memory.svg). Then NUMA after Disco's figure 8 (Disco 5.4):
guest-os's engineering and splashos's raytrace in a VM of 2 vCPUs spanning
2 nodes, with lab 4's policy off and on, and on a 1-node machine (UMA),
all under the NUMA cost model (tools/numa-model/): modelled time and share
of local misses beside Disco's, the policy's actions per second after its
table 3, and a chart (build/bench/numa.svg). Last, an SVG chart of the overhead per workload
beside Disco's (build/bench/overhead.svg).

  python3 tools/bench.py [--splash] [--guest-os] [--many] [--latency] [--memory]
                         [--numa [--numa-size tiny]] [--repeat N]
  (default: all of them)

A timing is a benchmark, never a test: nothing here passes or fails.
"""

import argparse
import os
import re
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import qemu  # noqa: E402
# QEMU runs and VM bundles as the tests and graders make them.
import qemurun  # noqa: E402
import svgchart  # noqa: E402

APPS = ["radix", "lu", "fft", "ocean", "raytrace"]
HYP = os.path.join(ROOT, "build", "hyp", "hyp.elf")
SPLASH = os.path.join(ROOT, "build", "splashos")
ICOUNT = ["-icount", "shift=0,sleep=off"]
GOS = os.path.join(ROOT, "build", "guest-os")
BENCH = os.path.join(ROOT, "build", "bench")
NO_FSYNC = ["-set", "drive.hd0.cache.no-flush=on"]

# The workloads at their default (benchmark) sizes, and what Disco
# measured for its own (Disco section 5.3, figure 5: execution time
# virtualized / on IRIX directly).
# Sized so that each takes some hundreds of ticks... no more than the
# disk holds (pmake's 160 files and their objects and a.out: 4.5 MiB).
WORKLOADS = [("pmake", "pmake -j4 160", 1.16),
             ("engineering", "engineering 5", 1.06),
             ("database", "database 5000", 1.16)]


# Whether a run found the TLB auditor built into the monitor (warned once).
audit_warned = False


def run(cmd, timeout=600):
    """Run QEMU; return (output, wall seconds). A run killed at the
    timeout says so at the end of its output."""
    global audit_warned
    r = qemurun.run(cmd, timeout)
    note = f"\n(killed: no power-off in {timeout} s)\n" if r.timed_out else ""
    if "audit=on" in r.output and not audit_warned:
        # `make test` builds the auditor into build/hyp/hyp.elf; it checks
        # every fence and shootdown, and would be measured too.
        print("bench: WARNING: the monitor has the TLB auditor built in (AUDIT=1, "
              "as make test builds it): these numbers include its checks; "
              "`make bench` rebuilds without it")
        audit_warned = True
    return r.output + note, r.seconds


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


# Overhead per workload (VM / bare), kept for the chart.
RATIOS = {}


def bare(app, harts, extra):
    cmd = qemu.qemu_command(harts, 1, 256, 20, os.path.join(SPLASH, f"{app}.elf"),
                            extra=["-append", f"threads={harts}"] + extra)
    return run(cmd)


def virtualized(app, harts, extra):
    bundle = qemurun.pack_bundle(qemurun.vm_config(
        {"name": app, "vcpus": harts, "memory-mib": 64, "image": f"{app}.elf",
         "bootargs": f"threads={harts}"}), os.path.join(BENCH, f"{app}-{harts}"),
        [SPLASH])
    cmd = qemu.qemu_command(harts, 1, 256, 20, HYP,
                            extra=["-initrd", bundle] + extra)
    return run(cmd)


def splash():
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
            if harts == 1 and cb and cv:
                RATIOS[app] = cv / cb
            print(f"{app:9} {label:>10} {cb or 0:>12} {cv or 0:>9} {ratio(cb, cv):>7}"
                  f" {tb or 0:>12} {tv or 0:>9} {ratio(tb, tv):>7}"
                  f" {wall_b:>7.1f}/{wall_v:<7.1f}", flush=True)
    print("Disco (figure 5): Raytrace 1.03, Engineering 1.06, Pmake 1.16, Database 1.16")


# ---- guest-os workloads ----

def fresh_disk(name):
    """A fresh copy of guest-os's disk image, for one run."""
    os.makedirs(BENCH, exist_ok=True)
    path = os.path.join(BENCH, f"{name}.img")
    shutil.copyfile(os.path.join(GOS, "fs.img"), path)
    return path


def gos_bare(name, cmd, icount=ICOUNT):
    """Run `cmd` on guest-os bare, one hart, icount."""
    disk = fresh_disk(f"{name}-bare")
    extra = icount + NO_FSYNC + ["-append", f'autorun="{cmd}"']
    return run(qemu.qemu_command(1, 1, 256, 20, os.path.join(GOS, "kernel.elf"),
                                 extra=extra, disk=disk))


def gos_vm(name, cmd):
    """Run `cmd` on guest-os in a VM of one vCPU (64 MiB, the whole disk)
    on a machine of one hart, icount."""
    disk = fresh_disk(f"{name}-vm")
    bundle = qemurun.pack_bundle(qemurun.vm_config(
        {"name": name, "vcpus": 1, "memory-mib": 64, "image": "kernel.elf",
         "bootargs": f'autorun="{cmd}"', "disk-mib": os.path.getsize(disk) >> 20}),
        os.path.join(BENCH, name), [GOS])
    return run(qemu.qemu_command(1, 1, 256, 20, HYP, disk=disk,
                                 extra=["-initrd", bundle] + ICOUNT + NO_FSYNC))


def workload_result(out, name):
    """(checksum, ms) from the workload's last line ("in T us", read from
    the time CSR), or (None, None)."""
    m = re.search(rf"{name}: checksum (0x[0-9a-f]+) .* in (\d+) us", out)
    return (m.group(1), int(m.group(2)) // 1000) if m else (None, None)


def monitor_ms(out, vm):
    """The monitor's time on the VM's traps, in ms: the sum of its
    "counters <vm>: monitor-time ..." line (hyp/vm/vm.c)."""
    m = re.search(rf"counters {vm}: monitor-time (.*)", out)
    us = sum(int(v) for v in re.findall(r"=(\d+)", m.group(1))) if m else 0
    return us // 1000


def monitor_counter(out, vm, key):
    # (?<![\w-]): "hints" is not the tail of "remote-hints".
    m = re.search(rf"counters {vm}: .*(?<![\w-]){key}=(\d+)", out)
    return int(m.group(1)) if m else 0


# The bare machine's disk under icount. With sleep=off, a hart that
# waits (WFI) makes QEMU move virtual time straight to the next timer
# event: when the host has not finished a disk request by the time
# guest-os goes idle waiting for it, the wait costs up to a whole tick
# (10 ms) of virtual time, however fast the host was; and whether it had
# finished depends on the host's load. The monitor's virtual disk never
# waits that long: while requests are in flight, its idle hart's WFI has
# a timer DISKQ_POLL_IDLE_US away (hyp/dev/diskq.h), so a wait costs a few
# such steps of virtual time, as many as the host needs; its waits too
# grow with the host's load. Hence
# a second bare run with sleep=on, where idle virtual time follows the
# host's clock: a disk wait then costs what the host took, as on real
# hardware (its ratio is the one to read for the two workloads with a
# disk); and the repeats, whose fastest run is the least disturbed.
ICOUNT_SLEEP = ["-icount", "shift=0,sleep=on"]


def best_of(repeat, fn):
    """Run fn() `repeat` times; fn returns (output, wall s, ticks, sum).
    Returns the fastest run's tuple, the slowest run's ticks, and the
    set of checksums seen."""
    runs = [fn() for _ in range(repeat)]
    done = [r for r in runs if r[2] is not None]
    best = min(done, key=lambda r: r[2]) if done else runs[0]
    worst = max(r[2] for r in done) if done else None
    return best, worst, {r[3] for r in runs}


def guest_os(repeat):
    print()
    print("guest-os workloads, bare vs in a VM of 1 vCPU; 1 hart, -icount "
          "shift=0 (QEMU 7.2: icount needs one hart)")
    print("  time: the workload's own, in ms of virtual time (the time CSR; one "
          "instruction = 1 ns);")
    print("  disks: a fresh copy of fs.img each run, QEMU's cache.no-flush "
          "(as the tests)")
    print("  bare off / on: bare with sleep=off / sleep=on (idle time jumps to "
          "the next timer / follows the host)")
    print(f"  bare on and VM: the fastest of {repeat} runs (the slowest after "
          "the slash)")
    print("  VM: the monitor's time on the VM's traps; the disk requests' time "
          "from notify to answer,")
    print("  all added up (wait-us: the guest may run meanwhile); the requests")
    print(f"{'workload':12} {'bare off':>8} {'bare on':>10} {'VM':>10} "
          f"{'VM/on':>6} {'Disco':>6} {'same sum':>8} {'wall bare/VM s':>15}  "
          "VM: monitor ms, disk wait ms, disk requests r/w/flush")
    for name, cmd, disco in WORKLOADS:
        def timed(fn):
            def one():
                out, wall = fn()
                total, ticks = workload_result(out, name)
                return out, wall, ticks, total
            return one
        out_b, _ = gos_bare(name, cmd)
        sum_b, tb = workload_result(out_b, name)
        (out_s, wall_s, ts, _), ts_worst, sums_s = best_of(
            repeat, timed(lambda: gos_bare(name, cmd, ICOUNT_SLEEP)))
        (out_v, wall_v, tv, _), tv_worst, sums_v = best_of(
            repeat, timed(lambda: gos_vm(name, cmd)))
        same = "yes" if sum_b and {sum_b} == sums_s == sums_v else "NO"
        if ts and tv:
            RATIOS[name] = tv / ts
        vr = monitor_counter(out_v, name, "reads")
        vw = monitor_counter(out_v, name, "writes")
        vf = monitor_counter(out_v, name, "flushes")
        wait = monitor_counter(out_v, name, "wait-us") // 1000
        print(f"{name:12} {tb or 0:>8} {f'{ts}/{ts_worst}':>10} "
              f"{f'{tv}/{tv_worst}':>10} {ratio(ts, tv):>6} {disco:>6.2f} "
              f"{same:>8} {wall_s:>7.1f}/{wall_v:<7.1f}  "
              f"{monitor_ms(out_v, name)}, {wait}, {vr}/{vw}/{vf}", flush=True)
        if same != "yes":
            for label, out in (("bare", out_b), ("VM", out_v)):
                print(f"  {label} run's last lines:")
                for line in out.strip().splitlines()[-8:]:
                    print("    " + line)
    print("Disco (figure 5): Pmake 1.16, Engineering 1.06, Database 1.16; "
          "our target, half its overhead:")
    print("  1.08, 1.03, 1.08. Disk waits under icount grow with the host's "
          "load, bare and in the VM")
    print("  (see the comment above ICOUNT_SLEEP in tools/bench.py): read the "
          "fastest runs, on a quiet host.")


# ---- many VMs at once ----

def gos_vms(name, cmds, harts=4):
    """VMs of guest-os (1 vCPU, 40 MiB, an 8 MiB disk each, a copy of
    fs.img), VM i running cmds[i], on the default machine (4 harts, or
    `harts`, on 2 nodes, no icount: icount needs one hart). Returns
    (output, wall s)."""
    disk = os.path.join(BENCH, f"{name}.disk")
    bundle = qemurun.pack_bundle(qemurun.vm_config(*[
        {"name": f"vm{i}", "vcpus": 1, "memory-mib": 40, "image": "kernel.elf",
         "bootargs": f'autorun="{c}"', "disk-mib": 8, "disk-image": "fs.img"}
        for i, c in enumerate(cmds)]), os.path.join(BENCH, name), [GOS], disk_out=disk)
    return run(qemu.qemu_command(harts, 2, 256, 20, HYP, disk=disk,
                                 extra=["-initrd", bundle] + NO_FSYNC), timeout=1200)


def many_vms(n=8):
    """n VMs running pmake at once against one VM alone, on the default
    machine's 4 harts; and, on a host with fewer than 4 cores, again on as
    many harts as it has: each hart is a QEMU thread, and more busy
    threads than cores slow everything down far more than the work adds
    (measured on a 2-core host: 8 VMs took 3-4x longer on 4 harts than on 2)."""
    cores = os.cpu_count() or 4
    for harts in [4] + ([cores] if cores < 4 else []):
        many_vms_on(n, harts)


def many_vms_on(n, harts):
    """One table: n VMs running pmake at once against one VM alone."""
    name, cmd = "pmake", "pmake -j4 48"
    print()
    print(f"{n} VMs running `{cmd}` at once, against one VM alone; {harts} harts "
          f"on 2 nodes (this host: {os.cpu_count()} cores), no icount")
    print("  wall: QEMU's whole run (boot to power-off); last finish: the "
          "slowest VM's own time for")
    print("  the workload (time CSR); wait: the most any VM's disk requests "
          "waited in all (wait-us)")
    print(f"{'VMs':>4} {'wall s':>8} {'last finish ms':>15} {'wait ms':>8} "
          f"{'all sums right':>15}")
    base = None
    for k in (1, n):
        out, wall = gos_vms(f"many-{harts}-{k}", [cmd] * k, harts)
        times, sums = [], set()
        for i in range(k):
            m = re.search(rf"\[vm{i}\] {name}: checksum (0x[0-9a-f]+) .* in (\d+) us",
                          out)
            if m:
                sums.add(m.group(1))
                times.append(int(m.group(2)) // 1000)
        ok = len(times) == k and len(sums) == 1
        last = max(times) if times else 0
        wait = max(monitor_counter(out, f"vm{i}", "wait-us") for i in range(k)) // 1000
        if base is None:
            base = (wall, last)
        rel = f" ({wall / base[0]:.1f}x, {last / base[1]:.1f}x)" if k > 1 and base[1] else ""
        print(f"{k:>4} {wall:>8.1f} {last:>15} {wait:>8} {'yes' if ok else 'NO':>15}"
              f"{rel}", flush=True)
        if not ok:
            for line in out.strip().splitlines()[-8:]:
                print("    " + line)


# ---- a small command's latency beside a disk flood ----

def latency(repeat):
    """Issue 13, fair sharing: guest-os's `interactive` (a user's small
    commands, each a couple of file-system transactions, with a tick of
    thinking between them) alone in a VM, and beside a VM running
    `database`, which keeps the real disk busy. The disk scheduler shares
    the real disk round robin by VM (hyp/dev/diskq.c), so the small
    requests should not wait behind the flood."""
    print("\nA small command's latency (guest-os `interactive 40`: median / p90 / max "
          "us,\n  the time CSR), alone and beside a VM running `database 5000`; "
          "4 harts, no icount,\n  the run with the lowest median of "
          f"{repeat}")
    pat = r"\[vm(\d)\] interactive: \d+ commands, median (\d+) us, p90 (\d+) us, max (\d+) us"
    for label, cmds, vm in (("alone", ["interactive 40"], "0"),
                            ("beside database", ["database 5000", "interactive 40"], "1")):
        best = None
        for _ in range(repeat):
            out, _ = gos_vms("latency", cmds)
            m = [x for x in re.findall(pat, out) if x[0] == vm]
            if m and (best is None or int(m[0][1]) < best[0]):
                best = (int(m[0][1]), int(m[0][2]), int(m[0][3]))
        print(f"  {label:16} " + ("no result" if best is None else
              f"{best[0]:>7} / {best[1]:>7} / {best[2]:>7}"), flush=True)


# ---- memory, after Disco's figure 6 ----

# Disco's figure 6 (Disco 5.3): the memory of pmake on IRIX bare and in 1,
# 2, 4 and 8 VMs of IRIX under Disco, in MB: V, the VMs' virtual memory
# footprint, and M, the machine memory they take (one copy of what they
# share). The issue gives them as "23 / 27 / 36/29 / 51/33 / 77/38": read
# as IRIX bare 23, one VM 27 (V = M: nothing to share with), and V/M for
# 2, 4 and 8 VMs. (name, VMs or 0 for bare, Disco's V, Disco's M)
DISCO_FIG6 = [("bare", 0, 23, 23), ("1 VM", 1, 27, 27), ("2 VMs", 2, 36, 29),
              ("4 VMs", 4, 51, 33), ("8 VMs", 8, 77, 38)]
# pmake's size for the table, and its sources' folder on the base image.
FIG6_FILES, FIG6_SRC = 48, "/src"
FIG6_VM_MIB = 32             # each VM's memory: pmake needs less (see the table)
PAGE_KIB = 4


def memory_base_image(files=FIG6_FILES):
    """build/bench/fs-src.img: guest-os's fs.img with pmake's sources
    in /src, written by `pmake -g` on guest-os bare (the same generator,
    so the same sources and checksum). The cow VMs share it as their
    base image, as Disco's VMs shared the disk that held the IRIX
    sources (figure 6). Returns its path, or None (with the reason
    printed)."""
    path = os.path.join(BENCH, "fs-src.img")
    os.makedirs(BENCH, exist_ok=True)
    shutil.copyfile(os.path.join(GOS, "fs.img"), path)
    cmd = f"pmake -g {FIG6_SRC} {files}"
    out, _ = run(qemu.qemu_command(1, 1, 256, 20, os.path.join(GOS, "kernel.elf"),
                                   extra=NO_FSYNC + ["-append", f'autorun="{cmd}"'],
                                   disk=path))
    if f"pmake: wrote {files} sources in {FIG6_SRC}" not in out:
        print("  could not write the sources into the base image: "
              + (out.strip().splitlines() or ["no output"])[-1])
        return None
    return path


def memory_reports(out):
    """Every memory-report line's figures, as dicts (hyp/vm/vm.h)."""
    reports = []
    for line in out.splitlines():
        if line.startswith("memory-report: "):
            reports.append({k: int(v) for k, v in re.findall(r"([\w-]+)=(\d+)", line)})
    return reports


def memory_bare(cmd):
    """guest-os bare running cmd (from the base image): its power-off
    line `guest-os: memory image-pages=.. peak-pages=..` (guest-os/page.c),
    as (pages, output): the kernel image and the most pages it handed out
    at once, or None."""
    disk = os.path.join(BENCH, "fig6-bare.img")
    shutil.copyfile(os.path.join(BENCH, "fs-src.img"), disk)
    out, _ = run(qemu.qemu_command(1, 1, 64, 20, os.path.join(GOS, "kernel.elf"),
                                   extra=ICOUNT + NO_FSYNC + ["-append", f'autorun="{cmd}"'],
                                   disk=disk))
    m = re.search(r"guest-os: memory image-pages=(\d+) peak-pages=(\d+)", out)
    return (int(m.group(1)) + int(m.group(2)) if m else None), out


def memory_vms(k, cmd, report_ms=5, vm_mib=FIG6_VM_MIB):
    """k guest-os VMs of one vCPU running cmd, each from one copy-on-
    write disk of the base image (disk-mode "cow"), on one hart under
    icount, the monitor printing a memory-report line every report_ms
    (of virtual time). Returns (the report with the largest V, the
    output), the report None if there was none."""
    name = f"fig6-{k}"
    disk = os.path.join(BENCH, f"{name}.disk")
    dts = qemurun.vm_config(*[
        {"name": f"vm{i}", "vcpus": 1, "memory-mib": vm_mib, "image": "kernel.elf",
         "bootargs": f'autorun="{cmd}"', "disk-mib": 8, "disk-image": "fs-src.img",
         "disk-mode": "cow"} for i in range(k)])
    dts = dts.replace("/ {", f"/ {{\n  memory-report-ms = <{report_ms}>;", 1)
    bundle = qemurun.pack_bundle(dts, os.path.join(BENCH, name), [GOS, BENCH],
                                 disk_out=disk)
    mem = max(256, 64 + k * vm_mib)
    out, _ = run(qemu.qemu_command(1, 1, mem, 20, HYP, disk=disk,
                                   extra=["-initrd", bundle] + ICOUNT + NO_FSYNC),
                 timeout=1200)
    reports = memory_reports(out)
    return (max(reports, key=lambda r: r["virtual"]) if reports else None), out


def mib(pages):
    return pages * PAGE_KIB / 1024


def memory_table(counts=(1, 2, 4, 8), files=FIG6_FILES):
    """Disco's figure 6 for Disco-V: V and M of pmake in 1, 2, 4, 8 VMs
    booted from one cow disk, and on guest-os bare; printed beside
    Disco's, with the chart. Returns the rows (name, VMs, V MiB, M MiB)."""
    cmd = f"pmake -j4 -s {FIG6_SRC} {files}"
    print()
    print(f"Memory, after Disco's figure 6: `{cmd}` in guest-os VMs of "
          f"{FIG6_VM_MIB} MiB, 1 vCPU, all")
    print("  booted from one copy-on-write disk (disk-mode \"cow\") whose base "
          f"image holds the sources in {FIG6_SRC}")
    print("  (written once by `pmake -g`), and on guest-os bare; one hart, icount. "
          "V: the VMs' guest pages")
    print("  backed (Disco's virtual footprint); M: the machine pages they take "
          "(their private pages and")
    print("  the shared ones in use). V and M from the memory-report line with "
          "the largest V (every")
    print("  VM loaded, as pmake ends); bare: kernel image + the most pages guest-os "
          "handed out at once")
    print("  (its power-off line). Memory use barely varies between runs: one "
          "run each.")
    print("  Disco (IRIX pmake, MB): bare 23; 1 VM 27 (V = M); 2, 4, 8 VMs V/M "
          "36/29, 51/33, 77/38.")
    print("  private: V - mappings (guest pages of their own); shared: shared "
          "machine pages in use;")
    print("  mapped: guest pages mapping them; cow: copy-on-write breaks so far "
          "(buffers that held a")
    print("  shared block reused for a new one, kernel data in image pages); all "
          "in MiB but cow")
    print(f"{'config':8} {'V MiB':>7} {'M MiB':>7} {'Disco V':>8} {'Disco M':>8} "
          f"{'private':>8} {'shared':>7} {'mapped':>7} {'cow':>6} {'sums':>5}")
    if memory_base_image(files) is None:
        return []
    rows, one_vm = [], None
    for name, k, dv, dm in DISCO_FIG6:
        if k and k not in counts:
            continue
        if k == 0:
            pages, out = memory_bare(cmd)
            sums = set(re.findall(r"pmake: checksum (0x[0-9a-f]+)", out))
            ok = "yes" if len(sums) == 1 else "NO"
            if pages is None:
                print(f"{name:8} no memory line")
                continue
            rows.append((name, k, mib(pages), mib(pages)))
            print(f"{name:8} {mib(pages):>7.1f} {mib(pages):>7.1f} {dv:>8} {dm:>8} "
                  f"{'':>8} {'':>7} {'':>7} {'':>6} {ok:>5}", flush=True)
            continue
        r, out = memory_vms(k, cmd)
        sums = re.findall(r"\] pmake: checksum (0x[0-9a-f]+)", out)
        ok = "yes" if len(sums) == k and len(set(sums)) == 1 else "NO"
        if r is None:
            print(f"{name:8} no memory-report line")
            for line in out.strip().splitlines()[-8:]:
                print("    " + line)
            continue
        v, m = r["virtual"], r["machine"]
        rows.append((name, k, mib(v), mib(m)))
        if k == 1:
            one_vm = out
        print(f"{name:8} {mib(v):>7.1f} {mib(m):>7.1f} {dv:>8} {dm:>8} "
              f"{mib(v - r['mappings']):>8.1f} {mib(r['shared']):>7.1f} "
              f"{mib(r['mappings']):>7.1f} {r['cow-breaks']:>6} {ok:>5}", flush=True)
        if ok != "yes":
            for line in out.strip().splitlines()[-8:]:
                print("    " + line)
    m = {k: mm for _, k, _, mm in rows}
    if 1 in m and max(counts) in m and max(counts) > 1:
        n = max(counts)
        disco = {k: dm for _, k, _, dm in DISCO_FIG6}
        line = f"M({n} VMs) / M(1 VM) = {m[n] / m[1]:.2f}"
        if n == 8:
            line += f"; target <= 1.4 (Disco: 38/27 = {disco[8] / disco[1]:.2f})"
        print(line)
    if one_vm is not None:
        memory_breakdown(one_vm)
    return rows


def memory_breakdown(out):
    """What one VM's pages are, at its power-off (after pmake, near its
    largest V): guest-os's memory line (guest-os/page.h) and the
    monitor's memory counters for vm0."""
    g = re.search(r"\[vm0\] guest-os: memory image-pages=(\d+) peak-pages=\d+ "
                  r"pages=(\d+) kept=(\d+) bcache=(\d+)", out)
    c = re.search(r"counters vm0: memory .*pages=(\d+) private=(\d+) shared=(\d+)", out)
    if g is None or c is None:
        return
    image, used, kept, bcache = (int(x) for x in g.groups())
    pages, private, shared = (int(x) for x in c.groups())
    print(f"  one VM at its power-off, MiB: {mib(pages):.1f} backed = "
          f"{mib(private):.1f} private + {mib(shared):.1f} mapping shared pages;")
    print(f"  guest-os's view: buffer cache {mib(bcache):.1f}, freed pages kept "
          f"{mib(kept):.1f}, other pages handed out {mib(used - bcache):.1f}, "
          f"kernel image {mib(image):.1f} (its touched part)")


def memory_chart(rows, path):
    """An SVG bar chart (by hand, as chart()) of V and M per
    configuration, ours in MiB beside Disco's in MB (figure 6)."""
    disco = {name: (dv, dm) for name, _, dv, dm in DISCO_FIG6}
    w, h, left, top, bottom = 640, 320, 60, 40, 60
    ymax = max([80] + [r[2] for r in rows])
    plot_h = h - top - bottom
    def y(v):
        return top + plot_h * (1 - v / ymax)
    out = svgchart.start(w, h, "Memory of pmake: V (guest) and M (machine), after "
                         "Disco fig. 6")
    step = 10 if ymax <= 100 else 20
    for v in range(0, int(ymax) + 1, step):
        out.append(svgchart.gridline(left, w - 10, y(v), v))
    colors = ("#3572b0", "#9cc0e6", "#d98b2b", "#f0c48e")
    group = (w - left - 10) / max(1, len(rows))
    for i, (name, _, v, m) in enumerate(rows):
        bw = group * 0.8 / 4
        x0 = left + i * group + group * 0.1
        for k, val in enumerate((v, m) + disco.get(name, (None, None))):
            if val is None:
                continue
            x = x0 + k * bw
            out.append(f'<rect x="{x:.1f}" y="{y(val):.1f}" width="{bw:.1f}" '
                       f'height="{y(0) - y(val):.1f}" fill="{colors[k]}"/>'
                       f'<text x="{x + bw / 2:.1f}" y="{y(val) - 3:.1f}" font-size="9" '
                       f'text-anchor="middle">{val:.0f}</text>')
        out.append(f'<text x="{x0 + 2 * bw:.1f}" y="{h - bottom + 16}" '
                   f'text-anchor="middle">{name}</text>')
    svgchart.legend(out, left, h - 12, zip(("Disco-V V (MiB)", "Disco-V M",
                                            "Disco V (MB)", "Disco M"), colors), 140)
    svg_write(out, path)


# ---- NUMA, after Disco's figure 8 ----

# Disco's figure 8 (Disco 5.4, "NUMA memory management"): execution time
# normalised to the run with no migration or replication, and the share of
# cache misses to local memory, on FLASH as SimOS modelled it. Columns:
# "off" (IRIX's placement, the policy off), "on" (Disco's page migration
# and replication), "uma" (a machine where all memory is local).
DISCO_FIG8 = {"engineering": {"off": (100, 16), "on": (67, 78), "uma": (48, 100)},
              "raytrace": {"off": (100, 6), "on": (62, 76), "uma": (49, 100)}}
# The runs of the table, one row each: (label, machine nodes, the VM's
# numa-policy or None, which of Disco's columns it is beside). The first is
# the one the times are normalised to. Replication, when the monitor has
# it, is one more row: ("NUMA, replicate", 2, "replicate", "on").
FIG8_CONFIGS = [("NUMA, policy off", 2, None, "off"),
                ("NUMA, migrate", 2, "migrate", "on"),
                ("NUMA, replicate", 2, "replicate", "on"),
                ("UMA (1 node)", 1, None, "uma")]
# The workloads at two sizes: "full" for the bench, "tiny" for its test.
# Engineering: two copies of guest-os's engineering at once, one per vCPU
# (Disco's Engineering was several simulator processes); each copy's data
# (~8 MiB) is well beyond the model's 2 MiB cache. Raytrace: splashos's,
# with a scene of spheres^2 spheres (400: ~10 MiB) so that it misses too.
FIG8_WORKLOADS = {
    "engineering": {"full": "engineering 3 & engineering 3; wait",
                    "tiny": "engineering 2 & engineering 2; wait"},
    "raytrace": {"full": "size=256 spheres=400", "tiny": "size=128 spheres=200"},
}
# The policy's knobs in these runs (hyp/vm/vmconfig.h): a scan every
# FIG8_SCAN_MS of the monitor's clock, revoking FIG8_SCAN_PAGES pages.
FIG8_SCAN_MS, FIG8_SCAN_PAGES = 10, 256
FIG8_VM_MIB = 64
MODEL_INSN_NS = 5            # the model's insn-ns (its default)
FIG8_HARTS = 2


def model_report(out):
    """The NUMA cost model's lines (tools/numa-model/numa_model.c), as
    {"hart0": {...}, ..., "total": {...}}; the last report of each (with
    interval=, a hart prints several)."""
    found = {}
    for m in re.finditer(r"^numa-model (\w+): (.*)$", out, re.M):
        found[m.group(1)] = {k: float(v.rstrip("%"))
                             for k, v in re.findall(r"([\w-]+)=(\S+)", m.group(2))}
    return found


def fig8_vm(workload, nodes, policy, size):
    """The VM configuration of one figure-8 run, and the folders its
    images come from: two vCPUs spanning both nodes (memory in two equal
    chunks, chunk k on node k, vCPU k on node k), or homed on the one node
    of the UMA machine."""
    vm = {"name": workload, "vcpus": FIG8_HARTS, "memory-mib": FIG8_VM_MIB}
    if workload == "engineering":
        vm.update({"image": "kernel.elf",
                   "bootargs": f'autorun="{FIG8_WORKLOADS[workload][size]}"'})
        search = [GOS]
    else:
        vm.update({"image": f"{workload}.elf",
                   "bootargs": f"threads={FIG8_HARTS} {FIG8_WORKLOADS[workload][size]}"})
        search = [SPLASH]
    if nodes > 1:
        vm["span-nodes"] = True
    else:
        vm["home-node"] = 0
    if policy:
        vm.update({"numa-policy": policy, "numa-scan-ms": FIG8_SCAN_MS,
                   "numa-scan-pages": FIG8_SCAN_PAGES})
    return vm, search


def fig8_run(workload, nodes, policy, size="full", model=""):
    """One run under the cost model; a dict of what the table shows, with
    the run's output under "out"."""
    vm, search = fig8_vm(workload, nodes, policy, size)
    name = f"fig8-{workload}-{nodes}-{policy or 'off'}"
    disk, extra = None, []
    if workload == "engineering":
        disk = fresh_disk(name)
        vm["disk-mib"] = os.path.getsize(disk) >> 20
        extra = NO_FSYNC
    bundle = qemurun.pack_bundle(qemurun.vm_config(vm), os.path.join(BENCH, name), search)
    out, wall = run(qemu.qemu_command(FIG8_HARTS, nodes, 256, 20, HYP, disk=disk,
                                      extra=["-initrd", bundle] + extra,
                                      numa_model=model), timeout=600)
    with open(os.path.join(BENCH, name + ".log"), "w") as f:
        f.write(out)
    report = model_report(out)
    total = report.get("total", {})
    # The harts' time in misses: each hart's modelled time less its
    # instructions' (insn-ns, 5 by default), added up over the harts.
    stall = sum(v["time-ms"] - v["insns"] * MODEL_INSN_NS / 1e6
                for k, v in report.items() if k.startswith("hart")) if total else None
    numa = {k: monitor_counter(out, workload, k) for k in
            ("revoked", "hints", "remote-hints", "migrated", "replicated", "limited",
             "not-moved", "collapsed")}
    faults_us = sum(monitor_counter(out, workload, f"gpf-{k}-us")
                    for k in ("fetch", "load", "store"))
    if workload == "engineering":
        ok = len(re.findall(r"engineering: checksum 0x", out)) == 2
    else:
        ok = re.search(r"raytrace: .*check=ok", out) is not None
    return {"out": out, "wall": wall, "ok": ok and "total" in model_report(out),
            "time_ms": total.get("time-ms"), "share": total.get("local-share"),
            "stall_ms": stall, "insns": total.get("insns"),
            "numa": numa, "faults_us": faults_us}


def numa_table(size="full", workloads=("engineering", "raytrace")):
    """Disco's figure 8 and table 3 for Disco-V: each workload in a VM of
    two vCPUs spanning two nodes, policy off and on, and on a one-node
    machine, all under the NUMA cost model. Returns {workload: [(label,
    result dict)]} for the chart and the test."""
    print()
    print("NUMA, after Disco's figure 8: each workload in a VM of 2 vCPUs whose memory "
          "and vCPUs span")
    print("  2 nodes (span-nodes; chunk k of its RAM and vCPU k on node k), on 2 harts, "
          "under the NUMA")
    print("  cost model (tools/numa-model: 2 MiB cache per hart, 300 ns local / 900 ns "
          "remote miss);")
    print("  UMA: the same VM on a machine of 1 node. time: the model's modelled time of "
          "the whole run")
    print("  (boot included), normalised to NUMA with the policy off; local: its share of "
          "local misses.")
    print(f"  Policy on: numa-policy \"migrate\", numa-scan-ms={FIG8_SCAN_MS}, "
          f"numa-scan-pages={FIG8_SCAN_PAGES}.")
    print("  stall: the harts' modelled time in misses, added up, normalised the same "
          "way; insns: the")
    print("  instructions the harts ran, in millions. The model counts every "
          "instruction, among them a")
    print("  monitor's spin while it waits for another hart to fence (lab 2's "
          "shootdown), whose length")
    print("  is the host's, not the model's: read time with insns beside it, and stall "
          "for placement.")
    print("  Disco (figure 8): time [local share], NUMA-off / policy on / UMA. "
          "Targets: policy on >= 90%")
    print("  local misses, and its time within 15% of UMA's.")
    print("  sizes: " + ", ".join(f"{w} `{FIG8_WORKLOADS[w][size]}`" for w in workloads))
    print(f"{'workload':12} {'run':17} {'time':>6} {'local':>6} {'Disco':>10} "
          f"{'stall':>6} {'model ms':>9} {'insns M':>8} {'wall s':>7}")
    results = {}
    for workload in workloads:
        rows, base, base_stall = [], None, None
        for label, nodes, policy, disco_col in FIG8_CONFIGS:
            r = fig8_run(workload, nodes, policy, size)
            rows.append((label, r))
            if base is None:
                base, base_stall = r["time_ms"], r["stall_ms"]
            t = f"{100 * r['time_ms'] / base:.0f}" if r["time_ms"] and base else "n/a"
            st = (f"{100 * r['stall_ms'] / base_stall:.0f}"
                  if r["stall_ms"] and base_stall else "n/a")
            share = f"{r['share']:.0f}%" if r["share"] is not None else "n/a"
            dt, ds = DISCO_FIG8[workload][disco_col]
            print(f"{workload:12} {label:17} {t:>6} {share:>6} {f'{dt} [{ds}%]':>10} "
                  f"{st:>6} {r['time_ms'] or 0:>9.0f} {(r['insns'] or 0) / 1e6:>8.0f} "
                  f"{r['wall']:>7.1f}"
                  + ("" if r["ok"] else "  (the run failed: see below)"), flush=True)
            if not r["ok"]:
                why = [line for line in r["out"].splitlines()
                       if re.match(r"^(vm \S+: stopped|panic: )", line)]
                for line in why or r["out"].strip().splitlines()[-8:]:
                    print("    " + line)
        results[workload] = rows
    numa_actions(results)
    numa_targets(results)
    return results


def numa_actions(results):
    """After Disco's table 3: what the policy did, per second of modelled
    time, and the monitor's counters behind it."""
    print("Policy actions, after Disco's table 3 (per second of modelled time). us/hint: "
          "the monitor's")
    print("  time on guest-page faults, policy on minus off, per hinting fault (moves "
          "and copies")
    print("  included), on QEMU's clock, which the plugin slows: an upper bound.")
    print(f"{'workload':12} {'run':17} {'migr/s':>8} {'repl/s':>7} {'us/hint':>8}  "
          "counters: revoked hints remote-hints migrated limited not-moved replicated "
          "collapsed")
    for workload, rows in results.items():
        off = rows[0][1]
        for label, r in rows:
            n = r["numa"]
            if not n["revoked"] and not n["hints"]:
                continue
            secs = (r["time_ms"] or 0) / 1000
            per_s = (lambda v: f"{v / secs:.0f}") if secs else (lambda v: "n/a")
            us = (f"{(r['faults_us'] - off['faults_us']) / n['hints']:.0f}"
                  if n["hints"] else "n/a")
            print(f"{workload:12} {label:17} {per_s(n['migrated']):>8} "
                  f"{per_s(n['replicated']):>7} {us:>8}  {n['revoked']} {n['hints']} "
                  f"{n['remote-hints']} {n['migrated']} {n['limited']} {n['not-moved']} "
                  f"{n['replicated']} {n['collapsed']}")


def numa_targets(results):
    """One line per workload: the policy-on rows against the targets."""
    for workload, rows in results.items():
        uma = next((r for label, r in rows if label.startswith("UMA")), None)
        for label, r in rows[1:]:
            if label.startswith("UMA") or r["share"] is None or not uma or \
                    not uma["time_ms"] or not r["time_ms"]:
                continue
            over = 100 * (r["time_ms"] / uma["time_ms"] - 1)
            line = (f"target, {workload}, {label}: local {r['share']:.0f}% "
                    f"({'met' if r['share'] >= 90 else 'not met'}: >= 90%), time "
                    f"{over:+.0f}% of UMA's ({'met' if over <= 15 else 'not met'}: <= +15%)")
            if r["stall_ms"] and uma["stall_ms"]:
                line += f", stall {100 * (r['stall_ms'] / uma['stall_ms'] - 1):+.0f}%"
            print(line)


def numa_chart(results, path):
    """An SVG bar chart (by hand, as chart()) of figure 8: per workload
    and run, our normalised modelled time beside Disco's, each bar
    labelled with its share of local misses."""
    groups = [(w, label, r, DISCO_FIG8[w][col])
              for w, rows in results.items()
              for (label, r), (_, _, _, col) in zip(rows, FIG8_CONFIGS)]
    base = {w: rows[0][1]["time_ms"] for w, rows in results.items()}
    w, h, left, top, bottom = 120 + 110 * len(groups), 340, 60, 40, 80
    ymax = 140
    plot_h = h - top - bottom
    def y(v):
        return top + plot_h * (1 - v / ymax)
    out = svgchart.start(w, h, "NUMA: modelled time (NUMA-off = 100) [local misses], "
                         "after Disco fig. 8")
    for v in range(0, ymax + 1, 20):
        out.append(svgchart.gridline(left, w - 10, y(v), v))
    group = (w - left - 10) / max(1, len(groups))
    for i, (workload, label, r, (dt, ds)) in enumerate(groups):
        x0 = left + i * group + group * 0.15
        bw = group * 0.35
        ours = (100 * r["time_ms"] / base[workload]
                if r["time_ms"] and base[workload] else None)
        bars = ((ours, r["share"], "#3572b0"), (dt, ds, "#d98b2b"))
        for k, (v, share, color) in enumerate(bars):
            if v is None:
                continue
            x = x0 + k * bw
            v = min(v, ymax)
            tag = f"{v:.0f}" + (f" [{share:.0f}%]" if share is not None else "")
            out.append(f'<rect x="{x:.1f}" y="{y(v):.1f}" width="{bw:.1f}" '
                       f'height="{y(0) - y(v):.1f}" fill="{color}"/>'
                       f'<text x="{x + bw / 2:.1f}" y="{y(v) - 4:.1f}" font-size="9" '
                       f'text-anchor="middle">{tag}</text>')
        out.append(f'<text x="{x0 + bw:.1f}" y="{h - bottom + 16}" '
                   f'text-anchor="middle">{workload}</text>'
                   f'<text x="{x0 + bw:.1f}" y="{h - bottom + 30}" font-size="10" '
                   f'text-anchor="middle">{label}</text>')
    svgchart.legend(out, left + 10, h - 10, (("Disco-V (modelled)", "#3572b0"),
                                             ("Disco (SOSP 1997, fig. 8)", "#d98b2b")), 200)
    svg_write(out, path)


# ---- the charts ----

def chart(rows, path):
    """An SVG bar chart (written by hand: the standard library has no
    plotting) of the overhead per workload, VM time / bare time, ours
    beside Disco's (figure 5). rows: (name, ours or None, Disco's)."""
    w, h, left, top, bottom = 560, 300, 60, 40, 50
    ymax = max([1.8] + [r[1] or 0 for r in rows] + [r[2] for r in rows])
    plot_h = h - top - bottom
    def y(v):
        return top + plot_h * (1 - v / ymax)
    out = svgchart.start(w, h, "Virtualization overhead: time in a VM / time bare")
    for tick in range(0, int(ymax * 10) + 1, 2):
        out.append(svgchart.gridline(left, w - 10, y(tick / 10), f"{tick / 10:.1f}"))
    out.append(f'<line x1="{left}" x2="{w - 10}" y1="{y(1):.1f}" y2="{y(1):.1f}" '
               'stroke="#888" stroke-dasharray="4,3"/>')
    group = (w - left - 10) / max(1, len(rows))
    for i, (name, ours, disco) in enumerate(rows):
        x0 = left + i * group + group * 0.15
        bw = group * 0.3
        for k, (v, color) in enumerate(((ours, "#3572b0"), (disco, "#d98b2b"))):
            if v is None:
                continue
            x = x0 + k * bw
            out.append(f'<rect x="{x:.1f}" y="{y(v):.1f}" width="{bw:.1f}" '
                       f'height="{y(0) - y(v):.1f}" fill="{color}"/>'
                       f'<text x="{x + bw / 2:.1f}" y="{y(v) - 4:.1f}" '
                       f'text-anchor="middle">{v:.2f}</text>')
        out.append(f'<text x="{x0 + bw:.1f}" y="{h - bottom + 18}" '
                   f'text-anchor="middle">{name}</text>')
    svgchart.legend(out, left + 10, h - 10, (("Disco-V", "#3572b0"),
                                             ("Disco (SOSP 1997, fig. 5)", "#d98b2b")), 200)
    svg_write(out, path)


def svg_write(out, path):
    """Close the chart lines `out`, write them to path, and say where."""
    svgchart.write(out, path)
    print(f"chart: {os.path.relpath(path, ROOT)}")


def main():
    p = argparse.ArgumentParser(description="What virtualization costs.")
    p.add_argument("--splash", action="store_true", help="splashos only")
    p.add_argument("--guest-os", action="store_true", help="guest-os only")
    p.add_argument("--many", action="store_true", help="8 VMs running pmake only")
    p.add_argument("--latency", action="store_true",
                   help="a small command's latency beside database only")
    p.add_argument("--memory", action="store_true",
                   help="memory of pmake in 1 to 8 VMs on one cow disk only (Disco fig. 6)")
    p.add_argument("--numa", action="store_true",
                   help="NUMA under the cost model, policy off/on and UMA only (Disco fig. 8)")
    p.add_argument("--numa-size", choices=("full", "tiny"), default="full",
                   help="the NUMA workloads' size (tiny: a quick look)")
    p.add_argument("--repeat", type=int, default=3,
                   help="runs of each noisy guest-os measurement (best shown)")
    a = p.parse_args()
    both = not (a.splash or a.guest_os or a.many or a.latency or a.memory or a.numa)
    if a.splash or both:
        splash()
    if a.guest_os or both:
        guest_os(max(1, a.repeat))
    if a.many or both:
        many_vms(8)
    if a.latency or both:
        latency(max(1, a.repeat))
    if a.memory or both:
        rows = memory_table()
        if rows:
            memory_chart(rows, os.path.join(BENCH, "memory.svg"))
    if a.numa or both:
        numa_chart(numa_table(a.numa_size), os.path.join(BENCH, "numa.svg"))
    if RATIOS:
        chart([("raytrace", RATIOS.get("raytrace"), 1.03),
               ("engineering", RATIOS.get("engineering"), 1.06),
               ("pmake", RATIOS.get("pmake"), 1.16),
               ("database", RATIOS.get("database"), 1.16)],
              os.path.join(BENCH, "overhead.svg"))


if __name__ == "__main__":
    main()
