# linux/linux.mk: build a stock Linux kernel and its initramfs for a
# Disco-V VM (included by the top Makefile, which defines B).
#
#   make linux         install what it needs (linux/deps.sh), then build
#                      build/linux/Image (the kernel, Debian's 6.1 source
#                      with linux/config-fragment) and
#                      build/linux/initramfs.cpio (/init, linux/init.c)
#   make test-linux    boot them on the monitor (tests/linux/), or say
#                      that they are not built and skip
#
# The steps, each with its own output so that a second `make linux` does
# nothing:
#   1. unpack /usr/src/linux-source-6.1.tar.xz into build/linux/ (a minute)
#   2. configure it: `make allnoconfig` with linux/config-fragment as
#      KCONFIG_ALLCONFIG, i.e. everything off but what the fragment names;
#      a fragment line Kconfig did not take (a missing dependency) is an
#      error that names it
#   3. build the Image in build/linux/obj (the long step; the kernel's own
#      make decides what to rebuild, and its full log is build/linux/build.log)
#   4. build /init with riscv64-linux-gnu-gcc -static, and pack it into a
#      cpio archive with the kernel's gen_init_cpio (linux/initramfs.list)
#   5. copy Image and initramfs.cpio to build/linux/, where the VM bundle
#      looks for images (the top Makefile's IMAGE_DIRS)
# Only step 5 writes the files the bundles use, so `make qemu` never
# starts a kernel build: bundles depend on build/linux/Image and
# initramfs.cpio only when they are there.

LINUX := $(B)/linux
LINUX_TARBALL := /usr/src/linux-source-6.1.tar.xz
LINUX_SRC := $(LINUX)/linux-source-6.1
LINUX_OBJ := $(LINUX)/obj
LINUX_CROSS := riscv64-linux-gnu-
# How many compiler jobs the kernel build runs at once.
LINUX_JOBS ?= 2
# The kernel's make, cut off from ours: none of our command-line variables
# or flags (MAKEFLAGS) reach it.
LINUX_MAKE := env -u MAKEFLAGS -u MAKEOVERRIDES -u MFLAGS -u MAKELEVEL \
	make -C $(LINUX_SRC) O=$(abspath $(LINUX_OBJ)) ARCH=riscv CROSS_COMPILE=$(LINUX_CROSS)
# About how many files the kernel build compiles with this configuration
# (counted on one build), for the progress report.
LINUX_FILES := 615

LINUX_UNPACKED := $(LINUX)/.unpacked
LINUX_CONFIG := $(LINUX_OBJ)/.config
LINUX_KIMAGE := $(LINUX_OBJ)/arch/riscv/boot/Image
LINUX_INIT := $(LINUX)/init
LINUX_CPIO := $(LINUX)/stage/initramfs.cpio
LINUX_DONE := $(LINUX)/.done

.PHONY: linux
linux:
	@linux/deps.sh install
	@$(MAKE) --no-print-directory -s $(LINUX_DONE)
	@echo "linux: $(LINUX)/Image and $(LINUX)/initramfs.cpio are up to date"

$(LINUX_UNPACKED): $(LINUX_TARBALL)
	@echo "linux: [1/5] unpacking $(LINUX_TARBALL) into $(LINUX)/ (about a minute)"
	@mkdir -p $(LINUX)
	@rm -rf $(LINUX_SRC)
	@tar -xJf $(LINUX_TARBALL) -C $(LINUX)
	@touch $@

$(LINUX_CONFIG): linux/config-fragment $(LINUX_UNPACKED)
	@echo "linux: [2/5] configuring: allnoconfig + linux/config-fragment"
	@mkdir -p $(LINUX_OBJ)
	@$(LINUX_MAKE) -s KCONFIG_ALLCONFIG=$(abspath linux/config-fragment) allnoconfig
	@bad=0; for want in $$(grep '^CONFIG_' linux/config-fragment); do \
	  if ! grep -qx "$$want" $@; then \
	    echo "linux: linux/config-fragment says $$want, but Kconfig did not take it" \
	         "(it has $$(grep "^$${want%%=*}=" $@ || echo nothing); a dependency is off)"; \
	    bad=1; fi; done; \
	  if [ $$bad = 1 ]; then rm -f $@; exit 1; fi
	@touch $@     # Kconfig leaves an unchanged .config as it was

