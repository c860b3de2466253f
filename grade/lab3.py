#!/usr/bin/env python3
"""grade/lab3.py: lab 3, copy-on-write disks and transparent page sharing
(lab-guide/lab3.md).

The host tests run your pmap_share and pmap_cow (hyp/mem/pmap.c) on a
made-up machine (grade/unit/test_lab3.c). The VM tests boot guest-os VMs
whose disks are copy-on-write overlays of one base image (disk-mode =
"cow"), which exercises your real_sector, mark_written and mappable
(hyp/dev/vvirtio_blk.c) with the rest; they run with the lab 2 auditor
built in, which fails a test on any stale translation.

  python3 grade/lab3.py [-k PATTERN...] [--json FILE]     (or: make grade LAB=3)
"""

import os

from gradelib import Grader, WORK

g = Grader(lab=3, title="copy-on-write disks",
           build=["all", "build/tests/guests/hello.elf", "build/guest-os/kernel.elf",
                  "build/guest-os/fs.img"])

g.host_program("test_lab3", ["grade/unit/test_lab3.c", "tests/unit/host_stubs.c",
                             "hyp/mem/backmap.c", "hyp/mem/memmap.c",
                             "hyp/mem/blockcache.c"])

FS_IMAGE = os.path.join(os.path.dirname(WORK), "guest-os", "fs.img")
MIB = 1 << 20
FS_USERTESTS = 27          # usertests' count with a file system (without: 15)


# ---- Host tests: pmap_share and pmap_cow -------------------------------------

@g.test("share-maps-read-only", points=10)
def share_maps_read_only(t):
    """pmap_share puts the shared page at the guest page read-only (R, not
    W), gives the old page back after a shootdown, takes over the caller's
    reference, records the back-mapping and counts the shared mapping; two
    VMs can map one page; page_zero puts the zero page in place of a
    shared page."""
    t.host_cases("test_lab3", ["share_maps_read_only", "share_into_empty_page",
                               "share_two_vms", "zero_private_in_place",
                               "zero_shared_maps_zero_page"])


@g.test("cow-copies", points=10)
def cow_copies(t):
    """pmap_cow gives the VM a private, writable copy of the same bytes
    after a shootdown, and drops its reference on the shared page (the
    last one frees it); other VMs keep the shared page; a private or empty
    page is left alone (returns 0)."""
    t.host_cases("test_lab3", ["cow_copies", "cow_leaves_others",
                               "cow_frees_last_holder", "cow_not_shared"])


# ---- VM tests: guest-os on copy-on-write disks --------------------------------

def gos(name, bootargs, mode="cow", vcpus=1):
    """A guest-os VM of 64 MiB whose 8 MiB disk holds fs.img, as `mode`."""
    return {"name": name, "vcpus": vcpus, "memory-mib": 64, "image": "kernel.elf",
            "bootargs": bootargs, "disk-mib": 8, "disk-image": "fs.img",
            "disk-mode": mode}


def boot_cow(t, name, vms, disk=None):
    """Boot the monitor with these VMs (2 harts, 1 node) on a machine disk
    laid out from the configuration, or on `disk` again. Returns (run, disk)."""
    fresh = disk is None
    if fresh:
        disk = os.path.join(WORK, "disks", f"lab3-{name}.img")
        os.makedirs(os.path.dirname(disk), exist_ok=True)
    bundle = t.bundle(name, *vms, disk_out=disk if fresh else None)
    run = t.boot(cpus=2, nodes=1, bundle=bundle, disk=disk)
    run.expect_clean_exit()
    return run, disk


def expect_base_untouched(run, disk):
    """The base region (the disk's first 8 MiB) still holds fs.img."""
    with open(FS_IMAGE, "rb") as f:
        image = f.read()
    with open(disk, "rb") as f:
        base = f.read(8 * MIB)
    if base[:len(image)] != image or base[len(image):].strip(b"\0"):
        run.fail("the base image changed: a cow VM's write reached the base region")


@g.test("image-pages-shared", points=10, timeout=60)
def image_pages_shared(t):
    """Two VMs booted from one image on one node map its whole pages from
    one shared copy: both count shared mappings, and the machine holds
    the image's pages once."""
    bundle = t.bundle("image", *[t.vm(name=f"vm{i}", memory_mib=8, home_node=0,
                                      image="hello.elf") for i in range(2)])
    run = t.boot(cpus=2, nodes=1, bundle=bundle)
    run.expect_clean_exit()
    for vm in ("vm0", "vm1"):
        if t.counters(run, vm).get("shares", 0) == 0:
            run.fail(f"{vm}: shares=0: its image was copied, not mapped shared")


