// checkpoint_check.cpp - the independent reader of the kill test (tests/cli/test_vae_train_kill.sh):
// loads a vae_train checkpoint with the training library's parser, which checks the magic, the
// version, every size and the CRC-32, and prints the epoch it holds.
//   checkpoint_check FILE      prints "<epochs_done>" and exits 0, or one line and exit 1
// A checkpoint that any reader would reject (torn, truncated, corrupt) makes this exit 1.
#include <cstdio>
#include <exception>

#include "vae/checkpoint.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: checkpoint_check FILE\n");
    return 2;
  }
  try {
    const vae::Checkpoint ck = vae::read_checkpoint(argv[1]);
    if (ck.history.size() != ck.epochs_done) {
      std::fprintf(stderr, "checkpoint_check: %s: %zu history rows for %u epochs\n", argv[1],
                   ck.history.size(), ck.epochs_done);
      return 1;
    }
    std::printf("%u\n", ck.epochs_done);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "checkpoint_check: %s\n", e.what());
    return 1;
  }
}
