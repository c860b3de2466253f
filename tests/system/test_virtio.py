"""tests/system/test_virtio.py: the VMs' virtio-blk disks.

What these prove: the monitor drives the machine's real virtio-blk disk
(hyp/dev/virtio_blk.c) and gives each VM that asks for one a virtual
virtio-blk device (hyp/dev/vvirtio_blk.c) backed by its own region of that
disk. A guest driver finds it in its device tree, brings it up as virtio
1.x, writes and reads sectors, and takes a completion interrupt through
its PLIC (tests/guests/blktest.c); requests that name memory outside the
VM, sectors beyond its region or malformed chains are refused with an
error status while the monitor and the VM go on. The host's disk image,
read back here after the run, shows each VM's sectors at the offset of
its region: the VMs' regions follow one another in the order they were
created. A machine without a disk still runs the VMs that do not want
one. A failure here points at one of those two files, or at the disk
lines of hyp/vm/vm_fdt.c and hyp/dev/mmio.c.
"""

import os

from lib import ROOT, boot, counters, make_bundle, vm_config

DISKS = os.path.join(ROOT, "build", "tests", "disks")
SECTOR = 512
MIB = 1024 * 1024


def make_disk(name, mib=16):
    """A fresh raw disk image of `mib` MiB of zeros; its path."""
    os.makedirs(DISKS, exist_ok=True)
    path = os.path.join(DISKS, name + ".img")
    with open(path, "wb") as f:
        f.truncate(mib * MIB)
    return path


def pattern(tag, s):
    """What blktest writes to sector s of its disk (blktest.c: fill)."""
    head = f"blktest {tag} sector {s}\n".encode()
    return head + bytes((i + s) & 0xff for i in range(len(head), SECTOR))


def expect_blktest_done(run, vm):
    """VM `vm` ran blktest to the end with every check passing."""
    run.expect(f"[{vm}] blktest: done, 0 failed")
    for line in run.output.splitlines():
        if line.startswith(f"[{vm}] check ") and not line.endswith(": ok"):
            run.fail(f"VM {vm}: {line}")


def expect_region(run, image, tag, first_mib, mib):
    """The image holds the sectors 0, 1 and last that blktest wrote with
    tag `tag` at the offset of its VM's region, first_mib MiB into the
    disk; mib is the region's size."""
    base = first_mib * MIB
    last = mib * MIB // SECTOR - 1
    with open(image, "rb") as f:
        for s in (0, 1, last):
            f.seek(base + s * SECTOR)
            got = f.read(SECTOR)
            if got != pattern(tag, s):
                run.fail(f"disk image at {base + s * SECTOR:#x} (tag {tag}, "
                         f"sector {s}): {got[:32]!r}..., want {pattern(tag, s)[:32]!r}...")


def test_blktest():
    """One VM with a 4 MiB disk: blktest's writes, reads, refused
    requests and its interrupt all pass; the monitor reports the region;
    the sectors reach the real disk, and nothing lands past the region."""
    image = make_disk("blktest")
    bundle = make_bundle("blktest", vm_config(
        {"name": "blk", "memory-mib": 8, "image": "blktest.elf",
         "disk-mib": 4, "bootargs": "tag=blk"}))
    run = boot(cpus=2, nodes=1, bundle=bundle, disk=image)
    run.expect_clean_exit()
    run.expect("virtio-blk: disk at ")
    run.expect("vm blk: disk of 4 MiB: sectors 0..8191 of the machine's disk")
    run.expect("[blk] blktest: capacity 8192 sectors")
    run.expect("[blk] blktest: id disco-v:blk")
    expect_blktest_done(run, "blk")
    expect_region(run, image, "blk", 0, 4)
    # Both data paths ran: whole-sector buffers straight to the guest's
    # pages, and the write cut into pieces of 100 and 412 bytes (and the
    # like) through the bounce buffer.
    c = counters(run, "blk")
    if not 0 < c["direct"] < c["reads"] + c["writes"]:
        run.fail(f"{c['direct']} of {c['reads'] + c['writes']} reads and "
                 "writes moved straight: want some, not all")
    # The pages of its queue, pinned while the queue was ready (several
    # times, between resets), were all let go when it stopped.
    if c["ring-pages"] != 0:
        run.fail(f"ring-pages={c['ring-pages']} once the VM stopped: pins left on its queue's pages")
    with open(image, "rb") as f:
        f.seek(4 * MIB)
        if f.read(12 * MIB).strip(b"\0"):
            run.fail("the VM's writes reached the disk beyond its 4 MiB region")


