# tests/fuzz/fuzz.mk: the fuzz targets (tests/fuzz/README.md), included
# by the Makefile.
#
#   make fuzzers          build them all into build/fuzz/
#   make fuzz [FUZZ_S=600] run each for FUZZ_S seconds (default 60)
#
# `make test` builds them too, and tests/run.py runs each for a few
# seconds from its seed corpus.

# The sources of the monitor each target links, besides its own
# tests/fuzz/fuzz_<name>.c and tests/fuzz/fuzz_stubs.c. The one place to
# change when a file moves.
FUZZ_SRCS_fdt      := kernel/fdt.c
FUZZ_SRCS_decode   := hyp/dev/decode.c
FUZZ_SRCS_bundle   := hyp/vm/bundle.c
FUZZ_SRCS_vmconfig := hyp/vm/vmconfig.c hyp/vm/bundle.c kernel/fdt.c
FUZZ_SRCS_vchain   := hyp/dev/virtq_chain.c
FUZZ_SRCS_vplic    := hyp/dev/vplic.c
FUZZ_SRCS_loader   := hyp/vm/loader.c

FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(filter-out tests/fuzz/fuzz_stubs.c,\
	$(wildcard tests/fuzz/fuzz_*.c)))
FUZZERS := $(patsubst %,$(B)/fuzz/fuzz_%,$(FUZZ_NAMES))

# clang, with libFuzzer and the address and undefined-behaviour
# sanitizers (Debian: clang, libclang-rt-14-dev). A sanitizer finding is
# a crash, so libFuzzer keeps the input. printf is the stub's, never
# turned into puts behind its back.
FUZZCC := clang
FUZZ_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Wno-unused-parameter \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-fno-builtin-printf -I.
FUZZ_HDRS := $(shell find kernel hyp tests/fuzz -name '*.h')

# No clang or no libFuzzer: say so, with what to install, and stop.
$(B)/fuzz/.fuzztools:
	@mkdir -p $(@D)
	@echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' \
	  > $(@D)/probe.c
	@if ! $(FUZZCC) -fsanitize=fuzzer,address,undefined $(@D)/probe.c \
	    -o $(@D)/probe >/dev/null 2>&1; then \
	  echo "Cannot build fuzz targets: '$(FUZZCC) -fsanitize=fuzzer' does not work" \
	    "(Debian packages clang and libclang-rt-14-dev; 'make deps' installs them)."; \
	  exit 1; fi
	@rm -f $(@D)/probe $(@D)/probe.c && touch $@

# One rule per target, from its list of sources above.
define FUZZ_RULE
$(B)/fuzz/fuzz_$(1): tests/fuzz/fuzz_$(1).c tests/fuzz/fuzz_stubs.c $(FUZZ_SRCS_$(1)) \
		$(FUZZ_HDRS) | $(B)/fuzz/.fuzztools
	$(FUZZCC) $(FUZZ_CFLAGS) -o $$@ $$< tests/fuzz/fuzz_stubs.c $(FUZZ_SRCS_$(1))
endef
$(foreach n,$(FUZZ_NAMES),$(eval $(call FUZZ_RULE,$(n))))

.PHONY: fuzzers fuzz
fuzzers: $(FUZZERS)

# Each target for FUZZ_S seconds, from its seed corpus and what earlier
# runs found (build/fuzz/corpus/<name>/); tools/fuzz.py says what each
# found and how to rerun a crash.
FUZZ_S ?= 60
fuzz:
	@tools/deps.sh install
	@$(MAKE) --no-print-directory fuzzers
	@python3 tools/fuzz.py --seconds $(FUZZ_S) $(FUZZ_NAMES)
