# Disco-V: build, run and test.
#
#   make qemu          boot the monitor on a NUMA QEMU machine
#   make test          every test; ends with "N passed, N failed"
#   make qemu-gdb      the same as make qemu, but wait for gdb
#   make gdb           (in another terminal) attach gdb to it
#   make deps          install missing tools (apt-get as root)
#   make grade [LAB=N] grade the labs (grade/), Score: X/Y per lab
#   make handout LAB=N write lab N's handout tree (tools/handout.py)
#   make bench         what virtualization costs (tools/bench.py)
#   make demo-sharing  lab 3's page sharing, live, for a lecture (tools/demo_sharing.py)
#   make demo-numa     lab 4's page migration, live, for a lecture (tools/demo_numa.py)
#   make fuzz [FUZZ_S=600] run each fuzz target FUZZ_S seconds (tests/fuzz/)
#   make linux         build a stock Linux guest (linux/linux.mk)
#   make test-linux    boot it on the monitor (not part of make test)
#   make clean         remove build/
#
# Machine knobs (see tools/qemu.py and README.md):
#   CPUS=4 NODES=2 MEM=256 (MiB per node) NUMA_DIST=20 IRQCHIP=auto
#
# Everything the build makes goes under build/, mirroring the source tree:
# kernel/printf.c -> build/kernel/printf.o, the monitor -> build/hyp/hyp.elf.

CPUS      ?= 4
NODES     ?= 2
MEM       ?= 256
NUMA_DIST ?= 20
IRQCHIP   ?= auto
# Extra arguments for QEMU, e.g. QEMUEXTRA="-d guest_errors".
QEMUEXTRA ?=

B := build

# ---- The cross toolchain -------------------------------------------------
# Find a RISC-V gcc the way xv6 does: try the usual prefixes in turn.
# Override with e.g. `make TOOLPREFIX=riscv64-linux-gnu-`.
ifndef TOOLPREFIX
TOOLPREFIX := $(shell for p in riscv64-unknown-elf- riscv64-linux-gnu- riscv64-elf-; do \
	if command -v $${p}gcc >/dev/null 2>&1; then echo $$p; break; fi; done)
endif

CC      := $(TOOLPREFIX)gcc
OBJDUMP := $(TOOLPREFIX)objdump

# Freestanding RV64 code with the medany code model (the image runs at
# 0x80200000, far from address 0). gcc 12 does not accept "h" in -march,
# so the few H-extension instructions are written in asm with
# ".option arch, +h" and the H CSRs by number (kernel/riscv.h).
CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Wno-unused-parameter \
	-ffreestanding -fno-builtin -nostdlib -fno-common \
	-fno-stack-protector -fno-pie -fno-omit-frame-pointer \
	-mcmodel=medany -march=rv64gc -mabi=lp64d -mno-relax -I.
ASFLAGS := $(CFLAGS) -D__ASSEMBLY__
LDFLAGS := -nostdlib -static -no-pie -Wl,--no-relax -Wl,--build-id=none

