"""tests/system/test_guest_os.py: guest-os, bare and under the monitor.

What these prove: the one guest-os kernel image, build/guest-os/kernel.elf,
boots on the bare machine (1 hart; 4 harts on 2 NUMA nodes; 3 nodes, where
QEMU gives an APLIC instead of a PLIC and the console is polled) and in a
Disco-V VM (1 and 2 vCPUs), starts every hart the device tree lists, and
passes its own user-level test suite (with the timer set through Sstc's
stimecmp, and through SBI on harts without Sstc), usertests (guest-os/user/
usertests.c): fork/exit/wait statuses, sbrk, bad pointers and file
descriptors answered with -1, kill, sleep, exec, programs killed for
touching kernel or unmapped memory while the kernel survives, a full
process table and exhausted memory recovered from. That the same binary
passes both ways is Disco's claim for a commodity OS.

The console tests type at the demo program (hello) and check the echo:
that exercises the UART's receive interrupt through the PLIC (or the
virtual UART and PLIC of the monitor), the kernel's line editing, and a
process waking up in read().

Every run has a timeout; a hang is a failure. QEMU exits with status 0
after any SBI shutdown, so the tests read "guest-os: autorun exit N".
"""

import os
import re
import subprocess

from lib import ROOT, TestFailure, boot, counters, make_bundle, vm_config

GOS = os.path.join(ROOT, "build", "guest-os")
KERNEL = os.path.join(GOS, "kernel.elf")


def expect_usertests(run, prefix=""):
    """usertests ran to the end with every test passing, and init
    reported its exit status 0. `prefix` is the monitor's "[vm] " label."""
    p = re.escape(prefix)
    for line in run.output.splitlines():
        if line.startswith(f"{prefix}usertests: ") and "FAILED" in line:
            run.fail(line)
    m = run.match(rf"^{p}usertests: (\d+) passed, (\d+) failed$")
    if m.group(2) != "0" or int(m.group(1)) < 12:
        run.fail(f"usertests: {m.group(1)} passed, {m.group(2)} failed; "
                 f"want 12 or more passed, 0 failed")
    run.expect(f"{prefix}guest-os: autorun exit 0")


def expect_harts(run, harts, prefix=""):
    """Every hart joined the scheduler, and at least two ran processes
    when there are two or more (the parallelism is real)."""
    for h in range(harts):
        run.expect(f"{prefix}guest-os: hart {h} joined")
    m = run.match(rf"^{re.escape(prefix)}guest-os: switches (.*)$")
    counts = [int(v) for v in re.findall(r"hart\d+=(\d+)", m.group(1))]
    busy = sum(1 for c in counts if c > 0)
    if len(counts) != harts or busy < min(harts, 2):
        run.fail(f"switches per hart {counts}: want {harts} harts, "
                 f"at least {min(harts, 2)} of them running processes")


def bare(cpus, nodes, bootargs, timeout=60, keys=(), cpu="rv64"):
    """Boot guest-os on the bare machine with these boot arguments."""
    return boot(cpus=cpus, nodes=nodes, kernel=KERNEL, timeout=timeout,
                extra=["-append", bootargs], keys=keys, cpu=cpu)


def in_vm(name, machine_cpus, machine_nodes, vcpus, bootargs, timeout=90,
          keys=(), cpu="rv64"):
    """Boot the monitor with one guest-os VM (64 MiB) named `name`."""
    bundle = make_bundle(name, vm_config(
        {"name": name, "vcpus": vcpus, "memory-mib": 64,
         "image": "kernel.elf", "bootargs": bootargs}), search=(GOS,))
    return boot(cpus=machine_cpus, nodes=machine_nodes, bundle=bundle,
                timeout=timeout, keys=keys, cpu=cpu)


def usertests_bare(cpus, nodes, sstc=True):
    """usertests on the bare machine. Without Sstc (a hart that lacks it,
    so the device tree does not list it) the timer goes through SBI."""
    def test():
        run = bare(cpus, nodes, "autorun=usertests",
                   cpu="rv64" if sstc else "rv64,sstc=false")
        run.expect_clean_exit()
        run.expect(f"guest-os: {cpus} harts, ")
        run.expect(f"timer {'sstc' if sstc else 'sbi'}, ")
        expect_usertests(run)
        expect_harts(run, cpus)
    return test


