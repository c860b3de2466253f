"""tests/system/test_vm.py: virtual machines on the monitor.

What these prove: the monitor runs several VMs at once on a NUMA machine,
each one's memory on its home node; it is the guests' SBI (tests/guests/
sbitest.c checks every call and its error codes); a guest that misbehaves
(reads memory it does not have, spins with interrupts off) is stopped or
preempted without hurting the monitor or the other VMs; more vCPUs than
harts work; a bad VM configuration is reported, VM by VM.
The guests are the small test kernels in tests/guests/.
"""

import glob
import os
import pty
import re
import select
import subprocess
import sys
import time

from lib import (BUNDLES, GUESTS, HYP, ROOT, TestFailure, as_terminal_shows, boot,
                 counters, make_bundle, vm_config)


def expect_done(run, vm, who):
    """VM `vm` ran guest `who` to the end with every check passing."""
    run.expect(f"[{vm}] {who}: done, 0 failed")
    for line in run.output.splitlines():
        if line.startswith(f"[{vm}] check ") and not line.endswith(": ok"):
            run.fail(f"VM {vm}: {line}")


def test_two_vms_two_nodes():
    """The default picture: two VMs, two vCPUs each, one per node. Each
    VM's output is labelled, each VM's pages come from its home node."""
    bundle = make_bundle("two-vms", vm_config(
        {"name": "vm0", "vcpus": 2, "memory-mib": 32, "home-node": 0, "image": "hello.elf"},
        {"name": "vm1", "vcpus": 2, "memory-mib": 32, "home-node": 1, "image": "hello.elf"}))
    run = boot(cpus=4, nodes=2, bundle=bundle)
    run.expect_clean_exit()
    for vm, home, other in (("vm0", 0, 1), ("vm1", 1, 0)):
        expect_done(run, vm, "hello")
        run.expect(f"[{vm}] vcpu 1: up")
        c = counters(run, vm)
        if c[f"node{home}"] < 400 or c[f"node{other}"] != 0:
            run.fail(f"{vm}: pages node{home}={c[f'node{home}']} "
                     f"node{other}={c[f'node{other}']}; want all on node {home}")
        if c["gpf-store"] < 400:
            run.fail(f"{vm}: only {c['gpf-store']} guest-page faults for ~478 pages touched")
    run.expect("Disco-V: all VMs have stopped")


def test_sbi():
    """Every SBI extension, error code and interrupt that sbitest checks;
    among them, that an argument the spec declares 32 bits wide (an id,
    a suspend, sleep or reset type, a reset reason) is read from the
    lower half of its register alone, whatever the upper half holds
    (finding 10.8): the VM even powers off through an SRST call with
    garbage above its type and reason."""
    bundle = make_bundle("sbitest", vm_config(
        {"name": "sbi", "vcpus": 2, "memory-mib": 16, "image": "sbitest.elf"}))
    run = boot(cpus=2, nodes=1, bundle=bundle)
    run.expect_clean_exit()
    expect_done(run, "sbi", "sbitest")
    run.expect("vm sbi: stopped: shutdown (exit 0)")
    run.expect("[sbi] dbcn byte: !")
    checks = re.findall(r"^\[sbi\] check (\S+): ok$", run.output, re.M)
    if len(checks) < 47:
        run.fail(f"only {len(checks)} SBI checks passed; sbitest has 49")
    c = counters(run, "sbi")
    for ext in ("base", "time", "ipi", "rfence", "hsm", "srst", "dbcn", "susp"):
        if c[ext] == 0:
            run.fail(f"the counters show no {ext} call")
    if c["wfi"] == 0:
        run.fail("vCPU 1 waited in WFI, but the counters show no WFI trap")


