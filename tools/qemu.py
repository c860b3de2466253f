#!/usr/bin/env python3
"""tools/qemu.py: the one place that builds the QEMU command line.

`make qemu`, the tests, the graders and the benchmarks all get their QEMU
command from here, so the machine they run on is always described the same
way. The knobs (also Makefile variables, see README.md):

  CPUS       harts in all (default 4), spread over the nodes in blocks:
             with CPUS=5 NODES=2, node 0 has harts 0-2 and node 1 harts 3-4
  NODES      NUMA nodes, 1 to 4 (QEMU's riscv virt machine allows at most 4)
  MEM        memory per node, in MiB (default 256; "1G" and "512M" work too)
  NUMA_DIST  distance between two different nodes (default 20; local is 10).
             Either one number, or pairs like "0-1=20,0-3=40" (pairs not
             given stay at 20)
  IRQCHIP    the host's interrupt controllers: "plic", "aplic", or "auto"
             (the default): PLIC where QEMU 7.2 can build it, else APLIC.
             QEMU 7.2 aborts while wiring one PLIC per node when there are
             more than 2 nodes, or when the nodes have different numbers of
             harts ("Property 'riscv.sifive.plic.unnamed-gpio-out[2]' not
             found"); its AIA APLIC (-machine virt,aia=aplic) has no such
             bug, and the monitor reads either from the device tree.
  DISK       a raw disk image for the machine's virtio-blk disk (default:
             none), which the monitor drives and cuts into the VMs' disks.
             Its virtio-mmio slots are made version 2 (virtio 1.x) with
             -global virtio-mmio.force-legacy=false: QEMU 7.2's default is
             still the legacy interface, which the monitor does not drive.

The machine is described to QEMU with one memory backend per node
(-object memory-backend-ram) and -numa node,memdev=...: the older
-numa node,mem= form is deprecated. QEMU puts each node's memory after the
previous node's, from 0x80000000 up, and gives every node its own CLINT and
PLIC (see ../shared/design.md, "The machine").

Run as a program it prints the command, checks the knobs (--check), or
runs QEMU (--run: at a terminal, through tools/holdkeys.py, so that keys
typed before the firmware is ready are not lost). Imported,
qemu_command() returns the argument list.
"""

import argparse
import os
import shlex
import struct
import sys

MAX_NODES = 4        # QEMU: riscv virt has at most 4 NUMA nodes ("sockets")
MAX_CPUS = 16        # the monitor's MAX_HARTS (hyp/param.h)
MIN_MEM_MIB = 64     # node 0 holds the firmware, the monitor, the memmap


class KnobError(Exception):
    """A knob has a value we cannot build a machine from."""


def parse_mem(text):
    """'256', '256M' or '1G' -> MiB as an int."""
    t = str(text).strip().upper().removesuffix("IB").removesuffix("B")
    scale = 1
    if t.endswith("G"):
        scale, t = 1024, t[:-1]
    elif t.endswith("M"):
        t = t[:-1]
    if not t.isdigit():
        raise KnobError(f"MEM={text}: want a size per node in MiB, e.g. MEM=256 or MEM=1G")
    return int(t) * scale


def parse_dist(text, nodes):
    """NUMA_DIST -> {(a, b): distance} for every pair a < b."""
    pairs = {(a, b): 20 for a in range(nodes) for b in range(a + 1, nodes)}
    text = str(text).strip()
    if text.isdigit():
        for key in pairs:
            pairs[key] = int(text)
    else:
        for item in filter(None, text.split(",")):
            try:
                nodes_part, val = item.split("=")
                a, b = (int(x) for x in nodes_part.split("-"))
                val = int(val)
            except ValueError:
                raise KnobError(f"NUMA_DIST={text}: want a number, or pairs like 0-1=20,0-3=40")
            if a == b or not (0 <= a < nodes and 0 <= b < nodes):
                raise KnobError(f"NUMA_DIST={text}: {a}-{b} is not a pair of two of the {nodes} nodes")
            pairs[(min(a, b), max(a, b))] = val
    for (a, b), val in pairs.items():
        # numa.txt: 10 is local; a remote node must be farther than that.
        if not 10 < val <= 255:
            raise KnobError(f"NUMA_DIST: distance {val} between nodes {a} and {b} must be 11..255 (10 means local)")
    return pairs


