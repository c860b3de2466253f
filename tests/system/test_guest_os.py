"""tests/system/test_guest_os.py: guest-os, bare and under the monitor.

What these prove: the one guest-os kernel image, build/guest-os/kernel.elf,
boots on the bare machine (1 hart; 4 harts on 2 NUMA nodes; 3 nodes, where
QEMU gives an APLIC instead of a PLIC and the console and disk are polled)
and in a Disco-V VM (1 and 2 vCPUs), starts every hart the device tree
lists, and passes its own user-level test suite (with the timer set
through Sstc's stimecmp, and through SBI on harts without Sstc), usertests
(guest-os/user/usertests.c): fork/exit/wait statuses, sbrk, bad pointers
and file descriptors answered with -1, kill, sleep, exec, programs killed
for touching kernel or unmapped memory while the kernel survives, a full
process table and exhausted memory recovered from, pipes. That the same
binary passes both ways is Disco's claim for a commodity OS.

With a disk (a copy of build/guest-os/fs.img, made by tools/mkfs.py) the
kernel finds the virtio-blk device in its device tree (on a 2-node bare
machine its interrupt goes to node 1's PLIC, which QEMU 7.2 never lets
through to S mode, so the driver falls back to polling; with 3 nodes
there is no PLIC and it polls from the start; in a VM the disk is the
monitor's virtual one, a region of the machine's disk), mounts the file
system, runs its programs from /bin, and usertests adds its file-system
tests: files, directories, links, a file through the indirect block, a
full disk, several processes at once, programs rewritten in place and
run again (exec reads whole pages of program text straight from the disk
into user pages unless the buffer cache holds newer data: two of the bare
runs boot with small caches, bcache-blocks=N, so that blocks come and
go). After each such run the host checks
the image (tools/mkfs.py's checker: bitmap, link counts, every block owned
once) and that it has as many free blocks and inodes as before: nothing
leaked. Without a disk, the same tests pass but those, which are skipped.

Crash recovery takes two boots over one image: the first powers off
(fscrash=5) right after a write's transaction is committed to the log and
before it is installed, with a file unlinked while open; the host sees the
committed, uninstalled log and the orphaned inode; the second boot replays
the log, frees the orphan, and finds the write whole.

The console tests type at the shell, at the demo program (hello) run
from it, and at the shell again, and check the echoes: that exercises the
UART's receive interrupt through the PLIC (or the virtual UART and PLIC
of the monitor), the kernel's line editing, and a process waking up in
read(). The shell tests run a script of the shell's features (pipes,
redirection, background commands, kill, cd, syntax errors) and compare
its output line by line; then the host reads back the files it made.

Every run has a timeout; a hang is a failure. QEMU exits with status 0
after any SBI shutdown, so the tests read "guest-os: autorun exit N".

The disk runs with QEMU's cache.no-flush: the guest's flushes still go to
the device, but the host skips its fsync. What the tests crash is the
guest (QEMU then exits cleanly, writing out everything), never the host,
so the host's fsyncs would only cost time (about 1 ms each).
"""

import os
import re
import shutil
import subprocess

from lib import ROOT, TestFailure, boot, counters, make_bundle, vm_config

import mkfs  # noqa: E402  (tools/mkfs.py; lib puts tools/ on the path)

GOS = os.path.join(ROOT, "build", "guest-os")
KERNEL = os.path.join(GOS, "kernel.elf")
FS_IMAGE = os.path.join(GOS, "fs.img")
DISKS = os.path.join(ROOT, "build", "tests", "disks")
NO_FSYNC = ["-set", "drive.hd0.cache.no-flush=on"]

# usertests' count with and without a file system (it skips the rest).
ALL_TESTS, NO_DISK_TESTS = 27, 15


def fresh_disk(name):
    """A fresh copy of the disk image build/guest-os/fs.img; its path."""
    os.makedirs(DISKS, exist_ok=True)
    path = os.path.join(DISKS, f"gos-{name}.img")
    shutil.copyfile(FS_IMAGE, path)
    return path


def fsck(run, image):
    """The image is consistent (tools/mkfs.py's checker) and has exactly
    the free blocks and inodes of a fresh one: the run left nothing
    behind, and leaked nothing."""
    bad, got = mkfs.Image(image).check()
    if bad:
        run.fail(f"the disk image is inconsistent after the run: {bad[:5]}")
    _, want = mkfs.Image(FS_IMAGE).check()
    for key in ("blocks_free", "inodes_free", "files", "dirs"):
        if got[key] != want[key]:
            run.fail(f"after the run the disk has {key} = {got[key]}, a "
                     f"fresh one {want[key]}: something leaked or was left")


