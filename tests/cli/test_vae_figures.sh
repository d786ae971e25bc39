#!/usr/bin/env bash
# test_vae_figures.sh - the vae_figures command line, end to end.
#
# usage: test_vae_figures.sh VAE_FIGURES VAE_TRAIN VAE_EXPORT VAE_REPORT WEIGHTS_DIR DATA_DIR
# On the shipped latent-20 VAE: interpolation.png only, a PNG of the size the layout gives
# (worked out below from the tile sizes); on a tiny latent-2 model trained here with vae_train:
# also manifold.png (grid * 28 pixels a side) and latent_scatter.png (900x780, 1040x780 with
# the Fashion-MNIST class names); same seed, same bytes; vae_report's summary.md links the
# pictures that exist and names the missing; bad input gets one line and exit 2 or 1.
# The pictures' content is tested in test_model_pictures.cpp and test_image.cpp; this covers the
# app's plumbing. Runs in a fresh temporary folder and removes it.
set -euo pipefail

abs() { [[ "$1" == /* ]] && echo "$1" || echo "$PWD/$1"; }
figures="$(abs "$1")" train="$(abs "$2")" export="$(abs "$3")" report="$(abs "$4")"
weights="$(abs "$5")" data="$(abs "${VAE_DATA:-$6}")"
work="$(mktemp -d /tmp/vae_figures_XXXXXX)"
trap 'rm -rf "$work"' EXIT
cd "$work"

fail() { echo "FAIL: $*" >&2; exit 1; }
# "WIDTHxHEIGHT" of a PNG from its IHDR chunk (bytes 16..23, big-endian), after the signature.
png_size() {
  [[ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" == "89504e470d0a1a0a" ]] || { echo "not a PNG"; return; }
  local b
  read -r -a b <<<"$(od -An -tu1 -j 16 -N 8 "$1")"
  echo "$(( (b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3] ))x$(( (b[4] << 24) | (b[5] << 16) | (b[6] << 8) | b[7] ))"
}
expect_size() { local got; got="$(png_size "$1")"; [[ "$got" == "$2" ]] || fail "$1 is $got, expected $2"; }
expect_error() {   # $1: expected exit status; the rest: the command
  local want="$1"; shift
  local rc=0
  "$@" >out.txt 2>err.txt || rc=$?
  [[ $rc -eq $want ]] || fail "'$*' exited $rc, expected $want; stderr: $(cat err.txt)"
  [[ $(wc -l <err.txt) -eq 1 ]] || fail "'$*' printed $(wc -l <err.txt) lines on stderr: $(cat err.txt)"
  grep -q '^vae_figures: ' err.txt || fail "'$*': error does not start with 'vae_figures: '"
  if grep -qiE 'terminate called|backtrace|Aborted|AddressSanitizer|runtime error' err.txt; then
    fail "'$*': not a clean error: $(cat err.txt)"
  fi
  echo "ok: exit $rc: $(cat err.txt)"
}

# The interpolation layout (apps/vae_figures/main.cpp): tiles 56 px (28 doubled), 2 px apart,
# 16 px between the originals and the strip, 12 px margins; title and header rows 38 + 22 px.
# Width = max(grid, title) + 24, grid = 56 + 16 + (steps * 56 + (steps - 1) * 2) + 16 + 56;
# height = 38 + 22 + pairs * 56 + (pairs - 1) * 2 + 12.
# Defaults (8 pairs, 10 steps): grid 722 is wider than the title -> 746 x 534.
"$figures" "$weights/mnist_vae.vaew" --data "$data" --out f20 --title "MNIST VAE" >/dev/null
expect_size f20/interpolation.png 746x534
[[ ! -e f20/manifold.png && ! -e f20/latent_scatter.png ]] || fail "latent 20 made latent-2 pictures"
# 3 pairs of 12 steps: grid 56 + 16 + 694 + 16 + 56 = 838 -> 862 x 244.
"$figures" "$weights/mnist_vae.vaew" --data "$data" --out f20b --pairs 3 --steps 12 >/dev/null
expect_size f20b/interpolation.png 862x244
"$figures" "$weights/mnist_vae.vaew" --data "$data" --out f20c --title "MNIST VAE" >/dev/null
cmp -s f20/interpolation.png f20c/interpolation.png || fail "the same seed gave different pictures"
"$figures" "$weights/mnist_vae.vaew" --data "$data" --out f20d --title "MNIST VAE" --seed 2 >/dev/null
! cmp -s f20/interpolation.png f20d/interpolation.png || fail "--seed 2 gave the pictures of seed 1"
echo "ok: latent 20: interpolation.png sizes, deterministic per seed"

# A tiny latent-2 model: every picture of latent 2.
"$train" --data "$data" --train-limit 1000 --test-limit 200 --epochs 1 --latent 2 --quiet \
  --report run2 --out l2.vaew
"$figures" l2.vaew --data "$data" --out f2 >/dev/null
expect_size f2/manifold.png 560x560
expect_size f2/latent_scatter.png 900x780
"$figures" l2.vaew --data "$data" --out f2b --grid 7 --classes fashion --pairs 2 --steps 2 >/dev/null
expect_size f2b/manifold.png 196x196
expect_size f2b/latent_scatter.png 1040x780
# 2 pairs, 2 steps: grid 56 + 16 + 114 + 16 + 56 = 258 is narrower than the title
# "latent 2: decoding (1-t) mu_a + t mu_b" (38 glyphs * 12 - 2 = 454 px) -> 478 x 186.
expect_size f2b/interpolation.png 478x186
echo "ok: latent 2: manifold.png and latent_scatter.png sizes"

# vae_report links what `scripts/run figures` made (here: two of its folders) and names the rest.
cp l2.vaew run2/weights.vaew
"$report" --data "$data" --out cmp run2 >/dev/null
grep -q 'Not made yet: `scripts/run figures`' cmp/summary.md || fail "summary.md without figures: no hint"
mkdir -p cmp/figures && cp -r f20 cmp/figures/mnist-vae-20 && cp -r f2 cmp/figures/mnist-vae-2
cp run2/metrics.json cmp/figures/mnist-vae-2/   # as when the job trained the model there
"$report" --data "$data" --out cmp run2 >/dev/null
grep -qF '![MNIST VAE, latent 2: test-set mu by digit](figures/mnist-vae-2/latent_scatter.png)' cmp/summary.md \
  || fail "summary.md does not show the scatter"
grep -qF '[interpolation.png](figures/mnist-vae-20/interpolation.png)' cmp/summary.md || fail "no interpolation link"
grep -qF -- '- MNIST VAE, latent 2 (1 epoch, test loss ' cmp/summary.md || fail "no training figures for a trained model"
grep -qF 'Fashion-MNIST VAE, latent 2: interpolation.png (not made yet)' cmp/summary.md \
  || fail "summary.md does not name the missing pictures"
"$report" --data "$data" --out cmp2 --figures cmp/figures run2 >/dev/null
grep -qF '](../cmp/figures/mnist-vae-2/manifold.png)' cmp2/summary.md || fail "--figures: links not relative to --out"
echo "ok: vae_report links the pictures"

# Bad input: one line, exit 2 (usage) or 1 (runtime).
expect_error 2 "$figures"
expect_error 2 "$figures" l2.vaew --data "$data"
expect_error 2 "$figures" l2.vaew --out x --pairs 0
expect_error 2 "$figures" l2.vaew --out x --steps 1
expect_error 2 "$figures" l2.vaew --out x --classes cats
expect_error 1 "$figures" missing.vaew --data "$data" --out x
expect_error 2 "$figures" l2.vaew --data "$work/nowhere" --out x
"$export" "$weights/mnist_vae.vaew" dec.vaew --decoder-only >/dev/null
expect_error 1 "$figures" dec.vaew --data "$data" --out x
printf 'VAEW but not really' >bad.vaew
expect_error 1 "$figures" bad.vaew --data "$data" --out x
[[ ! -e x ]] || fail "a failed run created its --out folder"
echo "ok: errors"
