#!/usr/bin/env bash
# compare.sh - vae_gen against the independent reference sampler, byte for byte.
#
#   compare.sh VAE_GEN PYTHON REFERENCE_PY WEIGHTS_DIR OUT_DIR
#
# REFERENCE_PY is tools/vae_reference.py, written from docs/sampling.md and
# docs/weights-format.md alone (Python + numpy). For the shipped float32 file (mnist_vae.vaew)
# and int8 file (mnist_vae_decoder_int8.vaew), both priors (normal, gmm) and three seeds (the
# last one is 2^64 - 1, where rng_seed's u64 arithmetic wraps), both programs write
# `--count 1000 --out X.idx` and the two files must be identical (cmp). A difference is reported
# as the first differing byte: its offset, the digit and pixel (row, column) it belongs to, and
# both values.
#
# The test of the test: the comparison must be able to fail. Three checks that it does:
#   - a flipped seed: vae_gen's digits for seed S + 1 must differ from the reference's for S;
#   - a one-byte-corrupted weight file (one bit of a dec_out_b value flipped, CRC left as is):
#     the reference must reject it with bad_crc and exit status 1, as vae_gen does;
#   - the same flip with the CRC recomputed (a valid file with a different bias): the reference's
#     digits must differ from vae_gen's for the original file.
# Also runs the reference's --self-test (the test vectors printed in docs/sampling.md).
set -u

GEN=$1 PY=$2 REF=$3 WEIGHTS=$4 OUT=$5
COUNT=1000
SEEDS=(1 20240613 18446744073709551615)
FILES=(mnist_vae.vaew mnist_vae_decoder_int8.vaew)
mkdir -p "$OUT" || exit 1

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# Prints where two .idx files of 784-byte digits first differ; returns 0 if identical.
compare_idx() {
  local a=$1 b=$2
  if cmp -s "$a" "$b"; then return 0; fi
  local sa sb
  sa=$(stat -c %s "$a") sb=$(stat -c %s "$b")
  if [ "$sa" != "$sb" ]; then
    echo "  $a has $sa bytes, $b has $sb"
  fi
  # cmp -l: 1-based offset, then both bytes in octal; the first line is the first difference.
  local line
  line=$(cmp -l "$a" "$b" 2>/dev/null | head -n 1)
  if [ -n "$line" ]; then
    local off va vb
    read -r off va vb <<<"$line"
    local byte=$((off - 1))
    if [ "$byte" -lt 16 ]; then
      echo "  first difference at byte $byte (in the 16-byte IDX header): $((8#$va)) vs $((8#$vb))"
    else
      local d=$(((byte - 16) / 784)) p=$(((byte - 16) % 784))
      echo "  first difference at byte $byte: digit $d, pixel $p (row $((p / 28)), column" \
           "$((p % 28))): $((8#$va)) vs $((8#$vb)); $(cmp -l "$a" "$b" 2>/dev/null | wc -l)" \
           "bytes differ"
    fi
  else
    echo "  one file is a prefix of the other"
  fi
  return 1
}

# --- the reference's own test vectors -----------------------------------------------------------
if ! "$PY" "$REF" --self-test; then fail "vae_reference.py --self-test"; fi

# --- 2 files x 2 priors x 3 seeds ---------------------------------------------------------------
matched=0
for f in "${FILES[@]}"; do
  for prior in normal gmm; do
    for seed in "${SEEDS[@]}"; do
      tag="${f%.vaew}-$prior-$seed"
      gen_out="$OUT/gen-$tag.idx" ref_out="$OUT/ref-$tag.idx"
      rm -f "$gen_out" "$ref_out"
      if ! "$GEN" "$WEIGHTS/$f" --count $COUNT --seed "$seed" --prior $prior --out "$gen_out" \
           2>"$OUT/gen-$tag.err"; then
        fail "vae_gen $f --seed $seed --prior $prior: $(cat "$OUT/gen-$tag.err")"
        continue
      fi
      if ! "$PY" "$REF" "$WEIGHTS/$f" --count $COUNT --seed "$seed" --prior $prior \
           --out "$ref_out" 2>"$OUT/ref-$tag.err"; then
        fail "vae_reference.py $f --seed $seed --prior $prior: $(cat "$OUT/ref-$tag.err")"
        continue
      fi
      if compare_idx "$ref_out" "$gen_out"; then
        echo "same: $f --prior $prior --seed $seed ($COUNT digits)"
        matched=$((matched + 1))
      else
        fail "$f --prior $prior --seed $seed: the reference's digits differ from vae_gen's"
      fi
    done
  done
