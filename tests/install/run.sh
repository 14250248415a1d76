#!/bin/sh
# tests/install/run.sh BUILD: `make install` works as README shows (issue 14). Installs the build
# into a temporary prefix (make install PREFIX=...), then, from a directory that holds no
# fixtures, runs what was installed:
#  - each installed command answers --version, and its man page is in PREFIX/share/man/man1;
#  - the installed kinesis-sim starts with a stream (--create-stream demo:2);
#  - the installed kinesis-conform finds its cases by default (PREFIX/share/kinesis-sim/conformance)
#    and passes a group of them against it;
#  - client/examples/producer.c and consumer.c, compiled with `pkg-config --cflags --libs kinesis`
#    against the prefix, run without LD_LIBRARY_PATH or ldconfig (kinesis.pc's rpath) and move
#    records through the simulator.
# SAN (set by make asan) is added when compiling the examples. Bounded: every step has a timeout.
set -u
BUILD=${1:-build}
top=$(pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kinesis-install-XXXXXX") || exit 1
prefix="$tmp/prefix"
sim_pid=""
cleanup() {
    [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
    echo "install: FAILED: $*"
    exit 1
}
T="timeout 120"
command -v timeout >/dev/null 2>&1 || T=""

echo "install: make install PREFIX=$prefix"
# (under make asan the calling make's flags carry BUILD, OPT and SAN: what is built stays as built)
$T make --no-print-directory -s install BUILD="$BUILD" PREFIX="$prefix" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log"; fail "make install"; }
grep -q "ldconfig" "$tmp/install.log" || fail "make install does not say how the library is found"

cd "$tmp" || exit 1
for cmd in kinesis-sim kinesis kinesis-conform; do
    v=$("$prefix/bin/$cmd" --version 2>&1) || fail "$cmd --version: $v"
    case "$v" in "$cmd "*) ;; *) fail "$cmd --version printed '$v'" ;; esac
    head -n 5 "$prefix/share/man/man1/$cmd.1" 2>/dev/null | grep -q '^\.TH' || fail "no man page $cmd.1"
    [ "$(grep -c '^\.TP' "$prefix/share/man/man1/$cmd.1")" -ge 3 ] || fail "$cmd.1 does not list the options"
done
echo "install: --version and man pages of kinesis-sim, kinesis, kinesis-conform: ok"

: >"$tmp/sim.out"
"$prefix/bin/kinesis-sim" --port 0 --db :memory: --create-stream demo:2 --control-limits off \
    --log-level warn >"$tmp/sim.out" 2>"$tmp/sim.err" &
sim_pid=$!
url=""
i=0
while [ $i -lt 100 ] && [ -z "$url" ]; do
    url=$(sed -n 's/^kinesis-sim listening on //p' "$tmp/sim.out")
    [ -n "$url" ] || sleep 0.1
    i=$((i + 1))
done
[ -n "$url" ] || { cat "$tmp/sim.err"; fail "the installed kinesis-sim did not start"; }
echo "install: installed kinesis-sim at $url"

$T "$prefix/bin/kinesis-conform" --endpoint "$url" --case 'streams/*' --jobs 4 >"$tmp/conform.out" 2>&1
rc=$?
tail -n 1 "$tmp/conform.out"
grep -e '^FAIL' -e 'kinesis-conform:' "$tmp/conform.out"
# that every case passes is ci/run-tests' conformance step; here: the installed runner found its
# cases and ran them (exit 2 would mean it could not)
[ $rc -le 1 ] || fail "installed kinesis-conform exited $rc"
grep -q '^ok   streams/' "$tmp/conform.out" || fail "installed kinesis-conform ran no streams/ case"

PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
export PKG_CONFIG_PATH
flags=$(pkg-config --cflags --libs kinesis) || fail "pkg-config kinesis"
for ex in producer consumer; do
    # shellcheck disable=SC2086
    cc ${SAN:-} -o "$tmp/$ex" "$top/client/examples/$ex.c" $flags || fail "cannot compile $ex.c against the prefix"
done
unset LD_LIBRARY_PATH
KINESIS_ENDPOINT=$url AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=secret AWS_DEFAULT_REGION=us-east-1
export KINESIS_ENDPOINT AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_DEFAULT_REGION
$T "$tmp/producer" demo 20 >"$tmp/producer.out" 2>&1 || { cat "$tmp/producer.out"; fail "installed producer"; }
$T "$tmp/consumer" demo >"$tmp/consumer.out" 2>&1 || { cat "$tmp/consumer.out"; fail "installed consumer"; }
n=$(grep -c '^shardId-' "$tmp/consumer.out")
[ "$n" -ge 20 ] || { cat "$tmp/consumer.out"; fail "the consumer read $n records, expected at least 20"; }
echo "install: producer and consumer built with pkg-config ran from the prefix (no ldconfig), $n records read"
echo "install: ok"
