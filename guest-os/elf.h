// guest-os/elf.h: the parts of the ELF-64 format that exec reads.
//
// An executable starts with a file header, which says where the program
// headers are; each program header of type LOAD names a segment: bytes
// [offset, offset + filesz) of the file go to virtual address vaddr,
// followed by memsz - filesz zero bytes (the .bss), with the permissions
// in flags. Nothing else matters for loading. The format is the System V
// ABI's "ELF-64 Object File Format" (version 1.5), with the RISC-V psABI
// for the machine number.
//
//   file offset 0   +-------------------+
//                   | file header (64)  |  magic, class, machine, entry,
//                   +-------------------+  phoff, phentsize, phnum
//   phoff           | program header 0  |  type, flags, offset, vaddr,
//                   | program header 1  |  filesz, memsz  (56 bytes each)
//                   | ...               |
//                   +-------------------+
//                   | segments' bytes   |
#ifndef GUEST_OS_ELF_H
#define GUEST_OS_ELF_H

#include "kernel/types.h"

#define ELF_MAGIC     0x464c457fU   // "\x7fELF", read as a little-endian u32
#define ELF_CLASS_64  2
#define ELF_DATA_LSB  1             // little-endian
#define ELF_TYPE_EXEC 2             // an executable, not a .o or a .so
#define ELF_MACHINE_RISCV 243

struct elf_header {
  uint32_t magic;
  uint8_t class, data, version, osabi;
  uint8_t pad[8];
  uint16_t type;
  uint16_t machine;
  uint32_t version2;
  uint64_t entry;           // where the program starts
  uint64_t phoff;           // file offset of the program headers
  uint64_t shoff;
  uint32_t flags;
  uint16_t ehsize;
  uint16_t phentsize;       // size of one program header
  uint16_t phnum;           // how many
  uint16_t shentsize, shnum, shstrndx;
};

#define SEG_LOAD 1          // program header type: a loadable segment
#define SEG_X 1             // flags: executable, writable, readable
#define SEG_W 2
#define SEG_R 4

struct elf_segment {
  uint32_t type;
  uint32_t flags;
  uint64_t offset;          // in the file
  uint64_t vaddr;           // in memory
  uint64_t paddr;
  uint64_t filesz;          // bytes from the file
  uint64_t memsz;           // bytes in memory (the rest zero)
  uint64_t align;
};

_Static_assert(sizeof(struct elf_header) == 64, "ELF-64 file header");
_Static_assert(sizeof(struct elf_segment) == 56, "ELF-64 program header");

#endif
