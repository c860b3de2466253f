#!/usr/bin/env python3
"""tools/mkbundle.py: pack a VM configuration and its guest images into
one VM bundle, the file QEMU hands the monitor with -initrd.

  python3 tools/mkbundle.py --config hyp/vms/default.dts \\
      --search build/tests/guests:build/splashos -o build/bundle/default.bundle

or, for a bundle of one VM without writing a configuration:

  python3 tools/mkbundle.py --image radix.elf --vcpus 4 --memory-mib 64 \
      --bootargs "threads=4" --search build/splashos -o build/bundle/radix.bundle

and, for the machine's disk (`make qemu` does both):

  python3 tools/mkbundle.py --config hyp/vms/default.dts \
      --search build/guest-os --disk-out build/bundle/default.disk

The configuration (device-tree source, see hyp/vm/vmconfig.h) is compiled with
dtc; every `image` and `initrd` it names is looked up in the --search
folders and packed. An image that cannot be found is left out with a warning: the
monitor then reports that VM as not started, and starts the others.

The machine's disk (--disk-out): the VMs' disk regions one after the
other in the configuration's order (each `disk-mib` MiB; the monitor
places them the same way, hyp/vm/vmconfig.h), each starting with a copy of
the file its `disk-image` names (found in the --search folders) and
zeros after it. A copy-on-write disk (`disk-mode = "cow"`, lab 3) is an
overlay region of zeros, and the first cow VM of a disk-image puts the
image's one base region before its overlay. Without any disk-mib in the
configuration nothing is written and the file is removed, so a stale disk
is never used.

Bundle layout (little-endian; hyp/vm/bundle.h reads it):
  0    magic "DISCOVB1"
  8    u32 entry count, u32 0
  16   entries: name (48 bytes, NUL-padded), u64 offset, u64 size
  ...  the files, each 4 KiB-aligned; "config.dtb" first
"""

import argparse
import os
import struct
import subprocess
import sys

MAGIC = b"DISCOVB1"
NAME_SIZE = 48
ALIGN = 4096


def vm_nodes(blob):
    """The nodes of a device-tree blob whose compatible is "disco-v,vm",
    in order, as dicts of property name -> raw bytes (Devicetree spec,
    chapter 5: the structure block's tokens)."""
    magic, total, off_struct, off_strings = struct.unpack(">IIII", blob[:16])
    if magic != 0xD00DFEED:
        raise ValueError("not a device tree blob")
    size_strings, size_struct = struct.unpack(">II", blob[32:40])
    strings = blob[off_strings:off_strings + size_strings]
    pos, end = off_struct, off_struct + size_struct
    stack, found = [], []
    while pos < end:
        token = struct.unpack(">I", blob[pos:pos + 4])[0]
        pos += 4
        if token == 1:                               # FDT_BEGIN_NODE
            name_end = blob.index(b"\0", pos)
            stack.append({})
            pos = (name_end + 4) & ~3
        elif token == 2:                             # FDT_END_NODE
            props = stack.pop()
            if props.get("compatible", b"").split(b"\0")[0] == b"disco-v,vm":
                found.append(props)
        elif token == 3:                             # FDT_PROP
            length, nameoff = struct.unpack(">II", blob[pos:pos + 8])
            name = strings[nameoff:strings.index(b"\0", nameoff)].decode()
            stack[-1][name] = blob[pos + 8:pos + 8 + length]
            pos = (pos + 8 + length + 3) & ~3
        elif token == 4:                             # FDT_NOP
            continue
        elif token == 9:                             # FDT_END
            break
        else:
            raise ValueError(f"bad token {token} in the device tree")
    return found


def string_props(blob, prop):
    """The string values of property `prop` of the VM nodes that have it."""
    return [vm[prop].rstrip(b"\0").decode() for vm in vm_nodes(blob)
            if prop in vm]


def find(name, search):
    """The path of file `name` in the ':'-separated folders, or None."""
    for folder in filter(None, search.split(":")):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    return None