def test_napper_beside_waiting_vm():
    """One hart; napper sleeps 20 times on its timer, beside a VM whose two
    vCPUs wait in WFI for ever with nothing enabled. A WFI with nothing
    else to run is waited out on the vCPU's own hart (hyp/cpu/sched.c:
    sched_wait_here), and the waiting VM's never ends: napper, idle
    meanwhile, must still be woken by its timer every time and finish.
    Its own naps are waited out that way (wfi-here)."""
    bundle = make_bundle("napper", vm_config(
        {"name": "napper", "memory-mib": 4, "image": "napper.elf",
         "bootargs": "naps=20 ms=20"},
        {"name": "waiter", "vcpus": 2, "memory-mib": 4, "image": "hostspin.elf",
         "bootargs": "vcpus=2 wfi"}))
    # (Until its traps counters line is whole: the machine never powers
    # off by itself.)
    run = boot(cpus=1, nodes=1, bundle=bundle, timeout=30,
               until=r"counters napper: traps .* idle-ms=\d+\r?\n")
    if run.timed_out:
        run.fail("napper never finished: its timer was not noticed beside the waiting VM")
    run.expect("[waiter] hostspin: 2 vCPUs in WFI with interrupts off")
    expect_done(run, "napper", "napper")
    c = counters(run, "napper")
    if not 0 < c["wfi-here"] <= c["wfi"]:
        run.fail(f"wfi-here={c['wfi-here']} of wfi={c['wfi']}: want its naps "
                 "waited out on its hart")


def test_sbi_without_sstc():
    """The same SBI checks on harts without Sstc: the guest's timer is
    then kept by the monitor (hvip.VSTIP and its own timer)."""
    bundle = make_bundle("sbitest-nosstc", vm_config(
        {"name": "sbi", "vcpus": 2, "memory-mib": 16, "image": "sbitest.elf"}))
    run = boot(cpus=2, nodes=1, bundle=bundle, cpu="rv64,sstc=false")
    run.expect_clean_exit()
    run.expect("Sstc no")
    expect_done(run, "sbi", "sbitest")


def test_bad_memory_stops_only_that_vm():
    """A guest that reads outside its memory is stopped, with a report of
    the address, pc and vCPU; the other VM finishes; no monitor panic."""
    bundle = make_bundle("badmem", vm_config(
        {"name": "bad", "memory-mib": 16, "image": "badmem.elf", "home-node": 0},
        {"name": "good", "vcpus": 2, "memory-mib": 16, "image": "hello.elf", "home-node": 1}))
    run = boot(cpus=2, nodes=2, bundle=bundle)
    run.expect_clean_exit()
    run.match(r"^vm bad: stopped: vCPU 0 at pc 0x[0-9a-f]+: read at "
              r"guest-physical 0x0000000200000000: not RAM and no device there \(exit 1\)$")
    run.forbid("the monitor let it through")
    expect_done(run, "good", "hello")


def test_spinning_vm_does_not_block_others():
    """A guest spinning with interrupts off shares the one hart with
    another VM: the monitor's timer preempts it and the other finishes."""
    bundle = make_bundle("spin", vm_config(
        {"name": "spin", "memory-mib": 8, "image": "spin.elf"},
        {"name": "good", "vcpus": 2, "memory-mib": 16, "image": "hello.elf"}))
    run = boot(cpus=1, nodes=1, bundle=bundle, until=r"\[good\] hello: done",
               timeout=60)
    if run.timed_out:
        run.fail("the good VM never finished next to the spinning one")
    run.expect("[spin] spin: spinning with interrupts off")
    expect_done(run, "good", "hello")


def test_four_vms_four_nodes():
    """Four VMs on four nodes at once, each on its own home node."""
    bundle = make_bundle("four", vm_config(*[
        {"name": f"vm{i}", "vcpus": 2, "memory-mib": 16, "home-node": i,
         "image": "hello.elf"} for i in range(4)]))
    run = boot(cpus=4, nodes=4, mem=128, bundle=bundle, timeout=60)
    run.expect_clean_exit()
    for i in range(4):
        expect_done(run, f"vm{i}", "hello")
        c = counters(run, f"vm{i}")
        if c[f"node{i}"] == 0 or sum(c[f"node{j}"] for j in range(4)) != c[f"node{i}"]:
            run.fail(f"vm{i}: pages not all on node {i}: {c}")


def test_eight_vcpus_on_four_harts():
    """One VM with 8 vCPUs on a machine with 4 harts: all of them run."""
    bundle = make_bundle("eight", vm_config(
        {"name": "big", "vcpus": 8, "memory-mib": 32, "image": "hello.elf"}))
    run = boot(cpus=4, nodes=1, bundle=bundle, timeout=60)
    run.expect_clean_exit()
    expect_done(run, "big", "hello")
    for i in range(1, 8):
        run.expect(f"[big] vcpu {i}: up")


