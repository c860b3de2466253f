#!/usr/bin/env python3
"""grade/lab2.py: lab 2, TLB emulation (lab-guide/lab2.md).

Graded with the software TLB auditor built in (the grader builds with
AUDIT=1): QEMU 7.2 flushes its whole TLB on every entry to and exit from a
guest, so a missing fence hardly ever shows in a guest; the auditor models
what a real TLB may keep and reports any stale translation a hart could
use, which fails the test (tools/qemurun.py: Run.expect_clean_exit).

The host tests run your hyp/mem/vmid.c alone (tests/unit/test_vmid.c). The
VM tests boot the monitor with tests/guests/tlbtest.c, which makes the
monitor move its pages while its vCPUs run and fence each other with SBI
RFENCE, and with guest-os, which gives pages back through Disco's monitor
calls.

  python3 grade/lab2.py [-k PATTERN...] [--json FILE]     (or: make grade LAB=2)
"""

from gradelib import Grader

g = Grader(lab=2, title="TLB emulation",
           build=["all", "build/tests/guests/tlbtest.elf", "build/guest-os/kernel.elf"])

g.host_program("test_vmid", ["tests/unit/test_vmid.c", "hyp/mem/vmid.c"])


# ---- Host tests: the VMID allocator ----------------------------------------

@g.test("vmid-allocate", points=10)
def vmid_allocate(t):
    """vmid_update hands out VMIDs 1, 2, 3... (never 0), keeps a VMID
    that is still valid, and with no VMID bits gives everyone VMID 0."""
    t.host_cases("test_vmid", ["first_vmids_in_order", "valid_vmid_kept", "no_vmids"])


@g.test("vmid-rollover", points=10)
def vmid_rollover(t):
    """When the VMIDs run out a new generation starts, VMIDs are handed out
    from 1 again, and no two holders of one generation share a VMID (with
    1, 2, 4 and 14 bits)."""
    t.host_cases("test_vmid", ["rollover_two_bits", "rollover_one_bit",
                               "full_width", "random_no_duplicates"])


# ---- VM tests: tlbtest and guest-os under the auditor ----------------------

def expect_done(run, vm):
    """VM `vm` ran tlbtest to its end with every check passing."""
    run.expect(f"[{vm}] tlbtest: done, 0 failed")
    for line in run.lines(f"[{vm}] check "):
        if not line.endswith(": ok"):
            run.fail(f"VM {vm}: {line}")


def expect_audited(t, run):
    """The auditor was on and saw nothing stale; the machine's counters."""
    run.expect("audit=on")
    m = t.counters(run, "machine")
    if m.get("audit-violations", -1) != 0:
        run.fail(f"the auditor saw {m.get('audit-violations')} stale translations")
    return m


def churn(t, name, cpus, nodes, vms, vcpus, rounds, bits=None):
    """`vms` VMs of `vcpus` vCPUs run tlbtest's churn: each vCPU rewrites
    its pages every round, fences the others' with RFENCE, naps now and
    then; vCPU 0 has the monitor move one page a round."""
    bundle = t.bundle(name, *[
        t.vm(name=f"vm{i}", vcpus=vcpus, memory_mib=8, home_node=i % nodes,
             image="tlbtest.elf",
             bootargs=f"mode=churn rounds={rounds} vcpus={vcpus} nodes={nodes}")
        for i in range(vms)], vmid_bits=bits)
    run = t.boot(cpus=cpus, nodes=nodes, bundle=bundle)
    run.expect_clean_exit()
    m = expect_audited(t, run)
    for i in range(vms):
        expect_done(run, f"vm{i}")
        if t.counters(run, f"vm{i}").get("pages-moved") != rounds:
            run.fail(f"vm{i}: pages-moved is not {rounds}")
    return run, m


