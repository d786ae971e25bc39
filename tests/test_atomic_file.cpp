// test_atomic_file.cpp - atomic replacement, clear errors, earlier files left intact.
#include "vae/files/atomic_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>

#include "vae/error.hpp"

namespace test_atomic_file {

namespace {

std::string temp_dir() {
  char tmpl[] = "/tmp/vae_atomic_XXXXXX";
  const char* d = ::mkdtemp(tmpl);
  if (!d) throw std::runtime_error("mkdtemp failed");
  return d;
}

TEST(AtomicFile, WritesAndReplacesWholeFiles) {
  const std::string dir = temp_dir();
  const std::string path = dir + "/f.bin";
  vae::write_file_atomic(path, std::string("first"));
  EXPECT_EQ(vae::read_file(path), (std::vector<std::uint8_t>{'f', 'i', 'r', 's', 't'}));
  vae::write_file_atomic(path, std::string("second, longer"));
  const auto bytes = vae::read_file(path);
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), "second, longer");
  // No temporary is left behind.
  EXPECT_NE(::access((path + ".tmp." + std::to_string(::getpid())).c_str(), F_OK), 0);
  std::system(("rm -rf " + dir).c_str());
}

TEST(AtomicFile, MissingDirectoryIsAClearError) {
  try {
    vae::write_file_atomic("/nonexistent_dir_vae/x.bin", std::string("x"));
    FAIL() << "no error";
  } catch (const vae::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent_dir_vae/x.bin"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("the directory /nonexistent_dir_vae does not exist"),
              std::string::npos) << e.what();
  }
}

// Several 1 MiB chunks and a tail: the bytes come back exactly (an odd size, varied content).
TEST(AtomicFile, LargeFilesRoundTripThroughChunks) {
  const std::string dir = temp_dir();
  std::vector<std::uint8_t> big((5u << 19) + 7);   // 2.5 MiB + 7
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 2654435761u >> 13);
  vae::write_file_atomic(dir + "/big.bin", big);
  EXPECT_EQ(vae::read_file(dir + "/big.bin"), big);
  std::system(("rm -rf " + dir).c_str());
}

// The kill test's hook: VAE_SLOW_WRITES_MS pauses after each chunk and before the rename.
TEST(AtomicFile, SlowWritesHookPausesPerChunk) {
  const std::string dir = temp_dir();
  const std::vector<std::uint8_t> bytes(3u << 20, 0x5a);   // 3 chunks
  ::setenv("VAE_SLOW_WRITES_MS", "20", 1);
  const auto t0 = std::chrono::steady_clock::now();
  vae::write_file_atomic(dir + "/slow.bin", bytes);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  ::unsetenv("VAE_SLOW_WRITES_MS");
  EXPECT_GE(ms, 4 * 20.0) << "3 chunks + the pause before rename";
  EXPECT_EQ(vae::read_file(dir + "/slow.bin"), bytes);
  ::setenv("VAE_SLOW_WRITES_MS", "not a number", 1);   // ignored, not an error
  vae::write_file_atomic(dir + "/slow.bin", std::string("x"));
  ::unsetenv("VAE_SLOW_WRITES_MS");
  std::system(("rm -rf " + dir).c_str());
}

// Leftovers of dead writers go; those of live processes (this one, its parent) stay, and so do
// files that only look similar.
TEST(AtomicFile, RemoveStaleTemporariesKeepsLiveWriters) {
  const std::string dir = temp_dir();
  const std::string path = dir + "/ck.bin";
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ::waitpid(child, nullptr, 0);   // now `child` names no process
  auto touch = [](const std::string& p) { std::ofstream(p) << "partial"; };
  const std::string dead = path + ".tmp." + std::to_string(child);
  const std::string mine = path + ".tmp." + std::to_string(::getpid());
  const std::string parent = path + ".tmp." + std::to_string(::getppid());
  const std::string other = dir + "/other.bin.tmp." + std::to_string(child);
  const std::string odd = path + ".tmp.12x";
  for (const auto& p : {dead, mine, parent, other, odd}) touch(p);
  EXPECT_EQ(vae::remove_stale_temporaries(path), 1);
  EXPECT_NE(::access(dead.c_str(), F_OK), 0);
  for (const auto& p : {mine, parent, other, odd}) EXPECT_EQ(::access(p.c_str(), F_OK), 0) << p;
  EXPECT_EQ(vae::remove_stale_temporaries(dir + "/nowhere/x.bin"), 0);
  std::system(("rm -rf " + dir).c_str());
}

TEST(AtomicFile, ReadErrorsNameThePath) {
  EXPECT_THROW(vae::read_file("/nonexistent_dir_vae/x.bin"), vae::Error);
  try {
    vae::read_file("/tmp");
    FAIL() << "no error";
  } catch (const vae::Error& e) {
    EXPECT_NE(std::string(e.what()).find("directory"), std::string::npos) << e.what();
  }
}

TEST(AtomicFile, ReadOnlyDirectoryLeavesTheEarlierFileIntact) {
  if (::geteuid() == 0) {
    // root ignores directory permissions; use a read-only bind of /proc instead: writing there fails.
    EXPECT_THROW(vae::write_file_atomic("/proc/vae_test_file", std::string("x")), vae::Error);
    return;
  }
  const std::string dir = temp_dir();
  const std::string path = dir + "/keep.bin";
  vae::write_file_atomic(path, std::string("old"));
  ::chmod(dir.c_str(), 0555);
  EXPECT_THROW(vae::write_file_atomic(path, std::string("new")), vae::Error);
  ::chmod(dir.c_str(), 0755);
  const auto bytes = vae::read_file(path);
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), "old");
  std::system(("rm -rf " + dir).c_str());
}

}  // namespace

}  // namespace test_atomic_file
