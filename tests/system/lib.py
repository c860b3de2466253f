"""tests/system/lib.py: boot something under QEMU and look at what it said.

System tests are Python functions that boot the monitor (or, later, a guest)
on a machine described by the same knobs as `make qemu`, through the same
tools/qemu.py, and check its console output. A test returns normally when
it passes and raises TestFailure with a reason when it does not; the
console output of the run goes with the failure, and tests/run.py saves it.
A test that does not apply to this tree (say, a check for the course staff
in a student's handout) raises TestSkipped with the reason instead.
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import qemu  # noqa: E402,F401  (tools/qemu.py; tests use qemu.qemu_command)
# The runner, the checks and the counters parser are shared with the
# graders and the benchmarks (tools/qemurun.py).
from qemurun import (TestFailure, Run, Counters, as_terminal_shows,  # noqa: E402,F401
                     counters, pack_bundle, qemu_boot_command, run, vm_config)

HYP = os.path.join(ROOT, "build", "hyp", "hyp.elf")


class TestSkipped(Exception):
    """The test does not apply to this tree; the reason says why."""


def handout_lab(root=ROOT):
    """The lab whose handout `root` is, from the stamp tools/handout.py
    writes (.handout); None for the reference tree."""
    import handout                     # tools/handout.py
    try:
        with open(os.path.join(root, handout.STAMP)) as f:
            m = handout.STAMP_LAB.match(f.readline())
    except OSError:
        return None
    return int(m.group(1)) if m else None


GUESTS = os.path.join(ROOT, "build", "tests", "guests")
BUNDLES = os.path.join(ROOT, "build", "tests", "bundles")


def boot(cpus=4, nodes=2, mem=256, dist=20, kernel=HYP, timeout=30,
         cpu="rv64", extra=(), bundle=None, until=None, keys=(), disk=None,
         numa_model=None):
    """Boot `kernel` on the machine the knobs describe; return a Run.

    bundle: a VM bundle to hand the monitor (QEMU's -initrd).
    disk: a raw disk image for the machine's virtio-blk disk.
    numa_model: run under the NUMA cost model, with these arguments.
    keys, until, timeout: as tools/qemurun.py's run() takes them (type on
    the console once the output matches; stop once it matches; a run still
    going after `timeout` seconds is killed and counts as hung)."""
    cmd = qemu_boot_command(cpus, nodes, mem, dist, kernel, cpu=cpu,
                            extra=extra, bundle=bundle, disk=disk,
                            numa_model=numa_model)
    return run(cmd, timeout, until=until, keys=keys)


def make_bundle(name, dts, search=(GUESTS,)):
    """Write VM configuration `dts` (device-tree source text, see
    hyp/vm/vmconfig.h; vm_config() writes one) and pack it with its images
    into a VM bundle; return the bundle's path."""
    return pack_bundle(dts, os.path.join(BUNDLES, name), search)
