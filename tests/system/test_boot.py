"""tests/system/test_boot.py: the monitor boots on every machine shape.

What these prove: on every topology QEMU can build (1, 2 or 4 NUMA nodes,
1 to 8 harts), the monitor starts every hart, reads from the device tree
exactly the machine that the QEMU command described (which hart and which
memory sit on which node, the distances), accounts for every page, and
powers the machine off by itself. A test that fails here tells a student
that the machine description (hyp/boot/machine.c), the hart start-up
(hyp/boot/hart.c) or the memmap (hyp/mem/memmap*.c) is off, before any guest runs.
"""

import os
import re
import subprocess

from lib import ROOT, boot, qemu, TestFailure

PAGES_PER_MIB = 256


def check_machine(run, cpus, nodes, mem, dist):
    """Check that what the monitor printed matches the QEMU command."""
    run.expect_clean_exit()
    mem_mib = qemu.parse_mem(mem)

    # The summary line, then one line per node: its harts and memory.
    run.match(rf"^machine: nodes={nodes} harts={cpus} mem={mem_mib * nodes}MiB$")
    for n, harts in enumerate(qemu.node_harts(cpus, nodes)):
        want = ",".join(str(h) for h in harts)
        m = run.match(rf"^  node {n}: harts=(\S+) mem=(\S+)$")
        if m.group(1) != want or m.group(2) != f"{mem_mib}MiB":
            run.fail(f"node {n}: printed harts={m.group(1)} mem={m.group(2)}, "
                     f"QEMU was given harts={want} mem={mem_mib}MiB")

    # The distance matrix, row by row.
    pairs = qemu.parse_dist(dist, nodes)
    for a in range(nodes):
        want = [10 if a == b else pairs[(min(a, b), max(a, b))]
                for b in range(nodes)]
        m = run.match(rf"^  dist n{a}:((?:\s+\d+)+)$")
        got = [int(x) for x in m.group(1).split()]
        if got != want:
            run.fail(f"distances from node {a}: printed {got}, want {want}")

    # Every hart reported in, and each said which node it is on.
    run.match(rf"^harts: {cpus} of {cpus} up$")
    for n, harts in enumerate(qemu.node_harts(cpus, nodes)):
        for h in harts:
            if not re.search(rf"^hart {h}: up, node {n}$", run.output, re.M) \
               and not re.search(rf"^  boot hart {h},", run.output, re.M):
                run.fail(f"hart {h} did not report in on node {n}")

    # Page accounting per node: every page is reserved, free or used, and
    # the node has exactly the memory QEMU gave it.
    for n in range(nodes):
        m = run.match(rf"^memory: node {n} total=(\d+) reserved=(\d+) "
                      rf"free=(\d+) used=(\d+) pages")
        total, reserved, free, used = (int(x) for x in m.groups())
        if total != mem_mib * PAGES_PER_MIB:
            run.fail(f"node {n}: {total} pages, want {mem_mib * PAGES_PER_MIB}")
        if reserved + free + used != total:
            run.fail(f"node {n}: reserved+free+used = "
                     f"{reserved + free + used}, total {total}")
        if free < total // 2:
            run.fail(f"node {n}: only {free} of {total} pages free")
    run.expect("memory: allocator self-test ok")


def topology_test(cpus, nodes, mem=256, dist=20):
    def test():
        run = boot(cpus=cpus, nodes=nodes, mem=mem, dist=dist)
        check_machine(run, cpus, nodes, mem, dist)
    return test


def test_no_h_extension():
    """Without the H-extension the monitor says so and powers off."""
    run = boot(cpus=2, nodes=1, cpu="rv64,h=false")
    if run.timed_out:
        run.fail("hung instead of powering off")
    run.expect("needs the RISC-V hypervisor (H) extension")
    run.expect("powering off (failure)")
    run.forbid("harts:")


def make_refuses(knobs, message):
    """`make qemu` with impossible knobs stops before running QEMU."""
    def test():
        proc = subprocess.run(["make", "--no-print-directory", "qemu"] + knobs,
                              cwd=ROOT, capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL)
        out = proc.stdout + proc.stderr
        if proc.returncode == 0:
            raise TestFailure(f"make qemu {' '.join(knobs)} succeeded", out)
        if message not in out:
            raise TestFailure(f"expected {message!r} from make", out)
        if "qemu-system-riscv64 -machine" in out:
            raise TestFailure("make started QEMU anyway", out)
    return test


def test_gdb_stops_at_entry():
    """`make qemu-gdb` + `make gdb`: gdb, with the generated .gdbinit,
    stops at the monitor's first instruction, with symbols."""
    import socket
    with socket.socket() as s:        # a free TCP port for QEMU's gdb stub
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    hyp = os.path.join(ROOT, "build", "hyp", "hyp.elf")
    gdbinit = os.path.join(ROOT, "build", "tests", "gdbinit")
    with open(os.path.join(ROOT, "tools", "gdbinit.tmpl")) as f:
        text = f.read().replace("@PORT@", str(port)).replace("@HYP@", hyp)
    os.makedirs(os.path.dirname(gdbinit), exist_ok=True)
    with open(gdbinit, "w") as f:
        f.write(text)
    cmd = qemu.qemu_command(2, 1, 256, 20, hyp, gdb_port=port)
    q = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        g = subprocess.run(["gdb-multiarch", "-q", "-batch", "-nx",
                            "-x", gdbinit, "-ex", "info symbol $pc",
                            "-ex", "p/x $pc"],
                           capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL)
    finally:
        q.kill()
        q.wait()
    out = g.stdout + g.stderr
    if "_entry in section .text" not in out or "0x80200000" not in out:
        raise TestFailure("gdb did not stop at _entry (0x80200000)", out)


TESTS = [(f"boot-n{nodes}-c{cpus}", topology_test(cpus, nodes))
         for nodes in (1, 2, 4)
         for cpus in range(nodes, 9)]
TESTS += [
    ("boot-n4-c4-mem128-dist", topology_test(4, 4, 128, "0-1=30,0-3=40,2-3=25")),
    ("boot-n2-c2-mem1G", topology_test(2, 2, "1G", 17)),
    ("no-h-extension", test_no_h_extension),
    ("make-refuses-5-nodes", make_refuses(["NODES=5"], "1 to 4 NUMA nodes")),
    ("make-refuses-cpus-lt-nodes",
     make_refuses(["CPUS=1", "NODES=2"], "smaller than NODES=2")),
    ("gdb-stops-at-entry", test_gdb_stops_at_entry),
]
