"""tests/system/test_tlb.py: lab 2, TLB emulation, under the auditor.

What these prove: the monitor changes mappings of running VMs (it moves
their pages, tests/guests/tlbtest.c asks it to) without a hart ever using
a stale translation; VMIDs roll over with a tiny VMID space (the VM
configuration's vmid-bits) and with none at all; guest RFENCEs fence their
targets; and the one stale translation QEMU 7.2 lets a guest see, a page
moved by another hart while the reader stays in its guest, is not seen.
Every run is checked by the software TLB auditor (make test builds it in:
AUDIT=1; lib.Run.expect_clean_exit forbids its violation lines).
"""

from lib import boot, counters, make_bundle, vm_config
from test_virtio import make_disk


def with_vmid_bits(dts, bits):
    """The configuration dts with the root property vmid-bits = <bits>."""
    return dts.replace("/ {", f"/ {{\n  vmid-bits = <{bits}>;", 1)


def expect_tlbtest_done(run, vm):
    """VM vm ran tlbtest to the end with every check passing."""
    run.expect(f"[{vm}] tlbtest: done, 0 failed")
    for line in run.output.splitlines():
        if line.startswith(f"[{vm}] check ") and not line.endswith(": ok"):
            run.fail(f"VM {vm}: {line}")


def expect_audited(run):
    """The monitor ran with the auditor on, and it saw nothing stale."""
    run.expect("audit=on")
    m = counters(run, "machine")
    if m["audit-violations"] != 0:
        run.fail(f"auditor: {m['audit-violations']} violations")
    return m


def test_cross_hart():
    """A vCPU stays in its guest on one hart, reading a page in a loop,
    while its other vCPU, on the other hart, has the monitor move that page
    300 times and writes a new value after each move. On QEMU 7.2 a hart
    that is not interrupted keeps the old translation for as long as it
    stays in the guest, so the reader sees the old page unless the
    shootdown interrupts it and waits for it to fence."""
    bundle = make_bundle("tlb-cross", vm_config(
        {"name": "vm0", "vcpus": 2, "memory-mib": 8, "home-node": 0,
         "image": "tlbtest.elf", "bootargs": "mode=cross rounds=300"}))
    run = boot(cpus=2, nodes=1, bundle=bundle, timeout=120)
    run.expect_clean_exit()
    expect_audited(run)
    run.expect("[vm0] tlbtest: stale=0 rounds=300")
    expect_tlbtest_done(run, "vm0")
    c = counters(run, "vm0")
    if c["pages-moved"] != 300:
        run.fail(f"pages-moved={c['pages-moved']}, want 300")
    if c["shootdowns"] < 300:
        run.fail(f"shootdowns={c['shootdowns']}, want at least one per move")


def churn(name, bits, cpus, nodes, vms, vcpus, rounds):
    """`vms` VMs of `vcpus` vCPUs each run tlbtest's churn on a machine of
    cpus harts and nodes nodes, with at most `bits` VMID bits (None: all
    the hardware has): every VM's checks pass, the auditor saw nothing.
    Returns the run."""
    dts = vm_config(*[
        {"name": f"vm{i}", "vcpus": vcpus, "memory-mib": 8, "home-node": i % nodes,
         "image": "tlbtest.elf",
         "bootargs": f"mode=churn rounds={rounds} vcpus={vcpus} nodes={nodes}"}
        for i in range(vms)])
    if bits is not None:
        dts = with_vmid_bits(dts, bits)
    run = boot(cpus=cpus, nodes=nodes, bundle=make_bundle(name, dts), timeout=180)
    run.expect_clean_exit()
    m = expect_audited(run)
    if bits is not None and m["vmid-bits"] != bits:
        run.fail(f"vmid-bits={m['vmid-bits']}, want {bits}")
    for i in range(vms):
        expect_tlbtest_done(run, f"vm{i}")
        c = counters(run, f"vm{i}")
        if c["pages-moved"] != rounds:
            run.fail(f"vm{i}: pages-moved={c['pages-moved']}, want {rounds}")
        if vcpus > 1 and c["vfence-remote"] == 0:
            run.fail(f"vm{i}: vfence-remote=0: no RFENCE reached another vCPU")
    return run


