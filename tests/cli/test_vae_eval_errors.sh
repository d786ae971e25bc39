#!/usr/bin/env bash
# test_vae_eval_errors.sh - every kind of bad input to vae_eval: one line on stderr, exit 2 for a
# usage error and 1 for a runtime error, caught before the evaluation (tests/cli/lib_errors.sh).
#
# usage: test_vae_eval_errors.sh VAE_EVAL VAE_TRAIN VAE_EXPORT WEIGHTS_DIR DATA_DIR
set -euo pipefail
source "$(dirname "$0")/lib_errors.sh"
eval_bin="$(abs "$1")" train_bin="$(abs "$2")" export_bin="$(abs "$3")" weights="$(abs "$4")"
data="$(abs "${VAE_DATA:-$5}")"
init_work eval_errors
nobody_eval="$(for_nobody "$eval_bin")"

ln -s "$data" mnist
cp "$weights/mnist_vae.vaew" vae.vaew
cp "$weights/mnist_classifier.vaew" classifier.vaew
cp "$weights/mnist_vae_decoder_int8.vaew" dec_int8.vaew
"$train_bin" --data mnist --train-limit 128 --test-limit 64 --epochs 1 --latent 2 --threads 1 --quiet --out z2.vaew
"$export_bin" vae.vaew vae_int8.vaew --int8 >/dev/null
make_bad_files vae.vaew
mkdir badmnist empty ro rw && chmod 555 ro && chmod 777 rw
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-labels-idx1-ubyte; do ln -s "$data/$f" badmnist/; done
head -c 5000 "$data/t10k-images-idx3-ubyte" >badmnist/t10k-images-idx3-ubyte
e=vae_eval
export PATH="$(dirname "$eval_bin"):$PATH"
q=(--data mnist --test-limit 50 --quiet)
echo "a file" >afile

# Usage errors: exit 2.
expect_error 2 'weights is required' "no weight file" $e --data mnist
expect_error 2 "--batch: '0' is not an integer from 1 to 4096" "batch 0" $e vae.vaew --batch 0
expect_error 2 "--iwae: '0' is not an integer from 1 to 1000000" "IWAE K = 0" $e vae.vaew --iwae 0
expect_error 2 "--iwae: 'x'" "IWAE list with a word" $e vae.vaew --iwae 1,x
expect_error 2 "--seed: '-1' is not a seed" "negative seed" $e vae.vaew --seed -1
expect_error 2 "--threads: '0'" "0 threads" $e vae.vaew --threads 0
expect_error 2 "--test-limit: '-1' is not an integer from 0" "negative test limit" $e vae.vaew --test-limit -1
expect_error 2 "--train-limit: 'x'" "train limit not a number" $e vae.vaew --train-limit x
expect_error 2 'needs at least that many training images; --train-limit 3 leaves 3' "mixture with more components than training images" $e vae.vaew "${q[@]}" --fit-prior gmm:5 --train-limit 3
expect_error 2 '--out same.vaew and --save-prior same.vaew are the same file' "--out and --save-prior the same file" $e vae.vaew "${q[@]}" --fit-prior gmm:2 --out same.vaew --save-prior same.vaew
expect_error 2 "--count: '-1'" "negative sample count" $e vae.vaew --count -1
expect_error 2 '--count needs --classifier FILE' "--count without a classifier" $e vae.vaew --data mnist --count 10
expect_error 2 '--classifier is used by --count N' "--classifier without --count" $e vae.vaew --data mnist --classifier classifier.vaew
expect_error 2 '--fit-prior gmm:0: expected gmm:K with K in 1..1000' "mixture of 0 components" $e vae.vaew --data mnist --fit-prior gmm:0
expect_error 2 '--fit-prior kmeans:3: expected gmm:K' "unknown prior kind" $e vae.vaew --data mnist --fit-prior kmeans:3
expect_error 2 '--save-prior needs --fit-prior gmm:K' "--save-prior without a fit" $e vae.vaew --data mnist --save-prior p.vaew
expect_error 2 '--data nodir: no such directory \(fetch it with: .*fetch.* --data' "missing data folder" $e vae.vaew --data nodir
expect_error 1 '--data empty: MNIST is missing \(empty/t10k-images-idx3-ubyte\); fetch it with: ' "data folder without MNIST" $e vae.vaew --data empty
expect_error 2 'not expected: --verbose' "unknown flag" $e vae.vaew --verbose
expect_error 2 '--out folder.vaew: is a directory' "--out is a directory" $e vae.vaew "${q[@]}" --out folder.vaew

# Runtime errors: exit 1.
expect_error 1 'cannot read missing.vaew: No such file' "missing weight file" $e missing.vaew --data mnist
expect_error 1 'cannot read unreadable.vaew: Permission denied' "unreadable weight file (mode 000)" "${unprivileged[@]}" "$nobody_eval" unreadable.vaew --data empty
expect_error 1 'truncated' "truncated weight file" $e truncated.vaew --data mnist
expect_error 1 'CRC' "one byte changed" $e flipped.vaew --data mnist
expect_error 1 'bad magic' "not a weight file" $e text.vaew --data mnist
expect_error 1 'a classifier file; vae_eval needs a VAE or an autoencoder' "classifier file as the model" $e classifier.vaew --data mnist
expect_error 1 'decoder-only file; the evaluation needs the encoder too' "decoder-only file" $e dec_int8.vaew --data mnist
expect_error 1 'not a classifier file' "a VAE file as --classifier" $e vae.vaew "${q[@]}" --count 10 --classifier vae.vaew
# Before anything is evaluated: no table on stdout, and in well under the evaluation's time.
expect_error 1 'cannot read missing.vaew' "missing --classifier (refused before the evaluation)" $e vae.vaew --data mnist --iwae 5000 --count 10 --classifier missing.vaew
[[ ! -s out.txt ]] || fail "vae_eval evaluated before it read the classifier: $(head -3 out.txt)"
expect_error 1 't10k-images-idx3-ubyte.*truncated' "truncated MNIST test images" $e vae.vaew --data badmnist
expect_error 1 '--out afile/e.json: afile is not a directory' "--out under a file" $e vae.vaew "${q[@]}" --out afile/e.json
expect_error 1 '--out ro/e.json: cannot write in ro' "--out in a read-only directory" "${unprivileged[@]}" "$nobody_eval" vae.vaew --data empty --out ro/e.json
expect_error 1 '--save-prior afile/p.vaew: afile is not a directory' "--save-prior under a file" $e vae.vaew "${q[@]}" --fit-prior gmm:2 --save-prior afile/p.vaew

# Valid, though they may look odd.
expect_ok "latent-2 model" $e z2.vaew "${q[@]}"
expect_ok "int8 full model (dequantized on load)" $e vae_int8.vaew "${q[@]}" --out rw/e.json
[[ -s rw/e.json ]] || fail "--out was not written"
expect_ok "the old spellings --limit and --json (deprecated, said on stderr)" $e vae.vaew --data mnist --limit 20 --quiet --json old/e.json
grep -q -- '--limit is deprecated; use --test-limit' err.txt || fail "--limit does not say it is deprecated: $(cat err.txt)"
grep -q -- '--json is deprecated; use --out' err.txt || fail "--json does not say it is deprecated: $(cat err.txt)"
[[ "$(jq .test_images old/e.json 2>/dev/null || python3 -c 'import json;print(json.load(open("old/e.json"))["test_images"])')" == 20 ]] || fail "--limit 20 did not limit the test set"
echo "ok: vae_eval bad inputs"
