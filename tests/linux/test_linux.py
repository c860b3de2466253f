"""tests/linux/test_linux.py: a stock Linux kernel as a guest (`make test-linux`).

What these prove: an unmodified Linux 6.1 (Debian's source, built by
`make linux` from linux/config-fragment) boots on the monitor to its
/init (linux/init.c) with 1, 2 and 4 vCPUs and sees them all; in a
span-nodes VM it sees two NUMA nodes with the machine's distances; its
own virtio-blk driver reads and writes the VM's disk, and what it wrote
is still there after the VM reboots (and it is on the machine's disk,
where the host reads it back); two Linux VMs and a guest-os VM run
together. /init prints "init: ..." lines; the monitor labels each line
with the VM's name, "[vm] init: ...".

These tests are not part of `make test`: the kernel build is slow. When
build/linux/Image or build/linux/initramfs.cpio is missing, every test is
skipped with that reason (need_linux below).
"""

import glob
import os
import re
import struct

import test_vm  # noqa: E402  (tests/system/test_vm.py)
from lib import ROOT, TestSkipped, boot, counters, make_bundle, vm_config

LINUX = os.path.join(ROOT, "build", "linux")
GOS = os.path.join(ROOT, "build", "guest-os")
DISKS = os.path.join(ROOT, "build", "tests", "disks")
IMAGES = (LINUX, GOS)



def need_linux():
    """Skip the test (TestSkipped, with the reason) when `make linux` has
    not built the kernel and its initramfs."""
    for f in ("Image", "initramfs.cpio"):
        if not os.path.exists(os.path.join(LINUX, f)):
            raise TestSkipped(f"build/linux/{f} is not built; run 'make linux' first")


def skipped_without_linux(test):
    """`test`, run only when the kernel is built (need_linux)."""
    def run_it():
        need_linux()
        test()
    run_it.__doc__ = test.__doc__
    return run_it


# A Linux boot under QEMU's emulation takes a while, more on a busy host.
TIMEOUT = 240

# As in tests/system/test_guest_os.py: the guest's flushes still reach
# QEMU's disk, but the host skips its fsync (what these tests stop is
# the guest, never QEMU, which writes everything out when it exits).
NO_FSYNC = ["-set", "drive.hd0.cache.no-flush=on"]

# linux/init.c's disk layout: 4 KiB blocks, header in block 0, the
# pattern in blocks 1..256.
BLOCK = 4096
PATTERN_BLOCKS = 256


def linux_vm(name, vcpus, disk_mib=4, bootargs="", **more):
    """One Linux VM's entry (hyp/vm/vmconfig.h) with 64 MiB and, if disk_mib,
    a disk of that size."""
    vm = {"name": name, "vcpus": vcpus, "memory-mib": 64, "image": "Image",
          "initrd": "initramfs.cpio",
          "bootargs": ("console=hvc0 earlycon=sbi " + bootargs).strip()}
    if disk_mib:
        vm["disk-mib"] = disk_mib
    vm.update(more)
    return vm


def make_disk(name, mib):
    """A fresh raw disk image of `mib` MiB of zeros; its path."""
    os.makedirs(DISKS, exist_ok=True)
    path = os.path.join(DISKS, f"linux-{name}.img")
    with open(path, "wb") as f:
        f.truncate(mib * 1024 * 1024)
    return path


def run_vms(name, vms, disk_mib=0, cpus=4, nodes=2, until=None):
    """Boot the monitor with these VMs (a machine disk of disk_mib MiB of
    zeros when non-zero); return (run, disk path or None)."""
    bundle = make_bundle(name, vm_config(*vms), search=IMAGES)
    disk = make_disk(name, disk_mib) if disk_mib else None
    run = boot(cpus=cpus, nodes=nodes, bundle=bundle, disk=disk,
               timeout=TIMEOUT, until=until, extra=NO_FSYNC if disk else [])
    return run, disk


def init_line(run, vm, pattern):
    """The first match of `pattern` on one of VM `vm`'s /init lines."""
    return run.match(rf"^\[{re.escape(vm)}\] init: {pattern}$")


