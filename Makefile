# Makefile: builds the simulator (kinesis-sim), the client library and CLI (libkinesis, kinesis),
# the conformance runner (kinesis-conform) and the test binaries into build/.
# Sources are found by directory, so adding a file to a module needs no edit here:
#   client/shared/*.c     -> code the client and the simulator share (SigV4, event streams, errors)
#   client/src/*.c        -> build/libkinesis.a, build/libkinesis.so (with client/shared)
#   client/cli/*.c        -> build/kinesis
#   mockserver/*/*.c      -> build/kinesis-sim (mockserver/main.c holds main(); the rest is also
#                            linked into tests); docs/design.md says which folder holds what
#   conformance/*.c       -> build/kinesis-conform (main.c holds main())
#   */tests/unit/*.c      -> build/test-<module>-unit (Criterion)
#   tests/integration/*.c -> build/test-integration (Criterion, needs a running simulator)
# More targets come from ci/bench/bench.mk (bench, bench-peers, bench-growth, durability), ci/compat/compat.mk
# (compat), ci/soak/soak.mk (soak) and ci/fuzz/fuzz.mk (fuzz, fuzz-smoke, fuzz-replay, valgrind).

VERSION    := 0.1.0
BUILD      ?= build
PREFIX     ?= /usr/local
CC         ?= cc
PKGS       := libmicrohttpd libcurl openssl sqlite3 jansson libcbor libnghttp2 libprotobuf-c
PKG_CFLAGS  = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS    = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CRIT_LIBS   = $(shell pkg-config --libs criterion 2>/dev/null || echo -lcriterion)
WARN       := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wformat=2 -Werror
OPT        ?= -O2 -g
SAN        ?=
CFLAGS_ALL  = -std=c11 $(WARN) $(OPT) $(SAN) -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
              -DKINESIS_VERSION=\"$(VERSION)\" -fPIC $(VIS) $(INC) $(PKG_CFLAGS) $(CFLAGS)
LDLIBS_ALL  = -Wl,--as-needed $(PKG_LIBS) -lpthread -lm $(LDLIBS)

# kinesis-sim (only it: libkinesis, the CLI, the tools and the tests link as above) takes SQLite,
# Jansson, OpenSSL (ssl, crypto), nghttp2, libmicrohttpd and the GnuTLS it links (gnutls, hogweed,
# nettle, gmp, tasn1, idn2) from their static archives when `$(CC) -print-file-name=libX.a` finds
# them (Debian's -dev packages ship them), each library falling back to its shared object otherwise:
# on the 2-core VMs, loading and binding the shared objects was about 10 of the 25 ms from start to
# first answer, and libmicrohttpd's GnuTLS chain alone 4 ms (docs/performance.md).
# SIM_LINK=dynamic links every library the usual way; sanitizer builds (SAN set: make asan, tsan)
# default to it, so their runtimes see only shared libraries as before.
SIM_LINK    ?= $(if $(SAN),dynamic,static)
SIM_STATIC_LIBS := ssl crypto sqlite3 jansson nghttp2 microhttpd gnutls hogweed nettle gmp tasn1 idn2
sim_archive  = $(wildcard $(filter /%,$(shell $(CC) -print-file-name=lib$(1).a)))
# (worked out once, when the simulator is linked: the eval caches it)
SIM_STATIC   = $(eval SIM_STATIC := $(if $(filter static,$(SIM_LINK)),$(foreach l,$(SIM_STATIC_LIBS),$(if \
               $(call sim_archive,$(l)),$(l)))))$(SIM_STATIC)
# What the archives need from shared libraries (-ldl, -lm, -lz, -lp11-kit, ...), from their
# pkg-config --static; a library installed without its -dev link (libunistring.so.2 but no
# libunistring.so) is named by the path of its shared object.
SIM_LIBDIRS  = $(subst :, ,$(shell $(CC) -print-search-dirs | sed -n 's/^libraries: =//p'))
sim_shlib    = $(if $(wildcard $(filter /%,$(shell $(CC) -print-file-name=lib$(1).so)))$(call \
               sim_archive,$(1)),-l$(1),$(or \
               $(firstword $(wildcard $(addsuffix /lib$(1).so.*,$(SIM_LIBDIRS)))),-l$(1)))
