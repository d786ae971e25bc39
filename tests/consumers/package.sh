#!/usr/bin/env bash
# package.sh BUILD WORK - the packages a user installs: `cpack` in BUILD makes the .deb and the
# .tar.gz (cmake/VaePackaging.cmake); the .deb is unpacked into WORK/root with dpkg -x (no root
# needed, nothing installed on this machine), its metadata and file list are checked, and its
# vae_gen generates digits from its own /usr/share/vae/weights.
set -euo pipefail
fail() { echo "package test: $*" >&2; exit 1; }
[[ $# -eq 2 ]] || fail "usage: package.sh BUILD WORK"
build="$1" work="$2"
rm -rf "$work" && mkdir -p "$work"

cpack --config "$build/CPackConfig.cmake" -B "$work" >"$work/cpack.log" 2>&1 \
  || { cat "$work/cpack.log"; fail "cpack failed"; }
deb="$(ls "$work"/*.deb 2>/dev/null | head -n 1)"
tgz="$(ls "$work"/*.tar.gz 2>/dev/null | head -n 1)"
[[ -n "$deb" && -n "$tgz" ]] || { cat "$work/cpack.log"; fail "cpack made no .deb or no .tar.gz"; }
echo "made $(basename "$deb") ($(stat -c %s "$deb") bytes) and $(basename "$tgz")"

dpkg-deb --field "$deb" Package Version Architecture Depends
depends="$(dpkg-deb --field "$deb" Depends)"
grep -q libopenblas <<<"$depends" || fail "the .deb does not depend on OpenBLAS: '$depends'"
dpkg-deb --contents "$deb" >"$work/contents.txt"
for f in ./usr/bin/vae_gen ./usr/bin/vae_train ./usr/bin/vae_export ./usr/bin/vae_eval \
         ./usr/bin/vae_figures ./usr/share/vae/weights/mnist_vae.vaew \
         ./usr/share/vae/weights/mnist_vae_decoder_int8.vaew ./usr/share/vae/docs/sampling.md \
         ./usr/lib/cmake/vae/vaeConfig.cmake ./usr/lib/pkgconfig/vae-runtime.pc \
         ./usr/lib/libvae_runtime.a ./usr/include/vae_rt/decoder.h; do
  grep -q " $f\$" "$work/contents.txt" || fail "the .deb lacks $f"
done
tar -tzf "$tgz" >"$work/tgz-contents.txt"
grep -q '/bin/vae_gen$' "$work/tgz-contents.txt" || fail "the .tar.gz lacks bin/vae_gen"

dpkg -x "$deb" "$work/root"
"$work/root/usr/bin/vae_gen" "$work/root/usr/share/vae/weights/mnist_vae.vaew" --count 16 --seed 3 \
  --out "$work/digits.png"
[[ -s "$work/digits.png" ]] || fail "the packaged vae_gen wrote no digits.png"
# The packaged tool and the build's agree on the pixels.
"$work/root/usr/bin/vae_gen" "$work/root/usr/share/vae/weights/mnist_vae_decoder_int8.vaew" \
  --count 100 --seed 3 --out "$work/packaged.idx"
"$build/apps/vae_gen/vae_gen" "$work/root/usr/share/vae/weights/mnist_vae_decoder_int8.vaew" \
  --count 100 --seed 3 --out "$work/built.idx"
cmp "$work/packaged.idx" "$work/built.idx" || fail "the packaged vae_gen's digits differ from the build's"
echo "the .deb's vae_gen generated from /usr/share/vae/weights (unpacked in $work/root)"
