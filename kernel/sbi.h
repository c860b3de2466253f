// kernel/sbi.h: calls into the SBI, the firmware below us.
//
// The RISC-V Supervisor Binary Interface (SBI spec v2.0) is how S-mode
// code asks M-mode firmware (OpenSBI) for the things only M-mode can do:
// start harts, set the timer, send inter-processor interrupts, power off.
// A call is an `ecall` with
//
//    a7 = extension id (EID)    a6 = function id (FID)
//    a0..a5 = arguments
//
// and it returns two values (spec chapter 3, "Binary Encoding"):
//
//    a0 = error (0 = SBI_SUCCESS, or a negative SBI_ERR_* code)
//    a1 = value
//
// The monitor calls these on OpenSBI; later, guests call the very same
// functions, and then the monitor is the one that answers them.
//
// The numbers can be included from assembly too: the C-only part is
// fenced off with __ASSEMBLY__.
#ifndef KERNEL_SBI_H
#define KERNEL_SBI_H

#ifndef __ASSEMBLY__
#include "kernel/types.h"
#endif

// Extension ids (SBI spec: one chapter each).
#define SBI_EXT_LEGACY_SET_TIMER   0x00  // chapter 5, legacy (v0.1)
#define SBI_EXT_LEGACY_PUTCHAR     0x01
#define SBI_EXT_LEGACY_GETCHAR     0x02
#define SBI_EXT_LEGACY_SHUTDOWN    0x08
#define SBI_EXT_LEGACY_LAST        0x0F  // legacy EIDs are 0x00-0x0F
#define SBI_EXT_BASE   0x10          // chapter 4
#define SBI_EXT_TIME   0x54494d45    // "TIME", chapter 6
#define SBI_EXT_IPI    0x735049      // "sPI",  chapter 7
#define SBI_EXT_RFENCE 0x52464e43    // "RFNC", chapter 8
#define SBI_EXT_HSM    0x48534d      // "HSM",  chapter 9
#define SBI_EXT_SRST   0x53525354    // "SRST", chapter 10
#define SBI_EXT_DBCN   0x4442434e    // "DBCN", chapter 12
#define SBI_EXT_SUSP   0x53555350    // "SUSP", chapter 13

// Disco-V's own extension, not in the spec: Disco's monitor calls (Disco
// 4.3), in the range the spec keeps for experiments (0x08000000-
// 0x08FFFFFF, spec chapter 17). hyp/sbi/vsbi_disco.c answers it; guest-os
// uses it when sbi_probe finds it (guest-os/page.c, plic.c, virtio_blk.c).
#define SBI_EXT_DISCO  0x0844434d    // "DCM": Disco monitor calls
#define SBI_DISCO_PAGE_FREE 0        // (gpa) the page is free: take it back
#define SBI_DISCO_PAGE_ZERO 1        // (gpa) give the page zeroed contents
#define SBI_DISCO_IRQ_TAKE  2        // () claim, acknowledge, complete: source
#define SBI_DISCO_MMIO_STORE 3       // (gpa, value) a 4-byte device register store

// Error codes (SBI spec table 1).
#define SBI_SUCCESS                0
#define SBI_ERR_FAILED            -1
#define SBI_ERR_NOT_SUPPORTED     -2
#define SBI_ERR_INVALID_PARAM     -3
#define SBI_ERR_DENIED            -4
#define SBI_ERR_INVALID_ADDRESS   -5
#define SBI_ERR_ALREADY_AVAILABLE -6
#define SBI_ERR_ALREADY_STARTED   -7
#define SBI_ERR_ALREADY_STOPPED   -8
#define SBI_ERR_NO_SHMEM          -9

// Hart states reported by HSM hart_get_status (SBI spec 9, the table "HSM
// Hart States").
#define SBI_HSM_STARTED         0
#define SBI_HSM_STOPPED         1
#define SBI_HSM_START_PENDING   2
#define SBI_HSM_STOP_PENDING    3
#define SBI_HSM_SUSPENDED       4
#define SBI_HSM_SUSPEND_PENDING 5
#define SBI_HSM_RESUME_PENDING  6

// Function ids (FIDs), per extension, in the spec's order.
#define SBI_BASE_GET_SPEC_VERSION   0    // chapter 4
#define SBI_BASE_GET_IMPL_ID        1
#define SBI_BASE_GET_IMPL_VERSION   2
#define SBI_BASE_PROBE_EXTENSION    3
#define SBI_BASE_GET_MVENDORID      4
#define SBI_BASE_GET_MARCHID        5
#define SBI_BASE_GET_MIMPID         6
#define SBI_TIME_SET_TIMER          0    // chapter 6
#define SBI_IPI_SEND_IPI            0    // chapter 7
#define SBI_RFENCE_FENCE_I          0    // chapter 8
#define SBI_RFENCE_SFENCE_VMA       1
#define SBI_RFENCE_SFENCE_VMA_ASID  2
#define SBI_RFENCE_HFENCE_GVMA_VMID 3
#define SBI_RFENCE_HFENCE_GVMA      4
#define SBI_RFENCE_HFENCE_VVMA_ASID 5
#define SBI_RFENCE_HFENCE_VVMA      6
#define SBI_HSM_HART_START          0    // chapter 9
#define SBI_HSM_HART_STOP           1
#define SBI_HSM_HART_GET_STATUS     2
#define SBI_HSM_HART_SUSPEND        3
#define SBI_DBCN_WRITE              0    // chapter 12
#define SBI_DBCN_READ               1
#define SBI_DBCN_WRITE_BYTE         2
#define SBI_SUSP_SYSTEM_SUSPEND     0    // chapter 13
#define SBI_SUSP_TO_RAM             0    // its one sleep type