SIM_STATIC_DEPS = $(eval SIM_STATIC_DEPS := $(foreach l,$(patsubst -l%,%,$(filter-out $(SIM_STATIC:%=-l%),$(shell \
                  pkg-config --static --libs-only-l openssl sqlite3 jansson libnghttp2 libmicrohttpd gnutls \
                  2>/dev/null))),$(call sim_shlib,$(l))))$(SIM_STATIC_DEPS)
SIM_BSTATIC  = -Wl,-Bstatic $(SIM_STATIC:%=-l%) -Wl,-Bdynamic $(SIM_STATIC_DEPS)
SIM_LDLIBS   = -Wl,--as-needed $(filter-out $(SIM_STATIC:%=-l%),$(PKG_LIBS)) \
               $(if $(SIM_STATIC),$(SIM_BSTATIC)) -lpthread -lm $(LDLIBS)
# Position-dependent when linked statically (SIM_PIE=1 keeps PIE): the static archives carry about
# 20,000 relative relocations (OpenSSL most) that a PIE must apply at every start, on pages that then
# become private copies; -no-pie measured 2-3 ms faster to first answer and 0.8 MiB less idle RSS
# (README "Benchmarks"). It gives up address-space randomisation of the simulator's own code and
# those libraries (not of its heap, stack or shared libraries): acceptable for a test double that
# listens on loopback unless told otherwise.
SIM_PIE     ?=
SIM_LDFLAGS  = $(if $(and $(SIM_STATIC),$(if $(SIM_PIE),,1)),-no-pie)

# Each part sees only the headers it may use, so the build itself keeps the direction of the
# dependencies (docs/design.md): the library never sees the simulator or the runner; the
# simulator, the runner and the CLI see the public header and client/shared, never client/src.
# (Pattern-specific values: the longest matching pattern wins.) ci/check-includes checks the
# same rules over the sources, for headers a wider include path could still reach.
# Only the public header is found with <...>; the project's own folders are searched for "..."
# includes alone (-iquote), so a system header's <sched.h> never finds conformance/sched.h.
INC_PUBLIC := -Iclient/include
INC_SHARED := -iquote client/shared/include
INC         = $(INC_PUBLIC) $(INC_SHARED)
$(BUILD)/obj/client/shared/%.o: INC = $(INC_SHARED)
$(BUILD)/obj/client/src/%.o: INC = $(INC_PUBLIC) $(INC_SHARED) -iquote client/src -iquote $(BUILD)/gen
# libkinesis exports only what kinesis.h declares (its visibility pragma); ci/check-symbols checks.
$(BUILD)/obj/client/shared/%.o: VIS = -fvisibility=hidden
$(BUILD)/obj/client/src/%.o: VIS = -fvisibility=hidden
$(BUILD)/obj/gen/kpl_aggregation.pb-c.o: VIS = -fvisibility=hidden
$(BUILD)/obj/client/tests/%.o: INC = $(INC_PUBLIC) $(INC_SHARED) -iquote client/src
$(BUILD)/obj/mockserver/%.o: INC = -iquote mockserver $(INC_PUBLIC) $(INC_SHARED) -iquote $(BUILD)/gen
$(BUILD)/obj/gen/%.o: INC =
$(BUILD)/obj/conformance/%.o: INC = -iquote conformance $(INC_PUBLIC) $(INC_SHARED)
# (client/src for testing.h: the library's test hooks, which libkinesis.so does not export)
$(BUILD)/obj/tests/%.o: INC = $(INC_PUBLIC) $(INC_SHARED) -iquote client/src
# The fuzzing harnesses and benchmark tools reach into every part they exercise.
$(BUILD)/obj/ci/%.o: INC = $(INC_PUBLIC) $(INC_SHARED) -iquote client/src -iquote mockserver -iquote conformance \
                          -iquote $(BUILD)/gen