def expect_usertests(run, prefix="", disk=True):
    """usertests ran to the end with every test passing (with a disk, the
    file-system tests too), and init reported its exit status 0. `prefix`
    is the monitor's "[vm] " label."""
    p = re.escape(prefix)
    for line in run.output.splitlines():
        if line.startswith(f"{prefix}usertests: ") and "FAILED" in line:
            run.fail(line)
    m = run.match(rf"^{p}usertests: (\d+) passed, (\d+) failed$")
    want = ALL_TESTS if disk else NO_DISK_TESTS
    if m.group(2) != "0" or int(m.group(1)) < want:
        run.fail(f"usertests: {m.group(1)} passed, {m.group(2)} failed; "
                 f"want {want} or more passed, 0 failed")
    if disk:
        run.forbid("skipped: no file system")
    else:
        run.expect(f"{prefix}guest-os: no file system (no disk)")
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


def bare(cpus, nodes, bootargs, timeout=60, keys=(), cpu="rv64", disk=None):
    """Boot guest-os on the bare machine with these boot arguments, and
    the disk image `disk` if given."""
    extra = NO_FSYNC if disk else []
    return boot(cpus=cpus, nodes=nodes, kernel=KERNEL, timeout=timeout,
                extra=extra + ["-append", bootargs], keys=keys, cpu=cpu,
                disk=disk)


def in_vm(name, machine_cpus, machine_nodes, vcpus, bootargs, timeout=90,
          keys=(), cpu="rv64", disk=None):
    """Boot the monitor with one guest-os VM (64 MiB) named `name`. With
    a disk image, the machine gets it as its disk and the VM all of it
    (the first VM's region starts at the disk's sector 0)."""
    vm = {"name": name, "vcpus": vcpus, "memory-mib": 64,
          "image": "kernel.elf", "bootargs": bootargs}
    if disk:
        vm["disk-mib"] = os.path.getsize(disk) // (1024 * 1024)
    bundle = make_bundle(name, vm_config(vm), search=(GOS,))
    return boot(cpus=machine_cpus, nodes=machine_nodes, bundle=bundle,
                timeout=timeout, keys=keys, cpu=cpu, disk=disk,
                extra=NO_FSYNC if disk else [])


def expect_cache(run, cache, prefix=""):
    """The buffer cache line says `cache` (its size, MiB and why: see
    guest-os/bcache.c), and exec read some program pages straight from
    the disk into user pages (the power-off disk line's last field)."""
    run.expect(f"{prefix}guest-os: buffer cache: {cache}; ")
    m = run.match(rf"^{re.escape(prefix)}guest-os: disk: \d+ blocks read, "
                  r"\d+ written, \d+ flushes, (\d+) read straight$")
    if int(m.group(1)) == 0:
        run.fail("exec read no program page straight from the disk")


def usertests_bare(cpus, nodes, sstc=True, disk=True, irq=None,
                   cache="2048 blocks, 8192 KiB (the disk's size)", args=""):
    """usertests on the bare machine. Without Sstc (a hart that lacks it,
    so the device tree does not list it) the timer goes through SBI.
    irq: how the disk's completions must arrive, as the kernel's disk
    line says it ("interrupt 8 of PLIC 1", "polled"). cache: what the
    buffer cache's boot line must say, with `args` added to the boot
    arguments (bcache-blocks=N: a small cache, whose blocks come and go,
    and exec's pages with them)."""
    def test():
        image = fresh_disk(f"n{nodes}-c{cpus}") if disk else None
        # The timeouts are generous: a run takes 3-15 s alone, but the
        # disk's path is latency-bound, and with two multi-hart machines
        # sharing the host's cores it can take three times as long.
        run = bare(cpus, nodes, f"autorun=usertests {args}".strip(), disk=image,
                   timeout=150, cpu="rv64" if sstc else "rv64,sstc=false")
        run.expect_clean_exit()
        run.expect(f"guest-os: {cpus} harts, ")
        run.expect(f"timer {'sstc' if sstc else 'sbi'}, ")
        # OpenSBI has no Disco extension: the kernel keeps its own pages.
        run.expect("monitor calls off, ")
        if disk:
            m = run.match(r"^guest-os: disk: virtio-blk at 0x[0-9a-f]+, 2048 "
                          r"blocks of 4 KiB, queue of \d+, write cache, (.*)$")
            if irq and irq not in m.group(1):
                run.fail(f"the disk's completions come by {m.group(1)!r}, "
                         f"want {irq!r}")
            run.expect("guest-os: file system: 2048 blocks")
            expect_cache(run, cache)
        expect_usertests(run, disk=disk)
        expect_harts(run, cpus)
        if disk:
            fsck(run, image)
    return test


