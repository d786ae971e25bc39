#!/usr/bin/env bash
# test_vae_export_errors.sh - every kind of bad input to vae_export: one line on stderr, exit 2
# for a usage error and 1 for a runtime error, nothing written on an error (tests/cli/lib_errors.sh),
# and the odd but valid inputs.
#
# usage: test_vae_export_errors.sh VAE_EXPORT WEIGHTS_DIR
set -euo pipefail
source "$(dirname "$0")/lib_errors.sh"
export_bin="$(abs "$1")" weights="$(abs "$2")"
init_work export_errors
nobody_export="$(for_nobody "$export_bin")"

cp "$weights/mnist_vae.vaew" vae.vaew
cp "$weights/mnist_classifier.vaew" classifier.vaew
cp "$weights/mnist_vae_decoder_int8.vaew" dec_int8.vaew
make_bad_files vae.vaew
printf 'VAECKPT\0%.0s' {1..64} >run.vaeckpt   # a checkpoint's magic, not a weight file's
mkdir ro && chmod 555 ro
mkdir rw && chmod 777 rw   # where nobody may write
x=vae_export
export PATH="$(dirname "$export_bin"):$PATH"

# Usage errors: exit 2.
expect_error 2 'in is required' "no arguments" $x
expect_error 2 'out is required' "no output file" $x vae.vaew
expect_error 2 'not expected: --fp16' "unknown flag" $x vae.vaew out.vaew --fp16
expect_error 2 'OUT folder.vaew: is a directory; expected a file name' "output is a directory" $x vae.vaew folder.vaew

# Runtime errors: exit 1.
expect_error 1 'cannot read missing.vaew: No such file' "missing input" $x missing.vaew out.vaew
expect_error 1 'it is a directory, expected a file' "a directory as the input" $x folder.vaew out.vaew
expect_error 1 'Too many levels of symbolic links' "unreadable input (a symbolic-link loop)" $x loop.vaew out.vaew
expect_error 1 'cannot read unreadable.vaew: Permission denied' "unreadable input (mode 000)" "${unprivileged[@]}" "$nobody_export" unreadable.vaew rw/out.vaew
expect_error 1 'truncated' "truncated input" $x truncated.vaew out.vaew
expect_error 1 'CRC' "one byte changed" $x flipped.vaew out.vaew
expect_error 1 'bad magic' "not a weight file" $x text.vaew out.vaew
expect_error 1 'bad magic' "a training checkpoint as the input" $x run.vaeckpt out.vaew
expect_error 1 'has no decoder .*classifier file.*needs a VAE or autoencoder' "classifier with --decoder-only" $x classifier.vaew out.vaew --decoder-only
echo "a file" >afile
expect_error 1 'OUT afile/out.vaew: afile is not a directory' "output under a file" $x vae.vaew afile/out.vaew
expect_error 1 'cannot write in ro \(Permission denied\)' "output in a read-only directory" "${unprivileged[@]}" "$nobody_export" vae.vaew ro/out.vaew
expect_error 1 '--c-source afile/w.h: afile is not a directory' "C source under a file" $x vae.vaew out.vaew --c-source afile/w
expect_error 1 '"9w" is not a C identifier' "C source name not an identifier" $x vae.vaew out.vaew --c-source 9w
[[ ! -e out.vaew && ! -e nodir && -z "$(ls rw)" ]] || fail "an output was written although the export failed"

# Valid, though they may look odd.
expect_ok "int8 file quantized again: the same bytes" $x dec_int8.vaew again.vaew --int8 --decoder-only
cmp -s dec_int8.vaew again.vaew || fail "re-quantizing an int8 file changed it"
expect_ok "classifier quantized to int8 (readers dequantize)" $x classifier.vaew cls_int8.vaew --int8
echo "ok: vae_export bad inputs"