def test_churn_vmid_rollover():
    """Three VMs of three vCPUs on two harts with one VMID bit (one VMID
    per generation): every switch between VMs starts a new generation, and
    every hart must flush before it runs the new VMID. Pages move and
    RFENCEs fly meanwhile; the auditor checks every guest entry."""
    run = churn("tlb-rollover", 1, cpus=2, nodes=1, vms=3, vcpus=3, rounds=120)
    m = counters(run, "machine")
    if m["vmid-gens"] < 10:
        run.fail(f"vmid-gens={m['vmid-gens']}: the VMIDs hardly rolled over")


def test_churn_two_vmid_bits():
    """The same churn with two VMID bits (VMIDs 1-3) and four VMs, so that
    generations end while VMs still run with VMIDs of the old one."""
    run = churn("tlb-2bits", 2, cpus=2, nodes=1, vms=4, vcpus=2, rounds=100)
    if counters(run, "machine")["vmid-gens"] < 1:
        run.fail("no VMID rollover with 2 bits and 4 VMs")


def test_churn_no_vmids():
    """vmid-bits = 0: no VMIDs at all, so every switch between VMs must
    flush both stages (flush-all counts them). One hart, so that the two
    VMs must take turns on it (each naps now and then): on two harts they
    may each run alone and never switch (seen once)."""
    run = churn("tlb-novmid", 0, cpus=1, nodes=1, vms=2, vcpus=2, rounds=100)
    for vm in ("vm0", "vm1"):
        if counters(run, vm)["flush-all"] < 2:
            run.fail(f"{vm}: flush-all={counters(run, vm)['flush-all']}: the "
                     "hart switched VMs without VMIDs and did not flush")


def test_churn_full_vmids_two_nodes():
    """All the hardware's VMID bits, two nodes, four harts: pages move
    between the nodes under load, vCPUs move between harts; no switch
    between VMs flushes (a VMID each, never rolled over)."""
    run = churn("tlb-full", None, cpus=4, nodes=2, vms=2, vcpus=4, rounds=100)
    m = counters(run, "machine")
    if m["vmid-gens"] != 0:
        run.fail(f"vmid-gens={m['vmid-gens']} with 2 VMs and 14 VMID bits")
    for vm in ("vm0", "vm1"):
        c = counters(run, vm)
        if c["vmids"] != 1:
            run.fail(f"{vm}: vmids={c['vmids']}, want 1")


def test_move_refused_under_dma():
    """A page the monitor's disk is reading into is pinned, and a page
    move must leave it where the disk writes (pmap_move_page's
    PMAP_PINNED). tlbtest's dma mode reads half a block into a page 200
    times (a whole block would be read into lab 3's block cache and mapped,
    never pinned) and, while each read is in flight, keeps asking the
    monitor to move that page: the data must arrive every time, and some moves must have
    been refused (else no move overlapped a read). Without the pin check
    the moves all go through; the data is then lost only when the copy
    runs before QEMU's disk has written the old page, a window of
    microseconds that this test seldom hits: so it checks the contract
    (no move of a pinned page), and the data besides."""
    image = make_disk("tlb-dma", mib=4)
    bundle = make_bundle("tlb-dma", vm_config(
        {"name": "vm0", "vcpus": 1, "memory-mib": 8, "disk-mib": 4,
         "image": "tlbtest.elf", "bootargs": "mode=dma rounds=200"}))
    run = boot(cpus=2, nodes=1, bundle=bundle, disk=image, timeout=120)
    run.expect_clean_exit()
    expect_audited(run)
    m = run.match(r"^\[vm0\] tlbtest: dma rounds=200 bad=(\d+) moved=(\d+) denied=(\d+)$")
    expect_tlbtest_done(run, "vm0")
    if counters(run, "vm0")["direct"] == 0:
        run.fail("the reads went through a bounce buffer, not straight to the page")


TESTS = [
    ("tlb-cross-hart", test_cross_hart),
    ("tlb-churn-vmid-rollover", test_churn_vmid_rollover),
    ("tlb-churn-two-vmid-bits", test_churn_two_vmid_bits),
    ("tlb-churn-no-vmids", test_churn_no_vmids),
    ("tlb-churn-full-vmids-two-nodes", test_churn_full_vmids_two_nodes),
    ("tlb-move-refused-under-dma", test_move_refused_under_dma),
]