# The kernel's make prints a line per file; we print each with how far
# along the build is (out of about LINUX_FILES), and keep the whole log.
$(LINUX_KIMAGE): $(LINUX_CONFIG)
	@echo "linux: [3/5] building the kernel: about $(LINUX_FILES) files, several minutes" \
	  "on two cores (log: $(LINUX)/build.log)"
	@{ $(LINUX_MAKE) -j$(LINUX_JOBS) Image 2>&1; echo $$? > $(LINUX)/build.status; } | \
	  tee $(LINUX)/build.log | awk -v total=$(LINUX_FILES) \
	  '$$1 == "CC" { n++; printf "linux: [3/5] %3d%% %s\n", n * 100 / total, $$2; next } \
	   /error|Error|warning:/ { print }'
	@status=$$(cat $(LINUX)/build.status); if [ "$$status" != 0 ]; then \
	  echo "linux: the kernel build failed (exit $$status); see $(LINUX)/build.log"; \
	  exit 1; fi
	@touch $@

# /init: an ordinary static Linux program.
$(LINUX_INIT): linux/init.c
	@echo "linux: [4/5] building /init from linux/init.c"
	@mkdir -p $(@D)
	@$(LINUX_CROSS)gcc -std=gnu11 -O2 -Wall -Wextra -static -o $@ $<

# The kernel's own cpio writer, built for the host: it makes /dev/console
# in the archive without our being root.
$(LINUX)/gen_init_cpio: $(LINUX_UNPACKED)
	@cc -O2 -o $@ $(LINUX_SRC)/usr/gen_init_cpio.c

$(LINUX_CPIO): linux/initramfs.list $(LINUX_INIT) $(LINUX)/gen_init_cpio
	@echo "linux: [4/5] packing the initramfs (linux/initramfs.list)"
	@mkdir -p $(@D)
	@$(LINUX)/gen_init_cpio linux/initramfs.list > $@.tmp && mv $@.tmp $@

$(LINUX_DONE): $(LINUX_KIMAGE) $(LINUX_CPIO)
	@echo "linux: [5/5] copying Image ($$(du -k $(LINUX_KIMAGE) | cut -f1) KiB) and" \
	  "initramfs.cpio ($$(du -k $(LINUX_CPIO) | cut -f1) KiB) to $(LINUX)/"
	@cp $(LINUX_KIMAGE) $(LINUX)/Image
	@cp $(LINUX_CPIO) $(LINUX)/initramfs.cpio
	@touch $@

# A bundle that holds the Linux images is remade when they are.
LINUX_BUNDLE_DEPS := $(wildcard $(LINUX)/Image $(LINUX)/initramfs.cpio)

# A configuration that runs Linux, before `make linux`: say what to do,
# rather than start a VM whose image is missing.
ifneq ($(filter qemu qemu-gdb bundle,$(MAKECMDGOALS)),)
ifneq ($(shell grep -s 'image = "Image"' $(VMCONFIG)),)
ifeq ($(wildcard $(LINUX)/Image),)
$(error $(VMCONFIG) runs Linux, but $(LINUX)/Image is not built: run 'make linux' first)
endif
endif
endif

# The Linux tests: not part of `make test` (they need the kernel, which
# `make test` does not build); they skip with a line saying so when it
# is not there.
.PHONY: test-linux
test-linux:
	@tools/deps.sh install
	@$(MAKE) --no-print-directory $(HYP) $(TEST_DEPS)
	python3 tests/run.py --linux
