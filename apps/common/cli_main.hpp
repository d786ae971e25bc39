// cli_main.hpp - what every app's main() shares: the exit-status contract, one-line errors,
// number validators that say what they expect, and checks of output paths before any work.
//
//   int main(int argc, char** argv) {
//     return vae_apps::run_main("vae_eval", [&] { return run(argc, argv); });
//   }
//   int run(int argc, char** argv) {
//     CLI::App app{...};
//     app.add_option("--lr", lr)->check(vae_apps::positive_real());
//     if (const int rc = vae_apps::parse_command_line(app, argc, argv); rc >= 0) return rc;   // --help
//     ...
//   }
//
// Exit status: 0 done, 1 runtime error (files, data, divergence), 2 usage error. Every error is
// ONE line on stderr: "<app>: <what was wrong and what was expected>"; usage errors end with
// "(see --help)". Nothing escapes as an uncaught exception (no abort, no trace).
//
// The CLI contract every app follows (tests/cli/test_cli_contract.sh checks it):
//   - the same names for the same things: --data, --threads, --seed, --train-limit, --test-limit,
//     -o/--out, -q/--quiet, -n/--count (the add_* helpers below make them); an old spelling
//     lives on only as a hidden alias that says it is deprecated (add_deprecated_alias);
//   - the same help layout: CLI11's, column 36, defaults shown, and an "Exit status:" section
//     (set_up_help);
//   - one rule for output folders: a missing folder is created, parents included, after every
//     check passed and just before the first write (check_output_file accepts it when its nearest
//     existing ancestor is a writable folder; make_parent_dirs / make_output_dir create it);
//   - outputs of known size are checked against the free space first (check_free_space);
//   - one MNIST policy (mnist_policy.hpp) and one progress display on stderr (progress_line.hpp).
//
// Header-only and free of the training library: vae_gen, which links only the freestanding
// runtime, uses it too. Not an argument parser: CLI11 parses.
#pragma once

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <new>
#include <stdexcept>
#include <string>

#include "usage_error.hpp"

namespace vae_apps {

// UsageError (exit status 2) and one_line(): usage_error.hpp.

// Runs body() and maps what it throws to one line on stderr and the exit status.
template <class Body>
int run_main(const char* app, Body&& body) noexcept {
  // Under a file-size limit (ulimit -f) the kernel kills a writer with SIGXFSZ; ignored, the
  // write fails with EFBIG instead and is reported like any other write error.
  std::signal(SIGXFSZ, SIG_IGN);
  try {
    try {
      return body();
    } catch (const UsageError& e) {
      std::fprintf(stderr, "%s: %s (see --help)\n", app, one_line(e.what()).c_str());
      return 2;
    } catch (const CLI::ParseError& e) {
      std::fprintf(stderr, "%s: %s (see --help)\n", app, one_line(e.what()).c_str());
      return 2;
    } catch (const std::bad_alloc&) {
      std::fprintf(stderr, "%s: out of memory\n", app);
      return 1;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s: %s\n", app, one_line(e.what()).c_str());
      return 1;
    }
  } catch (...) {   // a string, or an exception thrown while printing
    std::fprintf(stderr, "%s: unexpected error\n", app);
    return 1;
  }
}

// Parses; returns -1 to go on, or the exit status after printing --help. A parse error becomes a
// UsageError with CLI11's message (which names the option).
inline int parse_command_line(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    throw UsageError(e.what());
  }
  return -1;
}

// --- validators: "--lr: 0 is not ...; expected a finite number > 0" -----------------------------

// An integer in [lo, hi], written in decimal digits (a sign only for negative ranges).
inline CLI::Validator integer(long long lo, long long hi) {
  const std::string want = "an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
  return CLI::Validator(
      [lo, hi, want](std::string& s) -> std::string {
        char* end = nullptr;
        errno = 0;
        const long long v = std::strtoll(s.c_str(), &end, 10);
        if (s.empty() || *end != '\0' || errno == ERANGE || v < lo || v > hi ||
            (lo >= 0 && s[0] == '-')) {
          return "'" + s + "' is not " + want;
        }
        return {};
      },
      "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
}

// A seed: any unsigned 64-bit integer, digits only (CLI11 alone would wrap "-1" to 2^64 - 1).
inline CLI::Validator seed_value() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        char* end = nullptr;
        errno = 0;
        std::strtoull(s.c_str(), &end, 10);
        if (s.empty() || *end != '\0' || errno == ERANGE || s.find_first_not_of("0123456789") != std::string::npos) {
          return "'" + s + "' is not a seed; expected an integer from 0 to 18446744073709551615";
        }
        return {};
      },
      "");
}

// A finite real number in [lo, hi] (lo excluded when lo_open): NaN and infinities are refused.
inline CLI::Validator real(double lo, double hi, bool lo_open, const std::string& want,
                           const std::string& desc) {
  return CLI::Validator(
      [lo, hi, lo_open, want](std::string& s) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(s.c_str(), &end);
        if (s.empty() || *end != '\0' || !std::isfinite(v) || v > hi || v < lo || (lo_open && v == lo)) {
          return "'" + s + "' is not " + want;
        }
        return {};
      },
      desc);
}
inline CLI::Validator positive_real() { return real(0.0, HUGE_VAL, true, "a finite number > 0", "POSITIVE"); }
inline CLI::Validator non_negative_real() {
  return real(0.0, HUGE_VAL, false, "a finite number >= 0", "NONNEGATIVE");
}

// --- output paths, checked before any work ---------------------------------------------------------

