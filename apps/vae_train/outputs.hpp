// outputs.hpp - what keeps a vae_train run's outputs safe: a check that no two output flags name
// the same file, an exclusive lock per output against a second process, and the SIGINT/SIGTERM
// flag that lets the training loop stop cleanly.
//
//   check_no_collisions(s);        // usage error when --out, --checkpoint, --report overlap
//   lock_outputs(s);               // "<output>.lock" held (flock) until the process ends
//   install_stop_handlers();       // first SIGINT/SIGTERM: stop_requested(); second: _exit(130)
//
// The locks are flock(2) locks: the kernel drops them when the process dies, however it dies, so
// a lock file left by a killed run never blocks the next one; the pid inside is only for the
// message. Lock files are left in place (unlinking them would let two processes lock two
// different files of the same name). Not a scheduler: a locked output is refused, not waited for.
#pragma once

#include <string>

#include "settings.hpp"

namespace vae_apps {

// The path with its existing part resolved (symbolic links, "..", "."): what two spellings of the
// same file have in common even before the file exists.
std::string resolved_path(const std::string& path);

// --resume ARG: ARG itself when it is a file; for a run folder (vae_train --run, or any --report
// folder) the checkpoint its run.json names, else DIR/checkpoint.vaeckpt. Throws vae::Error naming
// what is missing.
std::string checkpoint_of_run(const std::string& arg);

// Refuses (UsageError) two outputs that resolve to the same file: --out, --checkpoint, the
// interrupt checkpoint, --report and the files vae_train writes in it.
void check_no_collisions(const TrainSettings& s);

// Takes an exclusive flock on "<output>.lock" beside every output (the report folder included),
// writing this pid into it; throws vae::Error naming the holder's pid when one is taken.
void lock_outputs(const TrainSettings& s);

// SIGINT and SIGTERM: the first sets the flag the training loop polls after every step; the second
// ends the process at once (_exit(130)): atomic writes leave the last checkpoint whole.
void install_stop_handlers();
bool stop_requested();

}  // namespace vae_apps
