#!/usr/bin/env bash
# test_vae_train_errors.sh - every kind of bad input to vae_train: one line on stderr, exit 2 for a
# usage error and 1 for a runtime error, caught before the first epoch (tests/cli/lib_errors.sh).
# (Divergence, kill and resume are tests/cli/test_vae_train.sh and test_vae_train_kill.sh; a full
# disk is test_disk_errors.sh.)
#
# usage: test_vae_train_errors.sh VAE_TRAIN WEIGHTS_DIR DATA_DIR
set -euo pipefail
source "$(dirname "$0")/lib_errors.sh"
train_bin="$(abs "$1")" weights="$(abs "$2")" data="$(abs "${VAE_DATA:-$3}")"
init_work train_errors
nobody_train="$(for_nobody "$train_bin")"

ln -s "$data" mnist
cp "$weights/mnist_vae.vaew" vae.vaew
t=vae_train
export PATH="$(dirname "$train_bin"):$PATH"
small=(--data mnist --train-limit 128 --test-limit 64 --epochs 1 --threads 1 --quiet)
"$train_bin" "${small[@]}" --latent 2 --checkpoint z2.vaeckpt --out z2.vaew
head -c 5000 z2.vaeckpt >truncated.vaeckpt
cp z2.vaeckpt flipped.vaeckpt
printf '\x5a' | dd of=flipped.vaeckpt bs=1 seek=5000 conv=notrunc status=none
mkdir empty folder.vaeckpt badmnist
for f in t10k-images-idx3-ubyte t10k-labels-idx1-ubyte train-labels-idx1-ubyte; do ln -s "$data/$f" badmnist/; done
head -c 100000 "$data/train-images-idx3-ubyte" >badmnist/train-images-idx3-ubyte
echo "a file" >afile
mkdir ro && chmod 555 ro

# Usage errors: exit 2.
expect_error 2 "--mode: foo not in \{ae,vae\}" "unknown mode" $t --mode foo
expect_error 2 "--loss: l1 not in \{mse,bce\}" "unknown loss" $t --loss l1
expect_error 2 "--epochs: '-3' is not an integer from 0 to 100000" "negative epochs" $t --epochs -3
expect_error 2 "--epochs: '100001'" "epochs above the limit" $t --epochs 100001
expect_error 2 "--epochs: '2.5' is not an integer" "fractional epochs" $t --epochs 2.5
expect_error 2 "--batch: '0' is not an integer from 1 to 4096" "batch 0" $t --batch 0
expect_error 2 "--batch: '5000'" "batch above the limit" $t --batch 5000
expect_error 2 "--lr: '0' is not a finite number > 0" "learning rate 0" $t --lr 0
expect_error 2 "--lr: 'nan' is not a finite number > 0" "learning rate NaN" $t --lr nan
expect_error 2 "--lr: 'inf'" "learning rate infinite" $t --lr inf
expect_error 2 "--lr: '1e-3x'" "learning rate not a number" $t --lr 1e-3x
expect_error 2 "--beta: '-1' is not a finite number >= 0" "negative beta" $t --beta -1
expect_error 2 "--beta: 'nan'" "beta NaN" $t --beta nan
expect_error 2 "--seed: '-1' is not a seed" "negative seed" $t --seed -1
expect_error 2 "--threads: '0' is not an integer from 1 to 256" "0 threads" $t --threads 0
expect_error 2 "784-400-3 is not compiled into this build \(it has [-0-9, ]+\); reconfigure with -DVAE_MODELS=\"[-0-9;]+;784-400-3\"" "shape not compiled in (VAE_MODELS)" $t --latent 3
expect_error 2 "--train-limit: '-1'" "negative training limit" $t --train-limit -1
expect_error 2 "--checkpoint-every: '0'" "checkpoint every 0 epochs" $t --checkpoint-every 0
expect_error 2 'not expected: .*--learning-rate' "unknown flag" $t --learning-rate 0.1
expect_error 2 'not expected: extra' "extra argument" $t extra
expect_error 2 '--mode ae trains without the KL term.*use --mode vae' "ae with a KL weight" $t --mode ae --beta 0.5 --data mnist --out w.vaew
expect_error 2 '--data nodir: no such directory .*fetch-mnist' "missing data folder" $t --data nodir --out w.vaew
expect_error 2 '--batch 256 is larger than the 128 training images' "batch larger than the data" $t --data mnist --train-limit 128 --batch 256 --out w.vaew
expect_error 2 'nothing would be saved: give --out .*--report .*--checkpoint' "no output at all: the run would save nothing" $t --data mnist
expect_error 2 '--out same.vaew and --checkpoint same.vaew are the same file' "--out and --checkpoint name one file" $t "${small[@]}" --out same.vaew --checkpoint same.vaew
expect_error 2 '--out rep and --report rep are the same file' "--out names the report folder" $t "${small[@]}" --out rep --report rep
ln -s . here
expect_error 2 '--checkpoint here/rep/metrics.json and --report rep \(its metrics.json\) are the same file' "--checkpoint is a report file, through a link" $t "${small[@]}" --checkpoint here/rep/metrics.json --report rep
expect_error 2 'the run writes --out z2.vaew; --out other.vaew would change it' "resume with another --out" $t --data mnist --resume z2.vaeckpt --out other.vaew
expect_error 2 'the run evaluates with --test-limit 64; --test-limit 10 would change it' "resume with another --test-limit" $t --data mnist --resume z2.vaeckpt --test-limit 10
expect_error 2 '--out folder.vaeckpt: is a directory; expected a file name' "--out is a directory" $t "${small[@]}" --out folder.vaeckpt
expect_error 2 '--checkpoint folder.vaeckpt: is a directory' "--checkpoint is a directory" $t "${small[@]}" --checkpoint folder.vaeckpt
expect_error 2 'trained with --latent 2; --latent 20 would change it' "resume with another latent" $t --data mnist --resume z2.vaeckpt --latent 20
expect_error 2 'trained with --lr 0.001; drop --lr' "resume with another learning rate" $t --data mnist --resume z2.vaeckpt --lr 0.01

