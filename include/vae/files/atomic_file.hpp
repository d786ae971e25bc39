// vae/files/atomic_file.hpp - write a file so that an interrupted run never leaves a partial one.
//
// The bytes go to "<path>.tmp.<pid>" in the same directory, are fsync'ed, and the temporary is
// renamed over <path> (atomic on POSIX file systems); then the directory is fsync'ed so the
// rename itself survives a power cut. Readers see the old file or the new one, never a mix. On
// any failure (missing directory, permission, disk full) the temporary is removed, the earlier
// file at <path> is left untouched, and a vae::Error names the path and the system's reason.
//
// A process killed inside a write (SIGKILL, power cut) leaves "<path>.tmp.<pid>" behind and the
// old <path> intact; remove_stale_temporaries(path) deletes such leftovers of dead writers.
//
// Test hook: the environment variable VAE_SLOW_WRITES_MS=N (1..10000) makes every write pause
// N ms after each 1 MiB chunk and once more between fsync and rename, which widens the window in
// which tests/cli/test_vae_train_kill.sh lands its SIGKILLs. Unset in normal use: no pause.
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

// Delete "<path>.tmp.<pid>" files whose process <pid> no longer runs (left by a killed writer);
// returns how many were removed. Temporaries of live processes are kept.
int remove_stale_temporaries(const std::string& path);

// The whole file, or a vae::Error that names the path and the reason (missing, a directory,
// unreadable).
std::vector<std::uint8_t> read_file(const std::string& path);

}  // namespace vae
