// progress_line.hpp - the one progress display of the apps' long steps, on stderr.
//
//   vae_apps::ProgressLine p("vae_eval", "IWAE K = 1000", batches, quiet);
//   for (...) { ...; p.update(done, "running -L_K 91.2"); }
//   p.finish("IWAE K = 1000: 90.874 nats");     // the final line, always printed unless quiet
//
// On a terminal: one line redrawn in place (carriage return, at most 10 times a second) with the
// step, a bar, the share done, the caller's text, and the time left. Without a terminal (CI,
// pipes, files): nothing until the final line, and that only for a step that took 2 s or more,
// so logs stay short and quick steps leave no trace. Quiet: nothing at all.
// vae_train's epoch display (apps/vae_train/progress.hpp) shares format_duration and the mode
// rule; it prints on stdout, where its epoch lines have always gone. Header-only and free of
// the training library (vae_gen uses it). Not a logger.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <string>

namespace vae_apps {

inline std::string format_duration(double s) {   // "4.2s", "3m07s", "1h02m"
  char buf[32];
  if (!std::isfinite(s) || s < 0) return "?";
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  } else if (s < 3600) {
    const long t = std::lround(s);
    std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  } else {
    const long m = std::lround(s / 60);
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", m / 60, m % 60);
  }
  return buf;
}

enum class ProgressMode { off, lines, tty };

// off when quiet, tty when `fd` is a terminal, else lines (the final line only).
inline ProgressMode progress_mode(bool quiet, int fd = STDERR_FILENO) {
  if (quiet) return ProgressMode::off;
  return ::isatty(fd) ? ProgressMode::tty : ProgressMode::lines;
}

class ProgressLine {
 public:
  // app: the line's prefix; what: the step; total: units of work (0: unknown, no bar).
  ProgressLine(std::string app, std::string what, std::size_t total, bool quiet)
      : app_(std::move(app)), what_(std::move(what)), total_(total), mode_(progress_mode(quiet)),
        start_(clock::now()), last_draw_(start_) {}
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  ~ProgressLine() {   // a step without a final line leaves no trace of its progress
    if (open_) std::fputs("\r\x1b[K", stderr);
  }

  void update(std::size_t done, const std::string& text = "") {
    if (mode_ != ProgressMode::tty) return;
    const auto now = clock::now();
    if (now - last_draw_ < std::chrono::milliseconds(100) && done != total_) return;
    last_draw_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    std::string line = "\r" + app_ + ": " + what_;
    if (total_ > 0) {
      constexpr std::size_t width = 20;
      const std::size_t filled = width * std::min(done, total_) / total_;
      char pct[16];
      std::snprintf(pct, sizeof pct, " %3d%%", static_cast<int>(100 * std::min(done, total_) / total_));
      line += " [" + std::string(filled, '#') + std::string(width - filled, '.') + "]" + pct;
      if (done > 0 && elapsed > 0.5) {
        line += "  ETA " + format_duration(elapsed * static_cast<double>(total_ - std::min(done, total_)) /
                                           static_cast<double>(done));
      }
    }
    if (!text.empty()) line += "  " + text;
    line += "\x1b[K";
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
    open_ = true;
  }

  // The final line (with the elapsed time): on a terminal unless quiet, else for long steps only.
  void finish(const std::string& summary) {
    if (mode_ == ProgressMode::off) return;
    const double elapsed = std::chrono::duration<double>(clock::now() - start_).count();
    if (mode_ == ProgressMode::lines && elapsed < 2.0) return;
    std::fprintf(stderr, "%s%s: %s (%s)%s\n", mode_ == ProgressMode::tty ? "\r" : "", app_.c_str(),
                 summary.c_str(), format_duration(elapsed).c_str(), mode_ == ProgressMode::tty ? "\x1b[K" : "");
    std::fflush(stderr);
    open_ = false;
  }

  ProgressMode mode() const { return mode_; }

 private:
  using clock = std::chrono::steady_clock;
  std::string app_, what_;
  std::size_t total_;
  ProgressMode mode_;
  clock::time_point start_, last_draw_;
  bool open_ = false;
};

}  // namespace vae_apps
