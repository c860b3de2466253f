"""tests/system/test_sharing.py: lab 3, copy-on-write disks and transparent
page sharing (Disco 4.2.5).

What these prove: guest-os VMs whose disks are copy-on-write overlays of
one base image (disk-mode = "cow") read each block of it from the real disk
once, and map the one machine page that holds it (counters); a VM's writes
reach only its own overlay and its own pages (the other VM and the base
image never see them); a cow disk forgets its writes when its VM stops,
and a persistent one keeps them; the file system stays right through a
mixed read/write run in two cow VMs at once, under the TLB auditor's eye
(make test builds it in).
"""

import os

from lib import boot, counters, vm_config
from qemurun import pack_bundle
from test_guest_os import FS_IMAGE, GOS, NO_FSYNC, expect_usertests

DISKS = os.path.join(os.path.dirname(FS_IMAGE), "..", "tests", "disks")
MIB = 1 << 20


def gos_vm(name, bootargs, mode="cow", vcpus=1):
    """A guest-os VM of 64 MiB whose 8 MiB disk holds fs.img, as `mode`."""
    return {"name": name, "vcpus": vcpus, "memory-mib": 64, "image": "kernel.elf",
            "bootargs": bootargs, "disk-mib": 8, "disk-image": "fs.img",
            "disk-mode": mode}


def boot_vms(name, vms, disk=None, timeout=180, report_ms=None):
    """Boot the monitor with these VMs on a 2-hart machine; the machine's
    disk is laid out from the configuration (mkbundle.py --disk-out)
    unless `disk` names one to use again; with report_ms, the monitor
    prints a memory-report line that often. Returns (run, disk)."""
    os.makedirs(DISKS, exist_ok=True)
    fresh = disk is None
    if fresh:
        disk = os.path.join(DISKS, f"share-{name}.img")
    path = os.path.join(os.path.dirname(disk), f"share-{name}")
    dts = vm_config(*vms)
    if report_ms is not None:
        dts = dts.replace("/ {", f"/ {{\n  memory-report-ms = <{report_ms}>;", 1)
    bundle = pack_bundle(dts, path, (GOS,),
                         disk_out=disk if fresh else None)
    run = boot(cpus=2, nodes=1, bundle=bundle, disk=disk, timeout=timeout,
               extra=NO_FSYNC)
    return run, disk


def region(disk, first_mib, mib=8):
    """The bytes of the machine's disk from MiB first_mib, mib MiB long."""
    with open(disk, "rb") as f:
        f.seek(first_mib * MIB)
        return f.read(mib * MIB)


def expect_base_untouched(run, disk):
    """The base region (the disk's first 8 MiB) is fs.img, byte for byte."""
    with open(FS_IMAGE, "rb") as f:
        image = f.read()
    base = region(disk, 0)
    if base[:len(image)] != image or base[len(image):].strip(b"\0"):
        run.fail("the cow disks' base region is not fs.img any more: a VM wrote it")


def test_two_vms_share_reads():
    """Two VMs boot from one cow base and run the same pmake: each block
    of the base is read from the real disk once and mapped into both; the
    stop report shows each VM holding shared pages, and the periodic
    memory report (memory-report-ms) machine pages fewer than guest ones."""
    vms = [gos_vm(f"os{i}", 'autorun="pmake 4"') for i in range(2)]
    run, disk = boot_vms("two", vms, report_ms=50)
    run.expect_clean_exit()
    run.expect("vm os0: copy-on-write disk of 8 MiB: base sectors 0..16383, "
               "overlay 16384..32767")
    run.expect("vm os1: copy-on-write disk of 8 MiB: base sectors 0..16383, "
               "overlay 32768..49151")
    sums = set(run.match(rf"^\[{vm}\] pmake: checksum (0x[0-9a-f]+)").group(1)
               for vm in ("os0", "os1"))
    if len(sums) != 1:
        run.fail(f"the two VMs' pmake checksums differ: {sums}")
    blocks = hits = 0
    for vm in ("os0", "os1"):
        c = counters(run, vm)
        if c["blocks"] == 0 or c["blocks-mapped"] != c["blocks"]:
            run.fail(f"VM {vm}: blocks={c['blocks']} blocks-mapped="
                     f"{c['blocks-mapped']}: every whole block read should be mapped")
        if c["shared"] == 0:
            run.fail(f"VM {vm}: shared=0 pages at its stop")
        blocks += c["blocks"]
        hits += c["cache-hits"]
    m = counters(run, "machine")
    if hits < blocks // 3 or m["hits"] < hits:
        run.fail(f"cache hits {hits} of {blocks} blocks read (machine: {m['hits']}, "
                 "image pages too): the second VM should find much of what the "
                 "first read")
    expect_base_untouched(run, disk)
    # The memory reports: the two VMs' guest pages take fewer machine pages.
    less = [line for line in run.lines("memory-report: ")
            if int(line.split("machine=")[1].split()[0]) <
            int(line.split("virtual=")[1].split()[0])]
    if not less:
        run.fail("no memory-report line with machine < virtual pages")


