# guest-os/guest-os.mk: build and run guest-os (included by the top-level
# Makefile, which defines B, CC, CFLAGS, ASFLAGS, LDFLAGS, OBJDUMP,
# TOOLPREFIX, KERNEL_OBJS, the $(B)/%.o rules and, later in the file,
# QEMU_KNOBS).
#
#   make qemu-guest-os [ARGS='autorun=usertests']   boot it on the bare
#                        machine of the usual knobs (CPUS, NODES, MEM, ...)
#                        with its disk, build/guest-os/disk.img
#
# One kernel image, build/guest-os/kernel.elf, for the bare machine and
# for a Disco-V VM alike: guest-os/*.c and *.S plus kernel/, linked at
# 0x80200000 by guest-os/kernel.ld. The user programs are built from
# guest-os/user/*.c (each with the user library, ulib.c and usys.S),
# linked at 0x20_0000_0000 by guest-os/user/user.ld, stripped, and
# included in the kernel image by guest-os/program_images.S (where exec
# finds them on a machine without a disk), and put in /bin of the disk
# image build/guest-os/fs.img by tools/mkfs.py, with the files under
# guest-os/disk/ at its root.
#
# ARGS become the device tree's /chosen/bootargs (QEMU's -append). They
# are passed in single quotes, so double quotes inside reach init:
#   make qemu-guest-os ARGS='autorun="echo hello there"'

GOS := $(B)/guest-os
GOS_KERNEL := $(GOS)/kernel.elf

GOS_SRCS := $(wildcard guest-os/*.c) $(wildcard guest-os/*.S)
GOS_OBJS := $(patsubst %,$(B)/%.o,$(basename $(GOS_SRCS)))

# User programs: every guest-os/user/*.c but the library.
GOS_ULIB := $(GOS)/user/ulib.o $(GOS)/user/usys.o
GOS_PROGS := $(filter-out ulib,$(sort $(basename $(notdir $(wildcard guest-os/user/*.c)))))
GOS_UELFS := $(patsubst %,$(GOS)/user/%.elf,$(GOS_PROGS))
GOS_USTRIP := $(patsubst %,$(GOS)/user/%.strip,$(GOS_PROGS))

# User code has no floating point (the kernel keeps the FPU off and does
# not save its registers), so it is built for rv64imac with the integer
# ABI; the rest of CFLAGS (freestanding, medany, warnings) carries over.
GOS_UCFLAGS := $(filter-out -march=% -mabi=%,$(CFLAGS)) -march=rv64imac -mabi=lp64
GOS_OBJCOPY := $(TOOLPREFIX)objcopy

# The chains of pattern rules below would make these "intermediate"
# files that make deletes after a build; keep them.
.SECONDARY: $(GOS_UELFS) $(GOS_USTRIP) $(GOS_ULIB) \
	$(patsubst %,$(GOS)/user/%.o,$(GOS_PROGS))

$(GOS)/user/%.o: guest-os/user/%.c | $(B)/.toolchain
	@mkdir -p $(@D)
	$(CC) $(GOS_UCFLAGS) -MMD -MP -c $< -o $@

$(GOS)/user/%.o: guest-os/user/%.S | $(B)/.toolchain
	@mkdir -p $(@D)
	$(CC) $(GOS_UCFLAGS) -D__ASSEMBLY__ -MMD -MP -c $< -o $@

# max-page-size=4096: the linker then puts each segment at a file offset
# equal to its address modulo 4 KiB, so a segment that starts on a page
# (user.ld) starts on a block of the file too, and exec can have the disk
# read its whole pages straight into user memory (guest-os/exec.c).
$(GOS)/user/%.elf: $(GOS)/user/%.o $(GOS_ULIB) guest-os/user/user.ld guest-os/guest-os.mk
	$(CC) $(GOS_UCFLAGS) $(LDFLAGS) -Wl,-z,max-page-size=4096 -T guest-os/user/user.ld \
	  -o $@ $< $(GOS_ULIB)
	$(OBJDUMP) -S $@ > $(GOS)/user/$*.asm

# What goes into the kernel: no symbols, no debug information.
$(GOS)/user/%.strip: $(GOS)/user/%.elf
	$(GOS_OBJCOPY) --strip-all $< $@

# The list of programs for program_images.S. Rewritten on every make, but
# touched only when the list changed, so nothing relinks for nothing.
$(GOS)/program_list.inc: gos-program-list
	@mkdir -p $(@D)
	@printf '%s\n' $(foreach p,$(GOS_PROGS),'PROGRAM $(p), "$(GOS)/user/$(p).strip"') > $@.new
	@cmp -s $@.new $@ || mv $@.new $@
	@rm -f $@.new

.PHONY: gos-program-list
gos-program-list:

$(GOS)/program_images.o: guest-os/program_images.S $(GOS)/program_list.inc $(GOS_USTRIP) | $(B)/.toolchain
	@mkdir -p $(@D)
	$(CC) $(ASFLAGS) -I$(GOS) -c $< -o $@

$(GOS_KERNEL): $(GOS_OBJS) $(KERNEL_OBJS) guest-os/kernel.ld
	$(CC) $(CFLAGS) $(LDFLAGS) -T guest-os/kernel.ld -o $@ $(GOS_OBJS) $(KERNEL_OBJS)
	$(OBJDUMP) -S $@ > $(GOS)/kernel.asm

# The disk image: a file system of GOS_FS_MIB MiB (guest-os/fs_format.h)
# with every program in /bin and guest-os/disk/* at the root. The tests
# boot copies of it. Rebuilt when a program, a file or the format changes.
GOS_FS := $(GOS)/fs.img
GOS_FS_MIB := 8
GOS_DISK_FILES := $(shell find guest-os/disk -type f 2>/dev/null)

$(GOS_FS): $(GOS_USTRIP) $(GOS_DISK_FILES) tools/mkfs.py guest-os/fs_format.h \
		guest-os/guest-os.mk
	python3 tools/mkfs.py -o $@ --size-mib $(GOS_FS_MIB) \
	  $(foreach p,$(GOS_PROGS),/bin/$(p)=$(GOS)/user/$(p).strip) \
	  $(foreach f,$(GOS_DISK_FILES),$(patsubst guest-os/disk/%,/%,$(f))=$(f))

# `make qemu-guest-os`'s disk: a copy of fs.img that keeps what you write
# on it from one run to the next, until fs.img itself is rebuilt.
$(GOS)/disk.img: $(GOS_FS)
	cp $< $@

TEST_DEPS += $(GOS_KERNEL) $(GOS_FS)

# Boot guest-os on the bare machine, with its disk. The knobs are checked
# first, so an impossible machine is refused with the reason before
# anything builds.
.PHONY: qemu-guest-os
qemu-guest-os:
	@err=$$(python3 tools/qemu.py --check $(QEMU_KNOBS)); \
	  if [ -n "$$err" ]; then echo "$$err"; exit 2; fi
	@tools/deps.sh install
	@$(MAKE) --no-print-directory $(GOS_KERNEL) $(GOS)/disk.img
	@python3 tools/qemu.py --run $(QEMU_KNOBS) --kernel $(GOS_KERNEL) \
	  --disk $(GOS)/disk.img -- -append '$(ARGS)' $(QEMUEXTRA)
