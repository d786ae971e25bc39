#!/usr/bin/env bash
# test_vae_gen_errors.sh - every kind of bad input to vae_gen: one line on stderr, exit 2 for a
# usage error and 1 for a runtime error, never a crash or a hang (tests/cli/lib_errors.sh), and
# the inputs that look odd but are valid.
#
# usage: test_vae_gen_errors.sh VAE_GEN VAE_TRAIN WEIGHTS_DIR DATA_DIR
set -euo pipefail
source "$(dirname "$0")/lib_errors.sh"
gen="$(abs "$1")" train="$(abs "$2")" weights="$(abs "$3")" data="$(abs "${VAE_DATA:-$4}")"
init_work gen_errors
nobody_gen="$(for_nobody "$gen")"

cp "$weights/mnist_vae.vaew" vae.vaew
cp "$weights/mnist_classifier.vaew" classifier.vaew
cp "$weights/mnist_vae_decoder_int8.vaew" dec_int8.vaew
"$train" --data "$data" --train-limit 128 --test-limit 64 --epochs 1 --latent 2 --threads 1 --quiet --out z2.vaew
make_bad_files vae.vaew
head -c 240 /dev/zero >z20x3.f32                                       # 3 latents of 20 zeros
printf '12345' >odd.f32                                                # 5 bytes
{ head -c 76 /dev/zero; printf '\x00\x00\xc0\x7f'; } >nan.f32          # 20 floats, the last NaN
mkdir ro && chmod 555 ro                                               # not writable (but by root)
echo "a file" >afile
g=vae_gen
export PATH="$(dirname "$gen"):$PATH"   # the rows show "vae_gen ...", as a user types it

# Usage errors: exit 2.
expect_error 2 'weights is required' "no weight file" $g
expect_error 2 "--count: '0' is not an integer from 1 to 1000000" "count out of range" $g vae.vaew --count 0
expect_error 2 "--count: '-5' is not an integer" "negative count" $g vae.vaew --count -5
expect_error 2 "--count: '1000001'" "count above the limit" $g vae.vaew --count 1000001
expect_error 2 "--count: 'many'" "count not a number" $g vae.vaew --count many
expect_error 2 "--seed: '-1' is not a seed" "negative seed" $g vae.vaew --seed -1
expect_error 2 "--seed: '18446744073709551616' is not a seed" "seed above 2^64-1" $g vae.vaew --seed 18446744073709551616
expect_error 2 'not expected: --colour' "unknown flag" $g vae.vaew --colour
expect_error 2 'not expected: extra' "extra argument" $g vae.vaew extra
expect_error 2 'the extension must be .png, .pgm, .idx or .f32' "unknown output format" $g vae.vaew --out digits.jpg
expect_error 2 '--prior: .*not in \{normal,gmm\}' "unknown prior" $g vae.vaew --prior uniform
expect_error 2 'excludes' "--latent with --count" $g vae.vaew --latent z20x3.f32 --count 3
# A grid too large for a picture is refused before the weights are read, with the .idx way out:
# with a weight file that does not exist, the grid is still what is refused (exit 2, not 1).
expect_error 2 'a grid of 1000000 digits would be 30002x30002 pixels.*write them all as IDX \(--out x.idx\)' \
  "a million digits as one PNG grid" $g vae.vaew --count 1000000 --out x.png
expect_error 2 'a grid of 1000000 digits would be 30002x30002 pixels' \
  "the oversized grid refused before the weights are read" $g missing.vaew --count 1000000 --out x.png
expect_error 2 'a grid of 400000 digits would be' "400,000 digits as a PGM grid" $g vae.vaew --count 400000 --out x.pgm
expect_error 2 'a grid of 300000 digits would be 9000002x32 pixels' "a 300,000-step interpolation strip" $g vae.vaew --interpolate --count 300000 --out s.png
[[ ! -e x.png && ! -e x.pgm && ! -e s.png ]] || fail "an oversized grid left a file"

# Runtime errors: exit 1, naming the file and what was expected.
expect_error 1 'cannot read missing.vaew: No such file' "missing weight file" $g missing.vaew
expect_error 1 'it is a directory, expected a file' "a directory as the weight file" $g folder.vaew
expect_error 1 'cannot read loop.vaew: Too many levels of symbolic links' "unreadable (a symbolic-link loop)" $g loop.vaew
expect_error 1 'cannot read unreadable.vaew: Permission denied' "unreadable (mode 000)" "${unprivileged[@]}" "$nobody_gen" unreadable.vaew
expect_error 1 'truncated' "truncated weight file" $g truncated.vaew
expect_error 1 'CRC' "one byte changed" $g flipped.vaew
expect_error 1 'bad magic' "not a weight file" $g text.vaew
expect_error 1 'a digit classifier file .*needs a VAE or autoencoder' "classifier file as the model" $g classifier.vaew
expect_error 1 '--out afile/digits.png: afile is not a directory' "output under a file" $g vae.vaew --out afile/digits.png
expect_error 1 'cannot write in ro \(Permission denied\)' "output in a read-only directory" "${unprivileged[@]}" "$nobody_gen" vae.vaew --out ro/digits.png
expect_error 1 'cannot read missing.f32' "missing latent file" $g vae.vaew --latent missing.f32
expect_error 1 'not a whole number of latents of 20 float32' "latent file of 5 bytes" $g vae.vaew --latent odd.f32
expect_error 1 'not finite|NaN' "NaN in the latent file" $g vae.vaew --latent nan.f32
expect_error 1 'carries no mixture prior' "--prior gmm, the file has none" $g z2.vaew --prior gmm
[[ ! -e nodir && ! -e ro/digits.png ]] || fail "an output appeared after an error"
expect_error 1 'not a whole number of latents' "a failure leaves no output folder" $g vae.vaew --latent odd.f32 --out nodir/d.png
[[ ! -e nodir ]] || fail "a failed run made its output folder"

# Valid, though they may look wrong.
expect_ok "latent-2 model (compiled in)" $g z2.vaew --count 4 --out z2.png
expect_ok "output in a missing folder (made, parents included)" $g vae.vaew --count 4 --out new/sub/d.png
[[ -s new/sub/d.png ]] || fail "the missing output folder was not made"
expect_ok "-q: errors only" $g vae.vaew -q -n 4 -o q.idx
[[ ! -s err.txt && -s q.idx ]] || fail "-q printed on stderr or wrote nothing: $(cat err.txt)"
expect_ok "int8 decoder-only file" $g dec_int8.vaew --count 4 --out d8.png
expect_ok "20-D latents to a latent-2 model: the raw file has no header, 60 floats are 30 latents of 2 (the count is printed)" \
  $g z2.vaew --latent z20x3.f32 --out z.idx
grep -q 'wrote 30 digits' err.txt || fail "the latent count is not printed: $(cat err.txt)"
echo "ok: vae_gen bad inputs"
