#!/usr/bin/env python3
"""tests/fuzz/mkseeds.py: write the seed corpora, tests/fuzz/corpus/<name>/.

  make build/hyp/hyp.elf build/tests/guests/badmmio.elf build/tests/guests/hello.bin
  python3 tests/fuzz/mkseeds.py

A fuzzer learns fastest from real inputs, which its mutations then bend:

  fdt       the device trees QEMU builds for 1, 2 and 4 nodes (dumpdtb, as
            tests/run.py dumps them, repacked by dtc to their real size),
            and the VM configurations of hyp/vms/, compiled by dtc
  vmconfig  those configurations, and small ones that use every property
            of hyp/vm/vmconfig.h, a few of them wrong on purpose
  bundle    bundles written by tools/mkbundle.py
  loader    test guests as ELF files (stripped) and as a flat Image
  decode    one instruction of each kind found in the monitor and a test
            guest (objdump), with a value to extend
  vchain    descriptor chains as a virtio-blk driver writes them (read,
            write, flush, get-id), and a few broken ones
  vplic     what a guest's PLIC driver does (priorities, enables,
            threshold, a line raised, claim, complete), on 1 and 2 harts

The files are checked in; run this again only to change them. Their
names say what each holds.
"""

import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")
BUILD = os.path.join(ROOT, "build")
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests"))

import qemu  # noqa: E402

TOOLPREFIX = "riscv64-unknown-elf-"


def write(name, file, data):
    folder = os.path.join(CORPUS, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, file), "wb") as f:
        f.write(data)


def dtc(source):
    """Compile device-tree source text to a blob."""
    return subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb"], input=source.encode(),
                          capture_output=True, check=True).stdout


# ---- Device trees --------------------------------------------------------

def qemu_trees():
    """The machines tests/run.py dumps (DTB_MACHINES), each repacked."""
    import run
    trees = {}
    tmp = tempfile.mkdtemp()
    for name, knobs in run.DTB_MACHINES.items():
        path = os.path.join(tmp, name)
        subprocess.run(qemu.qemu_command(dumpdtb=path, **knobs), capture_output=True,
                       check=True, stdin=subprocess.DEVNULL)
        trees[name] = subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dtb", path],
                                     capture_output=True, check=True).stdout
    shutil.rmtree(tmp)
    return trees


CONFIGS = {
    # Every property, and span-nodes.
    "all-properties.dtb": """/dts-v1/;
/ {
    compatible = "disco-v,vm-config";
    vm0 { compatible = "disco-v,vm"; vcpus = <2>; memory-mib = <16>; home-node = <1>;
          image = "hello.elf"; initrd = "hello.initrd"; bootargs = "a=1 b=2";
          disk-mib = <4>; disk-image = "fs.img"; };
    wide { compatible = "disco-v,vm"; vcpus = <4>; memory-mib = <32>; span-nodes;
           image = "hello.bin"; disk-mib = <2>; };
};
""",
    # Entries the reader must refuse, one reason each, between good ones.
    "refused.dtb": """/dts-v1/;
/ {
    ok0 { compatible = "disco-v,vm"; memory-mib = <8>; image = "hello.elf"; disk-mib = <1>; };
    nomem { compatible = "disco-v,vm"; image = "hello.elf"; disk-mib = <2>; };
    a-name-far-too-long { compatible = "disco-v,vm"; memory-mib = <8>; image = "x"; };
    noimage { compatible = "disco-v,vm"; memory-mib = <8>; };
    badinitrd { compatible = "disco-v,vm"; memory-mib = <8>; image = "x"; initrd = <1>; };
    ok1 { compatible = "disco-v,vm"; memory-mib = <8>; image = "hello.elf"; disk-mib = <3>; };
    other { compatible = "something,else"; memory-mib = <8>; };
};
""",
    # Nested nodes, and a VM node that is not at the top.
    "nested.dtb": """/dts-v1/;
/ {
    group { inner { compatible = "x", "disco-v,vm"; memory-mib = <4>; image = "i"; }; };
    top { compatible = "disco-v,vm"; memory-mib = <4>; image = "i"; vcpus = <8>; };
};
""",
}