def usertests_vm(machine_cpus, machine_nodes, vcpus, sstc=True):
    """usertests in a VM; the monitor is then the guest's SBI and its
    UART and PLIC, and fills the guest's memory lazily."""
    def test():
        name = f"gos{vcpus}"
        run = in_vm(name, machine_cpus, machine_nodes, vcpus,
                    "autorun=usertests",
                    cpu="rv64" if sstc else "rv64,sstc=false")
        run.expect_clean_exit()
        prefix = f"[{name}] "
        run.expect(f"{prefix}guest-os: {vcpus} harts, ")
        run.expect(f"timer {'sstc' if sstc else 'sbi'}, ")
        expect_usertests(run, prefix)
        expect_harts(run, vcpus, prefix)
        if counters(run, name)["faults"] == 0:
            run.fail("no guest-page faults counted: was memory filled lazily?")
        run.expect("Disco-V: all VMs have stopped")
    return test


def test_autorun_with_arguments():
    """autorun="..." with quotes runs a command with arguments; a program
    that does not exist is reported, with init's exit status 127."""
    run = bare(1, 1, 'autorun="echo hello from  guest-os"')
    run.expect_clean_exit()
    run.expect("\nhello from guest-os\n")
    run.expect("guest-os: autorun exit 0")
    run = bare(1, 1, "autorun=no-such-program")
    run.expect_clean_exit()
    run.expect("init: cannot run 'no-such-program': no such program")
    run.expect("guest-os: autorun exit 127")


# The demo (guest-os/user/hello.c) prompts, reads a line, echoes it. The
# keys: a line; a line with a typo fixed by backspace (DEL, as a terminal
# sends it); Ctrl-D, which ends the demo and so the run. Each is typed
# once the line before it is complete: the monitor prints a VM's output a
# whole line at a time, so a prompt alone never shows there. Keys typed
# before the demo reads wait in the kernel's line buffer.
KEYS = [(r"hello: guest-os is running.*\n", b"hello there\r"),
        (r"you typed 'hello there'.*\n", b"ab\x7fc\r"),
        (r"you typed 'ac'.*\n", b"\x04")]


def check_demo(run, prefix=""):
    """The demo echoed both lines and ended at Ctrl-D. Keys typed ahead
    are echoed before the prompt that reads them, so an answer may share
    its line with a prompt: look for it anywhere."""
    run.expect_clean_exit()
    run.expect(f"{prefix}init: no autorun= in the boot arguments")
    run.expect("hello: you typed 'hello there' (11 bytes)")
    run.expect("hello: you typed 'ac' (2 bytes)")
    run.expect(f"{prefix}hello: goodbye")
    run.expect(f"{prefix}init: the demo exited with status 0")


def test_console_bare():
    """Typing at the bare machine's UART reaches the demo program."""
    check_demo(bare(2, 1, "", timeout=30, keys=KEYS))


def test_console_vm():
    """The same through the monitor's virtual UART and PLIC: keys go to
    the VM with the input focus, the only one here."""
    run = in_vm("gosc", 2, 1, 2, "", timeout=30, keys=KEYS)
    check_demo(run, "[gosc] ")


def test_make_qemu_guest_os():
    """`make qemu-guest-os ARGS=...` boots guest-os bare on the knobs'
    machine with ARGS as the boot arguments, double quotes and all."""
    proc = subprocess.run(
        ["make", "--no-print-directory", "qemu-guest-os", "CPUS=2", "NODES=1",
         "ARGS=autorun=\"echo made by make\""],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        stdin=subprocess.DEVNULL)
    out = proc.stdout + proc.stderr
    if proc.returncode != 0 or "made by make" not in out or \
       "guest-os: autorun exit 0" not in out or "guest-os: 2 harts" not in out:
        raise TestFailure("make qemu-guest-os did not run echo on 2 harts",
                          out)


TESTS = [
    ("guest-os-usertests-n1-c1", usertests_bare(1, 1)),
    ("guest-os-usertests-n2-c4", usertests_bare(4, 2)),
    ("guest-os-usertests-n3-c3-polled", usertests_bare(3, 3)),
    ("guest-os-usertests-c2-nosstc", usertests_bare(2, 1, sstc=False)),
    ("guest-os-vm-usertests-v1", usertests_vm(2, 1, 1)),
    ("guest-os-vm-usertests-n2-v2", usertests_vm(4, 2, 2)),
    ("guest-os-vm-usertests-v2-nosstc", usertests_vm(2, 1, 2, sstc=False)),
    ("guest-os-autorun-arguments", test_autorun_with_arguments),
    ("guest-os-console-bare", test_console_bare),
    ("guest-os-console-vm", test_console_vm),
    ("guest-os-make-run", test_make_qemu_guest_os),
]
