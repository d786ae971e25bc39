#!/usr/bin/env bash
# test_classifier_train_errors.sh - every kind of bad input to classifier_train: one line on
# stderr, exit 2 for a usage error and 1 for a runtime error, before the first epoch
# (tests/cli/lib_errors.sh). A training run is tests/test_classifier.cpp's business.
#
# usage: test_classifier_train_errors.sh CLASSIFIER_TRAIN DATA_DIR
set -euo pipefail
source "$(dirname "$0")/lib_errors.sh"
train_bin="$(abs "$1")" data="$(abs "${VAE_DATA:-$2}")"
init_work classifier_errors
nobody_train="$(for_nobody "$train_bin")"

ln -s "$data" mnist
mkdir empty badmnist folder.vaew ro && chmod 555 ro
for f in t10k-images-idx3-ubyte t10k-labels-idx1-ubyte train-images-idx3-ubyte; do ln -s "$data/$f" badmnist/; done
printf '\x00\x00\x08\x01\x00\x00\xea\x60' >badmnist/train-labels-idx1-ubyte   # 60000 labels promised, none there
echo "a file" >afile
c=classifier_train
export PATH="$(dirname "$train_bin"):$PATH"

# Usage errors: exit 2.
expect_error 2 "--epochs: '0' is not an integer from 1 to 100000" "0 epochs" $c --epochs 0
expect_error 2 "--batch: '0'" "batch 0" $c --batch 0
expect_error 2 "--lr: '-1' is not a finite number > 0" "negative learning rate" $c --lr -1
expect_error 2 "--lr: 'nan'" "learning rate NaN" $c --lr nan
expect_error 2 "--seed: '-1' is not a seed" "negative seed" $c --seed -1
expect_error 2 "--threads: '0'" "0 threads" $c --threads 0
expect_error 2 "--min-accuracy: '2' is not a number from 0 to 1" "accuracy above 1" $c --min-accuracy 2
expect_error 2 "--min-accuracy: 'nan'" "accuracy NaN" $c --min-accuracy nan
expect_error 2 'not expected: .*--hidden' "unknown flag" $c --hidden 512
expect_error 2 '--data nodir: no such directory' "missing data folder" $c --data nodir
expect_error 2 '--out folder.vaew: is a directory; expected a file name' "--out is a directory" $c --data mnist --out folder.vaew

# Runtime errors: exit 1, before training.
expect_error 1 '--data empty: MNIST is missing \(empty/train-images-idx3-ubyte\); fetch it with: ' "data folder without MNIST" $c --data empty
expect_error 1 'train-labels-idx1-ubyte.*truncated' "truncated MNIST labels" $c --data badmnist
expect_error 1 '--out afile/c.vaew: afile is not a directory' "--out under a file" $c --data mnist --out afile/c.vaew
expect_error 1 '--out ro/c.vaew: cannot write in ro \(Permission denied\)' "--out in a read-only directory" "${unprivileged[@]}" "$nobody_train" --data empty --out ro/c.vaew
echo "ok: classifier_train bad inputs"