def test_write_stays_private():
    """os0 overwrites /README, which both VMs read at boot (its page is
    shared); os1, running pmake meanwhile, then still reads the original.
    The base image is unchanged; os0's write is in its overlay only."""
    vms = [gos_vm("os0", 'autorun="cat /README; echo changed-by-os0 > /README; cat /README"'),
           gos_vm("os1", 'autorun="cat /README; pmake 4; cat /README"')]
    run, disk = boot_vms("private", vms)
    run.expect_clean_exit()
    run.expect("[os0] changed-by-os0")
    run.forbid("[os1] changed-by-os0")
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "guest-os", "disk",
                           "README"), "rb") as f:
        first = f.read().decode().splitlines()[0]
    if len([line for line in run.lines(f"[os1] {first}")]) != 2:
        run.fail(f"os1 did not read /README's first line twice: {first!r}")
    expect_base_untouched(run, disk)
    if b"changed-by-os0" not in region(disk, 8) or b"changed-by-os0" in region(disk, 16):
        run.fail("os0's write is not in its own overlay alone")
    if counters(run, "os0")["cow-breaks"] == 0:
        run.fail("os0 wrote to pages it shared, but broke no copy-on-write")


def persistence_test(mode):
    """A file a VM makes is gone at its next boot on a cow disk, there on
    a persistent one: two boots of the monitor on one machine disk."""
    def test():
        run, disk = boot_vms(f"keep-{mode}", [gos_vm("os0", 'autorun="echo kept > /note"', mode)])
        run.expect_clean_exit()
        run, _ = boot_vms(f"keep-{mode}", [gos_vm("os0", 'autorun="ls /"', mode)], disk=disk)
        run.expect_clean_exit()
        found = bool(run.lines("[os0] note "))      # ls: name, kind, inode, size
        if mode == "cow" and found:
            run.fail("a cow disk kept /note across its VM's stop")
        if mode == "persistent" and not found:
            run.fail("a persistent disk lost /note across its VM's stop")
    return test


def test_usertests_two_cow_vms():
    """usertests (every file-system test: create, write, delete, big
    files, concurrent writers) in two VMs of two vCPUs at once on one cow
    base: both pass, and the base is unchanged."""
    vms = [gos_vm(f"os{i}", 'autorun="usertests"', vcpus=2) for i in range(2)]
    run, disk = boot_vms("usertests", vms, timeout=400)
    run.expect_clean_exit()
    for vm in ("os0", "os1"):
        expect_usertests(run, f"[{vm}] ")
    expect_base_untouched(run, disk)


def test_cow_config_errors():
    """A cow disk without a disk-image, or of another size than the first
    cow VM of its image, is refused with a reason; the others start."""
    bad_size = gos_vm("big", 'autorun="echo big"')
    bad_size["disk-mib"] = 16
    no_image = gos_vm("noimg", 'autorun="echo noimg"')
    del no_image["disk-image"]
    bad_mode = gos_vm("badmode", 'autorun="echo badmode"', mode="sometimes")
    vms = [gos_vm("os0", 'autorun="echo ok"'), bad_size, no_image, bad_mode]
    run, _ = boot_vms("errors", vms)
    run.expect_clean_exit()
    run.expect("[os0] ok")
    run.expect("vm big: not started: a cow disk must have the same disk-mib")
    run.expect("vm noimg: not started: disk-mode = \"cow\" needs a disk-image")
    run.expect("vm badmode: not started: disk-mode is neither")


TESTS = [
    ("sharing-two-vms-share-reads", test_two_vms_share_reads),
    ("sharing-write-stays-private", test_write_stays_private),
    ("sharing-cow-disk-forgets", persistence_test("cow")),
    ("sharing-persistent-disk-keeps", persistence_test("persistent")),
    ("sharing-usertests-two-cow-vms", test_usertests_two_cow_vms),
    ("sharing-cow-config-errors", test_cow_config_errors),
]
