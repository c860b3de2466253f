"""tests/system/test_numa_policy.py: lab 4, the NUMA policy (hyp/mem/numa.h).

What these prove: with numa-policy = "migrate", pages that only a vCPU on
node 1 uses, in memory the VM got from node 0, are found by hinting faults
and moved to node 1, with the data intact and no stale translation (the
TLB auditor, built in by make test); with "replicate", pages both nodes
read get copies, and writes collapse them before anyone can read an old
copy; with the policy off, nothing moves; a bad numa-policy is refused.
And the scheduler cooperates (hyp/cpu/sched.c): a NUMA VM's vCPUs stay on
their node while it has time for them, and a vCPU moved to another node
because its own is overloaded has its pages follow it there.
"""

import os

from lib import boot, counters, make_bundle, vm_config
from qemurun import pack_bundle
from test_guest_os import DISKS, GOS, NO_FSYNC, expect_usertests


def numa_run(name, policy, rounds):
    """tlbtest's numa mode in a VM of 2 vCPUs spanning both nodes of a
    2-hart, 2-node machine (vCPU 1 on node 1), scanning every millisecond."""
    vm = {"name": "vm0", "vcpus": 2, "memory-mib": 8, "span-nodes": True,
          "image": "tlbtest.elf", "bootargs": f"mode=numa rounds={rounds}",
          "numa-policy": policy, "numa-scan-ms": 1}
    run = boot(cpus=2, nodes=2, bundle=make_bundle(name, vm_config(vm)), timeout=120)
    run.expect_clean_exit()
    run.expect("[vm0] tlbtest: done, 0 failed")
    m = counters(run, "machine")
    if m["audit-violations"] != 0:
        run.fail(f"auditor: {m['audit-violations']} violations")
    if policy != "off" and counters(run, "vm0")["vcpu-moves"] != 0:
        run.fail(f"vcpu-moves={counters(run, 'vm0')['vcpu-moves']}: each vCPU has a hart "
                 "of its own node to itself, and none may leave it")
    return run, run.match(r"^\[vm0\] tlbtest: numa pages=(\d+) on-node1=(\d+) "
                          r"rounds=(\d+) bad=(\d+)$")


def test_pages_follow_their_user():
    """Pages used by node 1 alone end up on node 1."""
    run, m = numa_run("numa-migrate", "migrate", 20000)
    if m.group(2) != m.group(1) or m.group(4) != "0":
        run.fail(f"on node 1: {m.group(2)} of {m.group(1)} pages, {m.group(4)} bad "
                 "words: want all of them, none bad")
    c = counters(run, "vm0")
    if c["migrated"] < int(m.group(1)) or c["hints"] == 0:
        run.fail(f"migrated={c['migrated']} hints={c['hints']}: want at least "
                 f"{m.group(1)} moves, found by hinting faults")


def test_read_shared_pages_replicated():
    """numa-policy = "replicate": pages both nodes' vCPUs read get a copy on
    node 1, and every new version vCPU 0 writes collapses the copies first:
    vCPU 1 never reads an old version from a copy (30 versions, each read
    1000 times by both), and the auditor sees no stale translation."""
    vm = {"name": "vm0", "vcpus": 2, "memory-mib": 8, "span-nodes": True,
          "image": "tlbtest.elf", "bootargs": "mode=replicate rounds=30",
          "numa-policy": "replicate", "numa-scan-ms": 1}
    run = boot(cpus=2, nodes=2, bundle=make_bundle("numa-replicate", vm_config(vm)),
               timeout=180)
    run.expect_clean_exit()
    run.expect("[vm0] tlbtest: replicate versions=30 bad=0")
    run.expect("[vm0] tlbtest: done, 0 failed")
    if counters(run, "machine")["audit-violations"] != 0:
        run.fail("the auditor saw stale translations")
    c = counters(run, "vm0")
    if c["replicated"] == 0 or c["collapsed"] == 0:
        run.fail(f"replicated={c['replicated']} collapsed={c['collapsed']}: want "
                 "copies made and collapsed by the writes")


