#!/usr/bin/env python3
"""grade/lab4.py: lab 4, NUMA page migration and replication
(lab-guide/lab4.md).

The host tests run your numa_decide (hyp/mem/numa_policy.c) on made-up
memmap records (tests/unit/test_numa_policy.c), and your pmap_replicate
and collapse_locked (hyp/mem/pmap.c) on a made-up machine of two nodes
(grade/unit/test_lab4.c). The VM tests boot VMs whose vCPUs and memory
span both nodes of a 2-hart, 2-node machine, with numa-policy on and a
scan every millisecond; they run with the lab 2 auditor built in, which
fails a test on any stale translation. The last one runs under the NUMA
cost model (tools/numa-model/), which charges remote misses more, and
checks that your policy makes node 1's misses local.

  python3 grade/lab4.py [-k PATTERN...] [--json FILE]     (or: make grade LAB=4)
"""

import os
import re
import shutil

from gradelib import Grader, WORK

g = Grader(lab=4, title="NUMA migration and replication",
           build=["all", "build/tests/guests/tlbtest.elf", "build/guest-os/kernel.elf",
                  "build/guest-os/fs.img", "build/tools/numa_model.so"])

g.host_program("test_numa_policy", ["tests/unit/test_numa_policy.c",
                                    "hyp/mem/numa_policy.c"])
g.host_program("test_lab4", ["grade/unit/test_lab4.c", "tests/unit/host_stubs.c",
                             "hyp/mem/backmap.c", "hyp/mem/memmap.c",
                             "hyp/mem/blockcache.c"])

FS_IMAGE = os.path.join(os.path.dirname(WORK), "guest-os", "fs.img")
NO_FSYNC = ["-set", "drive.hd0.cache.no-flush=on"]


# ---- Host tests: numa_decide, pmap_replicate, collapse_locked ---------------

@g.test("policy-migrates-hot-pages", points=10)
def policy_migrates(t):
    """numa_decide moves a page hot for one node, and used by it alone, to
    that node; leaves a cold page, or one on the node already."""
    t.host_cases("test_numa_policy", ["numa_hot_page_of_one_node_moves",
                                      "numa_cold_page_stays", "numa_page_on_its_node_stays",
                                      "numa_page_two_nodes_use_stays"])


@g.test("policy-move-limit", points=5)
def policy_move_limit(t):
    """numa_decide leaves a page that moved NUMA_MOVE_LIMIT times lately."""
    t.host_cases("test_numa_policy", ["numa_move_limit_holds"])


@g.test("policy-copies-read-shared", points=10)
def policy_copies(t):
    """numa_decide copies a page several nodes read (if the VM's policy
    allows copies), and leaves a page several nodes use and one wrote."""
    t.host_cases("test_numa_policy", ["numa_read_shared_page_replicated",
                                      "numa_write_shared_page_stays"])


@g.test("replicate-copies", points=10)
def replicate_copies(t):
    """pmap_replicate puts a copy with the same bytes on the node, makes
    the page read-only after a shootdown, lets the node's table map the
    copy; refuses what it should, losing no page."""
    t.host_cases("test_lab4", ["replicate_copies", "replicate_replaces_node_mapping",
                               "replicate_refuses"])


@g.test("collapse-frees-copies", points=10)
def collapse_frees(t):
    """A write collapses the page: writable again, copies freed after a
    shootdown, no table maps a copy; a move collapses first."""
    t.host_cases("test_lab4", ["collapse_frees_copies", "move_collapses_first"])


# ---- VM tests: a VM spanning both nodes ----------------------------------------

def tlbtest(t, name, policy, bootargs, timeout):
    """tlbtest in a VM of 2 vCPUs spanning both nodes of a 2-hart, 2-node
    machine (vCPU 1 and the second half of its memory on node 1),
    scanning every millisecond. Checks the auditor; returns the run."""
    vm = t.vm(name="vm0", vcpus=2, memory_mib=8, span_nodes=True, image="tlbtest.elf",
              bootargs=bootargs, numa_policy=policy, numa_scan_ms=1)
    run = t.boot(cpus=2, nodes=2, bundle=t.bundle(name, vm), timeout=timeout)
    run.expect_clean_exit()
    run.expect("[vm0] tlbtest: done, 0 failed")
    t.expect_audited(run)
    return run


@g.test("pages-follow-their-user", points=15, timeout=120)
def pages_follow(t):
    """vCPU 1 (node 1) alone rewrites and checks pages guest memory put on
    node 0: every one of them ends on node 1 (the test SBI call page_node
    says where), found by hinting faults, the data intact."""
    run = tlbtest(t, "migrate", "migrate", "mode=numa rounds=20000", 120)
    m = run.match(r"^\[vm0\] tlbtest: numa pages=(\d+) on-node1=(\d+) rounds=(\d+) bad=(\d+)$")
    if m.group(2) != m.group(1) or m.group(4) != "0":
        run.fail(f"on node 1: {m.group(2)} of {m.group(1)} pages, {m.group(4)} bad "
                 "words: want all of them, none bad")
    c = t.counters(run, "vm0")
    if c.get("migrated", 0) < int(m.group(1)) or c.get("hints", 0) == 0:
        run.fail(f"migrated={c.get('migrated')} hints={c.get('hints')}: want at least "
                 f"{m.group(1)} moves, found by hinting faults")


