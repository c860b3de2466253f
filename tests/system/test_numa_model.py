"""tests/system/test_numa_model.py: the NUMA cost model (tools/numa-model/).

QEMU charges a remote access what a local one costs, so the model is the
only thing that makes NUMA placement visible: these tests check that it
counts a miss as local or remote by where the line lives and where the
hart sits, using splashos's radix on the bare machine, whose whole heap
(and every stack) lies in the RAM run that starts on node 0; and that it
counts the monitor's spin-waits apart, not as instructions.
"""

import os
import re

from lib import ROOT, TestFailure, boot, counters, vm_config
from qemurun import pack_bundle
from test_guest_os import DISKS, GOS, NO_FSYNC

RADIX = f"{ROOT}/build/splashos/radix.elf"


def model_lines(run):
    """{"hart0": {...}, ..., "total": {...}}: the model's report at exit."""
    found = {}
    for m in re.finditer(r"^numa-model (\w+): (.*)$", run.output, re.M):
        values = {}
        for word in m.group(2).split():
            k, v = word.split("=", 1)
            values[k] = float(v.rstrip("%"))
        found[m.group(1)] = values
    if "total" not in found:
        run.fail("the NUMA model printed no report at exit")
    return found


def test_one_node_all_local():
    """On a one-node machine every miss is local: the model never calls a
    miss remote when hart and memory share a node."""
    run = boot(cpus=2, nodes=1, kernel=RADIX, timeout=120, numa_model="",
               extra=["-append", "threads=2"])
    run.expect_clean_exit()
    run.expect("check=ok")
    m = model_lines(run)
    for hart in ("hart0", "hart1", "total"):
        if m[hart]["misses-remote"] != 0:
            raise TestFailure(f"{hart}: remote misses on a one-node machine: {m[hart]}",
                              run.output)
    if m["total"]["misses-local"] == 0 or m["total"]["insns"] == 0:
        raise TestFailure(f"no misses or no instructions counted: {m['total']}", run.output)


def test_remote_harts_miss_remotely():
    """With two nodes and radix's data on node 0, the harts of node 1 miss
    remotely and those of node 0 locally; node 1's harts are charged more
    per miss (900 ns against 300 ns). Some of their remote misses are to
    radix's own image (its globals: remote-image, image= from the ELF),
    none of hart 0's, and the total adds the harts' up."""
    run = boot(cpus=4, nodes=2, kernel=RADIX, timeout=180, numa_model="",
               extra=["-append", "threads=4"])
    run.expect_clean_exit()
    run.expect("check=ok")
    m = model_lines(run)
    for hart, remote in (("hart0", False), ("hart2", True), ("hart3", True)):
        loc, rem = m[hart]["misses-local"], m[hart]["misses-remote"]
        if (rem > loc) != remote:
            raise TestFailure(f"{hart}: {loc:.0f} local and {rem:.0f} remote misses, "
                              f"want mostly {'remote' if remote else 'local'}", run.output)
    if m["hart2"]["node"] != 1 or m["hart0"]["node"] != 0:
        raise TestFailure("harts reported on the wrong nodes", run.output)
    image = {h: m[h]["remote-image"] for h in ("hart0", "hart1", "hart2", "hart3")}
    if image["hart0"] != 0 or image["hart2"] == 0 or \
            image["hart2"] > m["hart2"]["misses-remote"] or \
            m["total"]["remote-image"] != sum(image.values()):
        raise TestFailure(f"remote-image: {image}, total {m['total']['remote-image']}: "
                          "want 0 on node 0, some on node 1, the total their sum",
                          run.output)


def test_bad_argument_refused():
    """An impossible model argument stops QEMU at once with the reason."""
    run = boot(cpus=1, nodes=1, kernel=RADIX, timeout=30, numa_model="ways=0")
    if run.status == 0 or run.timed_out:
        raise TestFailure("QEMU ran with ways=0", run.output)
    run.expect("numa-model: ways: must be 1 to 64")


def test_spin_waits_not_charged():
    """The monitor's shootdown waits (a PAUSE in the loop, kernel/riscv.h)
    are counted apart, as spin-insns, and not in insns: a guest-os VM
    spanning both nodes runs engineering on both vCPUs while the NUMA
    policy moves its pages, so the monitor shoots pages down while the
    other vCPU runs, and each such wait runs its loop once at least."""
    vm = {"name": "gos", "vcpus": 2, "memory-mib": 64, "span-nodes": True,
          "image": "kernel.elf", "numa-policy": "migrate", "numa-scan-ms": 10,
          "bootargs": 'autorun="engineering 1 & engineering 1; wait"',
          "disk-mib": 8, "disk-image": "fs.img", "disk-mode": "cow"}
    disk = os.path.join(DISKS, "model-spin.img")
    os.makedirs(DISKS, exist_ok=True)
    bundle = pack_bundle(vm_config(vm), os.path.join(DISKS, "model-spin"), (GOS,),
                         disk_out=disk)
    run = boot(cpus=2, nodes=2, bundle=bundle, disk=disk, timeout=120, numa_model="",
               extra=NO_FSYNC)
    run.expect_clean_exit()
    c = counters(run, "gos")
    if c["migrated"] == 0 or c["ipis"] == 0:
        raise TestFailure(f"migrated={c['migrated']} ipis={c['ipis']}: no page was "
                          "shot down on the other hart", run.output)
    m = model_lines(run)
    spin = sum(m[h]["spin-insns"] for h in ("hart0", "hart1"))
    if spin == 0 or m["total"]["spin-insns"] != spin:
        raise TestFailure(f"spin-insns: harts {spin:.0f}, total "
                          f"{m['total']['spin-insns']:.0f}: want the waits counted "
                          "apart, and the total their sum", run.output)


TESTS = [
    ("numa-model-one-node-all-local", test_one_node_all_local),
    ("numa-model-remote-harts", test_remote_harts_miss_remotely),
    ("numa-model-bad-argument", test_bad_argument_refused),
    ("numa-model-spin-waits-apart", test_spin_waits_not_charged),
]
