#!/usr/bin/env bash
# test_vae_train_kill.sh - SIGKILL vae_train at random moments, resume every time, and check that
# nothing is ever lost or torn.
#
# usage: test_vae_train_kill.sh VAE_TRAIN CHECKPOINT_CHECK DATA_DIR [KILLS]
#
# A 1-thread run of 80 short epochs (128 training images, one step per epoch) checkpoints after
# every epoch. It is started, killed with SIGKILL, and started again with --resume, at least KILLS
# times (default 24). The kill moments cycle through three kinds, each at a random delay:
#   startup   0-400 ms after the start, before the run's first line of output (loading MNIST,
#             removing stale temporaries, reading the checkpoint);
#   anytime   0-300 ms after the run's first line of output and 0-2 more saved checkpoints
#             (training, evaluation or a write);
#   in-write  0-80 ms after a checkpoint temporary appears (after 0-1 more saved checkpoints):
#             inside the write.
# VAE_SLOW_WRITES_MS (vae/files/atomic_file.hpp) makes every 1 MiB chunk of a write take 12 ms longer,
# so a 7.8 MB checkpoint write lasts ~100 ms and the in-write kills land inside it.
# After every kill:
#   - the checkpoint on disk loads (checkpoint_check: magic, version, sizes, CRC);
#   - its epoch never goes back, and it is the last one the run reported saved ("checkpoint:
#     epoch N saved"), or the next one when the kill fell between the rename and that line; when
#     the kill left a temporary behind (the kill landed inside a write) it is exactly the last
#     saved one;
#   - the next run says it resumed from that epoch.
# At the end the run finishes uninterrupted; its weights must equal, byte for byte, those of a
# run that was never killed, and no temporary may be left. The kill times vary from run to run;
# the verdict does not. Prints how many kills there were and how many landed inside a write.
set -euo pipefail

