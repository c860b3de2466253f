# tests/guests/guests.mk: the test guests (included by the top Makefile).
# Each guest is one C file linked with the runtime (start.S, rt.c) and the
# shared runtime in kernel/.
GUESTS := hello sbitest badmem badmmio spin uarttest blktest echo reboot tlbtest
GUEST_ELFS := $(patsubst %,$(B)/tests/guests/%.elf,$(GUESTS))
GUEST_RT := $(B)/tests/guests/start.o $(B)/tests/guests/rt.o
# Keep the objects (make would delete them as intermediate files).
.SECONDARY: $(GUEST_RT) $(patsubst %,$(B)/tests/guests/%.o,$(GUESTS))

$(B)/tests/guests/%.elf: $(B)/tests/guests/%.o $(GUEST_RT) $(KERNEL_OBJS) tests/guests/guest.ld
	$(CC) $(CFLAGS) $(LDFLAGS) -T tests/guests/guest.ld -o $@ $< $(GUEST_RT) $(KERNEL_OBJS)

# A flat copy of hello, to test the monitor's loader for Linux-style
# "Image" files (start.S begins with such a header).
$(B)/tests/guests/%.bin: $(B)/tests/guests/%.elf
	$(TOOLPREFIX)objcopy -O binary $< $@

TEST_DEPS += $(GUEST_ELFS) $(B)/tests/guests/hello.bin
