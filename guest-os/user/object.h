// guest-os/user/object.h: the object and executable formats of the
// pmake workload, written by cc (guest-os/user/cc.c) and read by ld
// (guest-os/user/ld.c), whose output pmake checksums.
//
// An object file:
//
//   | objhdr | objsym[nsyms] | uint64 code[ncode] |
//
// A code word is an opcode in bits 63..56 and an operand below it: for
// OP_PUSHI a constant (32 bits), for OP_LOAD and OP_STORE a variable's
// slot in this file, for OP_CALL an index into this file's objsym[].
// ld gives each file's variables a place in one data area and each
// function an address in one code area, and rewrites the operands of
// OP_LOAD, OP_STORE and OP_CALL to those; its output:
//
//   | exehdr | uint64 code[ncode] |
#ifndef GUEST_OS_USER_OBJECT_H
#define GUEST_OS_USER_OBJECT_H

#include <stdint.h>

#define OBJ_MAGIC 0x4a424f47          // "GOBJ"
#define EXE_MAGIC 0x45584547          // "GEXE"
#define NAME_LEN  24                  // a function's name, with its NUL

struct objhdr {
  uint32_t magic;                     // OBJ_MAGIC
  uint32_t nsyms;                     // entries of objsym[]
  uint32_t ncode;                     // code words
  uint32_t nvars;                     // variable slots this file needs
};

struct objsym {
  char name[NAME_LEN];                // NUL-terminated
  uint32_t defined;                   // 1: a function of this file
  uint32_t value;                     // its first code word, if defined
};

struct exehdr {
  uint32_t magic;                     // EXE_MAGIC
  uint32_t ncode;                     // code words, all files together
  uint32_t ndata;                     // variable slots, all files together
  uint32_t nfuncs;                    // functions defined
};

enum { OP_ENTER = 1, OP_RET, OP_PUSHI, OP_LOAD, OP_STORE, OP_POP, OP_CALL,
       OP_ADD, OP_SUB, OP_MUL, OP_AND, OP_OR, OP_XOR };

#define WORD(op, arg) (((uint64_t)(op) << 56) | (uint32_t)(arg))
#define OPCODE(w)     ((int)((w) >> 56))
#define ARG(w)        ((uint32_t)(w))

#endif
