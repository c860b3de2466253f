// hyp/cpu/vcpu_offsets.h: where hyp/cpu/switch.S finds the fields of struct vcpu
// (hyp/cpu/vcpu.h). hyp/cpu/vcpu.c checks every one of these with _Static_assert,
// so a struct change that forgets this file does not build.
#ifndef HYP_VCPU_OFFSETS_H
#define HYP_VCPU_OFFSETS_H

#define VCPU_X(i)      ((i) * 8)     // guest x0..x31
#define VCPU_SEPC      256
#define VCPU_HSTATUS   264
#define VCPU_SSTATUS   272
#define VCPU_HOST(i)   (280 + (i) * 8)  // ra sp gp tp s0..s11

#endif