namespace detail {
// The nearest existing ancestor of `dir` (itself when it exists), as stat saw it in `st`.
inline std::string nearest_existing(std::string d, struct stat& st) {
  while (::stat(d.c_str(), &st) != 0) {
    while (d.size() > 1 && d.back() == '/') d.pop_back();
    const std::size_t slash = d.find_last_of('/');
    d = slash == std::string::npos ? "." : slash == 0 ? "/" : d.substr(0, slash);
  }
  return d;
}
inline std::string parent_of(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}
}  // namespace detail

// `path` will be written as a file by the app: it must not be a directory, and its directory
// must be writable or creatable (a missing folder is made by make_parent_dirs before the write).
// Usage error for a directory given as a file, runtime error otherwise. (The write itself can
// still fail, disk full for one; that error names the file too.)
inline void check_output_file(const std::string& path, const std::string& flag) {
  const std::string what = (flag.empty() ? "" : flag + " ") + path;
  if (path.empty()) throw UsageError(what + ": an empty path; expected a file name");
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    throw UsageError(what + ": is a directory; expected a file name");
  }
  const std::string dir = detail::parent_of(path);
  const std::string d = detail::nearest_existing(dir, st);
  if (!S_ISDIR(st.st_mode)) {
    throw std::runtime_error(what + ": " + d + " is not a directory");
  }
  if (::access(d.c_str(), W_OK) != 0) {
    throw std::runtime_error(what + ": cannot write in " + d + " (" + std::strerror(errno) + ")");
  }
}

// Makes `dir` and its parents (the rule above: called after the checks, before the first write).
inline void make_output_dir(const std::string& dir, const std::string& flag) {
  if (dir.empty() || dir == "." || dir == "/") return;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir)) {
    throw std::runtime_error(flag + " " + dir + ": cannot create the directory (" +
                             (ec ? ec.message() : std::string("a file is in the way")) + ")");
  }
}
inline void make_parent_dirs(const std::string& file, const std::string& flag) {
  if (file.find('/') != std::string::npos) make_output_dir(detail::parent_of(file), flag + " " + file + ":");
}

// Outputs of known size: refuses (runtime error) when the file system of `path` (or of its
// nearest existing folder) has fewer than `bytes` bytes free for this user, before any work.
inline void check_free_space(const std::string& path, unsigned long long bytes, const std::string& flag) {
  struct stat st {};
  const std::string d = detail::nearest_existing(detail::parent_of(path), st);
  struct statvfs vfs {};
  if (::statvfs(d.c_str(), &vfs) != 0) return;   // unknown: the write reports a full disk itself
  const unsigned long long avail = static_cast<unsigned long long>(vfs.f_bavail) * vfs.f_frsize;
  if (avail < bytes) {
    throw std::runtime_error(flag + " " + path + ": needs " + std::to_string((bytes + 999999) / 1000000) +
                             " MB, but " + d + " has " + std::to_string(avail / 1000000) + " MB free");
  }
}

// `dir` will be created (with its parents) and written into: it must be a directory or not exist
// yet, and its nearest existing ancestor must be a writable directory. Checks only; creates nothing.
inline void check_output_dir(const std::string& dir, const std::string& flag) {
  const std::string what = flag + " " + dir;
  if (dir.empty()) throw UsageError(flag + ": an empty path; expected a directory");
  struct stat st {};
  const std::string d = detail::nearest_existing(dir, st);
  if (!S_ISDIR(st.st_mode)) {
    throw std::runtime_error(what + ": cannot create the directory (" + d + " is not a directory)");
  }
  if (::access(d.c_str(), W_OK) != 0) {
    throw std::runtime_error(what + ": cannot create the directory (" + d + ": " + std::strerror(errno) + ")");
  }
}

// --- the shared options and the help layout ----------------------------------------------------

// The help layout of every app: defaults shown, options in one column of 36, then the exit
// statuses. `extra` adds statuses of this app (e.g. vae_train's 130).
inline void set_up_help(CLI::App& app, const std::string& extra = "") {
  app.option_defaults()->always_capture_default();
  app.get_formatter()->column_width(36);
  app.footer("Exit status:\n  0    done\n  1    runtime error (files, data, divergence); one line on stderr\n"
             "  2    usage error (a bad command line); one line on stderr\n" + extra);
}

inline CLI::Option* add_quiet(CLI::App& app, bool& quiet, const std::string& what = "no progress or summary lines (errors only)") {
  return app.add_flag("-q,--quiet", quiet, what);
}
inline CLI::Option* add_threads(CLI::App& app, int& threads) {
  return app.add_option("--threads", threads, "threads for the matrix products")->check(integer(1, 256));
}
inline CLI::Option* add_seed(CLI::App& app, std::uint64_t& seed, const std::string& what) {
  return app.add_option("--seed", seed, what)->check(seed_value());
}
inline CLI::Option* add_test_limit(CLI::App& app, std::size_t& limit) {
  return app.add_option("--test-limit", limit, "use the first N test images (0: all)")->check(integer(0, 1000000000));
}
inline CLI::Option* add_train_limit(CLI::App& app, std::size_t& limit, const std::string& what = "use the first N training images (0: all)") {
  return app.add_option("--train-limit", limit, what)->check(integer(0, 1000000000));
}

// An old spelling of a renamed option: hidden from --help, it sets the same value and says once,
// on stderr, that it is deprecated and what replaced it.
template <class T>
CLI::Option* add_deprecated_alias(CLI::App& app, const std::string& old_name, const std::string& new_name, T& value,
                                  const char* app_name) {
  return app.add_option_function<T>(old_name, [&value, old_name, new_name, app_name](const T& v) {
              std::fprintf(stderr, "%s: %s is deprecated; use %s\n", app_name, old_name.c_str(), new_name.c_str());
              value = v;
            })
      ->group("");
}

}  // namespace vae_apps
