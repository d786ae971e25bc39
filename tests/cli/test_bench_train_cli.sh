#!/usr/bin/env bash
# tests/cli/test_bench_train_cli.sh BENCH_TRAIN - bench_train's command line keeps the apps'
# contract (apps/common/cli_main.hpp, which cli_contract checks for apps/): a bad flag or value is
# one line on stderr, prefixed "bench_train: " and naming it, exit 2; --help prints the usage and
# exits 0.
set -u
b=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail() { echo "test_bench_train_cli: $*" >&2; exit 1; }
for args in "--bogus" "--threads x" "--reps 0"; do
  # shellcheck disable=SC2086 # the flags are split on purpose
  "$b" $args >"$out/o" 2>"$out/e"
  rc=$?
  [[ $rc -eq 2 ]] || fail "bench_train $args: exit $rc, expected 2"
  [[ $(wc -l <"$out/e") -eq 1 ]] || fail "bench_train $args: stderr is not one line: $(cat "$out/e")"
  grep -q "^bench_train: .*${args%% *}" "$out/e" || fail "bench_train $args: '$(cat "$out/e")' does not name ${args%% *}"
done
"$b" --help >"$out/o" 2>&1 || fail "bench_train --help: exit $?"
grep -q "^Usage: bench_train" "$out/o" || fail "bench_train --help: no usage line"
echo "test_bench_train_cli: bad flags refused in one line with exit 2, --help exits 0"