abs() { [[ "$1" == /* ]] && echo "$1" || echo "$PWD/$1"; }
train="$(abs "$1")" check="$(abs "$2")" data="$(abs "${VAE_DATA:-$3}")" want_kills="${4:-24}"
# On a RAM file system when there is one with room: fsync is free there, so the epochs go by
# faster and the kills spread over more of the run (a kill, unlike a power cut, does not care
# whether the data reached the disk). Otherwise /tmp.
base=/tmp
if [[ -d /dev/shm && -w /dev/shm ]] && (( $(df -Pm /dev/shm | awk 'NR == 2 { print $4 }') > 200 )); then
  base=/dev/shm
fi
work="$(mktemp -d "$base/vae_kill_XXXXXX")"
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill -KILL "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
fail() {
  echo "FAIL (kill test): $*" >&2
  for f in log.txt err.txt; do [[ -s $f ]] && { echo "--- $f" >&2; tail -5 "$f" >&2; }; done
  exit 1
}

epochs=80   # more than 24 kills can reach: at most ~5 epochs per "anytime" kill, 2 per "in-write"
args=(--data "$data" --train-limit 128 --test-limit 64 --batch 128 --threads 1 --seed 5 --epochs "$epochs")
export VAE_SLOW_WRITES_MS=12
RANDOM=8081   # the same sequence of kinds and delays every time (the timing still varies)

# delay = 0 to $1-1 ms, as a sleep(1) argument (not in $(...): a subshell would not advance RANDOM).
random_delay() { local ms=$((RANDOM % $1)); printf -v delay '%d.%03d' $((ms / 1000)) $((ms % 1000)); }
alive() { kill -0 "$pid" 2>/dev/null; }
saves() { local n; n=$(grep -c '^checkpoint: epoch' log.txt 2>/dev/null); echo "${n:-0}"; }
start=$EPOCHREALTIME
elapsed() { awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
temporaries() { compgen -G 'ck.vaeckpt.tmp.*' || true; }   # any run's

"$train" "${args[@]}" --quiet --out reference.vaew || fail "the uninterrupted run failed"

kills=0 in_write=0 attempts=0 saved=0
declare -A kinds=([startup]=0 [anytime]=0 [in-write]=0)
while (( kills < want_kills )); do
  (( ++attempts <= 2 * want_kills )) || fail "$attempts attempts for $want_kills kills"
  kind=(startup anytime in-write); kind="${kind[attempts % 3]}"
  resume=()
  [[ -e ck.vaeckpt ]] && resume=(--resume ck.vaeckpt)
  rm -f log.txt err.txt   # a kill before the child's redirections would leave the last run's
  "$train" "${args[@]}" --checkpoint ck.vaeckpt "${resume[@]}" --out final.vaew >log.txt 2>err.txt &
  pid=$!
  delay="" skip=0
  if [[ $kind == startup ]]; then
    # Before the first line of output (reading MNIST and the checkpoint), at most 400 ms.
    deadline=$((RANDOM % 80))
    for ((i = 0; i < deadline; i++)); do alive && [[ ! -s log.txt ]] || break; sleep 0.005; done
  else
    # Let 0-2 ("anytime") or 0-1 ("in-write") checkpoints complete first: the kills spread over
    # the run whatever the machine's speed.
    skip=$((RANDOM % 3))
    [[ $kind == anytime ]] || skip=$((skip % 2))
    while alive && (( $(saves) < skip )) || { alive && [[ ! -s log.txt ]]; }; do
      sleep 0.005
    done
    if [[ $kind == in-write ]]; then
      while alive && [[ ! -e ck.vaeckpt.tmp.$pid ]]; do sleep 0.003; done
      random_delay 80
    else
      random_delay 300
    fi
    sleep "$delay"
  fi
  rc=0
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || rc=$?   # (no "Killed" job notice)
  killed=$pid pid=""
  [[ $rc -eq 137 ]] || fail "attempt $attempts ($kind) ended by itself with exit $rc before the kill"
  kills=$((kills + 1))
  kinds[$kind]=$((kinds[$kind] + 1))

  # The run's own account: the resumed epoch it announced, and the last epoch it saved.
  before=$saved
  touch log.txt
  if [[ ${#resume[@]} -gt 0 ]] && grep -q '^resumed from' log.txt; then
    said="$(sed -n 's/^resumed from ck.vaeckpt at epoch \([0-9]*\).*/\1/p' log.txt)"
    [[ "$said" == "$before" ]] || fail "kill $kills: the run resumed from epoch '$said', the checkpoint held $before"
  fi
  last="$(sed -n 's/^checkpoint: epoch \([0-9]*\) saved to .*/\1/p' log.txt | tail -1)"
  completed=${last:-$before}
  left=""   # this run's temporary: the kill landed between its open and its rename
  [[ -e ck.vaeckpt.tmp.$killed ]] && left=ck.vaeckpt.tmp.$killed
  if [[ ! -e ck.vaeckpt ]]; then
    [[ $completed -eq 0 ]] || fail "kill $kills: epoch $completed was saved but there is no checkpoint"
    saved=0
  else
    saved="$("$check" ck.vaeckpt 2>&1)" || fail "kill $kills ($kind): the checkpoint does not load: $saved"
    (( saved >= before )) || fail "kill $kills: the checkpoint went back from epoch $before to $saved"
    if [[ -n "$left" ]]; then
      [[ $saved -eq $completed ]] || fail "kill $kills inside a write: checkpoint epoch $saved, last saved $completed"
    else
      (( saved == completed || saved == completed + 1 )) \
        || fail "kill $kills: checkpoint epoch $saved, the run last reported saving epoch $completed"
    fi
  fi
  [[ -n "$left" ]] && in_write=$((in_write + 1))
  printf 'kill %2d at %5.1f s (%-8s +%s ckpt +%5s s): checkpoint at epoch %2d%s\n' "$kills" "$(elapsed)" \
    "$kind" "$skip" "${delay:-?}" "$saved" \
    "${left:+, inside a write (temporary left)}"
  (( saved < epochs )) || fail "the run reached epoch $epochs before $want_kills kills"
done
(( in_write >= 1 )) || fail "no kill landed inside a checkpoint write"

# Finish without interruption: the stale temporaries go, the weights equal the uninterrupted run's.
unset VAE_SLOW_WRITES_MS
resume=()
[[ -e ck.vaeckpt ]] && resume=(--resume ck.vaeckpt)
"$train" "${args[@]}" --checkpoint ck.vaeckpt --checkpoint-every "$epochs" "${resume[@]}" --out final.vaew \
  >log.txt 2>err.txt || fail "the final resumed run failed"
[[ "$("$check" ck.vaeckpt)" == "$epochs" ]] || fail "the final checkpoint is not at epoch $epochs"
[[ -z "$(temporaries)" ]] || fail "temporaries left: $(temporaries)"
cmp reference.vaew final.vaew || fail "weights after $kills kills differ from the uninterrupted run"
echo "ok: $kills kills (${kinds[startup]} startup, ${kinds[anytime]} anytime, ${kinds[in-write]} aimed at a write)," \
     "$in_write inside a checkpoint write; the weights equal the uninterrupted run's byte for byte"