def test_vm_spanning_nodes_with_initrd():
    """A VM with span-nodes gets its memory from every node, half each on
    a 2-node machine, and sees two NUMA nodes in its device tree; its
    initrd is in its RAM where /chosen says."""
    bundle = make_bundle("span", vm_config(
        {"name": "wide", "vcpus": 4, "memory-mib": 32, "span-nodes": True,
         "image": "hello.elf", "initrd": "hello.initrd"}),
        search=(GUESTS, os.path.join(ROOT, "tests", "guests")))
    run = boot(cpus=4, nodes=2, bundle=bundle)
    run.expect_clean_exit()
    run.expect("vm wide: 4 vCPUs, 32 MiB spread over 2 nodes")
    run.expect("[wide] hello: memory 0x0000000080000000 + 16 MiB, numa node 0")
    run.expect("[wide] hello: memory 0x0000000081000000 + 16 MiB, numa node 1")
    run.expect("[wide] hello: initrd says 'disco-v initrd for the hello guest'")
    expect_done(run, "wide", "hello")
    c = counters(run, "wide")
    if c["node0"] < 200 or c["node1"] < 200:
        run.fail(f"pages node0={c['node0']} node1={c['node1']}: want about half on each")


def test_initrd_placement_in_small_vm():
    """Finding 10.5: the kernel image, the initrd and the device tree are
    placed so that none overlaps another, or the VM is refused with the
    ranges that would. A 4 MiB VM with an initrd (once put at RAM + 2 MiB,
    over its own kernel, so the guest died and was blamed) boots and finds
    its initrd; a 4 MiB VM with a 3 MiB initrd cannot fit and is refused
    with the reason; neither is ever reported as a guest that failed."""
    os.makedirs(BUNDLES, exist_ok=True)
    with open(os.path.join(BUNDLES, "big.initrd"), "wb") as f:
        f.write(b"big\n" * (3 * 1024 * 1024 // 4))
    bundle = make_bundle("initrd-small", vm_config(
        {"name": "tiny", "memory-mib": 4, "image": "hello.elf",
         "initrd": "hello.initrd"},
        {"name": "toobig", "memory-mib": 4, "image": "hello.elf",
         "initrd": "big.initrd"}),
        search=(GUESTS, BUNDLES, os.path.join(ROOT, "tests", "guests")))
    run = boot(cpus=2, nodes=1, bundle=bundle)
    run.expect_clean_exit()
    run.expect("[tiny] hello: initrd says 'disco-v initrd for the hello guest'")
    expect_done(run, "tiny", "hello")
    run.match(r"^vm toobig: not started: initrd 'big.initrd' "
              r"\[0x[0-9a-f]+, 0x803f0000\) overlaps the kernel image "
              r"\[0x80200000, 0x[0-9a-f]+\)$")
    run.forbid("vm tiny: stopped: vCPU")
    run.forbid("vm toobig: stopped")


def test_reboot():
    """SBI SRST reboot restarts that VM alone, from scratch (its memory
    is fresh: the guest's counter starts over), while another VM runs to
    its end; the monitor keeps going."""
    bundle = make_bundle("reboot", vm_config(
        {"name": "rb", "memory-mib": 8, "image": "reboot.elf"},
        {"name": "good", "vcpus": 2, "memory-mib": 16, "image": "hello.elf"}))
    run = boot(cpus=2, nodes=1, bundle=bundle, timeout=60,
               until=r"(?s)(\[rb\] reboot: booted.*){4}.*\[good\] hello: done"
                     r"|\[good\] hello: done.*(\[rb\] reboot: booted.*){4}")
    if run.timed_out:
        run.fail("the rebooting VM did not boot 4 times next to the other")
    run.forbid("panic")
    boots = re.findall(r"^\[rb\] reboot: booted, boots seen in this memory: (\d+)$",
                       run.output, re.M)
    if len(boots) < 4 or set(boots) != {"1"}:
        run.fail(f"boots printed {boots}: each should start from fresh memory")
    run.expect("vm rb: stopped: reboot (exit 0)")
    expect_done(run, "good", "hello")


def boots_of(run, vm):
    """What each boot of VM `vm` (tests/guests/reboot.c) printed as its
    "boots seen in this memory": 1 on every boot that got fresh memory."""
    return [int(b) for b in re.findall(
        rf"^\[{vm}\] reboot: booted, boots seen in this memory: (\d+)$",
        run.output, re.M)]


def test_two_vms_reboot_at_once():
    """Two VMs that reboot again and again on a 2-hart machine: their
    stops, finishes and new starts run on both harts at the same moment
    (issue 10, finding 1: both took one free slot; the monitor panicked,
    hung, lost a VM or booted one into uncleared memory). Each must come
    back 20 times, every time in cleared memory, with no panic and no
    VM refused or lost."""
    rounds = 20
    bundle = make_bundle("reboot-two", vm_config(
        {"name": "rb0", "memory-mib": 8, "image": "reboot.elf"},
        {"name": "rb1", "memory-mib": 8, "image": "reboot.elf"}))
    # Whole lines only: QEMU is stopped the moment this matches, and a line
    # cut after "booted" would not count below (boots_of).
    want = "".join(rf"(?=(?:.*?^\[{vm}\] reboot: booted, boots seen in this memory: "
                   rf"\d+\r?\n){{{rounds}}})" for vm in ("rb0", "rb1"))
    run = boot(cpus=2, nodes=1, bundle=bundle, timeout=90,
               until=r"(?sm)\A" + want + r"|panic:")
    run.forbid("panic")
    run.forbid("not started")
    if run.timed_out:
        run.fail(f"the two VMs did not each boot {rounds} times")
    for vm in ("rb0", "rb1"):
        boots = boots_of(run, vm)
        if len(boots) < rounds or set(boots) != {1}:
            run.fail(f"{vm}: boots printed {boots}: want {rounds} or more, "
                     "each in fresh memory (1)")


def test_hsm_start_race():
    """Three vCPUs call SBI HSM hart_start on one target vCPU, 400 times
    each (each time it is STOPPED again), while the target stops itself as soon as it runs (tests/guests/
    hsmrace.c). Exactly one caller may win each STOPPED -> START_PENDING
    change (issue 10, finding 4: two could, and then the target ran once
    for two starts, or ran again after hart_stop from a stale run-queue
    entry). The guest checks one run per successful start; the monitor
    must not panic or hang."""
    bundle = make_bundle("hsmrace", vm_config(
        {"name": "race", "vcpus": 4, "memory-mib": 8, "image": "hsmrace.elf"}))
    run = boot(cpus=4, nodes=1, bundle=bundle, timeout=120)
    run.expect_clean_exit()
    expect_done(run, "race", "hsmrace")
    m = run.match(r"^\[race\] hsmrace: 3 racers, (\d+) successful starts, (\d+) runs")
    if int(m.group(1)) < 10:
        run.fail(f"only {m.group(1)} starts won: the race was hardly run")


def test_hog_refused_at_admission():
    """Admission: a VM is admitted only if all the memory it can ever use
    can be reserved for it (issue 10, finding 2: VMs adding up to more
    than the machine were all admitted, memory was filled lazily, and
    whichever faulted last was stopped, "out of machine memory", though
    admitted first). On a 64 MiB machine a 32 MiB VM comes first, waits
    a second, and then writes all its memory; a second VM, a 40 MiB hog
    that would write all of its own at once, does not fit beside it: it
    is refused, with what it asked and what was left, and the first one
    gets every page it writes."""
    bundle = make_bundle("hog-refused", vm_config(
        {"name": "first", "memory-mib": 32, "image": "memhog.elf", "bootargs": "wait"},
        {"name": "hog", "memory-mib": 40, "image": "memhog.elf", "bootargs": "hold"}))
    run = boot(cpus=2, nodes=1, mem=64, bundle=bundle, timeout=60)
    run.expect_clean_exit()
    run.match(r"^vm hog: not started: it needs 41 MiB on node 0 \(its 40 MiB of RAM, "
              r"page tables and back-mappings\), but only \d+ MiB there is unreserved$")
    expect_done(run, "first", "memhog")
    run.forbid("out of machine memory")


def test_reboot_beside_hog():
    """A VM that reboots keeps its reservation while it is down, so a hog
    beside it cannot take its memory and it always comes back (issue 10,
    finding 2: a rebooting VM beside a hog was refused on reboot and
    never came back). On a 64 MiB machine: rb reboots again and again;
    hog1, admitted, writes all of its 32 MiB and holds it; hog2 does not
    fit and is refused. Once hog1 holds its memory, rb must boot 10 more
    times, each in fresh memory, and no VM may be stopped for lack of
    memory."""
    bundle = make_bundle("reboot-hog", vm_config(
        {"name": "rb", "memory-mib": 8, "image": "reboot.elf"},
        {"name": "hog1", "memory-mib": 32, "image": "memhog.elf", "bootargs": "hold"},
        {"name": "hog2", "memory-mib": 32, "image": "memhog.elf", "bootargs": "hold"}))
    run = boot(cpus=2, nodes=1, mem=64, bundle=bundle, timeout=90,
               until=r"(?sm)\A.*^\[hog1\] memhog: holding it"
                     r"(?:.*?^\[rb\] reboot: booted){10}|panic:|vm rb: not started")
    run.forbid("panic")
    run.forbid("out of machine memory")
    run.forbid("vm rb: not started")
    if run.timed_out:
        run.fail("rb did not boot 10 times beside the holding hog")
    run.match(r"^vm hog2: not started: it needs \d+ MiB on node 0")
    boots = boots_of(run, "rb")
    if len(boots) < 10 or set(boots) != {1}:
        run.fail(f"rb: boots printed {boots}: want 10 or more, each in fresh memory")


def test_flat_image():
    """A flat image with the Linux RISC-V Image header (hello.bin, made
    with objcopy -O binary) loads at RAM + 2 MiB and runs like the ELF."""
    bundle = make_bundle("flat", vm_config(
        {"name": "flat", "vcpus": 2, "memory-mib": 16, "image": "hello.bin"}))
    run = boot(cpus=2, nodes=1, bundle=bundle)
    run.expect_clean_exit()
    run.expect("vm flat: 2 vCPUs, 16 MiB on node 0, image hello.bin, entry 0x0000000080200000")
    expect_done(run, "flat", "hello")


def test_bad_config_entries_skipped():
    """Bad entries are reported with the reason; the good VM still runs."""
    bundle = make_bundle("badcfg", vm_config(
        {"name": "novcpu", "vcpus": 0, "memory-mib": 16, "image": "hello.elf"},
        {"name": "huge", "memory-mib": 4096, "image": "hello.elf"},
        {"name": "noimage", "memory-mib": 16, "image": "missing.elf"},
        {"name": "nonode", "memory-mib": 16, "home-node": 3, "image": "hello.elf"},
        {"name": "good", "memory-mib": 16, "image": "hello.elf"}))
    run = boot(cpus=2, nodes=2, bundle=bundle)
    run.expect_clean_exit()
    run.expect("vm novcpu: not started: vcpus must be 1..8 (0)")
    run.match(r"^vm huge: not started: it needs 41\d\d MiB on node \d \(its 4096 MiB of "
              r"RAM, page tables and back-mappings\), but only \d+ MiB there is unreserved$")
    run.expect("vm noimage: not started: no image 'missing.elf' in the VM bundle")
    run.expect("vm nonode: not started: no such home node (3)")
    expect_done(run, "good", "hello")


def test_duplicate_vm_name_refused():
    """Finding 10.7: a VM's name labels its output and every report about
    it, so a second VM of a name already taken is refused with the reason
    (dtc lets two nodes of one name through under different parents),
    and the first one runs."""
    vm = ('      twin {{ compatible = "disco-v,vm"; memory-mib = <8>; '
          'image = "{}"; }};\n')
    dts = ("/dts-v1/;\n/ {\n  first {\n" + vm.format("hello.elf") + "  };\n"
           "  second {\n" + vm.format("spin.elf") + "  };\n};\n")
    bundle = make_bundle("dupname", dts)
    run = boot(cpus=2, nodes=1, bundle=bundle)
    run.expect_clean_exit()
    run.expect("vm twin: not started: a VM of this name comes earlier in the "
               "configuration")
    started = re.findall(r"^vm twin: \d+ vCPUs", run.output, re.M)
    if len(started) != 1:
        run.fail(f"{len(started)} VMs named twin started; want 1")
    run.forbid("[twin] spin:")
    expect_done(run, "twin", "hello")


def test_guest_cannot_forge_monitor_lines():
    """Finding 10.6: a guest's escape sequences, carriage returns,
    backspaces and C1 controls (tests/guests/forge.c) never reach the
    terminal as they are, so it cannot erase its "[name] " prefix and
    print a line that passes for the monitor's: every forged line appears
    behind the guest's name, its controls shown as ^[ and the like; no
    line of the monitor's says the victim stopped or panicked; the
    victim runs to its end."""
    bundle = make_bundle("forge", vm_config(
        {"name": "forge", "memory-mib": 8, "image": "forge.elf"},
        {"name": "victim", "memory-mib": 16, "image": "hello.elf"}))
    run = boot(cpus=2, nodes=1, bundle=bundle)
    # As run.expect_clean_exit(), but "panic:" may appear behind the
    # guest's name: it is what the guest tries to forge.
    if run.timed_out or run.status != 0:
        run.fail(f"no clean exit: timed out {run.timed_out}, status {run.status}")
    run.match(r"^Disco-V: all VMs have stopped$")
    if re.search(r"^panic:", run.output, re.M):
        run.fail("the monitor panicked")
    expect_done(run, "forge", "forge")
    expect_done(run, "victim", "hello")
    run.expect("vm forge: stopped: shutdown (exit 0)")
    # What lib.as_terminal_shows leaves is what a terminal would show,
    # but for control bytes: none may be left (the monitor's own erase
    # of its open line is already taken out), nor a C1 control (U+009B)
    # or a byte that was no UTF-8 (a bare 0x9B, shown as U+FFFD).
    for bad in ("\x1b", "\r", "\b", "\x9b", "\ufffd"):
        if bad in run.output:
            run.fail(f"a control character {bad!r} reached the console")
    for line in run.output.splitlines():
        if "forged" in line and not line.startswith("[forge] "):
            run.fail(f"a forged line passes for the monitor's: {line!r}")
    run.expect("[forge] ^[[2K^[[1Gvm victim: stopped: forged 1 (exit 0)")
    run.expect("[forge] panic: forged 2")
    run.expect("[forge] panic: forged 3")
    run.expect("[forge] ^[[2K^[[1Gpanic: forged 4")
    run.expect("[forge] ^[[2K^[[1Gpanic: forged 5")
    run.expect("[forge] ^[7^[[A^[[2Kvm victim: stopped: forged 6 (exit 0)^[8")
    run.expect("vm victim: stopped: shutdown (exit 0)")


def test_keys_wait_for_a_slow_guest():
    """Finding 10.9: keys typed while a guest is not reading yet (still
    booting, say) wait for it, all of them and in order, up to the
    UART's 256-key buffer (tests/guests/keys.c). 200 keys typed ahead all
    arrive (the buffer held 64 before, and dropped the rest unsaid). 300
    typed ahead: the console says the guest's keys are being dropped,
    and the guest still gets the first 256, in order (or more, if it
    started reading before they were all typed)."""
    typed = lambda n: bytes(ord("a") + i % 26 for i in range(n))
    bundle = make_bundle("keys", vm_config(
        {"name": "k", "memory-mib": 8, "image": "keys.elf"}))
    run = boot(cpus=1, nodes=1, bundle=bundle, timeout=60, keys=[
        (r"\[k\] keys: not reading for", typed(200) + b"\r"),
        (r"\[k\] keys: not reading again", typed(300)),
    ])
    run.expect_clean_exit()
    expect_done(run, "k", "keys")
    run.expect("[k] keys: first: got 200 keys, in order")
    m = run.match(r"^\[k\] keys: second: got (\d+) keys(, in order)?$")
    n, in_order = int(m.group(1)), m.group(2) is not None
    said = re.search(r"^console: k has 256 keys it has not read; keys typed "
                     r"for it are dropped until it reads$", run.output, re.M)
    if not in_order or n < 256 or n > 300:
        run.fail(f"the second time, the guest got {n} keys (in order: {in_order}); "
                 "want at least 256, in order")
    if (n < 300) != (said is not None):
        run.fail(f"{300 - n} keys were dropped, but the console "
                 f"{'said so' if said else 'did not say so'}")


def test_keys_typed_before_qemu_starts():
    """Finding 10.9, the `ls` that reached the shell as `s`: keys typed
    at the terminal before QEMU is up (while `make qemu` builds) must not
    lose their first one to OpenSBI, which empties the UART as it sets it
    up. `tools/qemu.py --run` (what `make qemu` runs) is started on a
    pseudo-terminal with "hello" and "quit" typed before it starts; the
    echo guest must read "hello", whole."""
    bundle = make_bundle("keys-early", vm_config(
        {"name": "e0", "memory-mib": 8, "image": "echo.elf"}))
    master, slave = pty.openpty()
    os.write(master, b"hello\rquit\r")
    cmd = [sys.executable, os.path.join(ROOT, "tools", "qemu.py"), "--run",
           "--cpus", "1", "--nodes", "1", "--kernel", HYP, "--", "-initrd", bundle]
    proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave,
                            start_new_session=True)
    os.close(slave)
    out, deadline = b"", time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        if select.select([master], [], [], 0.2)[0]:
            try:
                out += os.read(master, 4096)
            except OSError:
                break
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    os.close(master)
    text = as_terminal_shows(out).replace("\r", "")
    if "[e0] echo: got 'hello'" not in text:
        got = re.findall(r"\[e0\] echo: got '[^']*'", text)
        raise TestFailure(f"the echo guest got {got}, want 'hello' first", text)
    if "[e0] echo: done, 0 failed" not in text:
        raise TestFailure("the echo guest did not finish", text)


def test_uart_and_plic():
    """The guest drives the virtual ns16550 directly and takes its
    interrupt through the virtual PLIC: claim, IIR, complete."""
    bundle = make_bundle("uart", vm_config(
        {"name": "u", "memory-mib": 8, "image": "uarttest.elf"}))
    run = boot(cpus=1, nodes=1, bundle=bundle)
    run.expect_clean_exit()
    run.expect("[u] uart: hello through the ns16550")
    expect_done(run, "u", "uarttest")
    if counters(run, "u")["mmio"] < 10:
        run.fail("the counters show too few emulated device accesses")


def test_bad_device_access_stops_vm():
    """A one-byte read of a 32-bit PLIC register stops that VM, with a
    report; the monitor goes on and powers off cleanly."""
    bundle = make_bundle("badmmio", vm_config(
        {"name": "bad", "memory-mib": 8, "image": "badmmio.elf"}))
    run = boot(cpus=1, nodes=1, bundle=bundle)
    run.expect_clean_exit()
    run.match(r"^vm bad: stopped: vCPU 0 at pc 0x[0-9a-f]+: 1-byte read at "
              r"0x000000000c000004: the device has no such register \(exit 1\)$")
    run.forbid("the monitor let it through")


def shipped_config_test(path, keys=(), timeout=90):
    """A VM configuration shipped in hyp/vms/ (what `make qemu VMCONFIG=`
    runs) packs, boots with the machine disk tools/mkbundle.py lays out
    for it, and every VM in it powers off cleanly within `timeout`
    seconds (after `keys`, for a configuration whose VMs wait for someone
    at the console)."""
    def test():
        name = os.path.basename(path)[:-4]
        out = os.path.join(ROOT, "build", "tests", "bundles", f"shipped-{name}.bundle")
        disk = out[:-len(".bundle")] + ".disk"
        search = ":".join(os.path.join(ROOT, "build", d)
                          for d in ("tests/guests", "splashos", "guest-os", "linux"))
        p = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "mkbundle.py"),
                            "--config", path, "--search", search, "-o", out,
                            "--disk-out", disk],
                           capture_output=True, text=True)
        if p.returncode != 0 or "warning" in p.stderr:
            raise TestFailure(f"mkbundle {path} failed", p.stdout + p.stderr)
        run = boot(cpus=4, nodes=2, bundle=out, timeout=timeout, keys=keys,
                   disk=disk if os.path.exists(disk) else None)
        run.expect_clean_exit()
        started = re.findall(r"^vm (\S+): \d+ vCPUs", run.output, re.M)
        if not started:
            run.fail("no VM started")
        for vm in started:
            run.expect(f"vm {vm}: stopped: shutdown (exit 0)")
    return test