# ---- The shared runtime (kernel/) and the monitor (hyp/) ------------------
KERNEL_SRCS := $(wildcard kernel/*.c)
HYP_SRCS    := $(wildcard hyp/*/*.c) $(wildcard hyp/*/*.S)

KERNEL_OBJS := $(patsubst %.c,$(B)/%.o,$(KERNEL_SRCS))
HYP_OBJS    := $(patsubst %,$(B)/%.o,$(basename $(HYP_SRCS)))

HYP := $(B)/hyp/hyp.elf

.PHONY: all
all: $(HYP)

# No toolchain: say so, instead of failing with "gcc: not found".
$(B)/.toolchain:
	@if [ -z "$(TOOLPREFIX)" ]; then \
	  echo "No RISC-V cross compiler found (tried riscv64-unknown-elf-, riscv64-linux-gnu-, riscv64-elf-)."; \
	  echo "Run 'make deps', or set TOOLPREFIX=..."; exit 1; fi
	@mkdir -p $(@D) && touch $@

$(B)/%.o: %.c | $(B)/.toolchain
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/%.o: %.S | $(B)/.toolchain
	@mkdir -p $(@D)
	$(CC) $(ASFLAGS) -MMD -MP -c $< -o $@

# The software TLB auditor (hyp/mem/tlb_audit.c) and the test-only SBI
# extension (hyp/sbi/vsbi_test.c): built in with AUDIT=1, as `make test` and
# `make grade` do; off by default. Only these two objects see the flag, and
# they are rebuilt when it changes (the stamp holds its last value).
AUDIT ?= 0
AUDIT_OBJS := $(B)/hyp/mem/tlb_audit.o $(B)/hyp/sbi/vsbi_test.o
$(AUDIT_OBJS): CFLAGS += -DTLB_AUDIT=$(AUDIT)
$(AUDIT_OBJS): $(B)/audit.stamp
$(B)/audit.stamp: FORCE
	@mkdir -p $(@D)
	@if [ "$$(cat $@ 2>/dev/null)" != "$(AUDIT)" ]; then echo "$(AUDIT)" > $@; fi
.PHONY: FORCE
FORCE:

$(HYP): $(HYP_OBJS) $(KERNEL_OBJS) hyp/hyp.ld
	$(CC) $(CFLAGS) $(LDFLAGS) -T hyp/hyp.ld -o $@ $(HYP_OBJS) $(KERNEL_OBJS)
	$(OBJDUMP) -S $@ > $(B)/hyp/hyp.asm

# (Not under build/linux/: the kernel tree there has files of its own named *.d.)
-include $(shell find $(B) -path $(B)/linux -prune -o -name '*.d' -print 2>/dev/null)

# Each guest brings its own make fragment, which may add to TEST_DEPS
# (what `make test` must build first).
TEST_DEPS :=
-include splashos/splashos.mk
-include guest-os/guest-os.mk
include tests/guests/guests.mk
include grade/grade.mk

# The VM bundle: the VM configuration and the images it names, packed by
# tools/mkbundle.py into one file that QEMU loads with -initrd.
VMCONFIG ?= hyp/vms/default.dts
BUNDLE := $(B)/bundle/$(notdir $(basename $(VMCONFIG))).bundle
IMAGE_DIRS := $(B)/tests/guests:$(B)/splashos:$(B)/guest-os:$(B)/linux

# Linux as a guest: `make linux`, `make test-linux` (linux/linux.mk).
include linux/linux.mk

$(BUNDLE): $(VMCONFIG) tools/mkbundle.py $(TEST_DEPS) $(LINUX_BUNDLE_DEPS)
	python3 tools/mkbundle.py --config $(VMCONFIG) --search $(IMAGE_DIRS) -o $@

# The machine's disk for the configuration's VMs: their regions in order,
# each starting as a copy of its disk-image (hyp/vm/vmconfig.h). Like
# `make qemu-guest-os`'s disk, it keeps what the VMs write from one run to
# the next, until the configuration or an image changes. Not made when
# DISK= names a disk of your own; not there when no VM has a disk.
BUNDLE_DISK := $(B)/bundle/$(notdir $(basename $(VMCONFIG))).disk
QEMU_DISK = $(if $(DISK),,$$(test -f $(BUNDLE_DISK) && echo --disk $(BUNDLE_DISK)))

$(BUNDLE_DISK): $(VMCONFIG) tools/mkbundle.py $(TEST_DEPS)
	python3 tools/mkbundle.py --config $(VMCONFIG) --search $(IMAGE_DIRS) \
	  --disk-out $@

.PHONY: bundle
bundle: $(BUNDLE)

# ---- Running it -----------------------------------------------------------
# NUMA_MODEL=1 runs under the NUMA cost model (tools/numa-model/), and
# NUMA_MODEL="interval=50,cache-kib=1024" also gives it arguments.
NUMA_MODEL ?=
QEMU_KNOBS = --cpus $(CPUS) --nodes $(NODES) --mem $(MEM) --dist $(NUMA_DIST) \
	--irqchip $(IRQCHIP) $(if $(NUMA_MODEL),--numa-model "$(filter-out 1,$(NUMA_MODEL))")

# Refuse impossible machines before building anything, with the reason
# (tools/qemu.py knows QEMU's limits).
ifneq ($(filter qemu qemu-gdb,$(MAKECMDGOALS)),)
KNOB_ERROR := $(shell python3 tools/qemu.py --check $(QEMU_KNOBS))
ifneq ($(KNOB_ERROR),)
$(error $(KNOB_ERROR))
endif
endif

# `make qemu` first makes sure the tools are there (installing them when it
# can), then builds with a fresh make, so a toolchain that was just
# installed is found, then boots.
.PHONY: qemu qemu-gdb gdb deps
qemu:
	@tools/deps.sh install
	@$(MAKE) --no-print-directory $(HYP) $(BUNDLE) $(if $(DISK),,$(BUNDLE_DISK)) \
	  $(if $(NUMA_MODEL),$(NUMA_MODEL_SO))
	@python3 tools/qemu.py --run $(QEMU_KNOBS) --kernel $(HYP) $(QEMU_DISK) \
	  -- -initrd $(BUNDLE) $(QEMUEXTRA)

deps:
	@tools/deps.sh install && echo "All tools are there."

# gdb: one TCP port per user, so that students sharing a machine do not
# collide (the same trick as xv6).
GDBPORT := $(shell expr `id -u` % 5000 + 25000)

.gdbinit: tools/gdbinit.tmpl
	sed -e "s/@PORT@/$(GDBPORT)/" -e "s|@HYP@|$(HYP)|" $< > $@

qemu-gdb: .gdbinit
	@tools/deps.sh install
	@$(MAKE) --no-print-directory $(HYP) $(BUNDLE) $(if $(DISK),,$(BUNDLE_DISK))
	@echo "*** Now run 'make gdb' in another window (gdb port $(GDBPORT))." 1>&2
	@python3 tools/qemu.py --run $(QEMU_KNOBS) --kernel $(HYP) $(QEMU_DISK) \
	  --gdb-port $(GDBPORT) -- -initrd $(BUNDLE) $(QEMUEXTRA)

gdb: .gdbinit
	gdb-multiarch -q -x .gdbinit

# ---- Tests ----------------------------------------------------------------
# Host unit tests: the host compiler, with the address and undefined-
# behaviour sanitizers, against the pure parts of kernel/ and hyp/.
HOSTCC := cc
HOST_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Wno-unused-parameter \
	-fsanitize=address,undefined -fno-sanitize-recover=all -I.

UNIT_TESTS := $(B)/tests/test_fdt $(B)/tests/test_memmap $(B)/tests/test_format \
	$(B)/tests/test_decode $(B)/tests/test_vplic $(B)/tests/test_fdt_write \
	$(B)/tests/test_console $(B)/tests/test_dt_machine $(B)/tests/test_vline \
	$(B)/tests/test_vmconfig \
	$(B)/tests/test_vmid $(B)/tests/test_blockcache $(B)/tests/test_numa_policy

$(B)/tests/test_fdt: tests/unit/test_fdt.c kernel/fdt.c kernel/fdt.h tests/unit/unit.h
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ tests/unit/test_fdt.c kernel/fdt.c

$(B)/tests/test_memmap: tests/unit/test_memmap.c tests/unit/host_stubs.c hyp/mem/memmap.c hyp/mem/memmap.h tests/unit/unit.h
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ tests/unit/test_memmap.c tests/unit/host_stubs.c hyp/mem/memmap.c

$(B)/tests/test_format: tests/unit/test_format.c kernel/format.c kernel/format.h tests/unit/unit.h
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ tests/unit/test_format.c kernel/format.c

$(B)/tests/test_decode: tests/unit/test_decode.c hyp/dev/decode.c hyp/dev/decode.h tests/unit/unit.h
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ tests/unit/test_decode.c hyp/dev/decode.c

$(B)/tests/test_vplic: tests/unit/test_vplic.c hyp/dev/vplic.c hyp/dev/vplic.h tests/unit/unit.h
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ tests/unit/test_vplic.c hyp/dev/vplic.c

$(B)/tests/test_fdt_write: tests/unit/test_fdt_write.c kernel/fdt_write.c kernel/fdt_write.h kernel/fdt.c tests/unit/unit.h
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ tests/unit/test_fdt_write.c kernel/fdt_write.c kernel/fdt.c

$(B)/tests/test_dt_machine: tests/unit/test_dt_machine.c kernel/dt_machine.c kernel/dt_machine.h kernel/fdt.c tests/unit/unit.h
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ tests/unit/test_dt_machine.c kernel/dt_machine.c kernel/fdt.c kernel/string.c

$(B)/tests/test_vmconfig: tests/unit/test_vmconfig.c hyp/vm/vmconfig.c hyp/vm/vmconfig.h \
		hyp/vm/bundle.c kernel/fdt.c kernel/fdt_write.c tests/unit/unit.h
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -fno-builtin-printf -o $@ tests/unit/test_vmconfig.c \
	  hyp/vm/vmconfig.c hyp/vm/bundle.c kernel/fdt.c kernel/fdt_write.c

$(B)/tests/test_console: tests/unit/test_console.c kernel/console.c kernel/console.h tests/unit/unit.h
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ tests/unit/test_console.c kernel/console.c

$(B)/tests/test_vline: tests/unit/test_vline.c hyp/dev/vline.c hyp/dev/vline.h tests/unit/unit.h
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ tests/unit/test_vline.c hyp/dev/vline.c

$(B)/tests/test_blockcache: tests/unit/test_blockcache.c tests/unit/host_stubs.c hyp/mem/blockcache.c \
		hyp/mem/blockcache.h hyp/mem/memmap.c hyp/mem/memmap.h tests/unit/unit.h tests/unit/fork_cases.h
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ tests/unit/test_blockcache.c tests/unit/host_stubs.c \
	  hyp/mem/blockcache.c hyp/mem/memmap.c

$(B)/tests/test_numa_policy: tests/unit/test_numa_policy.c hyp/mem/numa_policy.c \
		hyp/mem/numa.h hyp/mem/memmap.h tests/unit/unit.h
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ tests/unit/test_numa_policy.c hyp/mem/numa_policy.c

$(B)/tests/test_vmid: tests/unit/test_vmid.c hyp/mem/vmid.c hyp/mem/vmid.h tests/unit/unit.h
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ tests/unit/test_vmid.c hyp/mem/vmid.c

.PHONY: test test-build unit-tests
unit-tests: $(UNIT_TESTS)

# Fuzz targets (clang's libFuzzer) for the parsers and state machines
# that read what a guest or a bundle hands the monitor.
include tests/fuzz/fuzz.mk

# Everything: build, then tests/run.py runs the unit tests and boots the
# system tests under QEMU, one line per test, then "N passed, N failed".
# `make test-build` is the build step alone (then `python3 tests/run.py -k
# NAME` runs a few tests).
test:
	@tools/deps.sh install
	@$(MAKE) --no-print-directory test-build
	@$(MAKE) --no-print-directory fuzzers || \
	  echo "The fuzz targets were not built; tests/run.py counts them failed."
	python3 tests/run.py

test-build:
	@$(MAKE) --no-print-directory AUDIT=1 $(HYP) unit-tests $(TEST_DEPS) $(NUMA_MODEL_SO)

# The NUMA cost model: a QEMU TCG plugin, built with the host compiler
# (tools/numa-model/numa_model.c).
NUMA_MODEL_SO := $(B)/tools/numa_model.so
$(NUMA_MODEL_SO): tools/numa-model/numa_model.c tools/numa-model/plugin_api.h
	@mkdir -p $(@D)
	$(HOSTCC) -std=gnu11 -O2 -g -Wall -Wextra -Wno-unused-parameter -fPIC -shared \
	  -fvisibility=hidden -o $@ tools/numa-model/numa_model.c

.PHONY: numa-model
numa-model: $(NUMA_MODEL_SO)

# Benchmarks (not tests: they print numbers, they never fail).
.PHONY: bench
bench:
	@tools/deps.sh install
	@$(MAKE) --no-print-directory $(HYP) $(TEST_DEPS) $(NUMA_MODEL_SO)
	python3 tools/bench.py

# Lab 3's lecture demo: VMs on one copy-on-write disk, their memory live
# (tools/demo_sharing.py; DEMOARGS="--vms 8" and the like).
.PHONY: demo-sharing
demo-sharing:
	@tools/deps.sh install
	@$(MAKE) --no-print-directory $(HYP) $(TEST_DEPS)
	python3 tools/demo_sharing.py $(DEMOARGS)

# Lab 4's lecture demo: a VM spanning two nodes, its local misses climbing
# as the monitor moves its pages (tools/demo_numa.py; DEMOARGS="--policy off").
# DEMOARGS=--rebalance: two VMs on node 0; the scheduler moves one's vCPU to
# idle node 1 and its pages follow (vcpu-moves, then migrated, climbing).
.PHONY: demo-numa
demo-numa:
	@tools/deps.sh install
	@$(MAKE) --no-print-directory $(HYP) $(TEST_DEPS) $(NUMA_MODEL_SO)
	python3 tools/demo_numa.py $(DEMOARGS)

# The layout rules of the C and assembly files (tools/stylecheck.py; the
# editor configuration is .clang-format). make test runs it too.
.PHONY: format-check
format-check:
	@python3 tools/stylecheck.py

.PHONY: clean
clean:
	rm -rf $(B) .gdbinit tests/out grade/out
