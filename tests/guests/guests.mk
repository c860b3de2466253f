# tests/guests/guests.mk: the test guests (included by the top Makefile).
# Each guest is one C file linked with the runtime (start.S, rt.c) and the
# shared runtime in kernel/.
GUESTS := hello sbitest badmem badmmio spin uarttest blktest echo reboot forge keys hsmrace memhog \
	blkstress tlbtest napper
# The hostile-guest suite (tests/system/test_hostile.py): the victim, and
# one hostile guest per class of attack.
GUESTS += victim hostmem hostmmio hostsbi hostvirtio hostinsn hostspin \
	hostmemhog hosthsm hostesc
GUEST_ELFS := $(patsubst %,$(B)/tests/guests/%.elf,$(GUESTS))
GUEST_RT := $(B)/tests/guests/start.o $(B)/tests/guests/rt.o
# Keep the objects (make would delete them as intermediate files).
.SECONDARY: $(GUEST_RT) $(patsubst %,$(B)/tests/guests/%.o,$(GUESTS))

$(B)/tests/guests/%.elf: $(B)/tests/guests/%.o $(GUEST_RT) $(KERNEL_OBJS) tests/guests/guest.ld
	$(CC) $(CFLAGS) $(LDFLAGS) -T tests/guests/guest.ld -o $@ $(filter %.o,$^)

# The guests that drive a disk share a small virtio-blk driver.
$(B)/tests/guests/victim.elf $(B)/tests/guests/hostvirtio.elf \
	$(B)/tests/guests/tlbtest.elf: $(B)/tests/guests/vblk.o
.SECONDARY: $(B)/tests/guests/vblk.o

# A flat copy of hello, to test the monitor's loader for Linux-style
# "Image" files (start.S begins with such a header).
$(B)/tests/guests/%.bin: $(B)/tests/guests/%.elf
	$(TOOLPREFIX)objcopy -O binary $< $@

TEST_DEPS += $(GUEST_ELFS) $(B)/tests/guests/hello.bin
