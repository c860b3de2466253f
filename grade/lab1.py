#!/usr/bin/env python3
"""grade/lab1.py: lab 1, the pmap (lab-guide/lab1.md).

Two kinds of tests. The host tests (grade/unit/test_lab1.c) run your
hyp/mem/backmap.c and hyp/mem/pmap.c on the host, on a made-up two-node machine,
and check each rule of their contracts separately: they say exactly which
PTE bit or counter is wrong. The VM tests then boot the monitor under QEMU
with real guests (tests/guests/) and check that they run, that their
memory comes from their home node, and that the monitor stops a guest that
touches memory it does not have.

  python3 grade/lab1.py [-k PATTERN...] [--json FILE]     (or: make grade LAB=1)
"""

import re

from gradelib import Grader

GUESTS = ["hello", "sbitest", "badmem"]
g = Grader(lab=1, title="pmap",
           build=["all"] + [f"build/tests/guests/{x}.elf" for x in GUESTS])

g.host_program("test_lab1", ["grade/unit/test_lab1.c", "tests/unit/host_stubs.c",
                             "hyp/mem/backmap.c", "hyp/mem/memmap.c",
                             "hyp/mem/blockcache.c"])


# ---- Host tests: one function at a time ------------------------------------

@g.test("backmap-add-remove", points=5)
def backmap_add_remove(t):
    """memmap_backmap_add records (vm, gpa) pairs; memmap_backmap_remove
    takes out exactly the one asked for, and says -1 for a missing one."""
    t.host_cases("test_lab1", ["backmap_add_and_count", "backmap_remove"])


@g.test("backmap-records", points=5)
def backmap_records(t):
    """Removed records are used again; out of memory is -1, not a crash."""
    t.host_cases("test_lab1", ["backmap_records_reused", "backmap_out_of_memory"])


@g.test("pmap-walk", points=10)
def walk(t):
    """pmap_walk finds the level-0 PTE, adds zeroed tables on the pmap's
    node only when asked and only where missing, counts them, uses the
    11-bit root index of Sv39x4, and fails cleanly without memory."""
    t.host_cases("test_lab1", ["walk_no_alloc", "walk_alloc",
                               "walk_shares_tables", "walk_out_of_memory"])


@g.test("pmap-enter", points=10)
def enter(t):
    """pmap_enter writes a leaf with exactly the permissions asked for, plus
    U, A and D; updates the map and the per-node counter; records the
    back-mapping (two of them for a page in two VMs); when the walk or the
    back-mapping fails it returns -1 and leaves no record, entry or leaf."""
    t.host_cases("test_lab1", ["enter_maps_page", "enter_shared_page",
                               "enter_fails_cleanly"])


@g.test("pmap-fault", points=10)
def fault(t):
    """pmap_fault gives a page a zeroed machine page on the node
    pmap_page_node names (pm->node, or the chunk's node in a VM that spans
    nodes), maps it, counts it and fences; a second fault on it changes
    nothing; out of memory returns -1 and loses no page."""
    t.host_cases("test_lab1", ["fault_fills_page", "fault_again_same_page",
                               "fault_spanning_vm", "fault_many_pages",
                               "fault_out_of_memory"])


@g.test("pmap-fault-race", points=5)
def fault_race(t):
    """Another vCPU fills the page while pmap_fault gets one for it (a test
    double of memmap_alloc makes it happen): the other vCPU's page stays,
    the page taken goes back, the fill counts once, and the hart fences."""
    t.host_cases("test_lab1", ["fault_race_lost"])


@g.test("pmap-destroy", points=5)
def destroy(t):
    """After pmap_destroy no page belongs to the VM and no back-mapping is
    left (it relies on your table and on memmap_backmap_remove)."""
    t.host_cases("test_lab1", ["destroy_frees_everything"])


# ---- VM tests: real guests under QEMU --------------------------------------

def expect_done(run, vm, who):
    """VM `vm` ran guest `who` to its end with every check passing."""
    run.expect(f"[{vm}] {who}: done, 0 failed")
    for line in run.lines(f"[{vm}] check "):
        if not line.endswith(": ok"):
            run.fail(f"VM {vm}: {line}")


def expect_home(t, run, vm, home, nodes):
    """Every page of `vm` came from node `home`, through pmap_fault (or
    lab 3's pmap_share), and its table is about as big as the pages it
    maps need."""
    c = t.counters(run, vm)
    pages = [c.get(f"node{n}", 0) for n in range(nodes)]
    if pages[home] == 0 or sum(pages) != pages[home]:
        run.fail(f"VM {vm}: pages per node {pages}; want them all on its "
                 f"home node {home}")
    # Lab 3 maps the image's whole pages shared (pmap_share) instead.
    if c.get("faults", -1) + c.get("shares", 0) != pages[home]:
        run.fail(f"VM {vm}: faults={c.get('faults')} shares={c.get('shares', 0)} "
                 f"but {pages[home]} pages mapped: every page of a VM is filled "
                 "by pmap_fault (or mapped shared by lab 3's pmap_share)")
    # Root (4) + a level-1 table + one level-0 table per 2 MiB touched; a
    # small guest touches a few MiB.
    tables = c.get("tables", 0)
    if not 6 <= tables <= 4 + 1 + 16:
        run.fail(f"VM {vm}: tables={tables}; a 32 MiB VM needs between 6 "
                 "and 21 table pages (root 4, one level-1, a level-0 per "
                 "2 MiB used)")
    return c