def expect_linux(run, vm, vcpus, nodes=1):
    """VM `vm` ran Linux to its /init, which saw `vcpus` CPUs and `nodes`
    NUMA nodes, passed its disk check, and powered the VM off."""
    init_line(run, vm, r"Linux 6\.1\.\S+ on riscv64, /init started [\d.]+ s after the kernel")
    m = init_line(run, vm, r"cpus (\d+) online (\S+)")
    want = "0" if vcpus == 1 else f"0-{vcpus - 1}"
    if m.group(1) != str(vcpus) or m.group(2) != want:
        run.fail(f"VM {vm}: Linux sees cpus {m.group(1)} online {m.group(2)}; "
                 f"want {vcpus} online {want}")
    m = init_line(run, vm, r"nodes (\d+) online (\S+)")
    if m.group(1) != str(nodes):
        run.fail(f"VM {vm}: Linux sees {m.group(1)} NUMA nodes, want {nodes}")
    run.expect(f"[{vm}] init: disk check ok")
    run.forbid(f"[{vm}] init: disk check FAILED")
    run.expect(f"[{vm}] init: powering off")
    run.expect(f"vm {vm}: stopped: ")
    run.forbid("Kernel panic")


def boot_time(run, vm):
    """Seconds from the kernel's start to /init, as /init saw them."""
    m = init_line(run, vm, r"Linux \S+ on riscv64, /init started ([\d.]+) s after the kernel")
    return float(m.group(1))


def one_linux(vcpus):
    """One Linux VM with `vcpus` vCPUs on a 4-hart, 1-node machine: /init
    sees every vCPU, one node, a fresh disk which it writes and checks
    (boot 1 of that disk); the monitor counts its SBI calls and disk
    requests."""
    run, _ = run_vms(f"linux-{vcpus}", [linux_vm("lx", vcpus)], disk_mib=4, nodes=1)
    run.expect_clean_exit()
    expect_linux(run, "lx", vcpus)
    run.expect("[lx] init: disk: no header in block 0: a fresh disk")
    run.expect("[lx] init: disk: this is boot 1 of this disk")
    c = counters(run, "lx")
    if c["hsm"] < vcpus - 1:
        run.fail(f"{c['hsm']} SBI HSM calls: Linux should have started {vcpus - 1} vCPUs")
    # /init writes 257 blocks and reads 257 back (8 sectors each).
    if c["writes"] < 257 or c["reads"] < 257:
        run.fail(f"disk reads={c['reads']} writes={c['writes']}: /init's check "
                 f"reads and writes at least 257 blocks")


def test_linux_one_vcpu():
    """Linux with 1 vCPU (see one_linux)."""
    one_linux(1)


def test_linux_two_vcpus():
    """Linux with 2 vCPUs (see one_linux)."""
    one_linux(2)


def test_linux_four_vcpus():
    """Linux with 4 vCPUs (see one_linux)."""
    one_linux(4)


def test_linux_spanning_nodes():
    """A span-nodes VM with 4 vCPUs on a 2-node machine: Linux sees two
    NUMA nodes, two CPUs and half the memory on each, and the machine's
    distances (10 local, 20 remote); the monitor filled its pages from
    both nodes."""
    run, _ = run_vms("linux-span", [linux_vm("wide", 4, **{"span-nodes": True})],
                     disk_mib=4)
    run.expect_clean_exit()
    run.expect("vm wide: 4 vCPUs, 64 MiB spread over 2 nodes")
    expect_linux(run, "wide", 4, nodes=2)
    init_line(run, "wide", r"nodes 2 online 0-1")
    init_line(run, "wide", r"node 0 cpus 0-1 memory \d+ kB distances 10 20")
    init_line(run, "wide", r"node 1 cpus 2-3 memory \d+ kB distances 20 10")
    c = counters(run, "wide")
    if c["node0"] < 500 or c["node1"] < 500:
        run.fail(f"pages node0={c['node0']} node1={c['node1']}: want many on each")


