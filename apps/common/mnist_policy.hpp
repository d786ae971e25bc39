// mnist_policy.hpp - the one MNIST policy of every app that reads MNIST.
//
//   vae_apps::ensure_mnist("vae_eval", data, app.count("--data") > 0, quiet, {"t10k-images-idx3-ubyte"});
//
// The files present: nothing to do. The default folder (data/mnist) without them: the fetch
// script downloads them there (its output on stderr). A folder given with --data without them:
// refused, with the command that fetches them; the same hint in every app. The fetch script is
// bin/vae_fetch_mnist beside the app's own executable when installed (cmake/VaeInstall.cmake),
// else scripts/fetch-mnist of the source tree the app was built from.
// Not a loader: vae::load_mnist reads the files.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <stdexcept>
#include <string>

#include "cli_main.hpp"

#ifndef VAE_SOURCE_DIR
#define VAE_SOURCE_DIR "."
#endif

namespace vae_apps {

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// The fetch script: beside this executable (installed), else in the source tree ("" if neither).
inline std::string fetch_mnist_script() {
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  struct stat st {};
  if (n > 0) {
    std::string dir(self, static_cast<std::size_t>(n));
    dir = dir.substr(0, dir.find_last_of('/'));
    const std::string beside = dir + "/vae_fetch_mnist";
    if (::stat(beside.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return beside;
  }
  const std::string source = std::string(VAE_SOURCE_DIR) + "/scripts/fetch-mnist";
  if (::stat(source.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return source;
  return "";
}

// The hint every refusal carries.
inline std::string fetch_mnist_hint(const std::string& data) {
  const std::string script = fetch_mnist_script();
  return script.empty() ? "fetch MNIST's four IDX files into " + data + " (the fetch script vae_fetch_mnist is not installed)"
                        : "fetch it with: " + script + " --data " + shell_quote(data);
}

// See the file comment. `needed`: the files this app reads (all four by default).
inline void ensure_mnist(const char* app, const std::string& data, bool data_given, bool quiet,
                         std::initializer_list<const char*> needed = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                                                      "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}) {
  struct stat st {};
  if (data_given && (::stat(data.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))) {
    throw UsageError("--data " + data + ": no such directory (" + fetch_mnist_hint(data) + ")");
  }
  std::string missing;
  for (const char* f : needed) {
    const std::string p = data + "/" + f;
    if (::stat(p.c_str(), &st) != 0) {
      missing = p;
      break;
    }
  }
  if (missing.empty()) return;
  const std::string script = fetch_mnist_script();
  if (data_given || script.empty()) {
    throw std::runtime_error("--data " + data + ": MNIST is missing (" + missing + "); " + fetch_mnist_hint(data));
  }
  const std::string command = script + " --data " + shell_quote(data);
  if (!quiet) std::fprintf(stderr, "%s: MNIST is not in %s; fetching it: %s\n", app, data.c_str(), command.c_str());
  const std::string run = command + (quiet ? " >/dev/null 2>&1" : " 1>&2");
  if (std::system(run.c_str()) != 0) {
    throw std::runtime_error("fetching MNIST into " + data + " failed; run it by hand: " + command);
  }
}

}  // namespace vae_apps
