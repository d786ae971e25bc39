// replay_main.cpp - a libFuzzer-free main for the fuzz targets: runs every file of the given
// directories (or the given files) once through LLVMFuzzerTestOneInput, so that the seed corpus
// and the committed regression corpus run as ordinary tests under any compiler (the `dev`
// preset's gcc with ASan and UBSan).
//
//   replay_format DIR_OR_FILE...
//
// A file whose name starts with "valid-" must be accepted and one starting with "bad-" must be
// rejected (vae_fuzz::accepted); other names (fuzzer-found inputs) only have to pass the target's
// own property checks. A named directory that is missing, or no file at all, is an error: a
// replay that silently runs nothing would always pass. Not a fuzzer: no mutation, no coverage.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz.hpp"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  const std::string self = fs::path(argv[0]).filename().string();
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR_OR_FILE...\n", self.c_str());
    return 2;
  }
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    const fs::path p = argv[i];
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      for (const fs::directory_entry& e : fs::directory_iterator(p)) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
    } else if (fs::is_regular_file(p, ec)) {
      files.push_back(p);
    } else {
      std::fprintf(stderr, "%s: %s: no such file or directory, expected a corpus\n", self.c_str(),
                   p.c_str());
      return 2;
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "%s: no files in the given corpus directories\n", self.c_str());
    return 1;
  }
  std::sort(files.begin(), files.end());
  int wrong = 0, valid = 0, bad = 0;
  for (const fs::path& p : files) {
    std::ifstream in(p, std::ios::binary);
    const std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (!in.eof() && in.fail()) {
      std::fprintf(stderr, "%s: %s: cannot read\n", self.c_str(), p.c_str());
      return 1;
    }
    // An exact-size heap copy, as libFuzzer passes it (ASan sees a read past the end).
    std::vector<std::uint8_t> data(bytes.begin(), bytes.end());
    vae_fuzz::accepted = false;
    LLVMFuzzerTestOneInput(data.empty() ? nullptr : data.data(), data.size());
    const std::string name = p.filename().string();
    const bool want_valid = name.rfind("valid-", 0) == 0, want_bad = name.rfind("bad-", 0) == 0;
    valid += want_valid;
    bad += want_bad;
    if ((want_valid && !vae_fuzz::accepted) || (want_bad && vae_fuzz::accepted)) {
      std::fprintf(stderr, "%s: %s was %s, expected it %s\n", self.c_str(), p.c_str(),
                   vae_fuzz::accepted ? "accepted" : "rejected",
                   want_valid ? "accepted" : "rejected");
      ++wrong;
    }
  }
  std::printf("%s: %zu files (%d valid-*, %d bad-*, %zu other): %s\n", self.c_str(), files.size(),
              valid, bad, files.size() - static_cast<std::size_t>(valid + bad),
              wrong ? "FAILED" : "all properties hold");
  return wrong ? 1 : 0;
}
