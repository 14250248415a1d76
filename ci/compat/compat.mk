# ci/compat/compat.mk: the `make compat` target, included by the top-level Makefile.
# Runs real AWS clients (aws CLI, boto3, @aws-sdk/client-kinesis over HTTP/1.1 and over its
# default HTTP/2 handler) through one stream flow against a fresh $(BUILD)/kinesis-sim, or
# against ENDPOINT=URL when given. Clients not installed are reported as skipped; `make test`
# never depends on this. COMPAT_ARGS passes client names, e.g. COMPAT_ARGS="boto3 js-http1".
# The client "kinesalite" is the self-check of the recorded conformance cases (ci/compat/kinesalite).
.PHONY: compat
compat: $(BUILD)/kinesis-sim $(BUILD)/kinesis-conform $(BUILD)/kinesis
	@BUILD=$(BUILD) sh ci/compat/run $(if $(ENDPOINT),--endpoint $(ENDPOINT)) $(COMPAT_ARGS)

# `make compat-selftest`: proves each installed client's flow fails, naming the field, when a
# proxy alters one answer (ci/compat/tests/selftest).
.PHONY: compat-selftest
compat-selftest: $(BUILD)/kinesis-sim
	@BUILD=$(BUILD) sh ci/compat/tests/selftest

# `make compat-kinesalite`: kinesis-conform's recorded cases against kinesalite (npm), which must pass
# wherever kinesalite implements the operation (ci/compat/kinesalite; skipped without node).
.PHONY: compat-kinesalite
compat-kinesalite: $(BUILD)/kinesis-conform
	@BUILD=$(BUILD) sh ci/compat/kinesalite