def test_two_vms_separate_regions():
    """Two VMs with disks, on two nodes at once: the first gets the first
    4 MiB of the real disk, the second the next 8 MiB; each writes its own
    pattern, and the image shows both, each at its region's offset."""
    image = make_disk("two-vms")
    bundle = make_bundle("blk-two", vm_config(
        {"name": "a", "memory-mib": 8, "image": "blktest.elf", "home-node": 0,
         "disk-mib": 4, "bootargs": "tag=a"},
        {"name": "b", "memory-mib": 8, "image": "blktest.elf", "home-node": 1,
         "disk-mib": 8, "bootargs": "tag=b"}))
    run = boot(cpus=2, nodes=2, bundle=bundle, disk=image)
    run.expect_clean_exit()
    run.expect("vm a: disk of 4 MiB: sectors 0..8191 of the machine's disk")
    run.expect("vm b: disk of 8 MiB: sectors 8192..24575 of the machine's disk")
    run.expect("[b] blktest: capacity 16384 sectors")
    expect_blktest_done(run, "a")
    expect_blktest_done(run, "b")
    expect_region(run, image, "a", 0, 4)
    expect_region(run, image, "b", 4, 8)


def test_no_disk():
    """No disk on the machine: the monitor says so, the VM that wants a
    disk is refused with the reason, the VM that does not runs."""
    bundle = make_bundle("blk-nodisk", vm_config(
        {"name": "disky", "memory-mib": 8, "image": "blktest.elf", "disk-mib": 4},
        {"name": "plain", "memory-mib": 8, "image": "hello.elf"}))
    run = boot(cpus=2, nodes=1, bundle=bundle)
    run.expect_clean_exit()
    run.expect("virtio-blk: no disk")
    run.expect("vm disky: not started: disk-mib = <4>, but the machine has no "
               "virtio-blk disk")
    run.forbid("[disky]")
    run.expect("[plain] hello: done, 0 failed")


def test_disk_too_small():
    """A 16 MiB disk and VMs asking for 2, 12 and 8 MiB. The regions
    follow the configuration's order even past a VM that does not start
    (the first lacks memory-mib): the second gets MiB 2..13 and runs; the
    third would need MiB 14..21 and is refused with the reason."""
    image = make_disk("small")
    bundle = make_bundle("blk-small", vm_config(
        {"name": "broken", "image": "blktest.elf", "disk-mib": 2},
        {"name": "big", "memory-mib": 8, "image": "blktest.elf", "disk-mib": 12,
         "bootargs": "tag=big"},
        {"name": "late", "memory-mib": 8, "image": "blktest.elf", "disk-mib": 8}))
    run = boot(cpus=2, nodes=1, bundle=bundle, disk=image)
    run.expect_clean_exit()
    run.expect("vm broken: not started: no memory-mib")
    run.expect("vm big: disk of 12 MiB: sectors 4096..28671 of the machine's "
               "disk")
    run.expect("vm late: not started: disk-mib = <8> from MiB 14 of the "
               "machine's disk, but it has only 16 MiB")
    expect_blktest_done(run, "big")
    expect_region(run, image, "big", 2, 12)


def test_boot_with_disk_no_vms():
    """The monitor's plain boot (no VM bundle) with a disk attached: the
    driver brings the disk up and the machine powers off as usual."""
    image = make_disk("boot")
    run = boot(cpus=2, nodes=1, disk=image)
    run.expect_clean_exit()
    # QEMU's drive has a write cache (cache=writeback, its default), so
    # the monitor agrees on FLUSH and the disk is not write-through.
    run.match(r"^virtio-blk: disk at 0x[0-9a-f]+, 32768 sectors \(16 MiB\), "
              r"write cache$")
    run.expect("nothing to run")


def test_legacy_disk_refused():
    """A legacy (version 1) virtio-mmio disk is reported and not used:
    the monitor only speaks virtio 1.x."""
    image = make_disk("legacy")
    run = boot(cpus=2, nodes=1, disk=image,
               extra=["-global", "virtio-mmio.force-legacy=true"])
    run.expect_clean_exit()
    run.expect("is a legacy device (Version 1, want 2)")
    run.expect("virtio-blk: no disk")


def test_bad_width_stops_vm():
    """A 1-byte read of a 32-bit virtio register stops that VM with a
    report; the monitor goes on and powers off cleanly."""
    image = make_disk("badwidth")
    bundle = make_bundle("blk-badwidth", vm_config(
        {"name": "bad", "memory-mib": 8, "image": "blktest.elf", "disk-mib": 1,
         "bootargs": "badwidth"}))
    run = boot(cpus=1, nodes=1, bundle=bundle, disk=image)
    run.expect_clean_exit()
    run.match(r"^vm bad: stopped: vCPU 0 at pc 0x[0-9a-f]+: 1-byte read at "
              r"0x0000000010001000: the device has no such register \(exit 1\)$")
    run.forbid("the monitor let it through")