# What to type at the VMs of a shipped configuration that wait for input.
# The default one runs two guest-os shells. Its first VM has the focus,
# so its prompt shows before any newline (hyp/dev/vconsole.c): a command
# there that writes a file on its disk; then the focus to os1, whose
# prompt is drawn then, and a command there that looks for that file (on
# its own disk it is not there); then `exit` in each (when the focused VM
# stops, the focus moves to the next one by itself).
INTERACTIVE = {
    "default": [(r"^\[os0\] \$ $", b"echo from-os0 > /note; cat /note\r"),
                (r"^\[os0\] from-os0\r?$", b"\x05n"),
                (r"^\[os1\] \$ $", b"cat /note\r"),
                (r"^\[os1\] cat: /note: cannot open\r?$", b"exit\r"),
                # os1 stops, and the focus goes back to os0 by itself.
                (r"vm os1: stopped", b"exit\r")],
}


def test_console_keys():
    """Keys typed on the console reach the VM with the focus; Ctrl-E
    commands list the VMs, print counters and move the focus."""
    bundle = make_bundle("keys", vm_config(
        {"name": "e0", "memory-mib": 8, "image": "echo.elf"},
        {"name": "e1", "memory-mib": 8, "image": "echo.elf"}))
    run = boot(cpus=2, nodes=1, bundle=bundle, timeout=60, keys=[
        (r"\[e1\] echo: ready", b"hello\r"),
        (r"\[e0\] echo: got 'hello'", b"\x05l"),
        (r"console: VMs", b"\x05c"),
        (r"counters e1: memory", b"\x05n"),
        (r"^console: input goes to e1;", b"world\rquit\r"),
        (r"\[e1\] echo: got 'quit'", b"\x05n"),
        (r"^console: input goes to e0;", b"quit\r"),
    ])
    run.expect_clean_exit()
    run.expect("console: input goes to e0; Ctrl-E h for help")
    run.expect("[e0] echo: got 'hello'")
    run.forbid("[e1] echo: got 'hello'")
    run.match(r"^  \* e0 +running +vcpus=1 home-node=0 pages=\d+$")
    run.expect("[e1] echo: got 'world'")
    expect_done(run, "e0", "echo")
    expect_done(run, "e1", "echo")


