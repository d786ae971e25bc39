// progress.cpp - see progress.hpp.
#include "progress.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace vae_apps {

namespace {
std::string rate_text(double images_per_s) {
  char buf[32];
  if (images_per_s <= 0) return "? img/s";   // not measured yet (the first half second)
  if (images_per_s >= 1000) {
    std::snprintf(buf, sizeof buf, "%.1fk img/s", images_per_s / 1000);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f img/s", images_per_s);
  }
  return buf;
}
}  // namespace

Progress::Mode Progress::detect(bool quiet) {
  switch (progress_mode(quiet, STDERR_FILENO)) {
    case ProgressMode::off: return Mode::off;
    case ProgressMode::tty: return Mode::tty;
    case ProgressMode::lines: break;
  }
  return Mode::lines;
}

Progress::Progress(Mode mode, int total_epochs, std::size_t images_per_epoch)
    : mode_(mode), total_epochs_(total_epochs), images_per_epoch_(images_per_epoch) {}

std::string Progress::eta_text(double images_left) const {
  return rate_ > 0 ? format_duration(images_left / rate_) : "?";
}

void Progress::epoch_start(int epoch) {
  epoch_ = epoch;
  epoch_start_ = last_draw_ = clock::now();
}

void Progress::step(std::size_t batch_index, std::size_t batches, const vae::LossSums& running) {
  if (mode_ == Mode::off) return;
  const auto now = clock::now();
  const bool last = batch_index == batches;
  if (last) {   // the epoch's training throughput, shown when the epoch ends
    const double elapsed = std::chrono::duration<double>(now - epoch_start_).count();
    if (elapsed > 0) rate_ = static_cast<double>(running.images) / elapsed;
  }
  if (mode_ != Mode::tty || (!last && now - last_draw_ < std::chrono::milliseconds(100))) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - epoch_start_).count();
  if (elapsed > 0.5) rate_ = static_cast<double>(running.images) / elapsed;
  constexpr int bar_width = 20;
  const int filled = static_cast<int>(bar_width * batch_index / batches);
  const std::string bar = std::string(filled, '#') + std::string(bar_width - filled, '.');
  const double images_left =
      static_cast<double>(images_per_epoch_ - running.images) +
      static_cast<double>(total_epochs_ - epoch_) * static_cast<double>(images_per_epoch_);
  std::fprintf(stderr, "\repoch %*d/%d [%s] %3d%%  loss %.2f (recon %.2f, kl %.2f)  %s  ETA %s\x1b[K",
              static_cast<int>(std::to_string(total_epochs_).size()), epoch_, total_epochs_,
              bar.c_str(), static_cast<int>(100 * batch_index / batches),
              running.total_per_image(), running.recon_per_image(), running.kl_per_image(),
              rate_text(rate_).c_str(), eta_text(images_left).c_str());
  std::fflush(stderr);
  line_open_ = true;
}

void Progress::epoch_end(const vae::EpochRecord& r) {
  if (mode_ == Mode::off) return;
  const double left_s = (total_epochs_ - epoch_) * r.seconds;   // evaluation included
  if (line_open_) {   // clear the live bar (stderr) before the epoch's line (stdout)
    std::fprintf(stderr, "\r\x1b[K");
    std::fflush(stderr);
  }
  std::printf("epoch %*d/%d  train %.3f (recon %.3f, kl %.3f)  test %.3f (recon %.3f, kl %.3f)  %s  %s  ETA %s\n",
              static_cast<int>(std::to_string(total_epochs_).size()), epoch_, total_epochs_,
              r.train_loss, r.train_recon, r.train_kl, r.test_loss, r.test_recon, r.test_kl,
              format_duration(r.seconds).c_str(), rate_text(rate_).c_str(),
              format_duration(left_s).c_str());
  std::fflush(stdout);
  line_open_ = false;
}

void Progress::message(const std::string& line) {
  if (mode_ == Mode::off) return;
  if (line_open_) {
    std::fprintf(stderr, "\n");
    std::fflush(stderr);
  }
  line_open_ = false;
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

}  // namespace vae_apps