def test_completion_order():
    """Six requests made available with one notify (a big read, a write,
    a read of it, a copied write over its first sector, a read of that,
    GET_ID): the monitor serves them asynchronously, in pieces, several in
    flight, yet the used ring lists them in the order they were made
    available, and each read sees the writes made available before it."""
    image = make_disk("order")
    bundle = make_bundle("blk-order", vm_config(
        {"name": "ord", "memory-mib": 16, "image": "blkstress.elf",
         "disk-mib": 4, "bootargs": "order"}))
    run = boot(cpus=2, nodes=1, bundle=bundle, disk=image)
    run.expect_clean_exit()
    run.expect("[ord] blkstress: done, 0 failed")
    c = counters(run, "ord")
    if c["queued-max"] < 6 or c["inflight-max"] < 2:
        run.fail(f"queued-max={c['queued-max']} inflight-max={c['inflight-max']}: "
                 "want the six requests taken at once, several pieces in flight")


def test_huge_requests_do_not_stall_others():
    """A hostile VM makes 8 reads of its whole 32 MiB disk available with
    one notify, again and again, on a 1-hart machine. The monitor serves
    them a piece at a time, round robin with the other VM, so the victim
    beside it finishes its 10 rounds of disk writes, reads and sleeps, and
    a key typed on the console reaches it. (When each notify was served
    whole inside the trap, each round of the hog held the only hart for
    seconds, tens on a loaded host, and each of the victim's rounds waited
    for one: this timed out.) The time limit is generous for a loaded
    host: the victim needs well under a second alone."""
    image = make_disk("hog", mib=40)
    bundle = make_bundle("blk-hog", vm_config(
        {"name": "victim", "memory-mib": 16, "image": "blkstress.elf",
         "disk-mib": 4, "bootargs": "victim"},
        {"name": "hog", "memory-mib": 56, "image": "blkstress.elf",
         "disk-mib": 32, "bootargs": "hog"}))
    run = boot(cpus=1, nodes=1, bundle=bundle, disk=image, timeout=120,
               keys=[(r"victim: type a key", b"k")],
               until=r"\[victim\] blkstress: done")
    run.expect_clean_exit()
    run.expect("[victim] victim: round 10 ok")
    run.expect("[victim] check victim-rounds: ok")
    run.expect("[victim] victim: key k")
    run.expect("[victim] blkstress: done, 0 failed")


def test_drain_on_reboot():
    """A VM makes seven 1 MiB writes available with one notify and
    reboots the moment the first is answered, the others still in flight.
    The monitor drains them before it frees the VM's memory and boots it
    again: no panic, and every write the guest was told is done is there
    when the new boot reads its disk back (and in the disk image). (One
    hart: nothing reaps the pieces in flight while the VM is torn down and
    made again unless the monitor waits for them.)"""
    image = make_disk("drain")
    bundle = make_bundle("blk-drain", vm_config(
        {"name": "dr", "memory-mib": 16, "image": "blkstress.elf",
         "disk-mib": 8, "bootargs": "drain"}))
    run = boot(cpus=1, nodes=1, bundle=bundle, disk=image)
    run.expect_clean_exit()
    told = run.match(r"^\[dr\] drain: told done:([ 0-9]*)$").group(1).split()
    if not told:
        run.fail("the guest was told of no write before it rebooted")
    run.expect("vm dr: stopped: reboot")
    run.expect("[dr] blkstress: done, 0 failed")
    for i in told:
        run.expect(f"[dr] drain: area {i}: written")
        with open(image, "rb") as f:
            f.seek((64 + int(i) * 2048) * SECTOR)
            got = f.read(SECTOR)
        want = bytes((((int(i) + 100) * 31 + k) & 0xff) for k in range(SECTOR))
        if got != want:
            run.fail(f"area {i}: the image does not hold the write the guest "
                     f"was told is done: {got[:8]!r}..., want {want[:8]!r}...")


TESTS = [
    ("virtio-blktest", test_blktest),
    ("virtio-two-vms-separate-regions", test_two_vms_separate_regions),
    ("virtio-no-disk", test_no_disk),
    ("virtio-disk-too-small", test_disk_too_small),
    ("virtio-boot-with-disk-no-vms", test_boot_with_disk_no_vms),
    ("virtio-legacy-disk-refused", test_legacy_disk_refused),
    ("virtio-bad-width-stops-vm", test_bad_width_stops_vm),
    ("virtio-completion-order", test_completion_order),
    ("virtio-huge-requests-do-not-stall-others", test_huge_requests_do_not_stall_others),
    ("virtio-drain-on-reboot", test_drain_on_reboot),
]
