# splashos/splashos.mk: build and run splashos images (included by the
# top-level Makefile, which defines B, CC, CFLAGS, the %.o rules,
# KERNEL_OBJS and, later in the file, QEMU_KNOBS).
#
#   make splash APP=radix [ARGS="threads=4 n=65536"]   run one app, bare
#   make splash-vm APP=radix [VCPUS=4] [ARGS=...]      the same image, in a
#                                                      VM on the monitor
#
# Each application in splashos/apps/ becomes its own image,
# build/splashos/<app>.elf: the library OS (splashos/*.c, entry.S) plus
# that one application plus kernel/, linked at 0x80200000 by
# splashos/splashos.ld. The machine comes from the usual knobs (CPUS,
# NODES, MEM, NUMA_DIST, IRQCHIP); ARGS become the device tree's
# /chosen/bootargs (QEMU's -append), e.g. "threads=2 n=1024".

SPLASH_APPS := $(sort $(basename $(notdir $(wildcard splashos/apps/*.c))))
SPLASH_LIB_SRCS := $(wildcard splashos/*.c) splashos/entry.S
SPLASH_LIB_OBJS := $(patsubst %,$(B)/%.o,$(basename $(SPLASH_LIB_SRCS)))
SPLASH_APP_OBJS := $(patsubst %,$(B)/splashos/apps/%.o,$(SPLASH_APPS))
SPLASH_ELFS := $(patsubst %,$(B)/splashos/%.elf,$(SPLASH_APPS))

# The objects are made by a chain of pattern rules, which would make them
# "intermediate" files that make deletes after the link; keep them, so
# that a second make has nothing to do.
.SECONDARY: $(SPLASH_LIB_OBJS) $(SPLASH_APP_OBJS)

$(B)/splashos/%.elf: $(B)/splashos/apps/%.o $(SPLASH_LIB_OBJS) $(KERNEL_OBJS) splashos/splashos.ld
	$(CC) $(CFLAGS) $(LDFLAGS) -T splashos/splashos.ld -o $@ \
	  $(SPLASH_LIB_OBJS) $< $(KERNEL_OBJS)
	$(OBJDUMP) -S $@ > $(B)/splashos/$*.asm

.PHONY: splash splash-vm splash-all
splash-all: $(SPLASH_ELFS)

TEST_DEPS += $(SPLASH_ELFS)

# Run one application on the bare machine. The knobs are checked first,
# so an impossible machine is refused with the reason before building.
splash:
	@if [ -z "$(filter $(APP),$(SPLASH_APPS))" ] || [ -z "$(APP)" ]; then \
	  echo "make splash: APP='$(APP)' is not a splashos application;"; \
	  echo "choose one of: $(SPLASH_APPS)  (e.g. make splash APP=radix)"; \
	  exit 2; fi
	@err=$$(python3 tools/qemu.py --check $(QEMU_KNOBS)); \
	  if [ -n "$$err" ]; then echo "$$err"; exit 2; fi
	@tools/deps.sh install
	@$(MAKE) --no-print-directory $(B)/splashos/$(APP).elf
	@python3 tools/qemu.py --run $(QEMU_KNOBS) \
	  --kernel $(B)/splashos/$(APP).elf -- \
	  $(if $(strip $(ARGS)),-append "$(ARGS)") $(QEMUEXTRA)

# Run one application in a VM on the monitor: the same image, as a guest.
# VCPUS (default: CPUS) is the VM's vCPU count, and the app gets one
# thread per vCPU unless ARGS says otherwise.
VCPUS ?= $(CPUS)
splash-vm:
	@if [ -z "$(filter $(APP),$(SPLASH_APPS))" ] || [ -z "$(APP)" ]; then \
	  echo "make splash-vm: APP='$(APP)' is not a splashos application;"; \
	  echo "choose one of: $(SPLASH_APPS)  (e.g. make splash-vm APP=radix)"; \
	  exit 2; fi
	@err=$$(python3 tools/qemu.py --check $(QEMU_KNOBS)); \
	  if [ -n "$$err" ]; then echo "$$err"; exit 2; fi
	@tools/deps.sh install
	@$(MAKE) --no-print-directory $(HYP) $(B)/splashos/$(APP).elf
	@python3 tools/mkbundle.py --image $(APP).elf --name $(APP) \
	  --vcpus $(VCPUS) --memory-mib 64 --search $(B)/splashos \
	  --bootargs "$(if $(strip $(ARGS)),$(ARGS),threads=$(VCPUS))" \
	  -o $(B)/bundle/splash-$(APP).bundle
	@python3 tools/qemu.py --run $(QEMU_KNOBS) --kernel $(HYP) -- \
	  -initrd $(B)/bundle/splash-$(APP).bundle $(QEMUEXTRA)