def usertests_vm(machine_cpus, machine_nodes, vcpus, sstc=True, disk=True):
    """usertests in a VM; the monitor is then the guest's SBI and its
    UART, PLIC and disk, and fills the guest's memory lazily."""
    def test():
        name = f"gos{vcpus}"
        image = fresh_disk(f"vm-n{machine_nodes}-v{vcpus}") if disk else None
        run = in_vm(name, machine_cpus, machine_nodes, vcpus,
                    "autorun=usertests", disk=image, timeout=200,
                    cpu="rv64" if sstc else "rv64,sstc=false")
        run.expect_clean_exit()
        prefix = f"[{name}] "
        run.expect(f"{prefix}guest-os: {vcpus} harts, ")
        run.expect(f"timer {'sstc' if sstc else 'sbi'}, ")
        if disk:
            # The monitor's disk: its one slot, source 1 of its PLIC, and
            # a write cache (FLUSH offered, since QEMU's disk has one).
            run.expect("virtio-blk: disk at ")
            run.expect(", write cache")
            run.expect(f"{prefix}guest-os: disk: virtio-blk at "
                       "0x0000000010001000, 2048 blocks of 4 KiB")
            run.expect("write cache, interrupt 1 of PLIC 0")
            expect_cache(run, "2048 blocks, 8192 KiB (the disk's size)", prefix)
        expect_usertests(run, prefix, disk=disk)
        expect_harts(run, vcpus, prefix)
        c = counters(run, name)
        if c["faults"] == 0:
            run.fail("no guest-page faults counted: was memory filled lazily?")
        # Disco's monitor calls (hyp/sbi/vsbi_disco.c): the kernel found
        # them, gave back the pages its processes freed and asked for
        # zeroed ones; the auditor watched each page given back (make test
        # builds it in, and Run.expect_clean_exit forbids its reports).
        run.expect(f"{prefix}guest-os: {vcpus} harts, ")
        run.expect("monitor calls on, ")
        if c["pages-returned"] == 0 or c["pages-zeroed"] == 0:
            run.fail(f"pages-returned={c['pages-returned']} "
                     f"pages-zeroed={c['pages-zeroed']}: want both above 0")
        # The disk is asynchronous: a request waits for the real disk
        # between the guest's notify and its answer (wait-us), in pieces
        # of a few pages, at least one each (the flushes' included).
        if disk and (c["wait-us"] == 0 or c["inflight-max"] == 0 or
                     c["pieces"] < c["reads"] + c["writes"] + c["flushes"]):
            run.fail(f"{c['pieces']} pieces for {c['reads']} reads, "
                     f"{c['writes']} writes and {c['flushes']} flushes, "
                     f"wait-us={c['wait-us']} inflight-max={c['inflight-max']}: "
                     "want at least a piece each, and some waiting")
        if disk and c["direct"] != c["reads"] + c["writes"]:
            run.fail(f"{c['direct']} of {c['reads'] + c['writes']} reads and "
                     "writes went straight to guest pages; guest-os's blocks "
                     "are whole pages, so all of them should")
        if disk and (c["flushes"] == 0 or c["flushes"] > c["writes"]):
            run.fail(f"{c['flushes']} flushes for {c['writes']} writes: want "
                     "some (one per log commit), never more than the writes")
        run.expect("Disco-V: all VMs have stopped")
        if disk:
            fsck(run, image)
    return test


