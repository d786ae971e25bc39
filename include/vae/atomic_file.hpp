// vae/atomic_file.hpp - write a file so that an interrupted run never leaves a partial one.
//
// The bytes go to "<path>.tmp.<pid>" in the same directory, are fsync'ed, and the temporary is
// renamed over <path> (atomic on POSIX file systems); then the directory is fsync'ed so the
// rename itself survives a power cut. Readers see the old file or the new one, never a mix. On
// any failure (missing directory, permission, disk full) the temporary is removed, the earlier
// file at <path> is left untouched, and a vae::Error names the path and the system's reason.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vae {

void write_file_atomic(const std::string& path, const void* data, std::size_t size);

inline void write_file_atomic(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  write_file_atomic(path, bytes.data(), bytes.size());
}
inline void write_file_atomic(const std::string& path, const std::string& text) {
  write_file_atomic(path, text.data(), text.size());
}

// The whole file, or a vae::Error that names the path and the reason (missing, a directory,
// unreadable).
std::vector<std::uint8_t> read_file(const std::string& path);

}  // namespace vae
