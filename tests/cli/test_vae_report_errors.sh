#!/usr/bin/env bash
# test_vae_report_errors.sh - every kind of bad input to vae_report: one line on stderr, exit 2 for
# a usage error and 1 for a runtime error, before any picture is written (tests/cli/lib_errors.sh).
#
# usage: test_vae_report_errors.sh VAE_REPORT VAE_TRAIN WEIGHTS_DIR DATA_DIR
set -euo pipefail
source "$(dirname "$0")/lib_errors.sh"
report_bin="$(abs "$1")" train_bin="$(abs "$2")" weights="$(abs "$3")" data="$(abs "${VAE_DATA:-$4}")"
init_work report_errors
nobody_report="$(for_nobody "$report_bin")"

ln -s "$data" mnist
small=(--data mnist --train-limit 128 --test-limit 64 --epochs 1 --threads 1 --quiet)
"$train_bin" "${small[@]}" --report good --out good/weights.vaew
"$train_bin" "${small[@]}" --latent 2 --out z2.vaew
for d in z2w clsw badcsv badjson noweights unfinished; do cp -r good "$d"; done
printf '{"status": "interrupted", "finished": false, "epochs_done": 1, "epochs": 3, "resume_command": "vae_train --resume unfinished"}\n' >unfinished/run.json
cp z2.vaew z2w/weights.vaew
cp "$weights/mnist_classifier.vaew" clsw/weights.vaew
echo "epoch,loss" >badcsv/losses.csv
echo "{" >badjson/metrics.json
rm noweights/weights.vaew noweights/run.json   # run.json would name the weights of the run
mkdir empty ro && chmod 555 ro
echo "a file" >afile
r=vae_report
export PATH="$(dirname "$report_bin"):$PATH"

# Usage errors: exit 2.
expect_error 2 'runs is required' "no run directory" $r --data mnist
expect_error 2 'at most 4 runs fit in one comparison' "five runs" $r --data mnist good good good good good
expect_error 2 "--wall-seconds: '-1' is not a finite number >= 0" "negative wall time" $r --data mnist --wall-seconds -1 good
expect_error 2 "--wall-seconds: 'nan'" "wall time NaN" $r --data mnist --wall-seconds nan good
expect_error 2 'not expected: --title' "unknown flag" $r --data mnist --title x good

# Runtime errors: exit 1.
expect_error 1 'nodir: no such run directory \(expected a folder written by vae_train --report\)' "missing run directory" $r --data mnist --out cmp nodir
expect_error 1 'empty: no weights \(empty/weights.vaew\); train the run with vae_train --run empty' "run directory without a run" $r --data mnist --out cmp empty
expect_error 1 'unfinished: an unfinished run \(run.json: interrupted, epoch 1 of 3\); its figures are not a result; resume it with: vae_train --resume unfinished' \
  "an interrupted run (run.json says so)" $r --data mnist --out cmp unfinished
expect_error 1 'badcsv/losses.csv:1: expected the header' "losses.csv not vae_train's" $r --data mnist --out cmp badcsv
expect_error 1 'badjson/metrics.json: not what vae_train writes' "metrics.json cut short" $r --data mnist --out cmp badjson
expect_error 1 'z2w/weights.vaew: file has latent 2, this build expects 20' "latent-2 weights in a latent-20 run" $r --data mnist --out cmp z2w
expect_error 1 'clsw/weights.vaew: .*(hidden 256|classifier)' "classifier weights in a run" $r --data mnist --out cmp clsw
expect_error 1 'noweights: no weights \(noweights/weights.vaew\)' "run without weights" $r --data mnist --out cmp noweights
expect_error 1 '--data empty: MNIST is missing \(empty/t10k-images-idx3-ubyte\); fetch it with: ' "data folder without MNIST" $r --data empty --out cmp good
[[ ! -e cmp ]] || fail "vae_report made its output folder before a failure"
expect_error 1 '--out afile/cmp: cannot create the directory' "--out under a file" $r --data mnist --out afile/cmp good
expect_error 1 '--out ro/cmp: cannot create the directory \(ro: Permission denied\)' "--out in a read-only directory" "${unprivileged[@]}" "$nobody_report" --data empty --out ro/cmp good
[[ -z "$(ls ro)" ]] || fail "an output appeared after an error"

expect_ok "a finished run" $r --data mnist --out cmp good
[[ -s cmp/summary.md ]] || fail "summary.md was not written"
echo "ok: vae_report bad inputs"
