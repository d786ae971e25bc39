#!/usr/bin/env bash
# test_vae_train.sh - the vae_train and vae_report command lines, end to end, on small data.
#
# usage: test_vae_train.sh CASE VAE_TRAIN VAE_REPORT DATA_DIR
#   report    a short run writes every report file and a weight file that vae_report loads
#             (vae::load_weights) and whose header is a version-1 .vaew for 784-400-20
#   resume    1 epoch + --resume to 2 gives the bytes of an uninterrupted 2-epoch run (1 thread)
#   kill      SIGKILL after a checkpoint, then --resume: the same bytes as an uninterrupted run
#   errors    bad flags: one-line errors on stderr, exit 2 (usage) or 1 (runtime), no trace
#   diverge   a learning rate that blows up: exit 1, one line, the last checkpoint still loads
#   interrupt SIGINT in the middle of epoch 2 of 3: exit 130 and "interrupted at epoch E, step S;
#             resume with: CMD"; the report's run.json says "interrupted" and no metrics.json
#             claims a result; CMD alone (the run's epochs and outputs come from the checkpoint)
#             ends at epoch 3 with the bytes of an uninterrupted 1-thread run and a whole report;
#             SIGTERM does the same; a second SIGINT stops at once and the checkpoint still loads
#   lock      a second vae_train on the same outputs is refused with the first one's pid while it
#             runs, and starts once the first is killed with SIGKILL (its lock file left behind)
#   init      --init FILE.vaew starts from those weights: 0 epochs give back its tensors bit for
#             bit (a new note), 1 epoch from them ends below 1 epoch from the seed; a missing
#             or latent-2 file, or --init with --resume, is refused before any work
#   outputs   a run that saves nothing, and two outputs that are one file, are refused (exit 2)
#             before any work
#   run       --run DIR is the run's home (weights, checkpoint, report, run.json); SIGINT in epoch
#             2 of 3 prints "resume with: ... --resume 'DIR'"; vae_report refuses the folder while
#             run.json says it is unfinished; --resume DIR alone ends at epoch 3 with the bytes of
#             an uninterrupted run; vae_report then reads the folder; an override (--out) wins
# Each case runs in a fresh temporary folder and removes it. Runs are tiny (1000 training
# images, 500 test images) so that the ASan build stays fast. Not a unit test of the trainer:
# test_trainer.cpp and test_checkpoint.cpp cover the library; this covers the apps' plumbing.
set -euo pipefail

