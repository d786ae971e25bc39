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

#include "output_paths.hpp"
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

// The output-path checks (check_output_file, make_parent_dirs, ...): output_paths.hpp.

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