SHARED_SRC := $(wildcard client/shared/*.c)
CLIENT_SRC := $(wildcard client/src/*.c)
CLI_SRC    := $(wildcard client/cli/*.c)
SIM_SRC    := $(wildcard mockserver/*.c mockserver/*/*.c)
CONF_SRC   := $(wildcard conformance/*.c)
GEN_SRC    := $(BUILD)/gen/model_data.c
# The console's page (README "The console"), embedded as it is: no build step of its own.
CONSOLE_UI := mockserver/console/ui/index.html mockserver/console/ui/app.js mockserver/console/ui/style.css

SHARED_OBJ := $(SHARED_SRC:%.c=$(BUILD)/obj/%.o)
# The KPL aggregated record (client/src/kpl_aggregation.proto) is compiled by protoc-c into
# $(BUILD)/gen at build time and linked into libkinesis (client/src/aggregation.c uses it).
PROTO_GEN  := $(BUILD)/gen/kpl_aggregation.pb-c.c
CLIENT_OBJ := $(CLIENT_SRC:%.c=$(BUILD)/obj/%.o) $(SHARED_OBJ) $(BUILD)/obj/gen/kpl_aggregation.pb-c.o
CLI_OBJ    := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
SIM_OBJ    := $(SIM_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/model_data.o $(BUILD)/obj/gen/console_ui.o
SIM_LIBOBJ := $(filter-out $(BUILD)/obj/mockserver/main.o,$(SIM_OBJ))
CONF_OBJ   := $(CONF_SRC:%.c=$(BUILD)/obj/%.o)
CONF_LIBOBJ:= $(filter-out $(BUILD)/obj/conformance/main.o,$(CONF_OBJ))

T_SIM_SRC    := $(wildcard mockserver/tests/unit/*.c)
T_CLIENT_SRC := $(wildcard client/tests/unit/*.c)
T_CONF_SRC   := $(wildcard conformance/tests/unit/*.c)
T_INT_SRC    := $(wildcard tests/integration/*.c)
EXAMPLES_SRC := $(wildcard client/examples/*.c)

BINS := $(BUILD)/kinesis-sim $(BUILD)/kinesis $(BUILD)/kinesis-conform \
        $(BUILD)/libkinesis.a $(BUILD)/libkinesis.so $(BUILD)/kinesis.pc
TESTS := $(if $(T_SIM_SRC),$(BUILD)/test-sim-unit) $(if $(T_CLIENT_SRC),$(BUILD)/test-client-unit) \
         $(if $(T_CONF_SRC),$(BUILD)/test-conform-unit) $(if $(T_INT_SRC),$(BUILD)/test-integration)
EXAMPLES := $(EXAMPLES_SRC:client/examples/%.c=$(BUILD)/examples/%)

.PHONY: all deps run test tests asan tsan clean install man examples conform dev-cert check-layout format-check test-ui
all: $(BINS) $(EXAMPLES)

deps:
	@sh ci/install-deps

# `make run`: install what is missing, build, start the simulator in the foreground (console on 4580).
run: deps
	@$(MAKE) --no-print-directory all
	$(BUILD)/kinesis-sim --host 127.0.0.1 --port 4567 --console-port 4580 --db kinesis-sim.db

# `make test`: install what is missing, build with -Werror, run every suite (ci/run-tests).
test: deps check-layout
	@$(MAKE) --no-print-directory all tests
	@BUILD=$(BUILD) SAN="$(SAN)" sh ci/run-tests

# The console in a real browser (ci/ui/console-test.js; README "The console"): installs Debian's chromium,
# Node.js and npm when missing (ci/install-deps ui) and puppeteer-core (npm ci, from ci/ui/package-lock.json),
# starts its own simulator on a loopback port and saves screenshots under $(BUILD)/ui-screenshots/ with a
# list in artefacts.txt. Not part of `make test`, which needs no browser.
test-ui: deps
	@sh ci/install-deps ui
	@$(MAKE) --no-print-directory $(BUILD)/kinesis-sim $(BUILD)/kinesis
	@cd ci/ui && npm ci --no-audit --no-fund --loglevel=error
	@node ci/ui/console-test.js --build $(BUILD) --out $(BUILD)/ui-screenshots

# Every C file formatted as .clang-format says (.ci/run runs it).
format-check:
	@sh ci/install-deps format
	@sh ci/format-check

# Who may include what (docs/design.md): ci/check-includes, and its own self-test.
check-layout:
	@sh ci/check-includes
	@sh ci/check-includes --self-test

tests: $(TESTS)

examples: $(EXAMPLES)

# ASan + UBSan build in its own directory, then the same suites.
asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined" test

# ThreadSanitizer build in build-tsan (clang), then the same suites; fails on any TSan report.
tsan: deps
	@BUILD=build-tsan sh ci/tsan

conform: all
	$(BUILD)/kinesis-conform --endpoint $(ENDPOINT) $(CONFORM_ARGS)

# Objects depend on the Makefile too: a change of flags (include paths, visibility) rebuilds them.
$(BUILD)/obj/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

# The API model, embedded into the simulator as a byte array (validation reads it at start).
$(BUILD)/tools/embed: ci/tools/embed.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(WARN) -O2 $< -o $@
# The model is embedded without its documentation strings (ci/tools/model_compact.c): 187 KB -> 30 KB,
# which is what start-up parses.
$(BUILD)/tools/model-compact: ci/tools/model_compact.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(WARN) -O2 $(shell pkg-config --cflags jansson) $< -o $@ $(shell pkg-config --libs jansson)
$(BUILD)/gen/service-2.compact.json: fixtures/kinesis-api/service-2.json $(BUILD)/tools/model-compact
	@mkdir -p $(dir $@)
	$(BUILD)/tools/model-compact $< > $@.tmp && mv $@.tmp $@
$(GEN_SRC): $(BUILD)/gen/service-2.compact.json $(BUILD)/tools/embed
	@mkdir -p $(dir $@)
	$(BUILD)/tools/embed sim_model_json $< > $@
$(BUILD)/obj/gen/model_data.o: $(GEN_SRC)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@
$(SIM_OBJ) $(CONF_OBJ): | $(GEN_SRC)
$(PROTO_GEN): client/src/kpl_aggregation.proto
	@mkdir -p $(dir $@)
	protoc-c --c_out=$(BUILD)/gen -Iclient/src $<
$(BUILD)/gen/kpl_aggregation.pb-c.h: $(PROTO_GEN)
$(BUILD)/obj/gen/kpl_aggregation.pb-c.o: $(PROTO_GEN)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@
$(CLIENT_SRC:%.c=$(BUILD)/obj/%.o): | $(BUILD)/gen/kpl_aggregation.pb-c.h
# The console's files, each as sim_console_<name> and its _len (net/console.c serves them).
$(BUILD)/gen/console_ui.c: $(CONSOLE_UI) $(BUILD)/tools/embed
	@mkdir -p $(dir $@)
	{ $(BUILD)/tools/embed sim_console_index_html mockserver/console/ui/index.html && \
	  $(BUILD)/tools/embed sim_console_app_js mockserver/console/ui/app.js && \
	  $(BUILD)/tools/embed sim_console_style_css mockserver/console/ui/style.css; } > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/gen/console_ui.o: $(BUILD)/gen/console_ui.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/libkinesis.a: $(CLIENT_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
$(BUILD)/libkinesis.so: $(CLIENT_OBJ)
	$(CC) -shared $(SAN) -Wl,-soname,libkinesis.so.0 -o $@ $^ $(LDLIBS_ALL)
$(BUILD)/kinesis.pc: client/kinesis.pc.in
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' $< > $@

# The simulator takes client/shared but its HTTP client (http_exchange), which would pull in libcurl.
SIM_SHARED_OBJ = $(filter-out $(BUILD)/obj/client/shared/http_exchange.o,$(SHARED_OBJ))
$(BUILD)/kinesis-sim: $(SIM_OBJ) $(SIM_SHARED_OBJ)
	$(CC) $(SAN) $(SIM_LDFLAGS) -o $@ $(SIM_OBJ) $(SIM_SHARED_OBJ) $(SIM_LDLIBS)
$(BUILD)/kinesis: $(CLI_OBJ) $(BUILD)/libkinesis.a
	$(CC) $(SAN) -o $@ $(CLI_OBJ) $(BUILD)/libkinesis.a $(LDLIBS_ALL)
$(BUILD)/kinesis-conform: $(CONF_OBJ) $(BUILD)/libkinesis.a
	$(CC) $(SAN) -o $@ $(CONF_OBJ) $(BUILD)/libkinesis.a $(LDLIBS_ALL)

$(BUILD)/examples/%: INC = $(INC_PUBLIC)
$(BUILD)/examples/%: client/examples/%.c $(BUILD)/libkinesis.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(BUILD)/libkinesis.a $(LDLIBS_ALL)

$(BUILD)/test-sim-unit: $(T_SIM_SRC:%.c=$(BUILD)/obj/%.o) $(SIM_LIBOBJ) $(SIM_SHARED_OBJ)
	$(CC) $(SAN) -o $@ $^ $(CRIT_LIBS) $(LDLIBS_ALL)
$(BUILD)/test-client-unit: $(T_CLIENT_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/libkinesis.a
	$(CC) $(SAN) -o $@ $^ $(CRIT_LIBS) $(LDLIBS_ALL)
$(BUILD)/test-conform-unit: $(T_CONF_SRC:%.c=$(BUILD)/obj/%.o) $(CONF_LIBOBJ) $(BUILD)/libkinesis.a
	$(CC) $(SAN) -o $@ $^ $(CRIT_LIBS) $(LDLIBS_ALL)
$(BUILD)/test-integration: $(T_INT_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/libkinesis.a
	$(CC) $(SAN) -o $@ $^ $(CRIT_LIBS) $(LDLIBS_ALL)

# A self-signed development certificate for --tls-cert/--tls-key (README: "TLS").
$(BUILD)/dev-cert.pem:
	@mkdir -p $(BUILD)
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
	  -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
	  -keyout $(BUILD)/dev-key.pem -out $(BUILD)/dev-cert.pem
dev-cert: $(BUILD)/dev-cert.pem

# Man pages, made from each command's --help by help2man (a Debian package; ci/install-deps
# installs it), so they never drift from the options the binaries take.
MANPAGES := $(BUILD)/man/kinesis-sim.1 $(BUILD)/man/kinesis.1 $(BUILD)/man/kinesis-conform.1
HELP2MAN  = help2man --no-info --no-discard-stderr --version-string=$(VERSION)
man: $(MANPAGES)
$(BUILD)/man/kinesis-sim.1: $(BUILD)/kinesis-sim
	@mkdir -p $(dir $@)
	$(HELP2MAN) --name="a local Amazon Kinesis Data Streams simulator" --output=$@ $<
$(BUILD)/man/kinesis.1: $(BUILD)/kinesis
	@mkdir -p $(dir $@)
	$(HELP2MAN) --name="a command-line client for Amazon Kinesis Data Streams and kinesis-sim" --output=$@ $<
$(BUILD)/man/kinesis-conform.1: $(BUILD)/kinesis-conform
	@mkdir -p $(dir $@)
	$(HELP2MAN) --name="run the Kinesis conformance cases against an endpoint" --output=$@ $<

# Installs the binaries, the library (with an rpath in kinesis.pc, so a program built with
# `pkg-config --libs kinesis` finds libkinesis.so.0 without ldconfig), the header, the conformance
# cases and API model where the installed kinesis-conform looks for them
# (PREFIX/share/kinesis-sim/conformance), and the man pages.
install: all man
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/kinesis \
	  $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/kinesis-sim/kinesis-api
	install -m 755 $(BUILD)/kinesis-sim $(BUILD)/kinesis $(BUILD)/kinesis-conform $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(BUILD)/libkinesis.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/libkinesis.so $(DESTDIR)$(PREFIX)/lib/libkinesis.so.0
	ln -sf libkinesis.so.0 $(DESTDIR)$(PREFIX)/lib/libkinesis.so
	install -m 644 client/include/kinesis/kinesis.h $(DESTDIR)$(PREFIX)/include/kinesis/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' client/kinesis.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/kinesis.pc
	rm -rf $(DESTDIR)$(PREFIX)/share/kinesis-sim/conformance
	cp -R fixtures/conformance $(DESTDIR)$(PREFIX)/share/kinesis-sim/conformance
	chmod -R u+rwX,go+rX,go-w $(DESTDIR)$(PREFIX)/share/kinesis-sim/conformance
	install -m 644 fixtures/kinesis-api/service-2.json $(DESTDIR)$(PREFIX)/share/kinesis-sim/kinesis-api/
	install -m 644 $(MANPAGES) $(DESTDIR)$(PREFIX)/share/man/man1/
	@echo "installed into $(DESTDIR)$(PREFIX). Programs built with \`pkg-config --cflags --libs kinesis\` find"
	@echo "libkinesis.so.0 by their rpath; to link it otherwise, run ldconfig (as root) once."

clean:
	rm -rf build build-asan build-tsan

# Benchmarks, the load generator and the crash-durability test (make bench, bench-peers, durability).
include ci/bench/bench.mk
# Real AWS clients (AWS CLI, boto3, the JavaScript SDK) against the simulator, when installed (make compat).
include ci/compat/compat.mk
# make soak: mixed load with faults from 64 connections for SOAK_MINUTES, RSS and read-back checked.
include ci/soak/soak.mk
# make fuzz, fuzz-smoke, fuzz-replay (libFuzzer harnesses under ci/fuzz/) and make valgrind.
include ci/fuzz/fuzz.mk

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