def config_trees():
    """hyp/vms/*.dts, and CONFIGS."""
    trees = {}
    for path in sorted(os.listdir(os.path.join(ROOT, "hyp", "vms"))):
        if path.endswith(".dts"):
            with open(os.path.join(ROOT, "hyp", "vms", path)) as f:
                trees["vms-" + path[:-4] + ".dtb"] = dtc(f.read())
    for name, source in CONFIGS.items():
        trees[name] = dtc(source)
    return trees


# ---- Bundles -------------------------------------------------------------

def bundles():
    """Small real bundles: a configuration alone (its images left out), a
    flat image with an initrd, and the one-VM form of mkbundle."""
    tmp = tempfile.mkdtemp()
    guests = os.path.join(BUILD, "tests", "guests")
    initrd = os.path.join(ROOT, "tests", "guests")
    for f in ("hello.bin",):
        shutil.copy(os.path.join(guests, f), tmp)
    shutil.copy(os.path.join(initrd, "hello.initrd"), tmp)
    src = os.path.join(tmp, "flat.dts")
    with open(src, "w") as f:
        f.write('/dts-v1/;\n/ { vm0 { compatible = "disco-v,vm"; memory-mib = <8>;\n'
                'image = "hello.bin"; initrd = "hello.initrd"; }; };\n')
    made = {}
    runs = {
        "default-config-only.bundle": ["--config", os.path.join(ROOT, "hyp", "vms",
                                                                "default.dts")],
        "flat-image-initrd.bundle": ["--config", src],
        "one-vm-initrd.bundle": ["--image", "hello.initrd", "--memory-mib", "8"],
    }
    for name, args in runs.items():
        out = os.path.join(tmp, name)
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "mkbundle.py")] + args +
                       ["--search", tmp, "-o", out], capture_output=True, check=True)
        with open(out, "rb") as f:
            made[name] = f.read()
    shutil.rmtree(tmp)
    return made


# ---- Images -------------------------------------------------------------

def images():
    """Two test guests, stripped of their symbols and debug information
    (the loader reads only the headers and segments), and hello as a flat
    Image."""
    guests = os.path.join(BUILD, "tests", "guests")
    made = {}
    tmp = tempfile.mkdtemp()
    for name in ("hello.elf", "badmmio.elf"):
        out = os.path.join(tmp, name)
        subprocess.run([TOOLPREFIX + "objcopy", "--strip-all", os.path.join(guests, name), out],
                       capture_output=True, check=True)
        with open(out, "rb") as f:
            made[name] = f.read()
    shutil.rmtree(tmp)
    with open(os.path.join(guests, "hello.bin"), "rb") as f:
        made["hello.bin"] = f.read()
    return made


# ---- Instructions --------------------------------------------------------

