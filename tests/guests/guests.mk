# tests/guests/guests.mk: the test guests (included by the top Makefile).
# Each guest is one C file linked with the runtime (start.S, rt.c) and the
# shared runtime in kernel/.
GUESTS := hello sbitest badmem badmmio spin uarttest echo
GUEST_ELFS := $(patsubst %,$(B)/tests/guests/%.elf,$(GUESTS))
GUEST_RT := $(B)/tests/guests/start.o $(B)/tests/guests/rt.o

$(B)/tests/guests/%.elf: $(B)/tests/guests/%.o $(GUEST_RT) $(KERNEL_OBJS) tests/guests/guest.ld
	$(CC) $(CFLAGS) $(LDFLAGS) -T tests/guests/guest.ld -o $@ $< $(GUEST_RT) $(KERNEL_OBJS)

TEST_DEPS += $(GUEST_ELFS)
