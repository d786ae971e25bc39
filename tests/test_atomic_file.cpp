// test_atomic_file.cpp - atomic replacement, clear errors, earlier files left intact.
#include "vae/atomic_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "vae/error.hpp"

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
  }
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