done
echo "$matched of $((${#FILES[@]} * 2 * ${#SEEDS[@]})) (file, prior, seed) runs byte-identical"

# --- the test of the test -----------------------------------------------------------------------
# A flipped seed: the comparison must see the difference.
first="$OUT/ref-${FILES[0]%.vaew}-normal-${SEEDS[0]}.idx"
echo "negative check, seed ${SEEDS[0]} against $((SEEDS[0] + 1)) (must differ):"
if ! "$GEN" "$WEIGHTS/${FILES[0]}" --count $COUNT --seed $((SEEDS[0] + 1)) --prior normal \
     --out "$OUT/gen-flipped-seed.idx" 2>/dev/null || [ ! -f "$first" ]; then
  fail "the flipped-seed check could not run"
elif compare_idx "$first" "$OUT/gen-flipped-seed.idx"; then
  fail "the comparison did not notice a different seed"
fi

# One bit of dec_out_b flipped in a copy of the float32 file: with the CRC as it was, and with
# the CRC recomputed. The tensor's offset is read from the table (weights-format.md).
"$PY" - "$WEIGHTS/${FILES[0]}" "$OUT/corrupt-crc.vaew" "$OUT/corrupt-valid.vaew" <<'EOF'
import sys, zlib
b = bytearray(open(sys.argv[1], "rb").read())
n = int.from_bytes(b[32:36], "little")
for i in range(n):
    r = b[64 + 64 * i:128 + 64 * i]
    if r[:32].rstrip(b"\0") == b"dec_out_b":
        off = int.from_bytes(r[48:52], "little")
b[off + 4 * 400 + 2] ^= 0x80      # the lowest exponent bit of dec_out_b[400]: scaled by 2 or 1/2
open(sys.argv[2], "wb").write(b)
b[52:56] = bytes(4)
b[52:56] = zlib.crc32(bytes(b)).to_bytes(4, "little")
open(sys.argv[3], "wb").write(b)
EOF
"$PY" "$REF" "$OUT/corrupt-crc.vaew" --count 10 --out "$OUT/ref-corrupt.idx" \
  2>"$OUT/ref-corrupt.err"
rc=$?
echo "negative check, one flipped bit, old CRC (must be rejected): exit $rc: $(cat "$OUT/ref-corrupt.err")"
if [ $rc -ne 1 ] || ! grep -q "bad_crc" "$OUT/ref-corrupt.err"; then
  fail "the reference did not reject a corrupted file with bad_crc and exit status 1"
fi
if "$GEN" "$WEIGHTS/${FILES[0]}" --count 1 --out "$OUT/unused.idx" 2>/dev/null &&
   "$GEN" "$OUT/corrupt-crc.vaew" --count 1 --out "$OUT/unused.idx" 2>/dev/null; then
  fail "vae_gen accepted the corrupted file (the negative check would prove nothing)"
fi
echo "negative check, one flipped bit, CRC recomputed (digits must differ):"
if ! "$PY" "$REF" "$OUT/corrupt-valid.vaew" --count $COUNT --seed "${SEEDS[0]}" --prior gmm \
     --out "$OUT/ref-corrupt-valid.idx" 2>"$OUT/ref-corrupt-valid.err"; then
  fail "the reference rejected the re-checksummed file: $(cat "$OUT/ref-corrupt-valid.err")"
elif [ ! -f "$OUT/gen-${FILES[0]%.vaew}-gmm-${SEEDS[0]}.idx" ]; then
  fail "the changed-weight check has no vae_gen output to compare with"
elif compare_idx "$OUT/ref-corrupt-valid.idx" \
       "$OUT/gen-${FILES[0]%.vaew}-gmm-${SEEDS[0]}.idx"; then
  fail "the comparison did not notice a changed weight"
fi

if [ $failures -ne 0 ]; then
  echo "reference_sampler: $failures failures"
  exit 1
fi
echo "reference_sampler: all comparisons byte-identical, and every negative check failed as it must"
