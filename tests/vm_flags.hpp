// vm_flags.hpp - the kernel's VmFlags of the mapping that holds an address (Linux's
// /proc/self/smaps), for the tests that check a buffer was advised as huge pages ("hg").
#pragma once

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace vae_test {

// The VmFlags line of the mapping containing `p` ("rd wr mr mw me ac sd hg" ...), or "" when
// there is no /proc/self/smaps (not Linux) or no mapping holds it.
inline std::string vm_flags_of(const void* p) {
  const std::uintptr_t a = reinterpret_cast<std::uintptr_t>(p);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    unsigned long long lo = 0, hi = 0;
    // A mapping's header, "start-end perms offset dev inode path", then its fields ("Size:", ...).
    if (std::sscanf(line.c_str(), "%llx-%llx ", &lo, &hi) == 2) {
      inside = lo <= a && a < hi;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return line.substr(8);
    }
  }
  return "";
}

inline bool has_vm_flag(const std::string& flags, const std::string& flag) {
  std::istringstream in(flags);
  for (std::string f; in >> f;) {
    if (f == flag) return true;
  }
  return false;
}

}  // namespace vae_test
