# ci/fuzz/fuzz.mk: fuzzing and memory-checking targets, included by the top Makefile.
#
#   make fuzz            build the libFuzzer harnesses (clang) and run each FUZZ_SECONDS (20) seconds
#   make fuzz-smoke      the same for 5 seconds each, plus the replay test (for CI)
#   make fuzz-replay     build $(BUILD)/test-fuzz-unit (every seed and regression input through its
#                        harness, built with $(CC) like the other tests) and run it
#   make fuzz-seeds      rewrite the generated seeds (ci/fuzz/corpus/*/gen-*) from ci/fuzz/seeds.c
#   make valgrind        run the Criterion unit test binaries under valgrind memcheck (ci/valgrind)
#
# The fuzz build lives in FUZZ_OUT (default $(BUILD)/fuzz); see ci/fuzz/run for its variables.

FUZZ_SECONDS ?= 20
FUZZ_OUT     ?= $(BUILD)/fuzz
FUZZ_SRC     := $(wildcard ci/fuzz/fuzz_*.c)
FUZZ_REPLAY_OBJ := $(FUZZ_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/ci/fuzz/replay.o

.PHONY: fuzz fuzz-smoke fuzz-replay fuzz-seeds valgrind

fuzz:
	@sh ci/install-deps fuzz
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_OUT=$(FUZZ_OUT) sh ci/fuzz/run

fuzz-smoke: fuzz-replay
	@sh ci/install-deps fuzz
	FUZZ_SECONDS=5 FUZZ_OUT=$(FUZZ_OUT) sh ci/fuzz/run

fuzz-seeds:
	FUZZ_OUT=$(FUZZ_OUT) sh ci/fuzz/run --seeds

# The harnesses as ordinary functions (fuzz.h: FUZZ_REPLAY), linked with the modules they test.
$(BUILD)/obj/ci/fuzz/%.o: ci/fuzz/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -DFUZZ_REPLAY -Ici/fuzz -MMD -MP -c $< -o $@
$(FUZZ_REPLAY_OBJ): | $(GEN_SRC)

$(BUILD)/test-fuzz-unit: $(FUZZ_REPLAY_OBJ) $(SIM_LIBOBJ) $(CONF_LIBOBJ) $(BUILD)/libkinesis.a
	$(CC) $(SAN) -o $@ $^ $(CRIT_LIBS) $(LDLIBS_ALL)

# make tests builds the replay test too, so make test and make asan run every seed and regression.
tests: $(BUILD)/test-fuzz-unit

fuzz-replay: $(BUILD)/test-fuzz-unit
	$(BUILD)/test-fuzz-unit

valgrind:
	@sh ci/install-deps fuzz
	@$(MAKE) --no-print-directory tests $(BUILD)/test-fuzz-unit
	BUILD=$(BUILD) sh ci/valgrind
