#!/usr/bin/env bash
# test_cli_contract.sh - the CLI contract every app follows (apps/common/cli_main.hpp) and the
# README's table of apps and jobs.
#
# usage: test_cli_contract.sh APPS_DIR README SCRIPTS_RUN
#   help   every app's --help lists the shared options under the same names (-q,--quiet in each;
#          --data, --threads, --seed, --train-limit, --test-limit, -o,--out, -n,--count where the
#          app has the thing), no old spelling (--limit, --json), and an "Exit status:" section
#          with 0, 1 and 2
#   table  the README's "Apps and jobs" table names exactly the executables in APPS_DIR/*/ and
#          the jobs of scripts/run, each row with an example
# Not a test of what the options do: the apps' own tests are.
set -euo pipefail
apps="$1" readme="$2" run_script="$3"
fail() { echo "FAIL: $*" >&2; exit 1; }

declare -A shared=(
  [vae_train]="--data --threads --seed --train-limit --test-limit -o,--out -q,--quiet"
  [vae_gen]="-n,--count --seed -o,--out -q,--quiet"
  [vae_export]="-o,--out -q,--quiet"
  [vae_eval]="--data --threads --seed --train-limit --test-limit -n,--count -o,--out -q,--quiet"
  [vae_figures]="--data --threads --seed --test-limit -o,--out -q,--quiet"
  [vae_report]="--data --threads -o,--out -q,--quiet"
  [classifier_train]="--data --threads --seed --train-limit --test-limit -o,--out -q,--quiet"
)
for app in "${!shared[@]}"; do
  bin="$apps/$app/$app"
  [[ -x "$bin" ]] || fail "$bin is not built"
  help="$("$bin" --help)" || fail "$app --help exited $?"
  for opt in ${shared[$app]}; do
    grep -qE -- "(^|[ ,])$opt( |$)" <<<"$help" || fail "$app --help lacks $opt: $help"
  done
  for old in --limit --json; do
    ! grep -qE -- "(^|[ ,])$old( |$)" <<<"$help" || fail "$app --help shows the old spelling $old"
  done
  grep -q '^Exit status:$' <<<"$help" || fail "$app --help has no 'Exit status:' section"
  for status in '  0    done' '  1    runtime error' '  2    usage error'; do
    grep -qF -- "$status" <<<"$help" || fail "$app --help: the exit status section lacks '$status'"
  done
  echo "ok: $app --help"
done

# The table: rows "| `name` | what | `example` |" between "## Apps and jobs" and the next "##".
table="$(sed -n '/^## Apps and jobs$/,/^##[^#]/p' "$readme" | grep -E '^\| `')"
[[ -n "$table" ]] || fail "no table under '## Apps and jobs' in $readme"
listed_apps="$(sed -E 's/^\| `([^`]+)`.*/\1/' <<<"$table" | grep -v '^scripts/run' | sort)"
built_apps="$(find "$apps" -mindepth 2 -maxdepth 2 -type f -executable -printf '%f\n' | sort)"
[[ "$listed_apps" == "$built_apps" ]] ||
  fail "the README's apps differ from $apps: $(diff <(echo "$listed_apps") <(echo "$built_apps") | grep '^[<>]' | tr '\n' ' ')"
listed_jobs="$(sed -En 's/^\| `scripts\/run ([a-z]+)`.*/\1/p' <<<"$table" | sort)"
jobs="$(sed -En 's/^  ([a-z]+)\) job_[a-z]+ "\$@" ;;$/\1/p' "$run_script" | sort)"
[[ -n "$jobs" ]] || fail "found no jobs in $run_script"
[[ "$listed_jobs" == "$jobs" ]] || fail "the README's jobs ($(echo $listed_jobs)) differ from $run_script's ($(echo $jobs))"
while IFS= read -r row; do
  grep -qE '\| `[^`]+` \|$' <<<"$row" || fail "a table row without an example: $row"
done <<<"$table"
echo "ok: the README's table lists $(wc -l <<<"$built_apps") apps and $(wc -l <<<"$jobs") jobs, each with an example"
