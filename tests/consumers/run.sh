#!/usr/bin/env bash
# run.sh CASE ... - build a user's project against vae as a user would, from outside this tree
# (the projects are tests/consumers/*; the README's "Use it from your project" shows them).
#
#   run.sh hosted SRC BUILD WORK DATA VAE_GEN_FLAGS...
#       `cmake --install BUILD` into WORK/prefix (all components), then configure and build
#       tests/consumers/hosted with find_package(vae COMPONENTS train), train a few steps on
#       DATA/train-images-idx3-ubyte, and generate from the result with the installed vae_gen.
#       CXX flags for the consumer (a sanitized BUILD needs its -fsanitize) come from
#       VAE_CONSUMER_FLAGS in the environment.
#   run.sh firmware_package SRC WORK HOST_VAE_GEN
#       a cross build of this tree (cmake/toolchains/arm-none-eabi.cmake) installs only the
#       runtime component into WORK/staging; tests/consumers/firmware_find_package finds it
#       (CMAKE_FIND_ROOT_PATH) and tests/consumers/firmware_makefile takes it from pkg-config;
#       both link with -nostartfiles and no -lm; the CMake one runs under QEMU and must print the
#       digit checksum of `HOST_VAE_GEN ... --seed 1 --prior normal --ascii`.
#   run.sh firmware_subdirectory SRC WORK
#       tests/consumers/firmware_add_subdirectory with PATH stripped of qemu-system-*: it must
#       configure, its build tree must hold no target of ours but vae_runtime, and it links.
# Every firmware case checks with arm-none-eabi-nm that neither the runtime's objects nor the
# consumer's need a libm symbol.
set -euo pipefail

