// progress.hpp - vae_train's progress display.
//
// Results on stdout, progress on stderr, as in every app. Each finished epoch is one line on
// stdout with its train and test figures, time, speed and the ETA of the whole run. While an
// epoch runs, and only when stderr is a terminal, a live line on stderr is redrawn in place
// (carriage return, at most 10 times a second) with a bar, the running loss and its terms,
// images per second and the ETA; it is cleared before the epoch's line is printed. --quiet:
// nothing at all. It never touches the model. The mode rule and the durations are the apps'
// common ones (apps/common/progress_line.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "progress_line.hpp"
#include "vae/checkpoint.hpp"
#include "vae/losses.hpp"

namespace vae_apps {

class Progress {
 public:
  enum class Mode { off, lines, tty };
  // total_epochs: the run's last epoch; images_per_epoch: training images.
  Progress(Mode mode, int total_epochs, std::size_t images_per_epoch);

  void epoch_start(int epoch);   // 1-based
  void step(std::size_t batch_index, std::size_t batches, const vae::LossSums& running);
  void epoch_end(const vae::EpochRecord& r);
  void message(const std::string& line);   // a plain line (finishes a pending TTY line first)

  static Mode detect(bool quiet);   // off if quiet, tty if stdout is a terminal, else lines

 private:
  using clock = std::chrono::steady_clock;
  std::string eta_text(double images_left) const;

  Mode mode_;
  int total_epochs_;
  std::size_t images_per_epoch_;
  int epoch_ = 0;
  clock::time_point epoch_start_, last_draw_;
  double rate_ = 0;          // images per second, last epoch's (or the current one's so far)
  bool line_open_ = false;   // a TTY line is drawn without its newline
};


}  // namespace vae_apps
