#!/usr/bin/env bash
# test_vae_models.sh - the shapes of VAE_MODELS (cmake/VaeModels.cmake) end to end.
#
#   test_vae_models.sh refused SHAPE VAE_TRAIN
#       SHAPE (784-H-Z, not compiled into this build) is refused by vae_train --hidden H --latent Z
#       with one line naming the option to rebuild with, exit 2, before anything is written.
#   test_vae_models.sh train SHAPE VAE_TRAIN VAE_GEN VAE_EXPORT MCU_GEN_HOST DATA_DIR
#       SHAPE (compiled) trains for 2 epochs on MNIST; vae_gen generates from it (real digits:
#       not blank, different seeds different digits); its int8 export runs in mcu_gen_host,
#       which prints for every seed exactly the digit (FNV-1a and ASCII art) that vae_gen --ascii
#       makes from the same file on the host.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
abs() { [[ "$1" = /* ]] && echo "$1" || echo "$PWD/$1"; }
mode="$1" shape="$2"
IFS=- read -r D H Z <<<"$shape"
work="$(mktemp -d "${TMPDIR:-/tmp}/vae_models.XXXXXX")"
trap 'rm -rf "$work"' EXIT

if [[ "$mode" == refused ]]; then
  train="$(abs "$3")"
  cd "$work"
  rc=0
  "$train" --hidden "$H" --latent "$Z" --epochs 1 --out w.vaew >out.txt 2>err.txt || rc=$?
  [[ $rc -eq 2 ]] || fail "vae_train --hidden $H --latent $Z exited $rc, expected 2: $(cat err.txt)"
  [[ $(wc -l <err.txt) -eq 1 ]] || fail "more than one line on stderr: $(cat err.txt)"
  grep -qE "^vae_train: $shape is not compiled into this build \(it has [-0-9, ]+\); reconfigure with -DVAE_MODELS=\"[-0-9;]+;$shape\"" err.txt ||
    fail "the message does not name the shape and the option: $(cat err.txt)"
  [[ ! -e w.vaew ]] || fail "a weight file was written"
  echo "ok: $(cat err.txt)"
  exit 0
fi

[[ "$mode" == train ]] || fail "unknown mode $mode"
train="$(abs "$3")" gen="$(abs "$4")" export_bin="$(abs "$5")" mcu="$(abs "$6")" data="$(abs "${VAE_DATA:-$7}")"
cd "$work"
# The acceptance's command: 2 epochs, all 60,000 training images.
"$train" --hidden "$H" --latent "$Z" --epochs 2 --data "$data" --threads 2 --quiet --out m.vaew
"$gen" m.vaew --count 1 --seed 1 --ascii >info.txt 2>&1 || fail "vae_gen failed: $(cat info.txt)"
grep -q "D 784 H $H Z $Z" info.txt || fail "vae_gen did not load a $shape model: $(head -3 info.txt)"

# Real digits: each of 16 samples has ink and background, and they differ from each other.
"$gen" m.vaew --count 16 --seed 3 --out digits.f32 --quiet
/usr/bin/env python3 - digits.f32 <<'PY' || fail "vae_gen's digits of the trained $shape model are not digits"
import array, sys
p = array.array("f"); p.frombytes(open(sys.argv[1], "rb").read())
assert len(p) == 16 * 784, len(p)
digits = [p[i * 784:(i + 1) * 784] for i in range(16)]
for d in digits:
    ink = sum(1 for v in d if v > 0.5)
    assert 30 <= ink <= 500, f"{ink} pixels above 0.5"   # a stroke, not blank, not a blob
    assert sum(1 for v in d if v < 0.1) > 300           # a background
distinct = len({tuple(round(v, 2) for v in d) for d in digits})
assert distinct == 16, distinct
print("ok: 16 digits with ink 30..500 pixels, all different")
PY

# The int8 decoder-only export in mcu_gen_host against vae_gen on the same file.
"$export_bin" m.vaew m_int8.vaew --decoder-only --int8
"$mcu" m_int8.vaew >mcu.txt || fail "mcu_gen_host failed: $(cat mcu.txt)"
grep -q "mcu_gen: decoder $Z-$H-784, int8" mcu.txt || fail "mcu_gen_host did not run a $shape decoder: $(head -2 mcu.txt)"
grep -q "mcu_gen: done" mcu.txt || fail "mcu_gen_host did not finish"
for seed in 1 2 3 4; do
  "$gen" m_int8.vaew --prior normal --count 1 --seed "$seed" --ascii >host.txt 2>host_err.txt ||
    fail "vae_gen failed for seed $seed: $(cat host_err.txt)"
  want="$(grep -A28 "^seed $seed prior normal digit 0 fnv1a" host.txt | head -29)"
  got="$(grep -A28 "^seed $seed prior normal digit 0 fnv1a" mcu.txt | head -29)"
  [[ -n "$want" && "$got" == "$want" ]] ||
    fail "seed $seed: mcu_gen_host and vae_gen differ: mcu: $(head -1 <<<"$got"); host: $(head -1 <<<"$want")"
  echo "ok: seed $seed: $(head -1 <<<"$want")"
done
echo "ok: $shape trained, generated, and run as int8 in mcu_gen_host"
