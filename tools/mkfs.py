#!/usr/bin/env python3
"""tools/mkfs.py: build, check and read guest-os disk images.

  python3 tools/mkfs.py -o build/guest-os/fs.img --size-mib 16 \\
      /bin/init=build/guest-os/user/init.strip /README=guest-os/disk/README
  python3 tools/mkfs.py --check build/guest-os/fs.img
  python3 tools/mkfs.py --ls build/guest-os/fs.img

Building: each PATH=HOSTFILE argument puts a copy of HOSTFILE at PATH in
the image (directories on the way are made). The image is a raw disk of
--size-mib MiB holding a guest-os file system that fills it.

Checking (--check, a host "fsck"): is the image one the kernel would mount
and is everything on it consistent? The superblock's layout; an empty log
(a committed, not yet installed transaction is reported); every directory
with "." and ".." right and every entry naming a used inode; every used
inode reachable, with nlink equal to the entries that name it; every
block of every file inside the data area, used by one file only, and the
bitmap marking exactly the blocks in use. Prints a summary (blocks and
inodes free) and exits 1 if anything is wrong. The system tests run it
after each boot that writes to a disk.

The format is guest-os/fs_format.h, the one description shared with the
kernel: the FS_* numbers are read from it at run time (so the two cannot
disagree on them), and the structures below are packed as it draws them,
little-endian:
  superblock  9 x u32 at block 0: magic version nblocks ninodes log_start
              log_slots inode_start bitmap_start data_start
  log header  u32 count, u32 seq, u32 home[FS_LOG_SLOTS]
  inode       u16 type, u16 nlink, u32 size, u32 direct[12], u32 indirect,
              u32 spare: 64 bytes
  dirent      u32 inum, 28-byte NUL-padded name: 32 bytes
"""

import argparse
import os
import re
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FORMAT_H = os.path.join(ROOT, "guest-os", "fs_format.h")


def read_format(path=FORMAT_H):
    """The FS_* numbers of fs_format.h whose values are plain literals."""
    found = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"#define\s+(FS_\w+)\s+(0x[0-9a-fA-F]+|\d+)\b", line)
            if m:
                found[m.group(1)] = int(m.group(2), 0)
    return found


F = read_format()
BLOCK = F["FS_BLOCK"]
NDIRECT = F["FS_NDIRECT"]
NINDIRECT = F["FS_NINDIRECT"]
MAX_BLOCKS = NDIRECT + NINDIRECT
INODE_SIZE = F["FS_INODE_SIZE"]
INODES_PER_BLOCK = BLOCK // INODE_SIZE
DIRENT_SIZE = F["FS_DIRENT_SIZE"]
NAME_MAX = F["FS_NAME_MAX"]
BITS_PER_BLOCK = BLOCK * 8
T_FREE, T_FILE, T_DIR = F["FS_T_FREE"], F["FS_T_FILE"], F["FS_T_DIR"]
ROOT_INUM = F["FS_ROOT_INUM"]

SUPER = struct.Struct("<9I")
INODE = struct.Struct(f"<HHI{NDIRECT}III")
DIRENT = struct.Struct(f"<I{NAME_MAX}s")
assert INODE.size == INODE_SIZE and DIRENT.size == DIRENT_SIZE


def blocks_for(n, per_block):
    return (n + per_block - 1) // per_block


class Layout:
    """Where each part of a file system of nblocks blocks starts, as
    fs_format.h draws it (the kernel's fs.c checks the same sums)."""

    def __init__(self, nblocks, ninodes, log_slots):
        self.nblocks, self.ninodes, self.log_slots = nblocks, ninodes, log_slots
        self.log_start = 1
        self.inode_start = self.log_start + 1 + log_slots
        self.bitmap_start = self.inode_start + blocks_for(ninodes, INODES_PER_BLOCK)
        self.bitmap_blocks = blocks_for(nblocks, BITS_PER_BLOCK)
        self.data_start = self.bitmap_start + self.bitmap_blocks

    def fields(self):
        """The superblock's nine numbers, in order."""
        return (F["FS_MAGIC"], F["FS_VERSION"], self.nblocks, self.ninodes,
                self.log_start, self.log_slots, self.inode_start,
                self.bitmap_start, self.data_start)


# ---- Building ----

class Node:
    """A file (data: bytes) or a directory (children: name -> Node)."""

    def __init__(self, data=None):
        self.data = data
        self.children = None if data is not None else {}
        self.inum = 0


