#!/usr/bin/env bash
# deploy.sh - a PyTorch-trained decoder on the microcontroller, end to end (issue 18):
#   1. tools/torch_train_mnist.py trains the PyTorch examples VAE for 1 epoch on MNIST;
#   2. tools/vaew_from_torch.py --int8 --decoder-only converts it (with its golden check);
#   3. a scratch cortex-m4 cross build of this tree embeds it in mcu_gen through the cache
#      variable VAE_MCU_WEIGHTS (apps/mcu_gen/CMakeLists.txt), as a firmware team would;
#   4. that build's mcu_gen_qemu_matches_host runs the firmware under QEMU and requires the same
#      pixels as vae_gen on the host, for every seed;
# and checks that the firmware really carries the converted weights: the embedded file is the
# converted one re-exported, and the firmware says it has no mixture prior (the shipped
# weights have one).
#
# usage: deploy.sh PYTHON SOURCE_DIR DATA_DIR VAE_GEN VAE_EXPORT CMAKE CTEST WORK_DIR
set -euo pipefail
py=$1 src=$2 data=$3 gen=$4 export=$5 cmake=$6 ctest=$7 work=$8
fail() { echo "FAIL: $*" >&2; exit 1; }

rm -rf "$work"
mkdir -p "$work"
"$py" "$src/tools/torch_train_mnist.py" "$data" "$work/vae.pth" --epochs 1 --seed 1
"$py" "$src/tools/vaew_from_torch.py" "$work/vae.pth" "$work/decoder_int8.vaew" --int8 \
      --decoder-only --vae-gen "$gen" --vae-export "$export" | tee "$work/convert.txt"
grep -q 'golden check (int8): largest difference' "$work/convert.txt" || fail "no golden check"

fw="$work/cortex-m4"
"$cmake" -S "$src" -B "$fw" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$src/cmake/toolchains/arm-none-eabi.cmake" \
         -DVAE_CPU=cortex-m4 -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG" \
         -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" -DVAE_MCU_WEIGHTS="$work/decoder_int8.vaew" \
         >"$work/configure.log" || { cat "$work/configure.log"; fail "configure failed"; }
"$cmake" --build "$fw" --target mcu_gen >"$work/build.log" 2>&1 \
  || { tail -50 "$work/build.log"; fail "build of mcu_gen failed"; }

embedded="$fw/apps/mcu_gen/generated/mcu_weights.vaew"
"$export" "$work/decoder_int8.vaew" "$work/reexported.vaew" --decoder-only --int8 >/dev/null
cmp "$embedded" "$work/reexported.vaew" || fail "mcu_gen does not embed the converted weights"
echo "ok: mcu_gen embeds $work/decoder_int8.vaew"

"$ctest" --test-dir "$fw" -R '^mcu_gen_qemu_matches_host$' --output-on-failure \
  | tee "$work/ctest.txt" || fail "mcu_gen under QEMU differs from vae_gen"
grep -q '100% tests passed, 0 tests failed out of 1' "$work/ctest.txt" || fail "the QEMU test did not run"
grep -q 'mcu_gen: no mixture prior' "$fw/apps/mcu_gen/mcu_gen_qemu.txt" \
  || fail "the firmware's output is not that of the converted weights (they carry no prior)"
echo "deploy.sh: the PyTorch-trained decoder gives the same pixels under QEMU as vae_gen"
