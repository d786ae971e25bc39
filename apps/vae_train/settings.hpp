// settings.hpp - what a vae_train run was asked to do: the command-line values after defaults
// and after a checkpoint's settings were taken over on --resume.
//
// Every checkpoint records the whole run as JSON (run_settings_json): the training-defining part
// (mode, loss, beta, batch, lr, seed, hidden, latent, train limit), the run's end and outputs (epochs,
// test limit, out, report, checkpoint) and the machine's choices (data, threads, checkpoint
// interval). On --resume the first two come back and a flag may only repeat them (or add an output
// the run lacked, or move the end with --epochs); the machine's choices come back as defaults that
// a flag may change. Not a config-file format: the CLI is the interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "usage_error.hpp"

namespace vae_apps {

struct TrainSettings {
  // training-defining (saved in checkpoints)
  std::string mode = "vae";        // ae: recon only (beta 0); vae: recon + beta KL
  std::string loss = "mse";        // mse | bce
  double beta = 1.0;               // resolved from the mode unless given
  int batch = 128;
  double lr = 1e-3;
  std::uint64_t seed = 1;
  int hidden = 400;                // H and Z of the 784-H-Z model: a shape of VAE_MODELS
  int latent = 20;                 // (apps/common/vae_models.hpp)
  std::size_t train_limit = 0;     // first N training images; 0 = all
  // per invocation
  int epochs = 50;                 // total epochs of the run (a resumed run continues to it)
  int threads = 1;
  std::string data = "data/mnist";
  std::size_t test_limit = 0;      // first N test images; 0 = all
  std::string run;                 // --run DIR: the defaults of out, report and checkpoint
  std::string out, report, checkpoint, resume;
  std::string init;                // --init FILE.vaew: start from these weights (fine-tuning), not the seed
  int checkpoint_every = 1;
  bool quiet = false;
  // derived by main.cpp
  std::string interrupt_checkpoint;   // where SIGINT saves: --checkpoint, or one beside --out/--report
  std::string resume_command;         // the command that continues this run from it
};

// UsageError (a bad command line, exit status 2) is cli_main.hpp's, shared by every app.
using vae_apps::UsageError;

}  // namespace vae_apps
