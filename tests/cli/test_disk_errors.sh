#!/usr/bin/env bash
# test_disk_errors.sh - a full disk and an unwritable folder under vae_train's --out, --report and
# --checkpoint (and vae_gen's and classifier_train's --out): one clear line, exit 1, the earlier
# files intact (every file is the earlier one or a complete new one) and no temporary left behind.
# Outputs that do not fit in the free space are refused before the run starts (vae_train's
# check_room_for_outputs, classifier_train's --out).
#
# usage: test_disk_errors.sh VAE_TRAIN VAE_GEN CLASSIFIER_TRAIN CHECKPOINT_CHECK WEIGHTS_DIR DATA_DIR
#
# Two ways to fill the disk, so that the failures are real wherever the test runs:
#   - always: a file-size limit (prlimit --fsize, i.e. ulimit -f): writes past it fail with EFBIG
#     ("File too large"); the apps ignore SIGXFSZ so that this is an error, not a kill;
#   - when a mount namespace is allowed (root, or an unprivileged user namespace): a 12 MB tmpfs
#     that really fills up (ENOSPC, "No space left on device"), and then the same tmpfs remounted
#     read-only (EROFS, which root cannot override). The namespace goes away with the test: no
#     mount is left behind. Where it is not allowed the test says so and the limit alone runs.
# Permissions for an unprivileged user are in test_<app>_errors.sh (as nobody when root).
set -euo pipefail
source "$(dirname "$0")/lib_errors.sh"
self="$(abs "$0")"
mode=main
if [[ "${1:-}" == --tmpfs ]]; then mode=tmpfs; shift; fi   # the second half, in the namespace
train_bin="$(abs "$1")" gen_bin="$(abs "$2")" classifier_bin="$(abs "$3")" check="$(abs "$4")" weights="$(abs "$5")"
data="$(abs "${VAE_DATA:-$6}")"
export PATH="$(dirname "$train_bin"):$(dirname "$gen_bin"):$(dirname "$classifier_bin"):$PATH"
small=(--data mnist --train-limit 128 --test-limit 64 --threads 1 --quiet)

