// tools/numa-model/plugin_api.h: the part of QEMU's TCG plugin interface
// that the NUMA cost model uses, declared by hand.
//
// Debian ships QEMU without its qemu-plugin.h, so we declare what we call
// ourselves, from QEMU's documentation of the plugin API (docs/devel/
// tcg-plugins, "API"). QEMU 7.2 speaks version 1 of the API: a plugin
// exports qemu_plugin_version and qemu_plugin_install, and QEMU refuses a
// plugin whose version it does not support. Every function below exists,
// with these arguments, from version 1 on, so the model also loads on
// newer QEMUs.
#ifndef NUMA_MODEL_PLUGIN_API_H
#define NUMA_MODEL_PLUGIN_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PLUGIN_EXPORT __attribute__((visibility("default")))

typedef uint64_t qemu_plugin_id_t;       // names this plugin to QEMU
typedef uint32_t qemu_plugin_meminfo_t;  // one memory access, opaque

struct qemu_plugin_tb;                   // a translated block, opaque
struct qemu_plugin_insn;                 // one of its instructions
struct qemu_plugin_hwaddr;               // where an access went

// What QEMU tells a plugin when it loads it.
typedef struct {
  const char *target_name;               // "riscv64"
  struct {
    int min, cur;                        // API versions QEMU supports
  } version;
  bool system_emulation;
  union {
    struct {
      int smp_vcpus, max_vcpus;
    } system;
  };
} qemu_info_t;

// Whether a callback reads the CPU's registers (ours never do).
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS };

// Which accesses a memory callback wants.
enum qemu_plugin_mem_rw {
  QEMU_PLUGIN_MEM_R = 1,
  QEMU_PLUGIN_MEM_W = 2,
  QEMU_PLUGIN_MEM_RW = 3,
};

typedef void (*qemu_plugin_tb_trans_cb)(qemu_plugin_id_t id,
                                        struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb)(unsigned int vcpu, void *udata);
typedef void (*qemu_plugin_mem_cb)(unsigned int vcpu, qemu_plugin_meminfo_t info,
                                   uint64_t vaddr, void *udata);
typedef void (*qemu_plugin_udata_cb)(qemu_plugin_id_t id, void *udata);

// Called for every block QEMU translates: the moment to attach callbacks
// to the block (run each time it executes) and to its instructions.
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
                                           qemu_plugin_tb_trans_cb cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb,
                                          qemu_plugin_vcpu_udata_cb cb,
                                          enum qemu_plugin_cb_flags flags,
                                          void *udata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb,
                                                 size_t index);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn,
                                      qemu_plugin_mem_cb cb,
                                      enum qemu_plugin_cb_flags flags,
                                      enum qemu_plugin_mem_rw rw, void *udata);

// An instruction's disassembly, in memory the caller frees (with free:
// QEMU makes it with GLib's g_strdup, which uses malloc).
char *qemu_plugin_insn_disas(const struct qemu_plugin_insn *insn);

// Inside a memory callback: the access's physical address, and whether
// it went to a device rather than RAM.
struct qemu_plugin_hwaddr *qemu_plugin_get_hwaddr(qemu_plugin_meminfo_t info,
                                                  uint64_t vaddr);
bool qemu_plugin_hwaddr_is_io(const struct qemu_plugin_hwaddr *hw);
uint64_t qemu_plugin_hwaddr_phys_addr(const struct qemu_plugin_hwaddr *hw);
bool qemu_plugin_mem_is_store(qemu_plugin_meminfo_t info);

// Called once when the machine stops; and QEMU's own output stream.
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb cb,
                                    void *udata);
void qemu_plugin_outs(const char *text);

#endif