// SRST's one function, and its reset types and reasons (SBI spec 10.1,
// the "Reset Types" and "Reset Reasons" tables).
#define SBI_SRST_SYSTEM_RESET  0
#define SBI_RESET_SHUTDOWN     0
#define SBI_RESET_COLD_REBOOT  1
#define SBI_RESET_WARM_REBOOT  2
#define SBI_RESET_REASON_NONE    0
#define SBI_RESET_REASON_FAILURE 1
#define SBI_RESET_REASON_SBI_FIRST 0xE0000000UL   // SBI- and vendor-specific
                                                  //   reasons, to the top

#ifndef __ASSEMBLY__
// What every SBI call returns.
struct sbiret {
  long error;   // SBI_SUCCESS or SBI_ERR_*
  long value;   // the result, when error is SBI_SUCCESS
};

// The raw call: the one place that executes `ecall`.
struct sbiret sbi_call(uint64_t ext, uint64_t fid, uint64_t a0, uint64_t a1,
                       uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5);

// BASE (chapter 4).
long sbi_spec_version(void);          // (major << 24) | minor
long sbi_impl_id(void);               // 1 = OpenSBI
long sbi_impl_version(void);
bool sbi_probe(uint64_t ext);         // is this extension there?

// TIME (chapter 6): raise a timer interrupt once `time` >= stime_value.
// Falls back to the legacy call when TIME is missing.
void sbi_set_timer(uint64_t stime_value);

// IPI (chapter 7): a supervisor software interrupt to every hart whose bit
// is set in hart_mask (bit i = hart hart_mask_base + i).
struct sbiret sbi_send_ipi(uint64_t hart_mask, uint64_t hart_mask_base);

// RFENCE (chapter 8): run a fence on other harts. start/size name the
// virtual address range (size -1 = everything).
struct sbiret sbi_remote_fence_i(uint64_t mask, uint64_t base);
struct sbiret sbi_remote_sfence_vma(uint64_t mask, uint64_t base,
                                    uint64_t start, uint64_t size);
struct sbiret sbi_remote_sfence_vma_asid(uint64_t mask, uint64_t base,
                                         uint64_t start, uint64_t size,
                                         uint64_t asid);
// The hypervisor fences: G-stage (guest-physical) and VS-stage entries.
struct sbiret sbi_remote_hfence_gvma(uint64_t mask, uint64_t base,
                                     uint64_t start, uint64_t size);
struct sbiret sbi_remote_hfence_gvma_vmid(uint64_t mask, uint64_t base,
                                          uint64_t start, uint64_t size,
                                          uint64_t vmid);
struct sbiret sbi_remote_hfence_vvma(uint64_t mask, uint64_t base,
                                     uint64_t start, uint64_t size);
struct sbiret sbi_remote_hfence_vvma_asid(uint64_t mask, uint64_t base,
                                          uint64_t start, uint64_t size,
                                          uint64_t asid);

// HSM (chapter 9): start, stop and suspend harts.
// hart_start makes `hartid` begin at physical address `start` in S-mode
// with a0 = hartid, a1 = opaque, satp = 0 and interrupts off.
struct sbiret sbi_hart_start(uint64_t hartid, uint64_t start, uint64_t opaque);
struct sbiret sbi_hart_stop(void);
struct sbiret sbi_hart_get_status(uint64_t hartid);
struct sbiret sbi_hart_suspend(uint32_t type, uint64_t resume_addr,
                               uint64_t opaque);

// SRST (chapter 10): shut down or reboot the whole machine. Does not
// return when it works; falls back to the legacy shutdown call.
void sbi_system_reset(uint32_t type, uint32_t reason);

// DBCN (chapter 12) with a fallback to the legacy console calls, which is
// what OpenSBI 1.1 (SBI v1.0, no DBCN) offers. sbi_console_init() probes
// once; until it is called, the legacy calls are used.
void sbi_console_init(void);
void sbi_console_putc(char c);
void sbi_console_write(const char *s, size_t n);
int sbi_console_getc(void);   // a byte, or -1 when none is waiting

// A name for an SBI_ERR_* code, for messages.
const char *sbi_strerror(long err);

#endif   // !__ASSEMBLY__

#endif
