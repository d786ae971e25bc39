// report_files.hpp - the text files of a report directory, shared by vae_train and vae_report:
// losses.csv (one row per epoch) and the git commit of the source tree.
//
// losses.csv: a header line, then one line per epoch, comma-separated, no quoting:
//   epoch,train_loss,train_recon,train_kl,test_loss,test_recon,test_kl,seconds
// Losses are per image, summed over the pixels; test figures with z sampled once per image;
// seconds is the epoch's wall time (training and test evaluation). Values are printed with 9
// significant digits, enough to read back the same float-derived figures.
// Not a general CSV library: it reads exactly what it writes, and says so when it cannot.
#pragma once

#include <string>
#include <vector>

#include "vae/checkpoint.hpp"

namespace vae_apps {

inline constexpr const char* losses_csv_header =
    "epoch,train_loss,train_recon,train_kl,test_loss,test_recon,test_kl,seconds";

std::string losses_csv_text(const std::vector<vae::EpochRecord>& history);
void write_losses_csv(const std::string& path, const std::vector<vae::EpochRecord>& history);
// Errors name the file and the line: "r/losses.csv:3: expected 8 comma-separated numbers".
std::vector<vae::EpochRecord> read_losses_csv(const std::string& path);

// "git rev-parse HEAD" of source_dir, with "-dirty" if tracked files differ; "" if unknown.
std::string git_commit(const std::string& source_dir);

}  // namespace vae_apps
