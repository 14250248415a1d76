# ci/bench/bench.mk: build rules and targets for the load generator, the crash-durability test
# and their unit tests. Included from the top-level Makefile (`include ci/bench/bench.mk`, after
# the variables), so it uses the same CC, CFLAGS_ALL, LDLIBS_ALL, CRIT_LIBS and BUILD.
#   make bench        kinesis-sim under load, medians, RSS, start-up, stored-records check; the
#                     results as JSON in $(BUILD)/bench/results.json (BENCH_JSON)
#   make bench-peers  the same, then kinesalite and kinesis-mock (npm) and the ratios; JSON in
#                     $(BUILD)/bench/peers.json and, with gnuplot, the chart beside it (peers.svg)
#   make bench-growth PutRecord and GetRecords, start-up and idle RSS as the database grows to
#                     10 M records (ci/bench/growth; BENCH_GROWTH_SIZES; not part of make test)
#   make durability   the SIGKILL crash test and the start-up failure checks
# The crash test and the bench unit tests are also built by `make tests`; ci/run-tests runs
# $(BUILD)/test-bench-unit and `$(BUILD)/crash-test $(BUILD)/kinesis-sim`.

BENCH_LIB_SRC := ci/bench/wire.c ci/bench/hist.c
BENCH_HDR     := ci/bench/wire.h ci/bench/hist.h
# The fan-out load's accounting (ci/bench/fanout_check.c) reads SubscribeToShard's event stream
# with the decoder the client and the simulator share.
FANOUT_LIB_SRC := ci/bench/fanout_check.c client/shared/eventstream.c
FANOUT_HDR     := ci/bench/fanout_check.h client/shared/include/shared/eventstream.h
RESULTS_SRC   := ci/bench/results.c ci/bench/results.h
T_BENCH_SRC   := $(wildcard ci/bench/tests/*.c)

.PHONY: bench bench-peers bench-growth durability

$(BUILD)/loadgen: ci/bench/loadgen.c $(BENCH_LIB_SRC) $(BENCH_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Ici/bench -o $@ ci/bench/loadgen.c $(BENCH_LIB_SRC) $(LDLIBS_ALL)

# build/fanout: the fan-out load (mode fan-out of ci/bench/run): SubscribeToShard over HTTP/2.
$(BUILD)/fanout: ci/bench/fanout.c $(FANOUT_LIB_SRC) $(FANOUT_HDR) $(BENCH_LIB_SRC) $(BENCH_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Ici/bench -iquote client/shared/include -o $@ ci/bench/fanout.c $(FANOUT_LIB_SRC) \
	  $(BENCH_LIB_SRC) $(LDLIBS_ALL)

$(BUILD)/bench-json: ci/bench/bench_json.c $(RESULTS_SRC)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Ici/bench -o $@ ci/bench/bench_json.c ci/bench/results.c $(LDLIBS_ALL)

$(BUILD)/crash-test: tests/durability/crash_test.c ci/bench/wire.c ci/bench/wire.h ci/bench/wire_h2.c \
                     ci/bench/wire_h2.h tests/integration/tl_sim.c tests/integration/tl_sim.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Ici/bench -Itests/integration -o $@ tests/durability/crash_test.c ci/bench/wire.c \
	  ci/bench/wire_h2.c tests/integration/tl_sim.c $(LDLIBS_ALL)

$(BUILD)/test-bench-unit: $(T_BENCH_SRC) $(BENCH_LIB_SRC) $(BENCH_HDR) $(FANOUT_LIB_SRC) $(FANOUT_HDR) \
                         $(RESULTS_SRC)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Ici/bench -iquote client/shared/include -o $@ $(T_BENCH_SRC) $(BENCH_LIB_SRC) \
	  $(FANOUT_LIB_SRC) ci/bench/results.c $(CRIT_LIBS) $(LDLIBS_ALL)

tests: $(BUILD)/test-bench-unit $(BUILD)/crash-test $(BUILD)/fanout $(BUILD)/bench-json

bench: $(BUILD)/kinesis-sim $(BUILD)/loadgen $(BUILD)/fanout $(BUILD)/bench-json
	@BUILD=$(BUILD) BENCH_NO_BUILD=1 sh ci/bench/run

bench-peers: $(BUILD)/kinesis-sim $(BUILD)/loadgen $(BUILD)/fanout $(BUILD)/bench-json
	@BUILD=$(BUILD) BENCH_NO_BUILD=1 BENCH_PEERS=1 sh ci/bench/run

bench-growth: $(BUILD)/kinesis-sim $(BUILD)/loadgen $(BUILD)/kinesis
	@BUILD=$(BUILD) BENCH_NO_BUILD=1 sh ci/bench/growth

durability: $(BUILD)/kinesis-sim $(BUILD)/crash-test
	$(BUILD)/crash-test $(BUILD)/kinesis-sim

# make bench-producer: the producer's records/s into kinesis-sim with throttling off, aggregated
# and not (ci/bench/producer-run; BENCH_RUNS, BENCH_SECONDS, BENCH_SIZE, BENCH_SHARDS).
.PHONY: bench-producer
$(BUILD)/producer-bench: INC = $(INC_PUBLIC)
$(BUILD)/producer-bench: ci/bench/producer_bench.c $(BUILD)/libkinesis.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(BUILD)/libkinesis.a $(LDLIBS_ALL)

bench-producer: $(BUILD)/kinesis-sim $(BUILD)/kinesis $(BUILD)/producer-bench
	@BUILD=$(BUILD) sh ci/bench/producer-run