@g.test("reads-become-mappings", points=15, timeout=120)
def reads_become_mappings(t):
    """Two VMs on one cow disk run pmake: every whole-block read is mapped
    (blocks-mapped = blocks), most of the second VM's reads are found in
    the block cache, both VMs get the same checksum, and the base image
    is unchanged."""
    run, disk = boot_cow(t, "reads", [gos(f"os{i}", 'autorun="pmake 4"') for i in range(2)])
    sums = {run.match(rf"^\[{vm}\] pmake: checksum (0x[0-9a-f]+)").group(1)
            for vm in ("os0", "os1")}
    if len(sums) != 1:
        run.fail(f"the VMs' pmake checksums differ: {sums}")
    blocks = hits = 0
    for vm in ("os0", "os1"):
        c = t.counters(run, vm)
        if c.get("blocks", 0) == 0 or c.get("blocks-mapped") != c.get("blocks"):
            run.fail(f"{vm}: blocks={c.get('blocks')} blocks-mapped="
                     f"{c.get('blocks-mapped')}: want every whole block read mapped")
        blocks += c["blocks"]
        hits += c.get("cache-hits", 0)
    if hits < blocks // 3:
        run.fail(f"{hits} of {blocks} blocks read came from the block cache: the "
                 "second VM should find much of what the first read")
    expect_base_untouched(run, disk)
    t.expect_audited(run)


@g.test("writes-stay-private", points=15, timeout=120)
def writes_stay_private(t):
    """os0 overwrites /README, which both VMs read (its page is shared);
    os1 reads it again later and still sees the original. os0's write is
    in its own overlay only, and it broke copy-on-write to make it."""
    run, disk = boot_cow(t, "private", [
        gos("os0", 'autorun="cat /README; echo changed-by-os0 > /README; cat /README"'),
        gos("os1", 'autorun="cat /README; pmake 4; cat /README"')])
    run.expect("[os0] changed-by-os0")
    run.forbid("[os1] changed-by-os0")
    if len(run.lines("[os1] ")) < 3:
        run.fail("os1 printed too little: did it read /README at all?")
    with open(disk, "rb") as f:
        regions = f.read(24 * MIB)
    if b"changed-by-os0" not in regions[8 * MIB:16 * MIB] or \
       b"changed-by-os0" in regions[16 * MIB:]:
        run.fail("os0's write is not in its own overlay (the disk's MiB 8-16) alone")
    expect_base_untouched(run, disk)
    if t.counters(run, "os0").get("cow-breaks", 0) == 0:
        run.fail("os0 wrote pages it shared, but made no copy (cow-breaks=0)")


@g.test("nonpersistent-forgets", points=15, timeout=120)
def nonpersistent_forgets(t):
    """A cow disk forgets at its VM's stop: a file made in one boot is gone
    at the next; a persistent disk keeps it."""
    for mode in ("cow", "persistent"):
        run, disk = boot_cow(t, f"keep-{mode}", [gos("os0", 'autorun="echo kept > /note"', mode)])
        run.expect("[os0] guest-os: autorun exit 0")
        run, _ = boot_cow(t, f"keep-{mode}", [gos("os0", 'autorun="ls /"', mode)], disk=disk)
        run.expect("[os0] README")
        found = bool(run.lines("[os0] note "))
        if mode == "cow" and found:
            run.fail("a cow disk kept /note after its VM stopped")
        if mode == "persistent" and not found:
            run.fail("a persistent disk lost /note after its VM stopped")


@g.test("mixed-run-two-vms", points=25, timeout=400)
def mixed_run(t):
    """usertests (file creation, big files, deletes, concurrent writers,
    exec of rewritten programs) in two VMs of two vCPUs at once on one cow
    base: both pass everything, under the auditor, and the base is
    unchanged. A block mapped in the wrong place, a write that reached
    another VM, or a stale translation fails it."""
    run, disk = boot_cow(t, "mixed", [gos(f"os{i}", 'autorun="usertests"', vcpus=2)
                                      for i in range(2)])
    for vm in ("os0", "os1"):
        for line in run.lines(f"[{vm}] usertests: "):
            if "FAILED" in line:
                run.fail(line)
        run.forbid(f"[{vm}] guest-os: the disk is not used")
        run.forbid(f"[{vm}] guest-os: no file system")
        m = run.match(rf"^\[{vm}\] usertests: (\d+) passed, (\d+) failed$")
        if m.group(2) != "0" or int(m.group(1)) < FS_USERTESTS:
            run.fail(f"{vm}: usertests: {m.group(1)} passed, {m.group(2)} failed; "
                     f"want {FS_USERTESTS} or more passed (the file-system tests "
                     "too), 0 failed")
    expect_base_untouched(run, disk)
    t.expect_audited(run)


if __name__ == "__main__":
    g.main()
