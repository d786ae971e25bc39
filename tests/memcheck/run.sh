#!/usr/bin/env bash
# run.sh VALGRIND VAE_GEN OUT_FILE ARGS... - vae_gen ARGS under valgrind memcheck: any memory
# error or leak fails (exit 1), and so does an OUT_FILE that vae_gen did not write.
set -euo pipefail
valgrind="$1" gen="$2" out="$3"
shift 3
rm -f "$out"
"$valgrind" --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect -q \
  "$gen" "$@"
[[ -s "$out" ]] || { echo "memcheck: vae_gen wrote no $out" >&2; exit 1; }
echo "memcheck: clean, wrote $out ($(stat -c %s "$out") bytes)"