def write_disk(blob, search, out):
    """Lay out the machine's disk for the configuration (see the top)."""
    regions = []                      # (disk-image or None, bytes)
    bases = set()                     # cow disk-images with a base region
    for vm in vm_nodes(blob):
        if "disk-mib" in vm:
            mib = struct.unpack(">I", vm["disk-mib"][:4])[0]
            image = vm.get("disk-image", b"").rstrip(b"\0").decode() or None
            mode = vm.get("disk-mode", b"").rstrip(b"\0").decode()
            if mode == "cow" and image is not None:
                # Laid out as hyp/vm/vmconfig.c's read_disk does: the base
                # before the first cow VM's overlay, then each overlay.
                if image not in bases:
                    bases.add(image)
                    regions.append((image, mib * 1024 * 1024))
                image = None
            regions.append((image, mib * 1024 * 1024))
    if not regions:
        if os.path.exists(out):
            os.remove(out)
        return
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "wb") as f:
        offset = 0
        for image, size in regions:
            if image is not None:
                path = find(image, search)
                if path is None:
                    sys.exit(f"mkbundle: disk-image '{image}' not found in {search}")
                if os.path.getsize(path) > size:
                    sys.exit(f"mkbundle: disk-image '{image}' is bigger than "
                             f"its region ({size // (1024 * 1024)} MiB)")
                f.seek(offset)
                with open(path, "rb") as src:
                    f.write(src.read())
            offset += size
        f.truncate(offset)


def one_vm_config(a):
    """Device-tree source for a configuration of one VM (hyp/vm/vmconfig.h)."""
    if '"' in a.bootargs or '"' in a.image:
        sys.exit("mkbundle: quotes are not allowed in --image or --bootargs")
    return (f'/dts-v1/;\n/ {{\n  {a.name} {{\n'
            f'    compatible = "disco-v,vm";\n'
            f'    vcpus = <{a.vcpus}>;\n'
            f'    memory-mib = <{a.memory_mib}>;\n'
            f'    image = "{a.image}";\n'
            f'    bootargs = "{a.bootargs}";\n  }};\n}};\n')


def main():
    p = argparse.ArgumentParser(description="Pack a Disco-V VM bundle.")
    p.add_argument("--config", help="VM configuration (.dts)")
    p.add_argument("--image", help="instead of --config: one VM running this image")
    p.add_argument("--name", default="vm0", help="that VM's name")
    p.add_argument("--vcpus", type=int, default=1)
    p.add_argument("--memory-mib", type=int, default=64)
    p.add_argument("--bootargs", default="")
    p.add_argument("--search", default="", help="folders to find images in, ':'-separated")
    p.add_argument("-o", dest="out", help="the bundle to write")
    p.add_argument("--disk-out", help="the machine's disk to write")
    a = p.parse_args()

    if a.out is None and a.disk_out is None:
        sys.exit("mkbundle: give -o BUNDLE, --disk-out DISK, or both")
    if (a.config is None) == (a.image is None):
        sys.exit("mkbundle: give either --config or --image")
    if a.config is not None:
        source = a.config
        with open(source, "rb") as f:
            dts = f.read()
    else:
        source = "(one VM from --image)"
        dts = one_vm_config(a).encode()
    dtc = subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-"],
                         input=dts, capture_output=True)
    if dtc.returncode != 0:
        sys.exit(f"mkbundle: dtc cannot compile {source}:\n"
                 + dtc.stderr.decode(errors="replace"))
    if a.disk_out is not None:
        write_disk(dtc.stdout, a.search, a.disk_out)
    if a.out is None:
        return
    files = [("config.dtb", dtc.stdout)]
    names = string_props(dtc.stdout, "image") + string_props(dtc.stdout, "initrd")
    for image in dict.fromkeys(names):
        path = find(image, a.search)
        if path is not None:
            with open(path, "rb") as f:
                files.append((image, f.read()))
        else:
            print(f"mkbundle: warning: image '{image}' not found in {a.search}; "
                  "the monitor will not start the VMs that use it",
                  file=sys.stderr)

    header = bytearray(MAGIC + struct.pack("<II", len(files), 0))
    offset = (16 + 64 * len(files) + ALIGN - 1) // ALIGN * ALIGN
    body = bytearray()
    for name, data in files:
        if len(name.encode()) >= NAME_SIZE:
            sys.exit(f"mkbundle: file name '{name}' is too long (max {NAME_SIZE - 1})")
        header += name.encode().ljust(NAME_SIZE, b"\0")
        header += struct.pack("<QQ", offset + len(body), len(data))
        body += data
        body += b"\0" * (-len(body) % ALIGN)
    header += b"\0" * (offset - len(header))
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "wb") as f:
        f.write(header + body)


if __name__ == "__main__":
    main()