def instructions():
    """One encoding of each mnemonic in the monitor and badmmio (which
    touches devices with every width), loads and stores first."""
    seen = {}
    for elf in (os.path.join(BUILD, "tests", "guests", "badmmio.elf"),
                os.path.join(BUILD, "hyp", "hyp.elf")):
        out = subprocess.run([TOOLPREFIX + "objdump", "-d", "-M", "no-aliases", elf],
                             capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            m = re.match(r"\s*[0-9a-f]+:\s+([0-9a-f]{4,8})\s+(\S+)", line)
            if m and m.group(2) not in seen:
                seen[m.group(2)] = int(m.group(1), 16)
    loads = re.compile(r"^(c\.)?(l[bhwd]u?|s[bhwd]|flw|fld|fsw|fsd|lr|sc|amo)")
    order = sorted(seen, key=lambda k: (not loads.match(k), k))
    return {k: seen[k] for k in order[:80]}


# ---- Descriptor chains ---------------------------------------------------

RAM = 0x80000000
NEXT, WRITE, INDIRECT = 1, 2, 4


def chain_input(descs, queue_num=8, head=0, table_at=0, copies=((0, 16), (0, 1), (16, 512))):
    """fuzz_vchain's input: RAM size (16 KiB), queue size, head, table
    offset, three (offset, length) copies, then RAM from offset 0 with
    the table at table_at."""
    data = struct.pack("<HBHH", 0x3fff, queue_num, head, table_at)
    for off, n in copies:
        data += struct.pack("<HH", off, n)
    ram = bytearray(table_at + 16 * queue_num)
    for i, (addr, length, flags, nxt) in enumerate(descs):
        struct.pack_into("<QIHH", ram, table_at + 16 * i, addr, length, flags, nxt)
    return data + bytes(ram)


def chains():
    hdr, data, status = RAM + 0x1000, RAM + 0x2000, RAM + 0x3000
    return {
        "read-3-descriptors": chain_input([(hdr, 16, NEXT, 1), (data, 512, WRITE | NEXT, 2),
                                           (status, 1, WRITE, 0)]),
        "write-3-descriptors": chain_input([(hdr, 16, NEXT, 1), (data, 4096, NEXT, 2),
                                            (status, 1, WRITE, 0)]),
        "flush-2-descriptors": chain_input([(hdr, 16, NEXT, 1), (status, 1, WRITE, 0)]),
        "get-id-at-head-5": chain_input([(0, 0, 0, 0)] * 5 +
                                        [(hdr, 16, NEXT, 6), (data, 20, WRITE | NEXT, 7),
                                         (status, 1, WRITE, 0)], head=5, table_at=0x100),
        "read-split-buffers": chain_input([(hdr, 8, NEXT, 1), (hdr + 8, 8, NEXT, 2),
                                           (data, 300, WRITE | NEXT, 3),
                                           (data + 300, 212, WRITE | NEXT, 4),
                                           (status, 1, WRITE, 0)], queue_num=16),
        "broken-loop": chain_input([(hdr, 16, NEXT, 1), (data, 512, NEXT, 0)], queue_num=4),
        "broken-read-after-write": chain_input([(hdr, 16, WRITE | NEXT, 1),
                                                (data, 512, NEXT, 2), (status, 1, WRITE, 0)]),
        "broken-indirect": chain_input([(hdr, 16, INDIRECT, 0)]),
        "broken-buffer-past-ram": chain_input([(hdr, 16, NEXT, 1),
                                               (RAM + 0x3ff0, 512, WRITE | NEXT, 2),
                                               (status, 1, WRITE, 0)]),
    }


# ---- PLIC programs -------------------------------------------------------

def plic_program(contexts, ops):
    """fuzz_vplic's input: the number of contexts, then operations, each
    an opcode byte, a context byte, a source byte and its argument."""
    data = bytes([contexts + 1])
    for op in ops:
        data += op
    return data


def prio(src, p): return bytes([0, 0, src]) + struct.pack("<I", p)
def enable(ctx, mask): return bytes([1, ctx, 0]) + struct.pack("<I", mask)
def threshold(ctx, t): return bytes([2, ctx, 0, t])
def claim(ctx): return bytes([3, ctx, 0])
def complete(ctx, src): return bytes([4, ctx, src])
def line(src, high): return bytes([23 if high else 5, 0, src + 4])


def plic_programs():
    uart, disk = 10, 1
    one_hart = [prio(uart, 1), prio(disk, 1), enable(1, 1 << uart | 1 << disk),
                threshold(1, 0), line(uart, True), claim(1), line(uart, False),
                complete(1, uart), claim(1)]
    two_harts = [prio(uart, 2), prio(disk, 5), enable(1, 1 << uart), enable(3, 1 << disk),
                 threshold(1, 1), threshold(3, 0), line(uart, True), line(disk, True),
                 claim(3), claim(1), complete(3, disk), claim(3), line(disk, False),
                 complete(1, uart), complete(3, disk), claim(1)]
    return {
        "one-hart-uart": plic_program(2, one_hart),
        "two-harts-uart-and-disk": plic_program(4, two_harts),
        "no-contexts": plic_program(0, one_hart),
    }


def main():
    shutil.rmtree(CORPUS, ignore_errors=True)
    for name, blob in qemu_trees().items():
        write("fdt", "qemu-" + name, blob)
    for name, blob in config_trees().items():
        write("fdt", "config-" + name, blob)
        write("vmconfig", name, blob)
    for name, blob in bundles().items():
        write("bundle", name, blob)
    for name, data in images().items():
        write("loader", name, data)
    for mnemonic, insn in instructions().items():
        value = 0xfedcba9880706050
        write("decode", mnemonic.replace(".", "_"), struct.pack("<QQ", insn, value))
    for name, data in chains().items():
        write("vchain", name, data)
    for name, data in plic_programs().items():
        write("vplic", name, data)
    for name in sorted(os.listdir(CORPUS)):
        files = os.listdir(os.path.join(CORPUS, name))
        size = sum(os.path.getsize(os.path.join(CORPUS, name, f)) for f in files)
        print(f"{name}: {len(files)} files, {size} bytes")


if __name__ == "__main__":
    main()