def test_linux_disk_survives_reboot():
    """/init writes its pattern and boot count to a fresh disk, then
    reboots the VM (disco.reboot-once); the second boot reads back the
    first one's 256 blocks intact, writes its own, and powers off. The
    host then finds boot 2's header and pattern on the machine's disk."""
    run, disk = run_vms("linux-reboot", [linux_vm("rb", 2, bootargs="disco.reboot-once")],
                        disk_mib=4, nodes=1)
    run.expect_clean_exit()
    run.expect("[rb] init: disk: this is boot 1 of this disk")
    run.expect("[rb] init: rebooting (disco.reboot-once, boot 1 is odd)")
    run.expect("vm rb: stopped: reboot (exit 0)")
    run.expect(f"[rb] init: disk: boot 1's {PATTERN_BLOCKS} blocks read back intact")
    run.expect("[rb] init: disk: this is boot 2 of this disk")
    expect_linux(run, "rb", 2)
    with open(disk, "rb") as f:
        header = f.read(BLOCK)
        magic, boots, blocks = struct.unpack("<16sQQ", header[:32])
        if magic.rstrip(b"\0") != b"disco-v linux" or boots != 2 or blocks != PATTERN_BLOCKS:
            run.fail(f"the machine's disk has header {magic!r} boots={boots} "
                     f"blocks={blocks}; want 'disco-v linux', 2, {PATTERN_BLOCKS}")
        for k in range(1, PATTERN_BLOCKS + 1):
            words = struct.unpack(f"<{BLOCK // 8}Q", f.read(BLOCK))
            for i, w in enumerate(words):
                want = 0xD15C000000000000 | 2 << 32 | k << 16 | i
                if w != want:
                    run.fail(f"the machine's disk: block {k} word {i} is {w:#x}, "
                             f"want {want:#x} (boot 2's pattern)")


def test_two_linux_and_guest_os():
    """Two Linux VMs, one homed on each node, and a guest-os VM running a
    command, all at once on a 4-hart 2-node machine: each Linux sees its
    2 vCPUs and passes its disk check on its own region of the machine's
    disk; guest-os finishes; each Linux VM's pages are on its home node."""
    gos = {"name": "os", "vcpus": 2, "memory-mib": 48, "image": "kernel.elf",
           # (\" is a quote inside a device-tree string.)
           "bootargs": 'autorun=\\"echo guest-os beside two Linux VMs\\"'}
    run, _ = run_vms("linux-three", [
        linux_vm("lx0", 2, **{"home-node": 0}),
        linux_vm("lx1", 2, **{"home-node": 1}), gos], disk_mib=8)
    run.expect_clean_exit()
    for vm, home, other in (("lx0", 0, 1), ("lx1", 1, 0)):
        expect_linux(run, vm, 2)
        run.expect(f"[{vm}] init: disk: this is boot 1 of this disk")
        c = counters(run, vm)
        if c[f"node{home}"] == 0 or c[f"node{other}"] != 0:
            run.fail(f"{vm}: pages node{home}={c[f'node{home}']} "
                     f"node{other}={c[f'node{other}']}; want all on node {home}")
    run.expect("[os] guest-os beside two Linux VMs")
    run.expect("[os] guest-os: autorun exit 0")
    run.expect("Disco-V: all VMs have stopped")


# The shipped configurations that run Linux (hyp/vms/*.dts), as `make
# qemu VMCONFIG=...` runs them (tests/system/test_vm.py:
# shipped_config_test), with what to type at those that wait for input.
# In linux.dts, Linux powers off by itself; the console's focus then moves
# to guest-os, whose shell is told to exit.
INTERACTIVE = {
    "linux": [(r"vm linux: stopped", b""), (r"^\[os\] \$ $", b"exit\r")],
}
SHIPPED = [(f"vm-shipped-config-{name}",
            test_vm.shipped_config_test(p, INTERACTIVE.get(name, ()), TIMEOUT))
           for p in sorted(glob.glob(os.path.join(ROOT, "hyp", "vms", "*.dts")))
           if test_vm.runs_linux(p)
           for name in [os.path.basename(p)[:-4]]]

TESTS = [(name, skipped_without_linux(test)) for name, test in SHIPPED + [
    ("linux-1-vcpu", test_linux_one_vcpu),
    ("linux-2-vcpus", test_linux_two_vcpus),
    ("linux-4-vcpus", test_linux_four_vcpus),
    ("linux-span-nodes", test_linux_spanning_nodes),
    ("linux-disk-survives-reboot", test_linux_disk_survives_reboot),
    ("two-linux-and-guest-os", test_two_linux_and_guest_os),
]]
