#!/usr/bin/env bash
# test_vae_eval.sh - the vae_eval and classifier_train command lines on small data.
#
# usage: test_vae_eval.sh VAE_EVAL CLASSIFIER_TRAIN WEIGHTS_DIR DATA_DIR
# vae_eval on the shipped VAE and classifier with 200 test images: the table, --out with every
# section, IWAE monotone in K on average (K = 1 >= K = 20 in nats); usage errors exit 2 and
# runtime errors exit 1, each one line on stderr; a mixture prior fitted, saved, scored from the
# file and replaced. classifier_train: --help and a usage error
# (a training run is tests/test_classifier.cpp's business). Runs in a temporary folder.
set -euo pipefail

abs() { [[ "$1" == /* ]] && echo "$1" || echo "$PWD/$1"; }
eval_bin="$(abs "$1")" train_bin="$(abs "$2")" weights="$(abs "$3")" data="$(abs "${VAE_DATA:-$4}")"
work="$(mktemp -d /tmp/vae_eval_cli_XXXXXX)"
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

# $1: expected exit status; the rest: the command. A failure's stderr must be one line. A success
# may also print the final line of each step that took 2 s or more (apps/common/progress_line.hpp:
# "vae_eval: encoded 60000 training images (3.3s)"), which a slow build (the dev preset's
# sanitizers on a busy machine) does; anything else on its stderr fails.
expect_exit() {
  local want="$1"; shift
  set +e; "$@" >out.txt 2>err.txt; local got=$?; set -e
  [[ $got == "$want" ]] || fail "$* exited $got, expected $want: $(cat err.txt)"
  if [[ $want == 0 ]]; then
    if grep -qvE '^[a-z_]+: .* \([0-9][0-9.hms ]*\)$' err.txt; then
      fail "$*: stderr has more than step lines: $(cat err.txt)"
    fi
  else
    [[ $(wc -l <err.txt) -le 1 ]] || fail "$*: stderr is not one line: $(cat err.txt)"
  fi
}

expect_exit 0 "$eval_bin" "$weights/mnist_vae.vaew" --data "$data" --test-limit 200 --iwae 1,20 \
  --count 200 --classifier "$weights/mnist_classifier.vaew" --out eval.json
grep -q "z = mu" out.txt || fail "no table"
for key in '"sampled"' '"mean"' '"per_class_mean"' '"iwae"' '"confident_share"' '"inception_score"' '"real_test"'; do
  grep -q "$key" eval.json || fail "eval.json lacks $key"
done
# -L_1 >= -L_20 (nats): the bound tightens with K.
k1=$(grep -A2 '"iwae"' eval.json | grep '"1"' | sed 's/.*: *//; s/,//')
k20=$(grep -A2 '"iwae"' eval.json | grep '"20"' | sed 's/.*: *//; s/,//')
awk -v a="$k1" -v b="$k20" 'BEGIN { exit !(a >= b) }' || fail "IWAE K=1 $k1 < K=20 $k20"

# --fit-prior with --save-prior: the file gets the prior_* tensors (and keeps the model's), and a
# file that carries a prior has it scored without refitting; saving again replaces it.
expect_exit 0 "$eval_bin" "$weights/mnist_ae.vaew" --data "$data" --test-limit 100 --fit-prior gmm:3 \
  --gmm-iters 5 --save-prior prior.vaew --out fit.json
grep -q '"loglik_test"' fit.json || fail "fit.json lacks the held-out log-likelihood"
expect_exit 0 "$eval_bin" prior.vaew --data "$data" --test-limit 100 --count 100 \
  --classifier "$weights/mnist_classifier.vaew" --out stored.json
grep -q '"stored": true' stored.json || fail "the stored prior was not used: $(cat stored.json)"
grep -q '"generated_gmm"' stored.json || fail "stored.json lacks the mixture's sample scores"
expect_exit 0 "$eval_bin" prior.vaew --data "$data" --test-limit 100 --fit-prior gmm:2 --gmm-iters 2 \
  --save-prior prior.vaew
expect_exit 0 "$eval_bin" prior.vaew --data "$data" --test-limit 100 --out again.json
grep -q '"k": 2' again.json || fail "--save-prior did not replace the prior: $(cat again.json)"

expect_exit 2 "$eval_bin" "$weights/mnist_vae.vaew" --data "$data" --count 10
expect_exit 2 "$eval_bin" "$weights/mnist_vae.vaew" --data "$data" --iwae 0
expect_exit 2 "$eval_bin" --data "$data"
expect_exit 2 "$eval_bin" "$weights/mnist_vae.vaew" --data "$data" --fit-prior gmm:0
expect_exit 2 "$eval_bin" "$weights/mnist_vae.vaew" --data "$data" --fit-prior kmeans:3
expect_exit 2 "$eval_bin" "$weights/mnist_vae.vaew" --data "$data" --save-prior out.vaew
expect_exit 2 "$eval_bin" "$weights/mnist_vae.vaew" --data "$work/none"
expect_exit 1 "$eval_bin" "$weights/mnist_classifier.vaew" --data "$data"
grep -q "classifier file" err.txt || fail "a classifier file as WEIGHTS: $(cat err.txt)"
expect_exit 1 "$eval_bin" "$weights/mnist_vae_decoder_int8.vaew" --data "$data"
expect_exit 1 "$eval_bin" "$weights/mnist_vae.vaew" --data "$data" --test-limit 10 --count 10 --classifier "$weights/mnist_vae.vaew"
grep -q "not a classifier" err.txt || fail "a VAE file as --classifier: $(cat err.txt)"
expect_exit 1 "$eval_bin" "$work/missing.vaew" --data "$data"

expect_exit 0 "$train_bin" --help
grep -q -- "--epochs" out.txt || fail "classifier_train --help lists no --epochs"
expect_exit 2 "$train_bin" --epochs 0
expect_exit 2 "$train_bin" --data "$work/none"
echo "ok"
