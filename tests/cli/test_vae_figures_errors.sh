#!/usr/bin/env bash
# test_vae_figures_errors.sh - bad input to vae_figures: one line on stderr, exit 2 for a usage
# error and 1 for a runtime error (tests/cli/lib_errors.sh).
#
# usage: test_vae_figures_errors.sh VAE_FIGURES WEIGHTS_DIR DATA_DIR
set -euo pipefail
source "$(dirname "$0")/lib_errors.sh"
figures_bin="$(abs "$1")" weights="$(abs "$2")" data="$(abs "${VAE_DATA:-$3}")"
init_work figures_errors
nobody_figures="$(for_nobody "$figures_bin")"

ln -s "$data" mnist
cp "$weights/mnist_vae.vaew" vae.vaew
cp "$weights/mnist_classifier.vaew" classifier.vaew
cp "$weights/mnist_vae_decoder_int8.vaew" dec_int8.vaew
make_bad_files vae.vaew
mkdir empty ro && chmod 555 ro
echo "a file" >afile
v=vae_figures
export PATH="$(dirname "$figures_bin"):$PATH"

expect_error 2 '--out is required' "no output folder" $v vae.vaew
expect_error 2 "--steps: '1' is not an integer from 2 to 32" "one step per row" $v vae.vaew --out f --steps 1
expect_error 2 "--pairs: '0'" "no interpolation rows" $v vae.vaew --out f --pairs 0
expect_error 2 "--grid: '100'" "manifold grid too large" $v vae.vaew --out f --grid 100
expect_error 2 "--seed: '-2' is not a seed" "negative seed" $v vae.vaew --out f --seed -2
expect_error 2 '--classes: letters not in \{digits,fashion\}' "unknown label set" $v vae.vaew --out f --classes letters
expect_error 2 'not expected: .*--dpi' "unknown flag" $v vae.vaew --out f --dpi 300
expect_error 1 'cannot read missing.vaew' "missing weight file" $v missing.vaew --out f
expect_error 1 'CRC' "one byte changed" $v flipped.vaew --out f
expect_error 1 'a digit classifier file; vae_figures needs a VAE or autoencoder' "classifier file" $v classifier.vaew --out f
expect_error 1 'decoder-only file; the pictures need the encoder' "decoder-only file" $v dec_int8.vaew --out f
expect_error 1 '--data empty: MNIST is missing \(empty/t10k-images-idx3-ubyte\); fetch it with: ' "data folder without MNIST" $v vae.vaew --out f --data empty
expect_error 1 '--out afile/f: cannot create the directory \(afile is not a directory\)' "--out under a file" $v vae.vaew --out afile/f --data mnist
expect_error 1 '--out ro/f: cannot create the directory \(ro: Permission denied\)' "--out in a read-only directory" "${unprivileged[@]}" "$nobody_figures" vae.vaew --out ro/f --data empty
echo "ok: vae_figures bad inputs"
