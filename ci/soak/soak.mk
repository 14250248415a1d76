# ci/soak/soak.mk: the soak test. Included from the top-level Makefile (`include ci/soak/soak.mk`,
# after the variables), so it uses the same CC, CFLAGS_ALL, LDLIBS_ALL and BUILD.
#   make soak                  10 minutes (SOAK_MINUTES=1 for a quick run), 64 connections, faults on
# Not part of `make test`: it is long by design.

.PHONY: soak

$(BUILD)/soak: ci/soak/soak.c ci/bench/wire.c ci/bench/wire.h client/shared/base64.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Ici/bench -o $@ ci/soak/soak.c ci/bench/wire.c client/shared/base64.c $(LDLIBS_ALL)

soak: $(BUILD)/kinesis-sim $(BUILD)/soak
	@BUILD=$(BUILD) sh ci/soak/run
