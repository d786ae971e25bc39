// atomic_file.cpp - temp file, fsync, rename, fsync the directory (see vae/files/atomic_file.hpp).
#include "vae/files/atomic_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "vae/error.hpp"

namespace vae {
namespace {

std::string dir_of(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

[[noreturn]] void fail(const std::string& path, const char* what, int err) {
  throw Error("cannot " + std::string(what) + " " + path + ": " + std::strerror(err));
}

// Bytes per write(2): a checkpoint is several MB, and the test hook below pauses between chunks.
constexpr std::size_t kChunkBytes = std::size_t{1} << 20;

// Test hook (documented in vae/files/atomic_file.hpp and docs/robustness.md): VAE_SLOW_WRITES_MS=N
// sleeps N ms after every chunk and once more between fsync and rename, so that a test can land
// a SIGKILL inside a write. Unset, empty or not a number in 1..10000: no pause.
long slow_writes_ms() {
  const char* v = std::getenv("VAE_SLOW_WRITES_MS");
  if (!v || !*v) return 0;
  char* end = nullptr;
  const long ms = std::strtol(v, &end, 10);
  return (*end == '\0' && ms > 0 && ms <= 10000) ? ms : 0;
}

void pause_ms(long ms) {
  if (ms <= 0) return;
  timespec t{ms / 1000, (ms % 1000) * 1000000L};
  while (::nanosleep(&t, &t) != 0 && errno == EINTR) {
  }
}

std::string base_of(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

void write_file_atomic(const std::string& path, const void* data, std::size_t size) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int err = errno;
    struct stat st {};
    if (err == ENOENT && ::stat(dir_of(path).c_str(), &st) != 0) {
      throw Error("cannot write " + path + ": " + std::strerror(err) + " (the directory " +
                  dir_of(path) + " does not exist; create it first)");
    }
    fail(path, "write", err);
  }
  const long slow_ms = slow_writes_ms();
  const auto* p = static_cast<const std::uint8_t*>(data);
  std::size_t left = size;
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left < kChunkBytes ? left : kChunkBytes);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      fail(path, "write", err);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
    pause_ms(slow_ms);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail(path, "write (fsync/close)", err);
  }
  pause_ms(slow_ms);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail(path, "replace", err);
  }
  const int dfd = ::open(dir_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {   // best effort: some file systems do not support fsync on directories
    ::fsync(dfd);
    ::close(dfd);
  }
}

int remove_stale_temporaries(const std::string& path) {
  const std::string prefix = base_of(path) + ".tmp.";
  DIR* dir = ::opendir(dir_of(path).c_str());
  if (!dir) return 0;
  int removed = 0;
  while (const dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name.compare(0, prefix.size(), prefix) != 0 || name.size() == prefix.size()) continue;
    char* end = nullptr;
    const long pid = std::strtol(name.c_str() + prefix.size(), &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    // Only a writer that no longer exists: a live one (another process writing the same path,
    // or this one) keeps its temporary.
    if (pid == static_cast<long>(::getpid())) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    if (::unlink((dir_of(path) + "/" + name).c_str()) == 0) ++removed;
  }
  ::closedir(dir);
  return removed;
}

std::vector<std::uint8_t> read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path, "read", errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    fail(path, "read", err);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    throw Error("cannot read " + path + ": it is a directory, expected a file");
  }
  std::vector<std::uint8_t> bytes;
  std::uint8_t buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      fail(path, "read", err);
    }
    if (n == 0) break;
    bytes.insert(bytes.end(), buf, buf + n);
  }
  ::close(fd);
  return bytes;
}

}  // namespace vae