def runs_linux(path):
    """Whether a shipped configuration runs the Linux guest, which `make
    test` does not build: tests/linux/ tests those (`make test-linux`)."""
    with open(path) as f:
        return 'image = "Image"' in f.read()


TESTS = [(f"vm-shipped-config-{name}",
          shipped_config_test(p, INTERACTIVE.get(name, ())))
         for p in sorted(glob.glob(os.path.join(ROOT, "hyp", "vms", "*.dts")))
         if not runs_linux(p)
         for name in [os.path.basename(p)[:-4]]]
TESTS += [
    ("vm-two-vms-two-nodes", test_two_vms_two_nodes),
    ("vm-sbi", test_sbi),
    ("vm-sbi-without-sstc", test_sbi_without_sstc),
    ("vm-napper-beside-waiting-vm", test_napper_beside_waiting_vm),
    ("vm-bad-memory-stops-only-that-vm", test_bad_memory_stops_only_that_vm),
    ("vm-spinning-vm-does-not-block-others", test_spinning_vm_does_not_block_others),
    ("vm-four-vms-four-nodes", test_four_vms_four_nodes),
    ("vm-eight-vcpus-on-four-harts", test_eight_vcpus_on_four_harts),
    ("vm-bad-config-entries-skipped", test_bad_config_entries_skipped),
    ("vm-uart-and-plic", test_uart_and_plic),
    ("vm-duplicate-name-refused", test_duplicate_vm_name_refused),
    ("vm-guest-cannot-forge-monitor-lines", test_guest_cannot_forge_monitor_lines),
    ("vm-keys-wait-for-a-slow-guest", test_keys_wait_for_a_slow_guest),
    ("vm-keys-typed-before-qemu-starts", test_keys_typed_before_qemu_starts),
    ("vm-console-keys", test_console_keys),
    ("vm-flat-image", test_flat_image),
    ("vm-reboot", test_reboot),
    ("vm-two-vms-reboot-at-once", test_two_vms_reboot_at_once),
    ("vm-hsm-start-race", test_hsm_start_race),
    ("vm-hog-refused-at-admission", test_hog_refused_at_admission),
    ("vm-reboot-beside-hog", test_reboot_beside_hog),
    ("vm-spanning-nodes-with-initrd", test_vm_spanning_nodes_with_initrd),
    ("vm-initrd-placement-in-small-vm", test_initrd_placement_in_small_vm),
    ("vm-bad-device-access-stops-vm", test_bad_device_access_stops_vm),
]
