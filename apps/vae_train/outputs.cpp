// outputs.cpp - see outputs.hpp.
#include "outputs.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "vae/error.hpp"
#include "vae/files/atomic_file.hpp"

namespace vae_apps {

std::string resolved_path(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path p = std::filesystem::weakly_canonical(std::filesystem::absolute(path), ec);
  return ec ? std::filesystem::absolute(path).lexically_normal().string() : p.string();
}

std::string checkpoint_of_run(const std::string& arg) {
  if (!std::filesystem::is_directory(arg)) return arg;
  const std::string in_folder = arg + "/checkpoint.vaeckpt";
  if (std::filesystem::exists(in_folder)) return in_folder;
  const std::string run_json = arg + "/run.json";
  if (std::filesystem::exists(run_json)) {
    const std::vector<std::uint8_t> bytes = vae::read_file(run_json);
    std::string file;
    try {
      file = nlohmann::json::parse(bytes.begin(), bytes.end()).value("checkpoint_file", "");
    } catch (const nlohmann::json::exception& e) {
      throw vae::Error("--resume " + arg + ": " + run_json + " is not what vae_train writes (" + e.what() + ")");
    }
    if (!file.empty() && std::filesystem::exists(file)) return file;
    throw vae::Error("--resume " + arg + ": the run saved no checkpoint yet (" +
                     (file.empty() ? in_folder : file) + " does not exist); start it again");
  }
  throw vae::Error("--resume " + arg + ": not a run folder (no checkpoint.vaeckpt, no run.json); give the "
                   "folder of vae_train --run or a checkpoint file");
}

namespace {

// Every (flag, file) the run writes; the report folder counts as one file of its own too, so that
// --out rep --report rep collide.
std::vector<std::pair<std::string, std::string>> outputs_of(const TrainSettings& s) {
  std::vector<std::pair<std::string, std::string>> files;
  if (!s.out.empty()) files.emplace_back("--out " + s.out, resolved_path(s.out));
  if (!s.checkpoint.empty()) files.emplace_back("--checkpoint " + s.checkpoint, resolved_path(s.checkpoint));
  if (s.checkpoint.empty() && !s.interrupt_checkpoint.empty()) {
    files.emplace_back("the interrupt checkpoint " + s.interrupt_checkpoint, resolved_path(s.interrupt_checkpoint));
  }
  if (!s.report.empty()) {
    const std::string dir = resolved_path(s.report);
    files.emplace_back("--report " + s.report, dir);
    for (const char* f : {"losses.csv", "metrics.json", "run.json", "loss_curve.png", "reconstructions.png",
                          "samples.png", "manifold.png"}) {
      files.emplace_back("--report " + s.report + " (its " + f + ")", dir + "/" + f);
    }
  }
  return files;
}

std::vector<int> held_locks;   // open for the life of the process; closing would release them

volatile std::sig_atomic_t stop_signal = 0;

extern "C" void on_stop_signal(int sig) {
  if (stop_signal != 0) {   // the second one: now (only async-signal-safe calls here)
    static const char msg[] =
        "vae_train: stopped at once (second interrupt); the last checkpoint written is intact\n";
    const ssize_t ignored = ::write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)ignored;
    ::_exit(130);
  }
  stop_signal = sig;
}

}  // namespace

void check_no_collisions(const TrainSettings& s) {
  const auto files = outputs_of(s);
  for (std::size_t i = 0; i < files.size(); ++i) {
    for (std::size_t j = i + 1; j < files.size(); ++j) {
      if (files[i].second == files[j].second) {
        throw UsageError(files[i].first + " and " + files[j].first + " are the same file (" +
                         files[i].second + "); give each output its own path");
      }
    }
  }
}

void lock_outputs(const TrainSettings& s) {
  std::vector<std::pair<std::string, std::string>> targets;   // (flag, output) without report files
  if (!s.out.empty()) targets.emplace_back("--out", s.out);
  // (The interrupt checkpoint without --checkpoint is derived from --out or --report: covered.)
  if (!s.checkpoint.empty()) targets.emplace_back("--checkpoint", s.checkpoint);
  if (!s.report.empty()) targets.emplace_back("--report", s.report);
  for (const auto& [flag, output] : targets) {
    const std::string lock = resolved_path(output) + ".lock";
    const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw vae::Error(flag + " " + output + ": cannot open the lock file " + lock + " (" + std::strerror(errno) + ")");
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      char buf[32] = {};
      const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
      ::close(fd);
      std::string pid = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "unknown";
      while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
      if (err != EWOULDBLOCK) {
        throw vae::Error(flag + " " + output + ": cannot lock " + lock + " (" + std::strerror(err) + ")");
      }
      throw vae::Error(flag + " " + output + " is in use by another vae_train (pid " + pid +
                       ", lock " + lock + "); wait for it to end or stop it");
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    // Informative only: the flock, not this text, is the lock.
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
      // A full disk: the lock holds all the same, and the run's own writes will report the disk.
    }
    held_locks.push_back(fd);
  }
}

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;   // reads and writes go on; the loop polls the flag after each step
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

bool stop_requested() { return stop_signal != 0; }

}  // namespace vae_apps
