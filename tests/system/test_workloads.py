"""tests/system/test_workloads.py: the three Disco workloads give the
same answers bare and under the monitor.

What these prove: guest-os's workloads (guest-os/user/pmake.c, cc.c,
ld.c; engineering.c; database.c; run in turn by workloads.c at test
sizes), modelled on Disco's Pmake, Engineering and Database (Disco
section 5.1), run to the end on the bare machine with one hart and in a
Disco-V VM with two vCPUs, and print the same checksums both ways: the
object files and linked program of a parallel build, the statistics and
final memory of a cache simulation, and the answers of a query mix over
an indexed table on the disk together with the table after its updates.
Identical results from one hart bare and two vCPUs virtualized are
Disco's claim that a commodity OS and its applications run unchanged on
the monitor; that pmake's result does not depend on how its four
compilers interleave is checked by the same comparison.

The checksums are also compared with the values the workloads gave when
they were written (WANT): a kernel change that corrupts a file or a
page changes them on both machines alike, which the comparison between
the two alone would miss. Changing a workload or its test size changes
its checksum: then run `make qemu-guest-os ARGS=autorun=workloads`,
check that the line changed for a reason, and update WANT.

Each run ends with the disk image checked on the host (tools/mkfs.py):
consistent, and with exactly the free blocks and inodes of a fresh
image, so the workloads removed everything they made (they must run
again and again on one disk).
"""

import re

from test_guest_os import bare, fresh_disk, fsck, in_vm

# The checksums at workloads.c's test sizes: pmake -j4 32, engineering 4
# (million references), database 800 (queries).
WANT = {
    "pmake": "0x1e0b171121186b68",
    "engineering": "0x1968c8d6383e857d",
    "database": "0xa2aa84cf8a2f88f0",
}


def check_workloads(run, prefix=""):
    """Every workload printed its checksum, and it is the one in WANT;
    the driver counted three passed, and init saw exit status 0.
    `prefix` is the monitor's "[vm] " label."""
    run.expect_clean_exit()
    got = {}
    for name in WANT:
        m = run.match(rf"^{re.escape(prefix)}{name}: checksum (0x[0-9a-f]{{16}}) ")
        got[name] = m.group(1)
    wrong = {n: v for n, v in got.items() if v != WANT[n]}
    if wrong:
        run.fail(f"checksums {wrong}, want {({n: WANT[n] for n in wrong})}")
    run.expect(f"{prefix}workloads: 3 passed, 0 failed")
    run.expect(f"{prefix}guest-os: autorun exit 0")


def test_workloads_bare():
    """The three workloads on the bare machine, one hart, with a disk."""
    image = fresh_disk("workloads-bare")
    run = bare(1, 1, "autorun=workloads", disk=image, timeout=240)
    check_workloads(run)
    fsck(run, image)


def test_workloads_vm():
    """The same in a VM of two vCPUs on a machine of two harts: the
    monitor's virtual disk, PLIC and timer under the file system, and
    lazily filled memory under the simulator's 6 MiB."""
    image = fresh_disk("workloads-vm")
    run = in_vm("work", 2, 1, 2, "autorun=workloads", disk=image, timeout=360)
    check_workloads(run, "[work] ")
    run.expect("Disco-V: all VMs have stopped")
    fsck(run, image)


def test_pmake_reuses_left_directory():
    """A pmake that was interrupted (the machine stopped mid-run) leaves
    /pmake-PID on the disk, and a pmake of the next boot may get the same
    pid. Here the shell makes that directory, with a stale object in it,
    and then runs pmake (pid 5 after init, sh, mkdir and echo): pmake
    says it empties the directory, builds, and removes it, leaving the
    disk as fresh as before. (It used to stop: "cannot make /pmake-5".)"""
    image = fresh_disk("pmake-left")
    run = bare(1, 1, 'autorun="mkdir /pmake-5; echo stale > /pmake-5/s0.o; '
               'pmake 4; ls /"', disk=image, timeout=120)
    run.expect_clean_exit()
    run.expect("pmake: /pmake-5 was left by an interrupted run: emptied it")
    run.match(r"^pmake: checksum 0x[0-9a-f]{16} \(4 files, jobs 4\) in \d+ us$")
    run.forbid("pmake-5          d")
    run.expect("guest-os: autorun exit 0")
    fsck(run, image)


def test_pmake_shared_sources():
    """pmake -g DIR writes the sources and keeps them; pmake -s DIR builds
    them (make bench's figure-6 table: sources on the shared base disk)
    to the same checksum as a pmake that writes its own, and leaves them
    there; nothing else is left behind."""
    image = fresh_disk("pmake-shared")
    run = bare(1, 1, 'autorun="pmake -g /src 6; pmake -s /src 6; pmake 6; ls /src; '
               'rm /src/s000.c /src/s001.c /src/s002.c /src/s003.c /src/s004.c '
               '/src/s005.c /src; pmake -s /nowhere 2; ls /"', disk=image, timeout=120)
    run.expect_clean_exit()
    run.expect("pmake: wrote 6 sources in /src")
    sums = re.findall(r"^pmake: checksum (0x[0-9a-f]{16}) \(6 files, jobs 4\)",
                      run.output, re.M)
    if len(sums) != 2 or sums[0] != sums[1]:
        run.fail(f"pmake -s and pmake gave checksums {sums}: want two, the same")
    if len(run.lines("s00")) != 6:
        run.fail("pmake -s did not leave the 6 sources in /src")
    run.expect("cc: cannot open /nowhere/s000.c")
    run.expect("pmake: FAILED")
    fsck(run, image)


def test_interactive():
    """interactive (make bench's latency probe) runs its commands, prints
    its summary line with sorted samples, and leaves no file behind."""
    image = fresh_disk("interactive")
    run = bare(1, 1, 'autorun="interactive 5; ls /"', disk=image, timeout=60)
    run.expect_clean_exit()
    m = run.match(r"^interactive: 5 commands, median (\d+) us, p90 (\d+) us, "
                  r"max (\d+) us$")
    median, p90, top = (int(x) for x in m.groups())
    if not 0 < median <= p90 <= top:
        run.fail(f"median {median}, p90 {p90}, max {top}: want 0 < median <= p90 <= max")
    run.forbid("ia-")
    run.expect("guest-os: autorun exit 0")
    fsck(run, image)


TESTS = [
    ("workloads-bare-c1", test_workloads_bare),
    ("workloads-vm-v2", test_workloads_vm),
    ("workloads-pmake-reuses-left-directory", test_pmake_reuses_left_directory),
    ("workloads-pmake-shared-sources", test_pmake_shared_sources),
    ("workloads-interactive", test_interactive),
]