abs() { [[ "$1" == /* ]] && echo "$1" || echo "$PWD/$1"; }
case_name="$1" train="$(abs "$2")" report="$(abs "$3")" data="$(abs "${VAE_DATA:-$4}")"
work="$(mktemp -d /tmp/vae_cli_XXXXXX)"
trap 'rm -rf "$work"' EXIT
cd "$work"

fail() { echo "FAIL ($case_name): $*" >&2; exit 1; }
small=(--data "$data" --train-limit 1000 --test-limit 500 --quiet)

# The first 8 bytes of a PNG (RFC 2083).
is_png() { [[ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" == "89504e470d0a1a0a" ]]; }
# A little-endian u32 of file $1 at byte offset $2.
u32_at() { od -An -tu4 -j "$2" -N 4 "$1" | tr -d ' '; }

# $1: expected exit status; the rest: the command. Checks one line of stderr, no trace.
expect_error() {
  local want="$1"; shift
  local rc=0
  "$@" >out.txt 2>err.txt || rc=$?
  [[ $rc -eq $want ]] || fail "'$*' exited $rc, expected $want; stderr: $(cat err.txt)"
  [[ $(wc -l <err.txt) -eq 1 ]] || fail "'$*' printed $(wc -l <err.txt) lines on stderr: $(cat err.txt)"
  grep -q '^vae_train: ' err.txt || fail "'$*': error does not start with 'vae_train: ': $(cat err.txt)"
  if grep -qiE 'terminate called|stack|backtrace|Aborted|AddressSanitizer|runtime error' err.txt; then
    fail "'$*': not a clean error: $(cat err.txt)"
  fi
  echo "ok: exit $rc: $(cat err.txt)"
}

case "$case_name" in
report)
  "$train" "${small[@]}" --epochs 2 --report rep --out rep/weights.vaew --checkpoint ck.vaeckpt
  for f in losses.csv metrics.json loss_curve.png reconstructions.png samples.png weights.vaew; do
    [[ -s "rep/$f" ]] || fail "rep/$f is missing or empty"
  done
  for f in loss_curve.png reconstructions.png samples.png; do is_png "rep/$f" || fail "rep/$f is not a PNG"; done
  [[ ! -e rep/manifold.png ]] || fail "manifold.png is for latent 2 only"
  [[ $(wc -l <rep/losses.csv) -eq 3 ]] || fail "losses.csv should have a header and 2 rows"
  head -1 rep/losses.csv | grep -qx 'epoch,train_loss,train_recon,train_kl,test_loss,test_recon,test_kl,seconds' \
    || fail "losses.csv header: $(head -1 rep/losses.csv)"
  grep -q '"test_loss_z_mu"' rep/metrics.json || fail "metrics.json lacks test_loss_z_mu"
  grep -q '"mode": "vae"' rep/metrics.json || fail "metrics.json lacks the settings"
  grep -q '"openblas_kernels": "[A-Za-z]' rep/metrics.json || fail "metrics.json lacks the OpenBLAS kernels"
  grep -Eq '"first_layer": "(dense|sparse \((AVX-512|AVX2|portable)\))"' rep/metrics.json \
    || fail "metrics.json lacks the first layer's path: $(grep first_layer rep/metrics.json)"
  grep -Eq '"latent_block": "(fused \((AVX-512|AVX2)\)|layers \(sgemm\))"' rep/metrics.json \
    || fail "metrics.json lacks the latent block's path: $(grep latent_block rep/metrics.json)"
  # The weight file's header (docs/weights-format.md): "VAEW", version 1, dims 784 400 20.
  [[ "$(head -c 4 rep/weights.vaew)" == "VAEW" ]] || fail "weights.vaew has no VAEW magic"
  [[ "$(u32_at rep/weights.vaew 4) $(u32_at rep/weights.vaew 16) $(u32_at rep/weights.vaew 20) $(u32_at rep/weights.vaew 24)" == "1 784 400 20" ]] \
    || fail "weights.vaew header: version/dims wrong"
  [[ "$(u32_at rep/weights.vaew 48)" == "$(stat -c %s rep/weights.vaew)" ]] || fail "weights.vaew size field"
  [[ "$(head -c 7 ck.vaeckpt)" == "VAECKPT" ]] || fail "checkpoint magic"
  # vae_report loads the weights with vae::load_weights and writes the comparison.
  "$report" --data "$data" --out cmp rep >/dev/null
  for f in summary.md loss_curves.png reconstructions.png samples.png; do
    [[ -s "cmp/$f" ]] || fail "vae_report did not write cmp/$f"
  done
  grep -q '^| OpenBLAS kernels | [A-Za-z]' cmp/summary.md || fail "summary.md lacks the OpenBLAS kernels"
  grep -Eq '^\| first layer \| (dense|sparse)' cmp/summary.md || fail "summary.md lacks the first layer's path"
  grep -Eq '^\| latent block \| (fused|layers)' cmp/summary.md || fail "summary.md lacks the latent block's path"
  # Latent 2 adds the manifold.
  "$train" "${small[@]}" --epochs 1 --latent 2 --mode ae --report rep2
  is_png rep2/manifold.png || fail "latent 2: manifold.png missing"
  # Progress without a terminal: one plain line per epoch, no carriage returns.
  "$train" --data "$data" --train-limit 300 --test-limit 100 --epochs 2 --out p.vaew >progress.txt
  [[ $(grep -c '^epoch [12]/2  train' progress.txt) -eq 2 ]] || fail "progress lines: $(cat progress.txt)"
  ! grep -q $'\r' progress.txt || fail "carriage returns without a terminal"
  echo "ok: report files, weight header, vae_report, manifold, plain progress"
  ;;
resume)
  args=("${small[@]}" --threads 1)
  "$train" "${args[@]}" --epochs 2 --out full.vaew
  "$train" "${args[@]}" --epochs 1 --checkpoint part.vaeckpt
  "$train" "${args[@]}" --epochs 2 --resume part.vaeckpt --out resumed.vaew
  cmp full.vaew resumed.vaew || fail "resumed weights differ from the uninterrupted run"
  # A flag that would change the run is refused on resume; a finished run trains nothing.
  expect_error 2 "$train" "${args[@]}" --epochs 3 --resume part.vaeckpt --lr 0.01
  "$train" --data "$data" --train-limit 1000 --test-limit 500 --epochs 2 --resume part.vaeckpt >again.txt
  grep -q 'nothing to train' again.txt || fail "resuming a finished run: $(cat again.txt)"
  echo "ok: 1 epoch + resume == 2 epochs, byte for byte"
  ;;
kill)
  epochs=12
  args=(--data "$data" --train-limit 600 --test-limit 200 --quiet --threads 1 --epochs "$epochs")
  "$train" "${args[@]}" --out full.vaew
  "$train" "${args[@]}" --checkpoint ck.vaeckpt --out killed.vaew &
  pid=$!
  for _ in $(seq 1 2000); do [[ -e ck.vaeckpt ]] && break; sleep 0.01; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [[ -e ck.vaeckpt ]] || fail "no checkpoint appeared"
  done_epochs="$(u32_at ck.vaeckpt 28)"
  echo "killed after the checkpoint of epoch $done_epochs of $epochs"
  # The run's own --out comes back from the checkpoint; another one would change the run.
  expect_error 2 "$train" "${args[@]}" --resume ck.vaeckpt --out resumed.vaew
  "$train" "${args[@]}" --resume ck.vaeckpt
  cmp full.vaew killed.vaew || fail "weights after kill + resume differ from the uninterrupted run"
  echo "ok: SIGKILL at epoch $done_epochs + resume == uninterrupted, byte for byte"
  ;;
errors)
  expect_error 2 "$train" --mode foo
  expect_error 2 "$train" --epochs -3
  expect_error 2 "$train" --data "$work/no/such/dir" --out w.vaew
  expect_error 2 "$train" --loss l1
  expect_error 2 "$train" --latent 3
  expect_error 2 "$train" --no-such-flag
  expect_error 2 "$train" --mode ae --beta 0.5 --data "$data" --out w.vaew
  expect_error 2 "$train" --batch 0
  mkdir empty
  expect_error 1 "$train" --data empty --out w.vaew
  echo "not a checkpoint" >bad.vaeckpt
  expect_error 1 "$train" --data "$data" --resume bad.vaeckpt
  expect_error 1 "$train" --data "$data" --resume missing.vaeckpt
  grep -q 'fetch-mnist --data' err.txt && fail "a missing checkpoint is not a data problem" || true
  "$train" --data empty --out w.vaew 2>err.txt || true
  grep -q 'scripts/fetch-mnist --data' err.txt || fail "missing MNIST should name the fetch command: $(cat err.txt)"
  "$train" --help | grep -q -- '--epochs INT.*=50' || fail "--help does not list the default epochs"
  ;;
diverge)
  rc=0
  "$train" "${small[@]}" --threads 1 --epochs 4 --lr 0.9 --checkpoint ck.vaeckpt 2>err.txt || rc=$?
  [[ $rc -eq 1 ]] || fail "a diverging run exited $rc: $(cat err.txt)"
  [[ $(wc -l <err.txt) -eq 1 ]] || fail "divergence message is not one line: $(cat err.txt)"
  grep -q 'not finite.*diverged' err.txt || fail "unclear divergence message: $(cat err.txt)"
  if grep -q 'is left intact' err.txt; then
    good="$(sed -n 's/.*(epoch \([0-9]*\)) is left intact.*/\1/p' err.txt)"
    [[ "$(u32_at ck.vaeckpt 28)" == "$good" ]] || fail "checkpoint is not at epoch $good"
    "$train" --data "$data" --train-limit 1000 --test-limit 500 --resume ck.vaeckpt --epochs "$good" --quiet \
      || fail "the last good checkpoint does not load"
  else
    grep -q 'no checkpoint had been written yet' err.txt || fail "message: $(cat err.txt)"
    [[ ! -e ck.vaeckpt ]] || fail "a checkpoint was written after divergence"
  fi
  echo "ok: $(cat err.txt)"
  ;;
run)
  args=(--data "$data" --train-limit 6000 --test-limit 500 --batch 100 --threads 1)
  "$train" "${args[@]}" --epochs 3 --quiet --out full.vaew
  wait_for() { for _ in $(seq 1 3000); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.01; done; fail "no '$2' in $1"; }
  "$train" "${args[@]}" --epochs 3 --run runs/a >log.txt 2>err.txt &
  pid=$!
  wait_for log.txt '^checkpoint: epoch 1 saved to runs/a/checkpoint.vaeckpt'
  kill -INT "$pid"
  rc=0; wait "$pid" || rc=$?
  [[ $rc -eq 130 ]] || fail "SIGINT: exit $rc, expected 130; stderr: $(cat err.txt)"
  grep -qE "^vae_train: interrupted at epoch [1-3], step [0-9]+; resume with: .* --resume 'runs/a'$" err.txt \
    || fail "SIGINT under --run does not resume by the folder: $(cat err.txt)"
  grep -q '"status": "interrupted"' runs/a/run.json || fail "run.json after SIGINT: $(cat runs/a/run.json)"
  rc=0; "$report" --data "$data" --out cmp runs/a 2>err.txt || rc=$?
  [[ $rc -eq 1 ]] || fail "vae_report on an interrupted run: exit $rc"
  grep -q "runs/a: an unfinished run (run.json: interrupted.*resume it with: .*--resume 'runs/a'" err.txt \
    || fail "vae_report on an interrupted run: $(cat err.txt)"
  [[ ! -e cmp ]] || fail "vae_report wrote a comparison of an unfinished run"
  "$train" --resume runs/a >resume.txt || fail "--resume runs/a failed"
  grep -q '^resumed from runs/a/checkpoint.vaeckpt at epoch' resume.txt || fail "resume: $(head -3 resume.txt)"
  grep -q '^done: epoch 3,' resume.txt || fail "the resumed run did not end at epoch 3: $(tail -2 resume.txt)"
  cmp full.vaew runs/a/weights.vaew || fail "--run interrupted + --resume DIR differs from the uninterrupted run"
  for f in run.json losses.csv metrics.json loss_curve.png reconstructions.png samples.png checkpoint.vaeckpt; do
    [[ -s "runs/a/$f" ]] || fail "the run folder lacks $f"
  done
  grep -q '"status": "finished"' runs/a/run.json || fail "run.json after the resume: $(cat runs/a/run.json)"
  "$report" --data "$data" --out cmp runs/a >report.txt || fail "vae_report on the finished run folder failed"
  grep -q 'runs/a/weights.vaew' cmp/summary.md || fail "summary.md does not name the run's weights"
  # An override: the weights elsewhere; vae_report finds them through run.json.
  "$train" "${small[@]}" --epochs 1 --run runs/b --out elsewhere/b.vaew
  [[ -s elsewhere/b.vaew && ! -e runs/b/weights.vaew && -s runs/b/checkpoint.vaeckpt ]] || fail "--out did not override --run's weights"
  "$report" --data "$data" --out cmp2 runs/b >/dev/null || fail "vae_report did not find the overridden weights"
  grep -q 'elsewhere/b.vaew' cmp2/summary.md || fail "summary.md does not name the overridden weights"
  echo "ok: --run DIR, SIGINT, --resume DIR == uninterrupted, vae_report on the folder"
  ;;
interrupt)
  # 6000 images in 60 steps of 100: ~0.7 s an epoch on one thread, long enough to land inside one.
  args=(--data "$data" --train-limit 6000 --test-limit 500 --batch 100 --threads 1)
  "$train" "${args[@]}" --epochs 3 --quiet --out full.vaew --report full
  # wait_for FILE REGEX: until the line appears (or 60 s).
  wait_for() { for _ in $(seq 1 3000); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.01; done; fail "no '$2' in $1"; }
  "$train" "${args[@]}" --epochs 3 --out w.vaew --report rep --checkpoint ck.vaeckpt >log.txt 2>err.txt &
  pid=$!
  wait_for log.txt '^checkpoint: epoch 1 saved'
  kill -INT "$pid"
  rc=0; wait "$pid" || rc=$?
  [[ $rc -eq 130 ]] || fail "SIGINT: exit $rc, expected 130; stderr: $(cat err.txt)"
  [[ $(wc -l <err.txt) -eq 1 ]] || fail "SIGINT: stderr is not one line: $(cat err.txt)"
  grep -qE '^vae_train: interrupted at epoch [1-3], step [0-9]+; resume with: .* --resume .*ck.vaeckpt' err.txt \
    || fail "SIGINT message: $(cat err.txt)"
  grep -q '"status": "interrupted"' rep/run.json || fail "run.json after SIGINT: $(cat rep/run.json)"
  grep -q '"finished": false' rep/run.json || fail "run.json claims a finished run"
  [[ ! -e rep/metrics.json && ! -e w.vaew ]] || fail "an interrupted run wrote its final results"
  done_epochs="$(u32_at ck.vaeckpt 28)"
  (( done_epochs >= 1 && done_epochs <= 2 )) || fail "checkpoint at epoch $done_epochs after SIGINT"
  # The printed command, run as printed, with nothing added.
  command="$(sed -n 's/^vae_train: interrupted at .*; resume with: //p' err.txt)"
  eval "$command" >resume.txt || fail "the printed resume command failed: $command"
  grep -q "^resumed from ck.vaeckpt at epoch $done_epochs" resume.txt || fail "resume: $(head -3 resume.txt)"
  grep -q '^done: epoch 3,' resume.txt || fail "the resumed run did not end at epoch 3: $(tail -2 resume.txt)"
  [[ "$(u32_at ck.vaeckpt 28)" == 3 ]] || fail "the checkpoint is not at epoch 3"
  cmp full.vaew w.vaew || fail "interrupted + resumed weights differ from the uninterrupted run"
  for f in losses.csv metrics.json loss_curve.png reconstructions.png samples.png; do
    [[ -s "rep/$f" ]] || fail "the resumed report lacks $f"
  done
  diff <(cut -d, -f1-7 full/losses.csv) <(cut -d, -f1-7 rep/losses.csv) >/dev/null \
    || fail "losses.csv (seconds aside) differs from the uninterrupted run's: $(cat rep/losses.csv)"
  grep -q '"status": "finished"' rep/run.json || fail "run.json after the resume: $(cat rep/run.json)"
  echo "ok: SIGINT after epoch $done_epochs + '$command' == uninterrupted, byte for byte"

  # SIGTERM, and no --checkpoint: the run is saved beside --out and resumes from there.
  "$train" "${args[@]}" --epochs 3 --out t.vaew >log.txt 2>err.txt &
  pid=$!
  wait_for log.txt '^epoch +1/3'
  kill -TERM "$pid"
  rc=0; wait "$pid" || rc=$?
  [[ $rc -eq 130 ]] || fail "SIGTERM: exit $rc; stderr: $(cat err.txt)"
  grep -q "resume with: .* --resume 't.vaew.vaeckpt'" err.txt || fail "SIGTERM message: $(cat err.txt)"
  eval "$(sed -n 's/.*resume with: //p' err.txt)" --quiet || fail "resume after SIGTERM failed"
  cmp full.vaew t.vaew || fail "SIGTERM + resume differs from the uninterrupted run"

  # Two SIGINTs: the second ends the run at once, inside the first one's (slowed) checkpoint write
  # of epoch 3; the checkpoint of epoch 2 stays whole.
  VAE_SLOW_WRITES_MS=150 "$train" "${args[@]}" --epochs 50 --checkpoint two.vaeckpt --checkpoint-every 2 >log.txt 2>err.txt &
  pid=$!
  wait_for log.txt '^epoch +3/50'
  kill -INT "$pid"
  sleep 0.3
  kill -INT "$pid"
  rc=0; wait "$pid" || rc=$?
  [[ $rc -eq 130 ]] || fail "two SIGINTs: exit $rc"
  grep -q 'stopped at once' err.txt || fail "two SIGINTs: $(cat err.txt)"
  [[ "$(u32_at two.vaeckpt 28)" == 2 ]] || fail "two SIGINTs: the checkpoint is not the epoch-2 one"
  "$train" --resume two.vaeckpt --epochs 2 --quiet || fail "the checkpoint left by two SIGINTs does not resume"
  echo "ok: SIGTERM resumes from beside --out; a second SIGINT stops at once, the checkpoint intact"
  ;;
lock)
  args=(--data "$data" --train-limit 2000 --test-limit 200 --threads 1 --quiet)
  "$train" "${args[@]}" --epochs 1000 --out w.vaew --checkpoint ck.vaeckpt &
  pid=$!
  for _ in $(seq 1 3000); do [[ -e ck.vaeckpt ]] && break; sleep 0.01; done
  [[ -e ck.vaeckpt ]] || fail "the first run wrote no checkpoint"
  expect_error 1 "$train" "${args[@]}" --epochs 1 --out other.vaew --checkpoint ck.vaeckpt
  grep -q "is in use by another vae_train (pid $pid," err.txt || fail "the refusal does not name pid $pid: $(cat err.txt)"
  expect_error 1 "$train" "${args[@]}" --epochs 1 --out ./w.vaew
  expect_error 1 "$train" "${args[@]}" --resume ck.vaeckpt
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null || true
  [[ -e ck.vaeckpt.lock ]] || fail "no lock file beside the checkpoint"
  # The lock file of the killed run stays; its flock went with the process.
  "$train" "${args[@]}" --epochs 1 --out ./w.vaew --checkpoint other.vaeckpt || fail "a stale lock blocked the run"
  "$train" "${args[@]}" --resume ck.vaeckpt --epochs 1 || fail "a stale lock blocked the resume"
  echo "ok: a second process is refused with the holder's pid; after SIGKILL the lock is free"
  ;;