@g.test("cross-hart-shootdown", points=15, timeout=90)
def cross_hart(t):
    """A vCPU stays in its guest on one hart reading a page while the other
    vCPU has the monitor move that page 300 times: the reader must never
    see the old page. QEMU keeps a hart's translations while it stays in
    the guest, so only a shootdown that interrupts the reader's hart and
    waits for its fence passes."""
    bundle = t.bundle("cross", t.vm(name="vm0", vcpus=2, memory_mib=8,
                                    image="tlbtest.elf", bootargs="mode=cross rounds=300"))
    run = t.boot(cpus=2, nodes=1, bundle=bundle)
    run.expect_clean_exit()
    expect_audited(t, run)
    run.expect("[vm0] tlbtest: stale=0 rounds=300")
    expect_done(run, "vm0")


@g.test("rollover-under-load", points=15, timeout=120)
def rollover_under_load(t):
    """Three VMs of three vCPUs on two harts with one VMID bit: every
    switch between VMs starts a new generation, and each hart must flush
    before it runs a VMID of the new one (the auditor checks every entry)."""
    run, m = churn(t, "rollover", cpus=2, nodes=1, vms=3, vcpus=3, rounds=120, bits=1)
    if m.get("vmid-bits") != 1 or m.get("vmid-gens", 0) < 10:
        run.fail(f"vmid-bits={m.get('vmid-bits')} vmid-gens={m.get('vmid-gens')}: "
                 "want 1 bit and at least 10 generations")


@g.test("two-nodes-churn", points=15, timeout=120)
def vmids_two_nodes(t):
    """Two VMs of four vCPUs on four harts and two nodes, with all the
    hardware's VMID bits: pages move between nodes, vCPUs between harts,
    RFENCEs reach other vCPUs, and each VM keeps its one VMID."""
    run, m = churn(t, "full", cpus=4, nodes=2, vms=2, vcpus=4, rounds=100)
    if m.get("vmid-gens") != 0:
        run.fail(f"vmid-gens={m.get('vmid-gens')} with 2 VMs: want 0")
    for vm in ("vm0", "vm1"):
        c = t.counters(run, vm)
        if c.get("vmids") != 1:
            run.fail(f"{vm}: vmids={c.get('vmids')}, want 1")
        if c.get("vfence-remote", 0) == 0:
            run.fail(f"{vm}: no RFENCE was carried out for another vCPU")


@g.test("no-needless-fences", points=15, timeout=90)
def no_needless_fences(t):
    """Two VMs of one vCPU share one hart and take turns (each naps now
    and then). With a VMID each, a switch between them needs no flush, and
    a vCPU that comes back to the hart it last ran on needs no VS-stage
    fence: at most a few of each per VM, however many switches."""
    run, m = churn(t, "switch", cpus=1, nodes=1, vms=2, vcpus=1, rounds=200)
    for vm in ("vm0", "vm1"):
        c = t.counters(run, vm)
        switches = c.get("migrations", 0) + c.get("wfi", 0)
        if c.get("flush-all", 99) > 2 or c.get("vfence-local", 99) > 3:
            run.fail(f"{vm}: flush-all={c.get('flush-all')} "
                     f"vfence-local={c.get('vfence-local')} for about {switches} "
                     "switches: want at most 2 and 3")


@g.test("monitor-calls", points=20, timeout=120)
def monitor_calls(t):
    """guest-os in a VM of two vCPUs runs usertests' oom test (all of its
    64 MiB taken twice, then freed) and gives every freed page back with
    the monitor call page_free (keep-pages=0): each is unmapped with a
    shootdown while the other vCPU runs, and the VM ends up holding only a
    few MiB of machine memory."""
    bundle = t.bundle("calls", t.vm(name="gos", vcpus=2, memory_mib=64,
                                    image="kernel.elf",
                                    bootargs='keep-pages=0 autorun="usertests oom"'))
    run = t.boot(cpus=2, nodes=1, bundle=bundle)
    run.expect_clean_exit()
    expect_audited(t, run)
    run.expect("monitor calls on, ")
    run.expect("[gos] usertests: 1 passed, 0 failed")
    c = t.counters(run, "gos")
    held = c.get("node0", 0) * 4096 / (1 << 20)
    if c.get("pages-returned", 0) < 8192 or held > 8:
        run.fail(f"pages-returned={c.get('pages-returned')}, {held:.1f} MiB held "
                 "at the end: want over 8192 pages given back, under 8 MiB held")


if __name__ == "__main__":
    g.main()