no_temporaries() { ! compgen -G "$1/*.tmp.*" >/dev/null || fail "temporaries left in $1: $(ls "$1")"; }
# The file an error names: "cannot write <file>: ..." -> <file>.
failed_file() { sed -n 's/.*cannot write \([^:]*\): .*/\1/p' err.txt; }
is_png() { [[ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" == "89504e470d0a1a0a" ]]; }
# Every file of report folder $1 is its earlier copy in $2 or a complete new file.
report_intact() {
  local f
  for f in "$2"/*; do
    f="$(basename "$f")"
    cmp -s "$1/$f" "$2/$f" && continue
    case "$f" in
      *.png) is_png "$1/$f" || fail "$1/$f is neither the earlier file nor a PNG" ;;
      *.csv) [[ "$(tail -c 1 "$1/$f" | od -An -tx1 | tr -d ' ')" == 0a ]] || fail "$1/$f is cut short" ;;
      *.json) [[ "$(tail -c 2 "$1/$f" | head -c 1)" == "}" ]] || fail "$1/$f is cut short" ;;
    esac
  done
}

# --- inside a private mount namespace: a real tmpfs ----------------------------------------------
if [[ $mode == tmpfs ]]; then
  cd "$7"
  disk=disk
  mkdir -p "$disk"
  mount -t tmpfs -o size=12m tmpfs "$disk"

  # --checkpoint: one 7.8 MB checkpoint fits in 12 MB, a second (the temporary beside it) does not.
  expect_error 1 'cannot write disk/ck.vaeckpt: No space left on device; the last good checkpoint disk/ck.vaeckpt \(epoch 1\) is left intact' "disk full while writing a checkpoint" \
    vae_train "${small[@]}" --epochs 3 --checkpoint disk/ck.vaeckpt
  [[ "$("$check" disk/ck.vaeckpt)" == 1 ]] || fail "the epoch-1 checkpoint did not survive the full disk"
  no_temporaries "$disk"
  rm -f disk/ck.vaeckpt

  # The outputs written at the end of a run (--out, the report) are checked against the free
  # space before it starts, so a full disk refuses them first; their writes failing anyway (the
  # space taken meanwhile) is the file-size limit's case above, the same write path.
  # --out: the earlier weights (2.6 MB) and a filler leave 1.4 MB free.
  cp w.earlier disk/w.vaew
  head -c 8000000 /dev/zero >disk/filler
  expect_error 1 '^vae_train: --out disk/w\.vaew: needs 3 MB, but disk has 1 MB free$' "--out larger than the free space" \
    vae_train "${small[@]}" --epochs 1 --seed 2 --out disk/w.vaew
  cmp disk/w.vaew w.earlier || fail "the earlier --out file changed"
  no_temporaries "$disk"

  # --report: the earlier report, and the disk filled up to 8 KB.
  rm -f disk/filler disk/w.vaew
  cp -r rep.earlier disk/rep
  avail=$(df -Pk disk | awk 'NR == 2 { print $4 }')
  head -c $(( (avail - 8) * 1024 )) /dev/zero >disk/filler
  expect_error 1 '^vae_train: --report disk/rep: needs 1 MB, but disk/rep has 0 MB free$' "--report on a full disk" \
    vae_train "${small[@]}" --epochs 1 --seed 2 --report disk/rep
  report_intact disk/rep rep.earlier
  no_temporaries disk/rep

  # A run folder: its three outputs together (2.7 + 7.9 + 1 MB) do not fit in the 12 MB disk
  # with 1 MB taken; each alone would.
  rm -f disk/filler
  head -c 1000000 /dev/zero >disk/filler
  expect_error 1 '^vae_train: --out disk/r/weights\.vaew, --checkpoint disk/r/checkpoint\.vaeckpt and --report disk/r: need 12 MB, but disk has 1[01] MB free$' "a run folder larger than the free space" \
    vae_train "${small[@]}" --epochs 1 --run disk/r
  [[ ! -e disk/r ]] || fail "the refused run made its folder"
  # classifier_train's weights (0.9 MB bound) with 0.5 MB left.
  avail=$(df -Pk disk | awk 'NR == 2 { print $4 }')
  head -c $(( (avail - 500) * 1024 )) /dev/zero >disk/filler2
  expect_error 1 '^classifier_train: --out disk/c/cls\.vaew: needs 1 MB, but disk has 0 MB free$' "classifier_train --out larger than the free space" \
    classifier_train --data mnist --train-limit 128 --test-limit 64 --threads 1 --quiet --epochs 1 --out disk/c/cls.vaew
  [[ ! -e disk/c ]] || fail "the refused classifier run made its folder"
  rm -f disk/filler2

  # Read-only: the same files, the file system remounted read-only (EROFS binds root too).
  rm -f disk/filler
  cp w.earlier disk/w.vaew
  mount -o remount,bind,ro "$disk"   # the mount read-only (allowed in a user namespace too)
  expect_error 1 '--out disk/w.vaew: cannot write in disk \(Read-only file system\)' "--out on a read-only file system" \
    vae_train "${small[@]}" --epochs 1 --out disk/w.vaew
  expect_error 1 '--checkpoint disk/ck.vaeckpt: cannot write in disk \(Read-only' "--checkpoint on a read-only file system" \
    vae_train "${small[@]}" --epochs 1 --checkpoint disk/ck.vaeckpt
  expect_error 1 '--report disk/rep: cannot create the directory \(disk/rep: Read-only' "--report on a read-only file system" \
    vae_train "${small[@]}" --epochs 1 --report disk/rep
  cmp disk/w.vaew w.earlier || fail "the earlier --out file changed"
  report_intact disk/rep rep.earlier
  umount "$disk"
  echo "ok: tmpfs: disk full (checkpoint), no room (out, report, a run folder, classifier_train's out) and read-only"
  exit 0
fi

init_work disk_errors
ln -s "$data" mnist
ln -s "$weights/mnist_vae.vaew" vae.vaew

# Earlier files: a 1-epoch checkpoint, weights and a report.
vae_train "${small[@]}" --epochs 1 --checkpoint ck.vaeckpt --out w.vaew --report rep
cp w.vaew w.earlier
cp -r rep rep.earlier

# --- a file-size limit (ulimit -f): works everywhere -------------------------------------------
expect_error 1 'cannot write ck.vaeckpt: File too large; the last good checkpoint ck.vaeckpt \(epoch 1\) is left intact' "file-size limit hit by a checkpoint" \
  prlimit --fsize=4000000 vae_train "${small[@]}" --epochs 3 --resume ck.vaeckpt
[[ "$("$check" ck.vaeckpt)" == 1 ]] || fail "the epoch-1 checkpoint did not survive"
expect_error 1 'cannot write w.vaew: File too large' "file-size limit hit by --out" \
  prlimit --fsize=1000000 vae_train "${small[@]}" --epochs 1 --seed 2 --out w.vaew
cmp w.vaew w.earlier || fail "the earlier --out file changed"
expect_error 1 'cannot write rep/[a-z_]*\.(png|csv|json): File too large' "file-size limit hit by --report" \
  prlimit --fsize=20000 vae_train "${small[@]}" --epochs 1 --seed 2 --report rep
f="$(failed_file)"
cmp "$f" "rep.earlier/$(basename "$f")" || fail "$f, which failed, is not the earlier file"
report_intact rep rep.earlier
vae_gen vae.vaew --count 10 --out s.idx 2>/dev/null
cp s.idx s.earlier
expect_error 1 '^vae_gen: cannot write s.idx: File too large$' "file-size limit hit by vae_gen --out" \
  prlimit --fsize=1000000 vae_gen vae.vaew --count 10000 --out s.idx
cmp s.idx s.earlier || fail "the earlier vae_gen output changed"
no_temporaries .
no_temporaries rep
echo "ok: file-size limit: checkpoint, out, report, vae_gen"

# --- a real tmpfs, in a private mount namespace ----------------------------------------------
# The namespace must allow what the cases do: mount a tmpfs and make the mount read-only.
ns=()
mkdir probe
can_mount() { "$@" sh -c 'mount -t tmpfs -o size=1m tmpfs probe && mount -o remount,bind,ro probe' 2>/dev/null; }
if [[ $(id -u) -eq 0 ]] && can_mount unshare --mount --propagation private; then
  ns=(unshare --mount --propagation private)
elif can_mount unshare --user --map-root-user --mount; then
  ns=(unshare --user --map-root-user --mount)
fi
if [[ ${#ns[@]} -eq 0 ]]; then
  echo "note: no mount namespace here (neither root nor user namespaces): the tmpfs cases did not run;" \
       "the full-disk path was exercised by the file-size limit above"
else
  "${ns[@]}" bash "$self" --tmpfs "$train_bin" "$gen_bin" "$classifier_bin" "$check" "$weights" "$data" "$work"
fi