@g.test("vm-hello", points=10)
def vm_hello(t):
    """One VM with two vCPUs runs the hello guest (tests/guests/hello.c),
    which touches ~480 pages, starts its second vCPU and checks memory."""
    bundle = t.bundle("hello", t.vm(vcpus=2, memory_mib=32, image="hello.elf"))
    run = t.boot(cpus=2, nodes=1, bundle=bundle)
    run.expect_clean_exit()
    expect_done(run, "vm0", "hello")
    run.expect("[vm0] vcpu 1: up")
    expect_home(t, run, "vm0", 0, 1)


@g.test("vm-two-nodes", points=10)
def vm_two_nodes(t):
    """Two VMs, one homed on each node: each VM's pages come from its own
    node, and when both have stopped every guest page is free again."""
    bundle = t.bundle("two", t.vm(name="vm0", vcpus=2, memory_mib=32,
                                  home_node=0, image="hello.elf"),
                      t.vm(name="vm1", vcpus=2, memory_mib=32, home_node=1,
                           image="hello.elf"))
    run = t.boot(cpus=4, nodes=2, bundle=bundle)
    run.expect_clean_exit()
    for vm, home in (("vm0", 0), ("vm1", 1)):
        expect_done(run, vm, "hello")
        expect_home(t, run, vm, home, 2)
    run.expect("Disco-V: all VMs have stopped")
    # The memory lines printed after the VMs stopped: node 1 lends the
    # monitor nothing, so all its pages must be free again, but for the
    # shared pages lab 3's blockcache keeps (vm1's image, for the next VM).
    after = run.output.split("Disco-V: all VMs have stopped", 1)[1]
    m = re.search(r"^memory: node 1 total=\d+ reserved=\d+ free=\d+ "
                  r"used=(\d+) pages", after, re.M)
    shared = re.search(r"^memory: node 1 vms: .* shared=(\d+) ", after, re.M)
    if m is None or shared is None:
        run.fail("no memory accounting printed after the VMs stopped")
    if int(m.group(1)) != int(shared.group(1)):
        run.fail(f"node 1 still has {m.group(1)} pages in use after vm1 "
                 "stopped: pmap_destroy did not get all of them back")


@g.test("vm-bad-memory", points=10)
def vm_bad_memory(t):
    """A guest that reads outside its memory (tests/guests/badmem.c) is
    stopped with a report naming the address; the other VM finishes."""
    bundle = t.bundle("badmem",
                      t.vm(name="bad", memory_mib=16, image="badmem.elf", home_node=0),
                      t.vm(name="good", vcpus=2, memory_mib=16, image="hello.elf",
                           home_node=1))
    run = t.boot(cpus=2, nodes=2, bundle=bundle)
    run.expect_clean_exit()
    run.match(r"^vm bad: stopped: vCPU 0 at pc 0x[0-9a-f]+: read at "
              r"guest-physical 0x0000000200000000: not RAM and no device "
              r"there \(exit 1\)$")
    run.forbid("the monitor let it through")
    expect_done(run, "good", "hello")


@g.test("vm-eight-vcpus", points=10, timeout=60)
def vm_eight_vcpus(t):
    """One VM with 8 vCPUs on 4 harts: vCPUs on different harts fault on
    the same pages at the same time, and all of them run."""
    bundle = t.bundle("eight", t.vm(name="big", vcpus=8, memory_mib=32,
                                    image="hello.elf"))
    run = t.boot(cpus=4, nodes=1, bundle=bundle)
    run.expect_clean_exit()
    expect_done(run, "big", "hello")
    for i in range(1, 8):
        run.expect(f"[big] vcpu {i}: up")
    expect_home(t, run, "big", 0, 1)


@g.test("vm-sbitest", points=10)
def vm_sbitest(t):
    """The SBI test guest (tests/guests/sbitest.c) passes all its checks:
    it needs guest memory filled lazily and correctly to get that far."""
    bundle = t.bundle("sbitest", t.vm(name="sbi", vcpus=2, memory_mib=16,
                                      image="sbitest.elf"))
    run = t.boot(cpus=2, nodes=1, bundle=bundle)
    run.expect_clean_exit()
    expect_done(run, "sbi", "sbitest")


if __name__ == "__main__":
    g.main()