@g.test("no-stale-copy", points=15, timeout=180)
def no_stale_copy(t):
    """numa-policy = "replicate": vCPU 0 writes 30 versions of some pages
    that both vCPUs read 1000 times each: node 1 gets copies, each write
    collapses them, and vCPU 1 never reads an old version; the auditor
    sees no stale translation."""
    run = tlbtest(t, "replicate", "replicate", "mode=replicate rounds=30", 180)
    run.expect("[vm0] tlbtest: replicate versions=30 bad=0")
    c = t.counters(run, "vm0")
    if c.get("replicated", 0) == 0 or c.get("collapsed", 0) == 0:
        run.fail(f"replicated={c.get('replicated')} collapsed={c.get('collapsed')}: "
                 "want copies made, and collapsed by the writes")


def gos_spanning(t, name, policy, autorun, numa_model=None, scan_ms=1, timeout=300):
    """guest-os in a VM of 2 vCPUs spanning both nodes, its disk a cow
    overlay of fs.img, numa-policy `policy`. Returns the run."""
    disk = os.path.join(WORK, "disks", f"lab4-{name}.img")
    os.makedirs(os.path.dirname(disk), exist_ok=True)
    vm = t.vm(name="gos", vcpus=2, memory_mib=64, span_nodes=True, image="kernel.elf",
              bootargs=f'autorun="{autorun}"', disk_mib=8, disk_image="fs.img",
              disk_mode="cow")
    if policy != "off":
        vm.update({"numa-policy": policy, "numa-scan-ms": scan_ms})
    bundle = t.bundle(name, vm, disk_out=disk)
    run = t.boot(cpus=2, nodes=2, bundle=bundle, disk=disk, timeout=timeout,
                 extra=NO_FSYNC, numa_model=numa_model)
    run.expect_clean_exit()
    return run


@g.test("guest-os-workloads", points=15, timeout=300)
def guest_os_workloads(t):
    """guest-os runs its three workloads (their checksums) in the spanning
    VM with numa-policy = "replicate", scanning every millisecond: they
    all pass, the policy moved and copied pages, and nothing was stale."""
    run = gos_spanning(t, "workloads", "replicate", "workloads")
    run.expect("[gos] workloads: 3 passed, 0 failed")
    t.expect_audited(run)
    c = t.counters(run, "gos")
    if c.get("migrated", 0) == 0 or c.get("replicated", 0) == 0:
        run.fail(f"migrated={c.get('migrated')} replicated={c.get('replicated')}: "
                 "want pages both moved and copied")


def model_share(run, hart):
    """The local share of `hart`'s misses, from the model's report at exit
    (numa-model hartN: ... misses-local=L misses-remote=R ...)."""
    m = re.search(rf"^numa-model {hart}: (.*)$", run.output, re.M)
    if m is None:
        run.fail("the NUMA cost model printed no report for " + hart)
    words = dict(w.split("=", 1) for w in m.group(1).split())
    local, remote = float(words["misses-local"]), float(words["misses-remote"])
    return local / max(local + remote, 1)


LOCAL_SHARE = 0.5          # node 1's local share the policy must reach


@g.test("cost-model-local-share", points=10, timeout=120)
def cost_model(t):
    """Under the NUMA cost model, two copies of `engineering 3` run in the
    spanning VM, one on each vCPU, with numa-policy = "migrate" and a 10 ms
    scan. guest-os puts all their pages on node 0, so hart 1 (node 1)
    starts with every miss remote (with the policy off it stays at 0%
    local); over the whole run at least half of its misses must be local
    (the reference solution: about two thirds)."""
    if shutil.which("qemu-system-riscv64") is None:
        t.fail("no qemu-system-riscv64")
    run = gos_spanning(t, "model", "migrate", "engineering 3 & engineering 3; wait",
                       numa_model="", scan_ms=10, timeout=120)
    sums = set(re.findall(r"^\[gos\] engineering: checksum (0x[0-9a-f]+)", run.output, re.M))
    if len(sums) != 1:
        run.fail(f"engineering's checksums: {sums or 'none'}: want two, equal")
    share = model_share(run, "hart1")
    if share < LOCAL_SHARE:
        c = t.counters(run, "gos")
        run.fail(f"hart 1: {share:.0%} of its misses local, want {LOCAL_SHARE:.0%} "
                 f"or more (migrated={c.get('migrated')} hints={c.get('hints')})")


if __name__ == "__main__":
    g.main()