def add_path(root, path, data):
    """Put a file with `data` at `path` under root, making directories."""
    names = [n for n in path.split("/") if n]
    if not names:
        raise ValueError(f"{path!r} names no file")
    d = root
    for name in names:
        if len(name.encode()) > NAME_MAX or name in (".", ".."):
            raise ValueError(f"{path!r}: bad name {name!r} (at most {NAME_MAX} bytes)")
    for name in names[:-1]:
        d = d.children.setdefault(name, Node())
        if d.children is None:
            raise ValueError(f"{path!r}: {name!r} is a file")
    if names[-1] in d.children:
        raise ValueError(f"{path!r} is given twice")
    d.children[names[-1]] = Node(data)


class Builder:
    """Writes a file system into a bytearray, allocating blocks in order."""

    def __init__(self, layout):
        self.lay = layout
        self.img = bytearray(layout.nblocks * BLOCK)
        self.next_block = layout.data_start
        self.next_inum = ROOT_INUM

    def alloc(self):
        if self.next_block >= self.lay.nblocks:
            raise ValueError("the image is full: make it bigger (--size-mib)")
        self.next_block += 1
        return self.next_block - 1

    def write_inode(self, inum, itype, nlink, data):
        """Store `data` in fresh blocks and inode inum to describe them."""
        nb = blocks_for(len(data), BLOCK)
        if nb > MAX_BLOCKS:
            raise ValueError(f"a file of {len(data)} bytes is too big")
        blocks = []
        for i in range(nb):
            b = self.alloc()
            chunk = data[i * BLOCK:(i + 1) * BLOCK]
            self.img[b * BLOCK:b * BLOCK + len(chunk)] = chunk
            blocks.append(b)
        direct = blocks[:NDIRECT] + [0] * (NDIRECT - min(nb, NDIRECT))
        indirect = 0
        if nb > NDIRECT:
            indirect = self.alloc()
            rest = blocks[NDIRECT:]
            self.img[indirect * BLOCK:indirect * BLOCK + 4 * len(rest)] = \
                struct.pack(f"<{len(rest)}I", *rest)
        where = self.lay.inode_start * BLOCK + inum * INODE_SIZE
        self.img[where:where + INODE_SIZE] = INODE.pack(
            itype, nlink, len(data), *direct, indirect, 0)

    def number(self, node):
        """Give node and everything under it inode numbers, depth first."""
        node.inum = self.next_inum
        self.next_inum += 1
        if self.next_inum > self.lay.ninodes:
            raise ValueError("too many files for the inode table (--inodes)")
        for child in (node.children or {}).values():
            self.number(child)

    def write(self, node, parent):
        """Write node (and what is under it) whose parent is `parent`."""
        if node.children is None:
            self.write_inode(node.inum, T_FILE, 1, node.data)
            return
        entries = [(".", node.inum), ("..", parent.inum)]
        entries += [(name, c.inum) for name, c in sorted(node.children.items())]
        data = b"".join(DIRENT.pack(inum, name.encode()) for name, inum in entries)
        subdirs = sum(1 for c in node.children.values() if c.children is not None)
        self.write_inode(node.inum, T_DIR, 2 + subdirs, data)
        for child in node.children.values():
            self.write(child, node)

    def finish(self):
        """The superblock, and the bitmap: every block up to the last one
        allocated is in use. Returns the image."""
        self.img[0:SUPER.size] = SUPER.pack(*self.lay.fields())
        used = self.next_block
        base = self.lay.bitmap_start * BLOCK
        for b in range(used):
            self.img[base + b // 8] |= 1 << (b % 8)
        return self.img


def build(out, size_mib, ninodes, files):
    """Write an image of size_mib MiB with `files` ({path: bytes})."""
    nblocks = size_mib * 1024 * 1024 // BLOCK
    lay = Layout(nblocks, ninodes, F["FS_LOG_SLOTS"])
    if lay.bitmap_blocks > F["FS_MAX_BITMAP_BLOCKS"]:
        raise ValueError(f"{size_mib} MiB is more than the kernel takes "
                         f"({F['FS_MAX_BITMAP_BLOCKS']} bitmap blocks)")
    if lay.data_start >= nblocks:
        raise ValueError(f"{size_mib} MiB leaves no room for data")
    root = Node()
    for path, data in files.items():
        add_path(root, path, data)
    b = Builder(lay)
    b.number(root)
    b.write(root, root)
    with open(out, "wb") as f:
        f.write(b.finish())
    return b.next_block - lay.data_start


# ---- Reading and checking ----

class Image:
    """A disk image, read-only: its superblock, inodes, files."""

    def __init__(self, path):
        with open(path, "rb") as f:
            self.img = f.read()
        (self.magic, self.version, self.nblocks, self.ninodes, self.log_start,
         self.log_slots, self.inode_start, self.bitmap_start,
         self.data_start) = SUPER.unpack_from(self.img, 0)

    def block(self, b):
        return self.img[b * BLOCK:(b + 1) * BLOCK]

    def log_header(self):
        """(count, seq): the log header's first two fields."""
        return struct.unpack_from("<II", self.img, self.log_start * BLOCK)

    def inode(self, inum):
        """Inode inum as a dict: type, nlink, size, direct, indirect."""
        f = INODE.unpack_from(self.img, self.inode_start * BLOCK + inum * INODE_SIZE)
        return {"type": f[0], "nlink": f[1], "size": f[2],
                "direct": list(f[3:3 + NDIRECT]), "indirect": f[3 + NDIRECT]}

    def blocks(self, ino):
        """Every block number the inode holds, in file order (0 = none),
        and its indirect block (0 if none)."""
        out = list(ino["direct"])
        ind = ino["indirect"]
        if 0 < ind < self.nblocks:
            out += list(struct.unpack_from(f"<{NINDIRECT}I", self.img, ind * BLOCK))
        return out, ind

    def read(self, inum):
        """The contents of inode inum."""
        ino = self.inode(inum)
        blocks, _ = self.blocks(ino)
        data = b"".join(self.block(b) for b in blocks[:blocks_for(ino["size"], BLOCK)])
        return data[:ino["size"]]

    def entries(self, inum):
        """A directory's used entries as (name, inum), in order."""
        data = self.read(inum)
        out = []
        for off in range(0, len(data) - DIRENT_SIZE + 1, DIRENT_SIZE):
            e_inum, raw = DIRENT.unpack_from(data, off)
            if e_inum != 0:
                out.append((raw.split(b"\0")[0].decode(errors="replace"), e_inum))
        return out

    def lookup(self, path):
        """The inode number `path` names, or None."""
        inum = ROOT_INUM
        for name in [n for n in path.split("/") if n]:
            if self.inode(inum)["type"] != T_DIR:
                return None
            inum = dict(self.entries(inum)).get(name)
            if inum is None:
                return None
        return inum

    def used_bit(self, b):
        byte = self.img[self.bitmap_start * BLOCK + b // 8]
        return byte >> (b % 8) & 1

    def check(self):
        """(problems, summary): a list of what is wrong (empty if all is
        well) and a dict of counts."""
        bad = []
        lay = Layout(self.nblocks, self.ninodes, self.log_slots)
        if self.magic != F["FS_MAGIC"] or self.version != F["FS_VERSION"]:
            return [f"not a guest-os file system (magic {self.magic:#x})"], {}
        if lay.fields() != SUPER.unpack_from(self.img, 0) or \
           len(self.img) < self.nblocks * BLOCK:
            return ["the superblock's layout does not add up"], {}
        count, seq = self.log_header()
        if count != 0:
            bad.append(f"the log holds committed transaction {seq} "
                       f"({count} blocks), not installed")

        # Blocks: each used by one owner only, inside the data area.
        owner = {}

        def claim(b, who):
            if not self.data_start <= b < self.nblocks:
                bad.append(f"{who}: block {b} is outside the data area")
            elif b in owner:
                bad.append(f"{who}: block {b} is {owner[b]}'s too")
            else:
                owner[b] = who

        used = {}
        for inum in range(1, self.ninodes):
            ino = self.inode(inum)
            if ino["type"] == T_FREE:
                continue
            who = f"inode {inum}"
            if ino["type"] not in (T_FILE, T_DIR):
                bad.append(f"{who}: unknown type {ino['type']}")
                continue
            used[inum] = ino
            need = blocks_for(ino["size"], BLOCK)
            if need > MAX_BLOCKS:
                bad.append(f"{who}: size {ino['size']} is beyond the largest file")
                continue
            blocks, ind = self.blocks(ino)
            if ind:
                claim(ind, who)
            for i, b in enumerate(blocks):
                if b:
                    claim(b, who)
                elif i < need:
                    bad.append(f"{who}: no block {i} below its size {ino['size']}")

        # The tree: walk it from the root, counting names per inode.
        names = {inum: 0 for inum in used}
        if used.get(ROOT_INUM, {}).get("type") != T_DIR:
            bad.append("the root is not a directory")
        else:
            todo, seen = [(ROOT_INUM, ROOT_INUM, "/")], {ROOT_INUM}
            while todo:
                d, parent, path = todo.pop()
                ents = self.entries(d)
                if self.inode(d)["size"] % DIRENT_SIZE:
                    bad.append(f"{path}: size not a multiple of {DIRENT_SIZE}")
                if ents[:2] != [(".", d), ("..", parent)]:
                    bad.append(f"{path}: does not start with . and .. "
                               f"(inodes {d} and {parent})")
                for name, inum in ents:
                    if inum not in used:
                        bad.append(f"{path}: entry {name!r} names free inode {inum}")
                        continue
                    names[inum] += 1
                    if name in (".", "..") or used[inum]["type"] != T_DIR:
                        continue
                    if inum in seen:
                        bad.append(f"{path}{name}: a second name for directory {inum}")
                        continue
                    seen.add(inum)
                    todo.append((inum, d, f"{path}{name}/"))
        for inum, ino in used.items():
            if names[inum] == 0:
                bad.append(f"inode {inum} is used but no directory names it")
            elif names[inum] != ino["nlink"]:
                bad.append(f"inode {inum}: nlink {ino['nlink']}, but "
                           f"{names[inum]} entries name it")

        # The bitmap: exactly the metadata blocks and the owned ones.
        for b in range(self.nblocks):
            want = 1 if b < self.data_start or b in owner else 0
            if self.used_bit(b) != want:
                bad.append(f"block {b} is marked free but is in use" if want else
                           f"block {b} is marked used but no file owns it")
        files = sum(1 for i in used.values() if i["type"] == T_FILE)
        summary = {"files": files, "dirs": len(used) - files,
                   "blocks_used": self.data_start + len(owner),
                   "blocks_free": self.nblocks - self.data_start - len(owner),
                   "inodes_free": self.ninodes - 1 - len(used)}
        return bad, summary

    def walk(self, inum=ROOT_INUM, path="/"):
        """(path, inode) for everything in the tree, depth first."""
        yield path, self.inode(inum)
        for name, child in self.entries(inum):
            if name in (".", ".."):
                continue
            if self.inode(child)["type"] == T_DIR:
                yield from self.walk(child, f"{path}{name}/")
            else:
                yield f"{path}{name}", self.inode(child)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("-o", "--output", help="the image to write")
    p.add_argument("--size-mib", type=int, default=16)
    p.add_argument("--inodes", type=int, default=512)
    p.add_argument("--check", metavar="IMAGE", help="check an image")
    p.add_argument("--ls", metavar="IMAGE", help="list an image's files")
    p.add_argument("files", nargs="*", metavar="PATH=HOSTFILE")
    a = p.parse_args()
    if a.check:
        bad, s = Image(a.check).check()
        for line in bad[:50]:
            print(f"mkfs: {a.check}: {line}")
        if bad:
            sys.exit(f"mkfs: {a.check}: {len(bad)} problems")
        print(f"mkfs: {a.check}: ok: {s['files']} files, {s['dirs']} directories, "
              f"{s['blocks_free']} blocks free, {s['inodes_free']} inodes free")
        return
    if a.ls:
        img = Image(a.ls)
        for path, ino in img.walk():
            kind = "dir " if ino["type"] == T_DIR else "file"
            print(f"{kind} {ino['size']:8d} {ino['nlink']:3d}  {path}")
        return
    if not a.output:
        p.error("give -o IMAGE to build, or --check/--ls IMAGE")
    files = {}
    for spec in a.files:
        path, sep, host = spec.partition("=")
        if not sep:
            p.error(f"{spec!r}: want PATH=HOSTFILE")
        with open(host, "rb") as f:
            files[path] = f.read()
    try:
        used = build(a.output, a.size_mib, a.inodes, files)
    except ValueError as e:
        sys.exit(f"mkfs: {e}")
    print(f"mkfs: {a.output}: {a.size_mib} MiB, {len(files)} files, "
          f"{used} data blocks used")


if __name__ == "__main__":
    main()