def check_knobs(cpus, nodes, mem):
    """Raise KnobError with a clear message if the machine cannot be built."""
    if not str(nodes).isdigit() or not 1 <= int(nodes) <= MAX_NODES:
        raise KnobError(f"NODES={nodes}: QEMU's riscv virt machine has 1 to {MAX_NODES} NUMA nodes")
    if not str(cpus).isdigit() or int(cpus) < 1:
        raise KnobError(f"CPUS={cpus}: want a number of harts, at least 1")
    if int(cpus) < int(nodes):
        raise KnobError(f"CPUS={cpus} is smaller than NODES={nodes}: every NUMA node needs at least one hart")
    if int(cpus) > MAX_CPUS:
        raise KnobError(f"CPUS={cpus}: the monitor supports at most {MAX_CPUS} harts (MAX_HARTS in hyp/param.h)")
    if parse_mem(mem) < MIN_MEM_MIB:
        raise KnobError(f"MEM={mem}: want at least {MIN_MEM_MIB} MiB per node")


def pick_irqchip(irqchip, cpus, nodes):
    """IRQCHIP -> "plic" or "aplic" (see the module comment for why)."""
    if irqchip == "auto":
        even = cpus % nodes == 0
        return "plic" if nodes <= 2 and even else "aplic"
    if irqchip not in ("plic", "aplic"):
        raise KnobError(f"IRQCHIP={irqchip}: want plic, aplic or auto")
    return irqchip


def node_harts(cpus, nodes):
    """Hart ids of each node: contiguous blocks, the first nodes one larger."""
    out, next_hart = [], 0
    for n in range(nodes):
        count = cpus // nodes + (1 if n < cpus % nodes else 0)
        out.append(list(range(next_hart, next_hart + count)))
        next_hart += count
    return out


NUMA_MODEL = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "build", "tools", "numa_model.so")


def elf_image(path):
    """(start, end) of the physical addresses an ELF64 file's loadable
    segments cover (their memory sizes: bss included), or None if it is
    not one (ELF spec: the file header, then e_phnum program headers)."""
    try:
        with open(path, "rb") as f:
            data = f.read(1 << 16)
        if data[:5] != b"\x7fELF\x02":
            return None
        phoff, = struct.unpack_from("<Q", data, 32)
        phentsize, phnum = struct.unpack_from("<HH", data, 54)
        spans = []
        for i in range(phnum):
            p_type, = struct.unpack_from("<I", data, phoff + i * phentsize)
            paddr, _, memsz = struct.unpack_from("<QQQ", data, phoff + i * phentsize + 24)
            if p_type == 1 and memsz:           # PT_LOAD
                spans.append((paddr, paddr + memsz))
        return (min(a for a, _ in spans), max(b for _, b in spans)) if spans else None
    except (OSError, struct.error):
        return None


def numa_model_args(cpus, nodes, mem_mib, dist, model_args="", kernel=None):
    """-plugin arguments that load the NUMA cost model (tools/numa-model/)
    with this machine's layout: nodes, RAM per node, each hart's node, the
    distance matrix, and where the kernel's own image lies (its remote
    misses are counted apart); model_args ("cache-kib=1024,interval=50")
    adds to or overrides them."""
    if not os.path.exists(NUMA_MODEL):
        raise KnobError(f"NUMA_MODEL: {NUMA_MODEL} is not built (make numa-model)")
    hart_node = [n for n, harts in enumerate(node_harts(cpus, nodes)) for _ in harts]
    d = parse_dist(dist, nodes)
    matrix = [10 if a == b else d[(min(a, b), max(a, b))]
              for a in range(nodes) for b in range(nodes)]
    args = [NUMA_MODEL, f"nodes={nodes}", "ram-base=0x80000000",
            f"node-mem={mem_mib * 1024 * 1024}",
            "hart-nodes=" + ".".join(map(str, hart_node)),
            "dist=" + ".".join(map(str, matrix))]
    image = elf_image(kernel) if kernel else None
    if image:
        args.append(f"image={image[0]:#x}-{image[1]:#x}")
    args += [a for a in model_args.split(",") if a]
    return ["-plugin", ",".join(args), "-d", "plugin"]