fail() { echo "consumer test: $*" >&2; exit 1; }
step() { printf '== %s\n' "$*"; }
[[ $# -ge 1 ]] || fail "usage: run.sh hosted|firmware_package|firmware_subdirectory ..."
case_name="$1"
shift

# libm's entry points (C99 <math.h>, float/double/long double) and newlib's internals.
libm_regex='^(__ieee754_.*|(a?(sin|cos|tan)h?|atan2|exp2?|expm1|log(10|1p|2|b)?|pow|sqrt|cbrt|hypot|fabs|floor|ceil|round|lround|llround|rint|lrint|nearbyint|trunc|fmod|remainder|frexp|ldexp|scalbn|modf|fmin|fmax|fdim|fma|erfc?|[lt]gamma|nan|copysign)[fl]?)$'

# check_no_libm LABEL FILES...: no undefined libm symbol in these objects/archives.
check_no_libm() {
  local label="$1"
  shift
  local undefined
  undefined="$(arm-none-eabi-nm -u "$@" | awk 'NF >= 2 && $1 == "U" { print $2 }' | sort -u)"
  local bad
  bad="$(grep -E "$libm_regex" <<<"$undefined" || true)"
  [[ -z "$bad" ]] || fail "$label needs libm: $(tr '\n' ' ' <<<"$bad")"
  echo "$label: undefined symbols (no libm): $(tr '\n' ' ' <<<"$undefined")"
}

toolchain_args() {   # the Cortex-M4F toolchain a firmware team would use
  echo "-DCMAKE_TOOLCHAIN_FILE=$1/cmake/toolchains/arm-none-eabi.cmake"
}

case "$case_name" in
  hosted)
    [[ $# -eq 4 ]] || fail "usage: run.sh hosted SRC BUILD WORK DATA"
    src="$1" build="$2" work="$3" data="$4"
    rm -rf "$work" && mkdir -p "$work"
    prefix="$work/prefix"
    step "install $build into $prefix"
    cmake --install "$build" --prefix "$prefix" >"$work/install.log" || { cat "$work/install.log"; fail "cmake --install failed"; }
    for f in lib/cmake/vae/vaeConfig.cmake lib/cmake/vae/vaeConfigVersion.cmake \
             lib/cmake/vae/vae-runtime-targets.cmake lib/cmake/vae/vae-train-targets.cmake \
             lib/pkgconfig/vae-runtime.pc lib/libvae_runtime.a lib/libvae.a include/vae_rt/decoder.h \
             include/vae/vae.hpp bin/vae_gen bin/vae_train bin/vae_export bin/vae_eval bin/vae_figures \
             share/vae/weights/mnist_vae.vaew share/vae/weights/mnist_vae_decoder_int8.vaew \
             share/vae/docs/weights-format.md share/vae/docs/sampling.md; do
      [[ -e "$prefix/$f" ]] || fail "the install lacks $f"
    done
    step "configure and build tests/consumers/hosted against $prefix"
    cmake -S "$src/tests/consumers/hosted" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
          -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_FLAGS="${VAE_CONSUMER_FLAGS:-}" \
          -DCMAKE_EXE_LINKER_FLAGS="${VAE_CONSUMER_FLAGS:-}" >"$work/configure.log" \
      || { cat "$work/configure.log"; fail "configure failed"; }
    cmake --build "$work/build" >"$work/build.log" || { cat "$work/build.log"; fail "build failed"; }
    step "train a few steps, generate with the installed vae_gen"
    "$work/build/my_trainer" "$data/train-images-idx3-ubyte" "$work/my.vaew"
    "$prefix/bin/vae_gen" "$work/my.vaew" --count 4 --seed 1 --out "$work/my.pgm"
    [[ -s "$work/my.pgm" ]] || fail "vae_gen wrote no my.pgm"
    # The version file: a request for another major.minor must not be accepted.
    mkdir -p "$work/v9"
    printf 'cmake_minimum_required(VERSION 3.25)\nproject(v9 NONE)\nfind_package(vae 9.0 REQUIRED)\n' \
      >"$work/v9/CMakeLists.txt"
    if cmake -S "$work/v9" -B "$work/v9/build" -DCMAKE_PREFIX_PATH="$prefix" >"$work/v9.log" 2>&1; then
      fail "find_package(vae 9.0) accepted the installed version"
    fi
    grep -q "considered but not accepted" "$work/v9.log" || { cat "$work/v9.log"; fail "find_package(vae 9.0) failed for another reason"; }
    echo "hosted consumer: built against the install, trained, and vae_gen read its weights"
    ;;

  firmware_package)
    [[ $# -eq 3 ]] || fail "usage: run.sh firmware_package SRC WORK HOST_VAE_GEN"
    src="$1" work="$2" host_gen="$3"
    rm -rf "$work" && mkdir -p "$work"
    staging="$work/staging"
    step "cross build of the runtime, installed alone into $staging"
    cmake -S "$src" -B "$work/runtime" -G Ninja "$(toolchain_args "$src")" -DCMAKE_BUILD_TYPE=Release \
          -DVAE_BUILD_FIRMWARE=OFF >"$work/runtime-configure.log" \
      || { cat "$work/runtime-configure.log"; fail "configuring the cross build failed"; }
    cmake --build "$work/runtime" >"$work/runtime-build.log" || { cat "$work/runtime-build.log"; fail "cross build failed"; }
    cmake --install "$work/runtime" --component runtime --prefix "$staging" >/dev/null
    [[ -f "$staging/lib/libvae_runtime.a" && -f "$staging/lib/cmake/vae/vaeConfig.cmake" ]] \
      || fail "the runtime install lacks its library or package file"
    [[ ! -e "$staging/lib/cmake/vae/vae-train-targets.cmake" && ! -e "$staging/bin" ]] \
      || fail "a runtime-only install holds the train component or apps"
    check_no_libm "libvae_runtime.a (cross, installed)" "$staging/lib/libvae_runtime.a"

    step "tests/consumers/firmware_find_package: find_package(vae COMPONENTS runtime)"
    cmake -S "$src/tests/consumers/firmware_find_package" -B "$work/fw" -G Ninja \
          "$(toolchain_args "$src")" -DCMAKE_BUILD_TYPE=MinSizeRel -DCMAKE_FIND_ROOT_PATH="$staging" \
          >"$work/fw-configure.log" || { cat "$work/fw-configure.log"; fail "configure failed"; }
    cmake --build "$work/fw" -v >"$work/fw-build.log" || { cat "$work/fw-build.log"; fail "build or link failed"; }
    grep -q -- "-nostartfiles" "$work/fw-build.log" || fail "the link line lacks -nostartfiles"
    ! grep -E -q -- "(^| )-lm( |$)" "$work/fw-build.log" || fail "the firmware links -lm"
    check_no_libm "my_firmware's objects" $(find "$work/fw/CMakeFiles" -name '*.obj' -o -name '*.o')
    elf="$work/fw/my_firmware.elf"

    step "tests/consumers/firmware_makefile: pkg-config"
    mkdir -p "$work/mk"
    PKG_CONFIG_PATH="$staging/lib/pkgconfig" make -s -C "$work/mk" \
      -f "$src/tests/consumers/firmware_makefile/Makefile" >"$work/mk.log" 2>&1 \
      || { cat "$work/mk.log"; fail "the Makefile firmware failed to build"; }
    check_no_libm "the Makefile firmware's objects" "$work/mk/main.o"

    step "run my_firmware under QEMU and compare with the host"
    qemu="$(command -v qemu-system-arm || true)"
    [[ -n "$qemu" ]] || fail "qemu-system-arm is missing: run scripts/install-deps --embedded"
    for fw in "$elf" "$work/mk/my_firmware.elf"; do
      rm -f "$work/console.txt"
      timeout 60 "$qemu" -M mps2-an386 -cpu cortex-m4 -nographic -monitor none -serial none \
        -chardev "file,id=semihost,path=$work/console.txt" \
        -semihosting-config enable=on,target=native,chardev=semihost -kernel "$fw" </dev/null \
        || { cat "$work/console.txt" 2>/dev/null; fail "$fw failed under QEMU"; }
      got="$(grep -o 'fnv1a 0x[0-9a-f]*' "$work/console.txt" || true)"
      want="$("$host_gen" "$src/weights/mnist_vae_decoder_int8.vaew" --count 1 --seed 1 \
                --prior normal --ascii | grep -o 'fnv1a 0x[0-9a-f]*')"
      [[ -n "$got" && "$got" == "$want" ]] || fail "$fw printed '$got'; the host's vae_gen '$want'"
      echo "$(basename "$(dirname "$fw")")/$(basename "$fw"): seed 1 $got, as vae_gen on the host"
    done
    ;;

  firmware_subdirectory)
    [[ $# -eq 2 ]] || fail "usage: run.sh firmware_subdirectory SRC WORK"
    src="$1" work="$2"
    rm -rf "$work" && mkdir -p "$work/bin"
    step "a PATH without qemu-system-*"
    IFS=: read -r -a dirs <<<"$PATH"
    for d in "${dirs[@]}"; do
      [[ -d "$d" ]] || continue
      for f in "$d"/*; do
        name="${f##*/}"
        [[ "$name" == qemu-system-* || -e "$work/bin/$name" ]] && continue
        ln -s "$f" "$work/bin/$name"
      done
    done
    stripped="$work/bin"
    ! PATH="$stripped" command -v qemu-system-arm >/dev/null || fail "qemu-system-arm is still on PATH"

    step "tests/consumers/firmware_add_subdirectory, built with the user's Debug flags (-O0)"
    PATH="$stripped" cmake -S "$src/tests/consumers/firmware_add_subdirectory" -B "$work/fw" -G Ninja \
          "$(toolchain_args "$src")" -DCMAKE_BUILD_TYPE=Debug -DVAE_SOURCE_DIR="$src" \
          >"$work/configure.log" 2>&1 || { cat "$work/configure.log"; fail "configure failed"; }
    ! grep -E -i "^[^#/].*qemu" "$work/fw/CMakeCache.txt" \
      || fail "the configure looked for QEMU (the cache entries above)"
    # Our targets in the user's build: only vae_runtime (names without a folder; CMake's own
    # all/clean/help/edit_cache/rebuild_cache and the user's my_firmware aside).
    targets="$(PATH="$stripped" ninja -C "$work/fw" -t targets all | sed -n 's/^\([^/:]*\): .*/\1/p' | sort -u)"
    allowed='all|clean|help|edit_cache|rebuild_cache|build.ninja|CMakeCache.txt|my_firmware(\.elf)?|vae_runtime|libvae_runtime\.a|cmake_object_order_depends_target_(my_firmware|vae_runtime)'
    extra="$(grep -v -x -E "$allowed" <<<"$targets" || true)"
    [[ -z "$extra" ]] || fail "the user's build holds targets of ours besides vae_runtime: $(tr '\n' ' ' <<<"$extra")"
    extra_dirs="$(cd "$work/fw/vae" && find . -mindepth 1 -maxdepth 2 -type d ! -path './CMakeFiles*' ! -path './lib' ! -path './lib/runtime' | tr '\n' ' ')"
    [[ -z "$extra_dirs" ]] || fail "the user's build tree holds folders of ours besides lib/runtime: $extra_dirs"
    PATH="$stripped" cmake --build "$work/fw" -v >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "build or link failed"; }
    ! grep -E -q -- "(^| )-lm( |$)" "$work/build.log" || fail "the firmware links -lm"
    check_no_libm "vae_runtime's objects (user's -O0 build)" $(find "$work/fw/vae" -name '*.obj' -o -name '*.o')
    check_no_libm "my_firmware's objects" $(find "$work/fw/CMakeFiles" -name '*.obj' -o -name '*.o')
    [[ -f "$work/fw/my_firmware.elf" ]] || fail "no my_firmware.elf"
    echo "add_subdirectory firmware: configured without QEMU, only vae_runtime of ours, linked without libm"
    ;;

  *) fail "unknown case '$case_name'" ;;
esac