outputs)
  expect_error 2 "$train" --data "$data"
  grep -q 'nothing would be saved' err.txt || fail "no-output message: $(cat err.txt)"
  expect_error 2 "$train" "${small[@]}" --out same.vaew --checkpoint same.vaew
  grep -q 'are the same file' err.txt || fail "same-path message: $(cat err.txt)"
  mkdir sub
  expect_error 2 "$train" "${small[@]}" --out sub/../w.vaew --checkpoint "$work/w.vaew"
  ln -s sub link
  expect_error 2 "$train" "${small[@]}" --out link/losses.csv --report sub --checkpoint ck.vaeckpt
  expect_error 2 "$train" "${small[@]}" --report rep --checkpoint rep/losses.csv
  expect_error 2 "$train" "${small[@]}" --report rep --out rep
  [[ -z "$(ls sub)" && ! -e rep && ! -e same.vaew ]] || fail "a refused run left files: $(ls sub)"
  # Outputs that merely share a folder are fine: the README's --out rep/weights.vaew --report rep.
  "$train" "${small[@]}" --epochs 1 --report rep --out rep/weights.vaew
  echo "ok: no-output and same-path runs refused before any work"
  ;;
init)
  # The tensors of a .vaew, from its first tensor's offset (record 0, field offset) to the end:
  # two files with the same tensors differ there only if a tensor byte differs.
  tensors_of() { tail -c +$(( $(u32_at "$1" 112) + 1 )) "$1"; }
  "$train" "${small[@]}" --epochs 1 --out a.vaew --report ra
  "$train" "${small[@]}" --epochs 0 --init a.vaew --out b.vaew
  cmp <(tensors_of a.vaew) <(tensors_of b.vaew) || fail "--init a.vaew --epochs 0 changed the weights"
  grep -q -- '--init a.vaew' b.vaew || fail "the note does not say --init"
  ! cmp -s a.vaew b.vaew || fail "the note should differ"
  "$train" "${small[@]}" --epochs 1 --init a.vaew --out c.vaew --report rc
  ! cmp -s <(tensors_of a.vaew) <(tensors_of c.vaew) || fail "training from --init changed nothing"
  loss() { sed -n 's/.*"test_loss": \([0-9.e+-]*\).*/\1/p' "$1/metrics.json" | head -1; }
  la=$(loss ra) lc=$(loss rc)
  [[ -n "$la" && -n "$lc" ]] || fail "no test_loss in metrics.json"
  awk -v a="$la" -v c="$lc" 'BEGIN { exit !(c < a) }' \
    || fail "1 epoch from --init a.vaew (test loss $lc) is not below 1 epoch from the seed ($la)"
  echo "ok: fine-tuning from --init: test loss $la -> $lc"
  expect_error 1 "$train" "${small[@]}" --init missing.vaew --out d.vaew
  grep -q 'missing.vaew' err.txt || fail "missing --init file not named"
  "$train" "${small[@]}" --epochs 0 --latent 2 --out l2.vaew
  expect_error 1 "$train" "${small[@]}" --init l2.vaew --out d.vaew
  grep -q 'l2.vaew: --init: the file is 784-400-2; this run trains 784-400-20' err.txt || fail "latent: $(cat err.txt)"
  "$train" "${small[@]}" --checkpoint ck.vaeckpt --epochs 1
  expect_error 2 "$train" --resume ck.vaeckpt --init a.vaew
  [[ ! -e d.vaew ]] || fail "a refused --init run wrote its output"
  ;;
*)
  fail "unknown case"
  ;;
esac
