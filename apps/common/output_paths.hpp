// output_paths.hpp - the apps' checks of output paths before any work, and the making of output
// folders just before the first write (the rule in cli_main.hpp's file comment). Free of CLI11:
// the apps' model code (per-shape translation units) uses it too; cli_main.hpp includes it.
#pragma once

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "usage_error.hpp"

namespace vae_apps {

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

// Outputs of known size, written by one run: refuses (runtime error) before any work when the file
// system of an output's folder (or of its nearest existing ancestor) has less free space, for
// this user, than all of that file system's outputs together. Each output counts once: a file
// rewritten atomically needs its new copy's room while the old copy still stands, and frees the
// old one after. The message names the outputs on the file system that is short: "--out a/w.vaew
// and --checkpoint a/ck.vaeckpt: need 11 MB, but a has 4 MB free".
struct SizedOutput {
  std::string path;           // a file, or a folder of files when folder is set
  unsigned long long bytes;   // at most what the run writes there
  std::string flag;           // e.g. "--out", for the message
  bool folder = false;
};
inline void check_free_space(const std::vector<SizedOutput>& outputs) {
  std::vector<dev_t> devs;
  std::vector<std::string> dirs;
  for (const SizedOutput& o : outputs) {
    struct stat st {};
    dirs.push_back(detail::nearest_existing(o.folder ? o.path : detail::parent_of(o.path), st));
    devs.push_back(st.st_dev);
  }
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    // The first output on each file system checks the sum of all there.
    const auto before = devs.begin() + static_cast<std::ptrdiff_t>(i);
    if (std::find(devs.begin(), before, devs[i]) != before) continue;
    unsigned long long sum = 0;
    std::vector<std::string> names;
    for (std::size_t j = i; j < outputs.size(); ++j) {
      if (devs[j] != devs[i]) continue;
      sum += outputs[j].bytes;
      names.push_back(outputs[j].flag + " " + outputs[j].path);
    }
    struct statvfs vfs {};
    if (::statvfs(dirs[i].c_str(), &vfs) != 0) continue;   // unknown: the write reports a full disk itself
    const unsigned long long avail = static_cast<unsigned long long>(vfs.f_bavail) * vfs.f_frsize;
    if (avail >= sum) continue;
    std::string named = names[0];   // "A", "A and B", "A, B and C"
    for (std::size_t k = 1; k < names.size(); ++k) named += (k + 1 == names.size() ? " and " : ", ") + names[k];
    throw std::runtime_error(named + ": " + (names.size() == 1 ? "needs " : "need ") +
                             std::to_string((sum + 999999) / 1000000) + " MB, but " + dirs[i] + " has " +
                             std::to_string(avail / 1000000) + " MB free");
  }
}
// One output: "--out w.vaew: needs 3 MB, but . has 1 MB free".
inline void check_free_space(const std::string& path, unsigned long long bytes, const std::string& flag) {
  check_free_space({SizedOutput{path, bytes, flag}});
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

}  // namespace vae_apps