def guest_os_test(policy):
    """guest-os in a VM of 2 vCPUs spanning both nodes, with the policy on
    and scanning every millisecond, runs the workloads (their checksums)
    and usertests: everything passes, nothing stale (the auditor), and the
    policy acted. The monitor reads guest instructions (a WFI, a device
    access) through the G stage, which the policy keeps revoking."""
    def test():
        vm = {"name": "gos", "vcpus": 2, "memory-mib": 64, "span-nodes": True,
              "image": "kernel.elf", "numa-policy": policy, "numa-scan-ms": 1,
              "bootargs": 'autorun="usertests; workloads"', "disk-mib": 8,
              "disk-image": "fs.img", "disk-mode": "cow"}
        disk = os.path.join(DISKS, f"numa-gos-{policy}.img")
        os.makedirs(DISKS, exist_ok=True)
        bundle = pack_bundle(vm_config(vm), os.path.join(DISKS, f"numa-gos-{policy}"),
                             (GOS,), disk_out=disk)
        run = boot(cpus=2, nodes=2, timeout=400, bundle=bundle, disk=disk, extra=NO_FSYNC)
        run.expect_clean_exit()
        expect_usertests(run, "[gos] ")
        run.expect("[gos] workloads: 3 passed, 0 failed")
        if counters(run, "machine")["audit-violations"] != 0:
            run.fail("the auditor saw stale translations")
        c = counters(run, "gos")
        if c["hints"] == 0 or c["migrated"] + c["replicated"] == 0:
            run.fail(f"hints={c['hints']} migrated={c['migrated']} replicated="
                     f"{c['replicated']}: the policy did nothing")
    return test


def test_vcpu_moved_pages_follow():
    """Two VMs of one vCPU, both homed on node 0 of a 2-hart, 2-node
    machine, both with numa-policy "migrate", both running tlbtest's follow
    mode (touch 8 pages round after round, never idle): node 0's one hart
    is overloaded, hart 1 has nothing to do. Once one vCPU has waited in
    line 3 slices, the scheduler moves it to hart 1 (vcpu-moves=1), and the
    policy moves its pages after it to node 1 (from that node's unreserved
    memory: the VM reserved node 0's), data intact, nothing stale (the
    auditor). The other vCPU, alone on hart 0 from then on, stays there
    with its pages. Which of the two moves is up to timing: whichever
    waited its 3 slices first."""
    rounds = 20000
    vms = [{"name": n, "vcpus": 1, "memory-mib": 8, "home-node": 0,
            "image": "tlbtest.elf", "bootargs": f"mode=follow rounds={rounds}",
            "numa-policy": "migrate", "numa-scan-ms": 1} for n in ("a", "b")]
    run = boot(cpus=2, nodes=2, bundle=make_bundle("numa-follow", vm_config(*vms)),
               timeout=180)
    run.expect_clean_exit()
    if counters(run, "machine")["audit-violations"] != 0:
        run.fail("the auditor saw stale translations")
    moved = []
    for name in ("a", "b"):
        run.expect(f"[{name}] tlbtest: done, 0 failed")
        m = run.match(rf"^\[{name}\] tlbtest: numa pages=(\d+) on-node1=(\d+) "
                      r"rounds=(\d+) bad=(\d+)$")
        c = counters(run, name)
        if m.group(4) != "0":
            run.fail(f"{name}: {m.group(4)} bad words after the moves")
        if c["vcpu-moves"] == 0:
            if m.group(2) != "0" or c["node1"] != 0:
                run.fail(f"{name} stayed on node 0, but {m.group(2)} of its test pages "
                         f"and {c['node1']} of all its pages are on node 1")
            continue
        moved.append(name)
        if m.group(2) != m.group(1) or c["migrated"] < int(m.group(1)):
            run.fail(f"{name}'s vCPU moved to node 1 (vcpu-moves={c['vcpu-moves']}), but "
                     f"only {m.group(2)} of its {m.group(1)} test pages followed "
                     f"(migrated={c['migrated']})")
    if len(moved) != 1:
        run.fail(f"vCPUs moved to node 1: {moved or 'none'}; want exactly one: hart 1 "
                 "idles while both wait in line on hart 0, and after one move each "
                 "vCPU has a hart to itself")


def test_policy_off_moves_nothing():
    """The same run with the policy off: the pages stay on node 0."""
    run, m = numa_run("numa-off", "off", 300)
    if m.group(2) != "0":
        run.fail(f"{m.group(2)} pages moved to node 1 with the policy off")
    run.forbid("counters vm0: numa")


def test_bad_policy_refused():
    """numa-policy must be "off", "migrate" or "replicate"."""
    vm = {"name": "vm0", "memory-mib": 8, "image": "hello.elf", "numa-policy": "always"}
    ok = {"name": "vm1", "memory-mib": 8, "image": "hello.elf"}
    run = boot(cpus=2, nodes=2, bundle=make_bundle("numa-bad", vm_config(vm, ok)))
    run.expect_clean_exit()
    run.expect("vm vm0: not started: numa-policy is not")
    run.expect("[vm1] hello")


TESTS = [
    ("numa-pages-follow-their-user", test_pages_follow_their_user),
    ("numa-read-shared-pages-replicated", test_read_shared_pages_replicated),
    ("numa-vcpu-moved-pages-follow", test_vcpu_moved_pages_follow),
    ("numa-guest-os-migrate", guest_os_test("migrate")),
    ("numa-guest-os-replicate", guest_os_test("replicate")),
    ("numa-policy-off-moves-nothing", test_policy_off_moves_nothing),
    ("numa-bad-policy-refused", test_bad_policy_refused),
]
