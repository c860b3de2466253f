#!/usr/bin/env python3
"""grade/lab0.py: lab 0, the tools and the machine (lab-guide/lab0.md).

Lab 0 asks for no code: it asks you to build the monitor, boot it on
machines of different shapes, read what it prints, and drive it with gdb.
These tests check that all of that works in your tree and on your
computer, so that later labs fail only for reasons inside the lab. None of
them runs a VM, so they pass in every lab's handout.

  python3 grade/lab0.py [-k PATTERN...] [--json FILE]     (or: make grade LAB=0)
"""

import os
import re
import socket
import subprocess

from gradelib import HYP, ROOT, Grader, qemu

g = Grader(lab=0, title="the tools and the machine", build=["all"],
           build_points=20)

PAGES_PER_MIB = 256


def check_machine(run, cpus, nodes, mem=256, dist=20):
    """What the monitor printed about the machine matches the QEMU command
    built from the same knobs: summary, nodes, distances, harts."""
    run.expect_clean_exit()
    mem_mib = qemu.parse_mem(mem)
    run.match(rf"^machine: nodes={nodes} harts={cpus} mem={mem_mib * nodes}MiB$")
    for n, harts in enumerate(qemu.node_harts(cpus, nodes)):
        want = ",".join(str(h) for h in harts)
        m = run.match(rf"^  node {n}: harts=(\S+) mem=(\S+)$")
        if m.group(1) != want or m.group(2) != f"{mem_mib}MiB":
            run.fail(f"node {n}: the monitor printed harts={m.group(1)} "
                     f"mem={m.group(2)}; QEMU was given harts={want} "
                     f"mem={mem_mib}MiB")
    pairs = qemu.parse_dist(dist, nodes)
    for a in range(nodes):
        want = [10 if a == b else pairs[(min(a, b), max(a, b))]
                for b in range(nodes)]
        m = run.match(rf"^  dist n{a}:((?:\s+\d+)+)$")
        got = [int(x) for x in m.group(1).split()]
        if got != want:
            run.fail(f"distances from node {a}: printed {got}, want {want}")


@g.test("boot-default-machine", points=10)
def boot_default(t):
    """`make qemu`'s machine (4 harts, 2 nodes, 256 MiB each) without VMs:
    the monitor prints the machine and powers it off by itself."""
    run = t.boot(cpus=4, nodes=2)
    check_machine(run, 4, 2)
    run.expect("harts: 4 of 4 up")


@g.test("four-nodes-eight-harts", points=10)
def four_nodes(t):
    """CPUS=8 NODES=4: two harts and 256 MiB on each node."""
    run = t.boot(cpus=8, nodes=4)
    check_machine(run, 8, 4)


@g.test("every-hart-reports-in", points=10)
def harts_report(t):
    """CPUS=5 NODES=2 (3 harts on node 0, 2 on node 1): every hart is
    started and reports in on its own node, whichever won the boot."""
    run = t.boot(cpus=5, nodes=2)
    run.expect_clean_exit()
    run.match(r"^harts: 5 of 5 up$")
    for n, harts in enumerate(qemu.node_harts(5, 2)):
        for h in harts:
            if not re.search(rf"^hart {h}: up, node {n}$", run.output, re.M) \
               and not re.search(rf"^  boot hart {h},", run.output, re.M):
                run.fail(f"hart {h} did not report in on node {n}")


@g.test("memory-accounting", points=10)
def memory_accounting(t):
    """MEM=128 on 3 nodes: every node has exactly its pages, each one
    reserved, free or used, and the allocator's self-test passes."""
    run = t.boot(cpus=3, nodes=3, mem=128)
    check_machine(run, 3, 3, 128)
    for n in range(3):
        m = run.match(rf"^memory: node {n} total=(\d+) reserved=(\d+) "
                      rf"free=(\d+) used=(\d+) pages")
        total, reserved, free, used = (int(x) for x in m.groups())
        if total != 128 * PAGES_PER_MIB:
            run.fail(f"node {n}: {total} pages, want {128 * PAGES_PER_MIB}")
        if reserved + free + used != total:
            run.fail(f"node {n}: reserved+free+used = "
                     f"{reserved + free + used}, but total = {total}")
        if free < total // 2:
            run.fail(f"node {n}: only {free} of {total} pages free")
    run.expect("memory: allocator self-test ok")


@g.test("numa-distances", points=10)
def distances(t):
    """NUMA_DIST=0-1=30,0-3=40,2-3=25 on 4 nodes: the distance matrix read
    from the device tree is the one QEMU was given."""
    run = t.boot(cpus=4, nodes=4, mem=128, dist="0-1=30,0-3=40,2-3=25")
    check_machine(run, 4, 4, 128, "0-1=30,0-3=40,2-3=25")


@g.test("no-h-extension", points=10)
def no_h(t):
    """On a CPU without the H-extension the monitor says why it cannot run
    and powers off, instead of crashing or hanging."""
    run = t.boot(cpus=2, nodes=1, cpu="rv64,h=false")
    if run.timed_out:
        run.fail("hung instead of powering off")
    run.expect("needs the RISC-V hypervisor (H) extension")
    run.expect("powering off (failure)")
    run.forbid("harts:")


@g.test("make-refuses-bad-knobs", points=10)
def make_refuses(t):
    """`make qemu NODES=5` stops before running anything, with the reason."""
    run = t.run(["make", "--no-print-directory", "qemu", "NODES=5"], timeout=60)
    if run.status == 0:
        run.fail("make qemu NODES=5 succeeded")
    run.expect("1 to 4 NUMA nodes")
    if "qemu-system-riscv64 -machine" in run.output:
        run.fail("make started QEMU anyway")


@g.test("gdb-stops-at-entry", points=10, timeout=60)
def gdb(t):
    """gdb with the .gdbinit `make gdb` uses connects to QEMU waiting
    for it (`make qemu-gdb`) and stops at _entry, with symbols."""
    with socket.socket() as s:        # a free TCP port for QEMU's gdb stub
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    gdbinit = os.path.join(ROOT, "build", "grade", "gdbinit")
    os.makedirs(os.path.dirname(gdbinit), exist_ok=True)
    with open(os.path.join(ROOT, "tools", "gdbinit.tmpl")) as f:
        text = f.read().replace("@PORT@", str(port)).replace("@HYP@", HYP)
    with open(gdbinit, "w") as f:
        f.write(text)
    cmd = qemu.qemu_command(2, 1, 256, 20, HYP, gdb_port=port)
    q = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        run = t.run(["gdb-multiarch", "-q", "-batch", "-nx", "-x", gdbinit,
                     "-ex", "info symbol $pc", "-ex", "p/x $pc"])
    finally:
        q.kill()
        q.wait()
    if "_entry in section .text" not in run.output or "0x80200000" not in run.output:
        run.fail("gdb did not stop at _entry (0x80200000) with symbols")


if __name__ == "__main__":
    g.main()
