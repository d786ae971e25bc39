// usage_error.hpp - the apps' usage error (exit status 2) and one-line messages, without CLI11:
// what the apps' model code (per-shape translation units, run.hpp) needs of cli_main.hpp.
#pragma once

#include <stdexcept>
#include <string>

namespace vae_apps {

// A bad command line: exit status 2. Anything else derived from std::exception: exit status 1.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Errors are one line whatever the message holds (a path, an exception's text).
inline std::string one_line(std::string s) {
  for (char& c : s) c = c == '\n' || c == '\r' || c == '\t' ? ' ' : c;
  return s;
}

}  // namespace vae_apps