def qemu_command(cpus=4, nodes=2, mem=256, dist=20, kernel=None,
                 gdb_port=None, dumpdtb=None, cpu="rv64", extra=(),
                 irqchip="auto", disk=None, numa_model=None):
    """The QEMU argument list for this machine (raises KnobError).
    numa_model: None, or the NUMA cost model's extra arguments ("" for its
    defaults): load it, and describe RAM with the -numa node,mem= form, the
    only one under which QEMU 7.2 gives a plugin real physical addresses."""
    check_knobs(cpus, nodes, mem)
    cpus, nodes, mem_mib = int(cpus), int(nodes), parse_mem(mem)
    machine = "virt"
    if pick_irqchip(irqchip, cpus, nodes) == "aplic":
        machine += ",aia=aplic"
    if dumpdtb is not None:
        machine += f",dumpdtb={dumpdtb}"
    cmd = ["qemu-system-riscv64", "-machine", machine, "-cpu", cpu,
           "-bios", "default", "-nographic", "-no-reboot",
           "-smp", str(cpus), "-m", f"{mem_mib * nodes}M"]
    for n, harts in enumerate(node_harts(cpus, nodes)):
        first, last = harts[0], harts[-1]
        span = f"{first}-{last}" if last != first else str(first)
        if numa_model is None:
            cmd += ["-object", f"memory-backend-ram,id=mem{n},size={mem_mib}M",
                    "-numa", f"node,memdev=mem{n},cpus={span},nodeid={n}"]
        else:   # deprecated, and QEMU 7.2 warns, but see above
            cmd += ["-numa", f"node,mem={mem_mib}M,cpus={span},nodeid={n}"]
    for (a, b), val in sorted(parse_dist(dist, nodes).items()):
        cmd += ["-numa", f"dist,src={a},dst={b},val={val}"]
    if kernel is not None:
        cmd += ["-kernel", kernel]
    if gdb_port is not None:
        cmd += ["-S", "-gdb", f"tcp::{gdb_port}"]
    if disk:
        cmd += ["-global", "virtio-mmio.force-legacy=false",
                "-drive", f"file={disk},if=none,format=raw,id=hd0",
                "-device", "virtio-blk-device,drive=hd0"]
    if numa_model is not None:
        cmd += numa_model_args(cpus, nodes, mem_mib, dist, numa_model, kernel)
    cmd += list(extra)
    return cmd


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cpus", default="4")
    p.add_argument("--nodes", default="2")
    p.add_argument("--mem", default="256")
    p.add_argument("--dist", default="20")
    p.add_argument("--kernel")
    p.add_argument("--gdb-port")
    p.add_argument("--dumpdtb")
    p.add_argument("--cpu-model", default="rv64")
    p.add_argument("--irqchip", default="auto")
    # `make qemu DISK=disk.img`: make hands its command-line variables to
    # the commands it runs, so DISK reaches us through the environment.
    p.add_argument("--disk", default=os.environ.get("DISK") or None,
                   help="a raw disk image for the virtio-blk disk")
    # `make qemu NUMA_MODEL=1` (or NUMA_MODEL="cache-kib=1024,interval=50"):
    # run under the NUMA cost model (tools/numa-model/).
    p.add_argument("--numa-model", default=None,
                   help="load the NUMA cost model, with these extra arguments")
    p.add_argument("--check", action="store_true",
                   help="only check the knobs; print the error, if any")
    p.add_argument("--run", action="store_true", help="run QEMU")
    p.add_argument("extra", nargs="*", help="more QEMU arguments")
    a = p.parse_args()
    try:
        cmd = qemu_command(a.cpus, a.nodes, a.mem, a.dist, a.kernel,
                           a.gdb_port, a.dumpdtb, a.cpu_model, a.extra,
                           a.irqchip, a.disk, a.numa_model)
    except KnobError as e:
        print(f"error: {e}", file=sys.stderr if not a.check else sys.stdout)
        sys.exit(2)
    if a.check:
        return
    if a.run:
        print("$ " + shlex.join(cmd), flush=True)
        if os.isatty(0):
            # At a terminal: keep the keys typed before the firmware is
            # ready (tools/holdkeys.py).
            import holdkeys
            sys.exit(holdkeys.run_holding_keys(cmd))
        os.execvp(cmd[0], cmd)
    try:
        print(shlex.join(cmd))
    except BrokenPipeError:     # e.g. piped into head
        pass


if __name__ == "__main__":
    main()