# Runtime errors: exit 1, before any training.
expect_error 1 'MNIST is missing .*fetch it with: .*fetch-mnist --data' "data folder without MNIST" $t --data empty --out w.vaew
expect_error 1 'train-images-idx3-ubyte.*(truncated|expected)' "truncated MNIST file" $t --data badmnist --out w.vaew
expect_error 1 'cannot read missing.vaeckpt: No such file' "missing checkpoint" $t --data mnist --resume missing.vaeckpt
expect_error 2 '--run r1 starts a run; --resume continues one' "--run with --resume" $t "${small[@]}" --run r1 --resume folder.vaeckpt
expect_error 1 '--resume folder.vaeckpt: not a run folder \(no checkpoint.vaeckpt, no run.json\)' "a directory as the checkpoint" $t --data mnist --resume folder.vaeckpt
expect_error 1 'not a vae_train checkpoint' "a weight file as the checkpoint" $t --data mnist --resume vae.vaew
expect_error 1 'truncated' "truncated checkpoint" $t --data mnist --resume truncated.vaeckpt
expect_error 1 'CRC' "one byte of the checkpoint changed" $t --data mnist --resume flipped.vaeckpt
expect_error 1 '--out afile/w.vaew: afile is not a directory' "--out under a file" $t "${small[@]}" --out afile/w.vaew
expect_error 1 '--out ro/w.vaew: cannot write in ro \(Permission denied\)' "--out in a read-only directory" "${unprivileged[@]}" "$nobody_train" --data empty --out ro/w.vaew
expect_error 1 '--checkpoint ro/ck.vaeckpt: cannot write in ro' "--checkpoint in a read-only directory" "${unprivileged[@]}" "$nobody_train" --data empty --checkpoint ro/ck.vaeckpt
expect_error 1 '--report ro/rep: cannot create the directory \(ro: Permission denied\)' "--report in a read-only directory" "${unprivileged[@]}" "$nobody_train" --data empty --report ro/rep
[[ -z "$(ls ro)" && ! -e w.vaew ]] || fail "an output appeared after an error"

# Valid: vae_train makes the folders of its outputs.
expect_ok "--out and --checkpoint in folders that do not exist yet: made" $t "${small[@]}" --out new/w.vaew --checkpoint new/ck/ck.vaeckpt
[[ -s new/w.vaew && -s new/ck/ck.vaeckpt ]] || fail "outputs in new folders were not written"
echo "ok: vae_train bad inputs"