def test_crash_recovery():
    """Two boots over one disk image. Boot 1 (fscrash=5) makes a file,
    unlinks it while it is open (transactions 1-3), creates /crash-file
    (4) and writes 12 KiB to it (5); the kernel powers off as soon as
    transaction 5's commit record is on the disk, before installing it.
    On the host, the log then holds 5 blocks (3 of data, the bitmap's, the
    inode's), /crash-file is still empty where it belongs, and the
    unlinked file's inode is an orphan. Boot 2 replays the log and frees
    the orphan at mount, and finds the 12 KiB whole; afterwards the image
    checks clean, as fresh as before."""
    image = fresh_disk("crash")
    run = bare(1, 1, 'fscrash=5 autorun="usertests crash-write"', disk=image)
    run.expect_clean_exit()
    run.expect("guest-os: fscrash: transaction 5 is committed (5 blocks in "
               "the log) and not installed: powering off")
    run.forbid("autorun exit")
    img = mkfs.Image(image)
    count, seq = img.log_header()
    inum = img.lookup("/crash-file")
    size = img.inode(inum)["size"] if inum else None
    if (count, seq) != (5, 5) or size != 0:
        run.fail(f"after the crash: log header count {count} seq {seq} (want "
                 f"5 and 5), /crash-file inode {inum} of size {size} (want 0)")
    bad, _ = img.check()
    if not any("used but no directory names it" in b for b in bad):
        run.fail(f"after the crash, no orphaned inode on the disk: {bad}")
    run = bare(1, 1, 'autorun="usertests crash-check"', disk=image)
    run.expect_clean_exit()
    run.expect("guest-os: log: replayed transaction 5 of the last boot "
               "(5 blocks)")
    run.expect("guest-os: file system: freed 1 inodes that were unlinked "
               "while open")
    run.expect("usertests: crash-check: ok")
    run.expect("guest-os: autorun exit 0")
    fsck(run, image)


def test_disk_without_file_system():
    """A disk of zeros: the kernel says it holds no file system, and runs
    on with its built-in programs."""
    os.makedirs(DISKS, exist_ok=True)
    image = os.path.join(DISKS, "gos-zeros.img")
    with open(image, "wb") as f:
        f.truncate(16 * 1024 * 1024)
    run = bare(1, 1, 'autorun="echo still here"', disk=image)
    run.expect_clean_exit()
    run.expect("guest-os: the disk is not used: no guest-os file system "
               "(magic 0x0, want 0x73666f67)")
    run.expect("\nstill here\n")
    run.expect("guest-os: autorun exit 0")


def test_mkfs_check():
    """tools/mkfs.py's checker, which the other tests trust: the built
    image passes, lists its programs in /bin, and each kind of damage is
    caught (a block marked free that a file uses, a wrong link count, a
    directory entry naming a free inode, a committed log left unreplayed)."""
    img = mkfs.Image(FS_IMAGE)
    bad, summary = img.check()
    if bad or summary["files"] < 4:
        raise TestFailure(f"the fresh image does not check clean: {bad}")
    for prog in ("init", "usertests", "echo"):
        if img.lookup(f"/bin/{prog}") is None:
            raise TestFailure(f"/bin/{prog} is not on the disk image")
    B = mkfs.BLOCK
    inum = img.lookup("/README")
    ino_off = img.inode_start * B + inum * mkfs.INODE_SIZE
    first = img.inode(inum)["direct"][0]
    damage = {
        "block": (img.bitmap_start * B + first // 8, lambda v: v & ~(1 << (first % 8)),
                  "marked free but is in use"),
        "nlink": (ino_off + 2, lambda v: v + 1, "nlink 2, but 1 entries"),
        "entry": (ino_off, lambda v: 0, "names free inode"),
        "log": (img.log_start * B, lambda v: 3, "the log holds committed"),
    }
    for what, (off, change, expect) in damage.items():
        data = bytearray(img.img)
        data[off] = change(data[off]) & 0xff
        path = os.path.join(DISKS, f"gos-damaged-{what}.img")
        os.makedirs(DISKS, exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        bad, _ = mkfs.Image(path).check()
        if not any(expect in b for b in bad):
            raise TestFailure(f"damage '{what}' not caught: want {expect!r}, "
                              f"got {bad}")


def test_autorun_with_arguments():
    """autorun="..." with quotes runs a command with arguments; a program
    that does not exist is reported by the shell, with exit status 127."""
    run = bare(1, 1, 'autorun="echo hello from  guest-os"')
    run.expect_clean_exit()
    run.expect("\nhello from guest-os\n")
    run.expect("guest-os: autorun exit 0")
    run = bare(1, 1, "autorun=no-such-program")
    run.expect_clean_exit()
    run.expect("sh: no-such-program: not found")
    run.expect("guest-os: autorun exit 127")


# Without autorun, init runs an interactive shell. The keys: run the
# demo (guest-os/user/hello.c), which prompts, reads a line, echoes it; a
# line; a line with a typo fixed by backspace (DEL, as a terminal sends
# it); Ctrl-D, which ends the demo; then a pipeline at the shell, and
# `exit 3`. Each is typed once the line before it is complete, which
# works the same on the bare machine and in a VM (where the VM with the
# focus has its output shown as it comes, prompt included, and the
# others a line at a time: hyp/dev/vconsole.c). Keys typed before a program reads wait in the
# kernel's line buffer (so the first goes as soon as the kernel has
# looked for its file system, before the shell has started).
KEYS = [(r"guest-os: (no )?file system", b"hello\r"),
        (r"hello: guest-os is running.*\n", b"hello there\r"),
        (r"you typed 'hello there'.*\n", b"ab\x7fc\r"),
        (r"you typed 'ac'.*\n", b"\x04"),
        (r"hello: goodbye.*\n", b"echo hi | wc\r"),
        (r" +1 +1 +3\r?\n", b"exit 3\r")]


def check_demo(run, prefix=""):
    """The demo echoed both lines and ended at Ctrl-D; the shell ran the
    pipeline (wc counts "hi\\n": 1 line, 1 word, 3 bytes) and exited
    with status 3, and init powered off. Keys typed ahead are echoed
    before the prompt that reads them, so an answer may share its line
    with a prompt: look for it anywhere."""
    run.expect_clean_exit()
    run.expect("hello: you typed 'hello there' (11 bytes)")
    run.expect("hello: you typed 'ac' (2 bytes)")
    run.expect(f"{prefix}hello: goodbye")
    run.match(r"^(\[\w+\] )?(\$ )* +1 +1 +3$")
    # `exit 3` may be typed (and echoed) before the prompt that reads it
    # is printed: that prompt then shares a line with init's message.
    run.match(rf"^{re.escape(prefix)}(\$ )*init: the shell exited \(status 3\); "
              r"powering off$")


def test_console_bare():
    """Typing at the bare machine's UART reaches the shell and the demo
    program."""
    check_demo(bare(2, 1, "", timeout=30, keys=KEYS))


def test_console_vm():
    """The same through the monitor's virtual UART and PLIC: keys go to
    the VM with the input focus, the only one here."""
    run = in_vm("gosc", 2, 1, 2, "", timeout=30, keys=KEYS)
    check_demo(run, "[gosc] ")


# ---- The shell and the utilities ----

def wc_line(data, name=""):
    """What guest-os's wc prints for `data`: lines (newlines), words
    (runs of non-blanks) and bytes, 7 wide, and the name if any."""
    lines, words = data.count(b"\n"), len(data.split())
    counts = f"{lines:7d} {words:7d} {len(data):7d}"
    return counts + (f" {name}" if name else "")


def ls_line(name, kind, size):
    """A regex for one line of guest-os's ls (the inode number varies)."""
    return re.compile(re.escape(f"{name:<16} {kind}") + rf" +\d+ +{size}")


BG_START = re.compile(r"\[(\d+)\]")          # "[pid]": a background start
BG_DONE = re.compile(r"^\[(\d+)\] done (-?\d+)$")


def shell_script(readme, root_size):
    """The shell test's script, as (command, expected output lines): a
    line is a string, or a regex it must match whole. `readme` is /README
    of the image, which the script reads; `root_size` the size of its
    root directory once /t is made. The script leaves /t/f and /t/g
    behind for the host to read; its exit status is 3."""
    lines = readme.decode().split("\n")
    with_disk = "".join(ln + "\n" for ln in lines[:-1] if "disk" in ln)
    the = [ln for ln in lines[:-1] if re.search("^The", ln)]
    ends = [ln for ln in lines[:-1] if re.search("d.*s.$", ln)]
    return [
        ("# the shell's system test: see tests/system/test_guest_os.py", []),
        ("echo start", ["start"]),
        # Directories, cd, and relative paths.
        ("mkdir /t; cd /t", []),
        ("echo one   two > f", []),            # > makes the file
        ("echo three >> f; echo new >> g", []), # >> appends, or makes it
        ("cat f", ["one two", "three"]),
        ("wc < f", [wc_line(b"one two\nthree\n")]),
        ("cat < f | wc", [wc_line(b"one two\nthree\n")]),
        ("wc f g /README", [wc_line(b"one two\nthree\n", "f"),
                            wc_line(b"new\n", "g"),
                            wc_line(readme, "/README"),
                            wc_line(b"one two\nthree\nnew\n" + readme,
                                    "total")]),
        ("mkdir d; cd d; echo deep > h; cd ..; cat d/h", ["deep"]),
        ("ls", [ls_line(".", "d", 160), ls_line("..", "d", root_size),
                ls_line("f", "f", 14), ls_line("g", "f", 4),
                ls_line("d", "d", 96)]),
        ("ls d/h", [ls_line("d/h", "f", 5)]),
        ("rm d; echo $?", ["rm: d: cannot remove", "1"]),  # not empty
        ("rm d/h d; ls d", ["ls: d: no such file or directory"]),
        # Pipes, and grep's patterns.
        ("cat /README | grep disk | wc", [wc_line(with_disk.encode())]),
        ("echo a | cat | cat | cat | cat | cat | wc", [wc_line(b"a\n")]),
        ("grep ^The /README", the),
        ("grep 'd.*s.$' /README", ends),
        ("grep nothing-like-this /README; echo $?", ["1"]),
        # Quotes, ';' and comments.
        ("echo 'quoted   words' \"a|b;c\" x'y z'# not a comment",
         ["quoted   words a|b;c xy z# not a comment"]),
        ("echo x;echo y # echo z", ["x", "y"]),
        # Exit statuses and errors.
        ("no-such-program arg; echo status $?",
         ["sh: no-such-program: not found", "status 127"]),
        ("ls /nope; echo $?", ["ls: /nope: no such file or directory", "1"]),
        ("cd /nope", ["sh: cd: /nope: no such directory"]),
        ("cat < /nope", ["sh: /nope: cannot open"]),
        ("echo x > /nope/x", ["sh: /nope/x: cannot open"]),
        ("kill 999; echo $?", ["kill: 999: no such process", "1"]),
        # Background commands: kill one, wait for another.
        ("sleep 100 &", [BG_START]),
        ("kill $!", []),
        ("wait", []),                   # reports "[pid] done -1"
        ("sleep 1 & echo started", [BG_START, "started"]),
        ("wait; echo waited", ["waited"]),  # reports "[pid] done 0"
        # Syntax errors: nothing of the line runs; status 2.
        ("echo \"never closed", ['sh: syntax error: a " quote is never '
                                 'closed']),
        ("echo $?", ["2"]),
        ("echo a | ; echo not run", ["sh: syntax error: '|' with no "
                                     "command after it"]),
        ("| wc", ["sh: syntax error: '|' with no command before it"]),
        ("cat <", ["sh: syntax error: '<' with no file name after it"]),
        ("echo a >> ; echo b", ["sh: syntax error: '>>' with no file "
                                "name after it"]),
        ("; echo a", ["sh: syntax error: ';' with no command before it"]),
        ("echo 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16",
         ["sh: syntax error: more than 16 words in a command"]),
        ("> x", ["sh: syntax error: a redirection with no command"]),
        ("cd /; exit 3", []),
        ("echo not reached", []),
    ]


def shell_disk(name, script):
    """A fresh disk image: fs.img's files, and /shtest.sh holding script."""
    img = mkfs.Image(FS_IMAGE)
    files = {path: img.read(img.lookup(path)) for path, ino in img.walk()
             if ino["type"] != mkfs.T_DIR}
    files["/shtest.sh"] = script.encode()
    os.makedirs(DISKS, exist_ok=True)
    path = os.path.join(DISKS, f"gos-{name}.img")
    mkfs.build(path, img.nblocks * mkfs.BLOCK // (1024 * 1024), img.ninodes,
               files)
    return path


def check_shell_output(run, steps, prefix=""):
    """The script's output, from "start" to its end, is exactly what steps
    expect, in order, but for the reports of background commands ending,
    which may come before any later line; those must be one "[pid] done
    -1" for the killed sleeper and one "[pid] done 0" for the other."""
    p = re.escape(prefix)
    m = run.match(rf"^{p}start\n((.*\n)*?){p}guest-os: autorun exit")
    got = [ln[len(prefix):] for ln in m.group(1).splitlines()
           if ln.startswith(prefix)]
    done = [BG_DONE.match(ln).groups() for ln in got if BG_DONE.match(ln)]
    got = [ln for ln in got if not BG_DONE.match(ln)]
    want = [w for _, out in steps[2:] for w in out]
    started = []
    for i, w in enumerate(want):
        g = got[i] if i < len(got) else "(nothing)"
        ok = w == g if isinstance(w, str) else w.fullmatch(g)
        if not ok:
            cmd = next(c for c, out in steps if w in out)
            run.fail(f"shell script: after {cmd!r}, line {i + 1} is {g!r}; "
                     f"want {w if isinstance(w, str) else w.pattern!r}")
        if w is BG_START:
            started.append(ok.group(1))
    if len(got) > len(want):
        run.fail(f"shell script: unexpected lines at the end: "
                 f"{got[len(want):]}")
    if sorted(done) != sorted([(started[0], "-1"), (started[1], "0")]):
        run.fail(f"background commands {started} (killed, then not): "
                 f"reported ends {done}, want one each, -1 then 0")
    run.expect(f"{prefix}guest-os: autorun exit 3")


def check_shell_disk(run, image):
    """What the script left on the disk: /t/f and /t/g with their text,
    /t/d removed, and an image that checks clean."""
    img = mkfs.Image(image)
    bad, _ = img.check()
    if bad:
        run.fail(f"the disk image is inconsistent after the run: {bad[:5]}")
    for path, want in (("/t/f", b"one two\nthree\n"), ("/t/g", b"new\n")):
        inum = img.lookup(path)
        got = img.read(inum) if inum else None
        if got != want:
            run.fail(f"after the run {path} holds {got!r}, want {want!r}")
    if img.lookup("/t/d") is not None:
        run.fail("after the run /t/d still exists; the script removed it")


def shell_test(where):
    """The shell's script (see shell_script), bare or in a VM of 2 vCPUs,
    with `autorun="sh /shtest.sh"`: pipes, redirections both ways and
    appending, ';', comments, quotes, cd and relative paths, mkdir, rm,
    ls, wc, grep's patterns, a background sleeper killed and one waited
    for, failing commands' statuses, syntax errors. The expected wc and
    grep output is computed here from /README as the image holds it."""
    def test():
        img = mkfs.Image(FS_IMAGE)
        readme = img.read(img.lookup("/README"))
        # The root: fs.img's entries, /shtest.sh and /t, 32 bytes each.
        root_size = (len(img.entries(mkfs.ROOT_INUM)) + 2) * 32
        steps = shell_script(readme, root_size)
        image = shell_disk(f"shell-{where}",
                           "".join(cmd + "\n" for cmd, _ in steps))
        args = 'autorun="sh /shtest.sh"'
        if where == "bare":
            run, prefix = bare(2, 1, args, disk=image), ""
        else:
            # (vm_config escapes the quotes for the device tree.)
            run = in_vm("gossh", 2, 1, 2, args, disk=image, timeout=120)
            prefix = "[gossh] "
        run.expect_clean_exit()
        check_shell_output(run, steps, prefix)
        check_shell_disk(run, image)
    return test


def test_make_qemu_guest_os():
    """`make qemu-guest-os ARGS=...` boots guest-os bare on the knobs'
    machine with its disk and ARGS as the boot arguments, double quotes
    and all."""
    proc = subprocess.run(
        ["make", "--no-print-directory", "qemu-guest-os", "CPUS=2", "NODES=1",
         "ARGS=autorun=\"echo made by make\""],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        stdin=subprocess.DEVNULL)
    out = proc.stdout + proc.stderr
    if proc.returncode != 0 or "made by make" not in out or \
       "guest-os: autorun exit 0" not in out or "guest-os: 2 harts" not in out \
       or "guest-os: file system: " not in out:
        raise TestFailure("make qemu-guest-os did not run echo on 2 harts "
                          "with its disk", out)


def test_cache_quarter_of_memory():
    """On a disk bigger than a quarter of memory (32 MiB, in a VM of 64),
    the buffer cache is a quarter of the free memory the kernel reports
    at boot, and exec, with its file-system tests, works with it."""
    img = mkfs.Image(FS_IMAGE)
    files = {path: img.read(img.lookup(path)) for path, ino in img.walk()
             if ino["type"] != mkfs.T_DIR}
    os.makedirs(DISKS, exist_ok=True)
    image = os.path.join(DISKS, "gos-32mib.img")
    mkfs.build(image, 32, img.ninodes, files)
    run = in_vm("quarter", 2, 1, 1, 'autorun="usertests execfs execrewrite"',
                disk=image)
    run.expect_clean_exit()
    p = re.escape("[quarter] ")
    free = int(run.match(rf"^{p}guest-os: 1 harts, (\d+) MiB free").group(1))
    m = run.match(rf"^{p}guest-os: buffer cache: (\d+) blocks, \d+ KiB "
                  r"\(1/4 of free memory\); ")
    # A quarter of what is free at mount, a little less than at boot.
    if not free * 256 // 4 - 256 <= int(m.group(1)) <= free * 256 // 4 + 64:
        run.fail(f"a buffer cache of {m.group(1)} blocks for {free} MiB "
                 "free: want a quarter")
    run.expect("[quarter] usertests: 2 passed, 0 failed")
    fsck_against = mkfs.Image(image).check()[0]
    if fsck_against:
        run.fail(f"the disk image is inconsistent after the run: {fsck_against[:5]}")


def monitor_calls_test(calls):
    """Disco's monitor calls give freed memory back to the machine.
    usertests' oom test takes all of a 64 MiB VM's memory, twice, and
    frees it. With the calls (and keep-pages=0: no freed page is kept),
    the kernel gives every freed page back, and the VM ends holding a few
    MiB of machine memory, under the auditor's eye for each unmapping;
    with monitor-calls=0, it keeps all it ever touched (over 48 MiB), as
    before the calls existed."""
    def test():
        args = "keep-pages=0" if calls else "monitor-calls=0"
        name = "calls" if calls else "nocalls"
        run = in_vm(name, 2, 1, 2, f'{args} autorun="usertests oom"',
                    timeout=120)
        run.expect_clean_exit()
        run.expect(f"monitor calls {'on' if calls else 'off'}, ")
        run.expect(f"[{name}] usertests: 1 passed, 0 failed")
        c = counters(run, name)
        held = c["node0"] * 4096 / (1 << 20)
        if calls and (held > 8 or c["pages-returned"] < 8192):
            run.fail(f"the VM holds {held:.1f} MiB at the end, and gave back "
                     f"{c['pages-returned']} pages: want under 8 MiB, over "
                     "8192 pages (32 MiB) given back")
        if not calls and (held < 48 or c["pages-returned"] != 0):
            run.fail(f"without the calls, the VM holds {held:.1f} MiB and gave "
                     f"back {c['pages-returned']} pages: want over 48 MiB, none")
    return test


TESTS = [
    ("guest-os-usertests-n1-c1", usertests_bare(1, 1, irq="interrupt 8 of PLIC 0")),
    ("guest-os-usertests-n2-c4-cache128",
     usertests_bare(4, 2, irq="interrupt 8 of PLIC 1", args="bcache-blocks=128",
                    cache="128 blocks, 512 KiB (bcache-blocks)")),
    ("guest-os-usertests-n3-c3-polled-cachemin",
     usertests_bare(3, 3, irq="polled", args="bcache-blocks=1",
                    cache="112 blocks, 448 KiB (the log's minimum)")),
    ("guest-os-usertests-c2-nosstc-nodisk", usertests_bare(2, 1, sstc=False, disk=False)),
    ("guest-os-vm-usertests-v1", usertests_vm(2, 1, 1)),
    ("guest-os-vm-usertests-n2-v2", usertests_vm(4, 2, 2)),
    ("guest-os-vm-usertests-v2-nosstc-nodisk", usertests_vm(2, 1, 2, sstc=False, disk=False)),
    ("guest-os-vm-cache-quarter-of-memory", test_cache_quarter_of_memory),
    ("guest-os-vm-monitor-calls-give-memory-back", monitor_calls_test(True)),
    ("guest-os-vm-monitor-calls-off-keeps-memory", monitor_calls_test(False)),
    ("guest-os-crash-recovery", test_crash_recovery),
    ("guest-os-disk-without-fs", test_disk_without_file_system),
    ("guest-os-mkfs-check", test_mkfs_check),
    ("guest-os-autorun-arguments", test_autorun_with_arguments),
    ("guest-os-console-bare", test_console_bare),
    ("guest-os-console-vm", test_console_vm),
    ("guest-os-shell-bare", shell_test("bare")),
    ("guest-os-shell-vm", shell_test("vm")),
    ("guest-os-make-run", test_make_qemu_guest_os),
]
