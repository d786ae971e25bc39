// mnist_fixture.hpp - the real MNIST data of the tests, written once: where it is, and each split
// loaded on first use and kept for the rest of the test binary.
//
// The folder is $VAE_DATA, else VAE_TEST_DATA_DIR (<repo>/data/mnist, set by tests/CMakeLists).
// Missing or malformed files make the calling test fail (never skip) with one message that names
// the file and says to run scripts/fetch-mnist or set VAE_DATA: mnist() throws a vae::Error with
// it, which gtest reports as the test's failure; a test that wants its own FAIL() catches it.
#pragma once

#include <cstdlib>
#include <string>

#include "vae/error.hpp"
#include "vae/idx.hpp"

namespace vae_test {

inline std::string mnist_dir() {
  const char* env = std::getenv("VAE_DATA");
  return env && *env ? std::string(env) : std::string(VAE_TEST_DATA_DIR);
}

// The whole split (60000 or 10000 images with labels), loaded once per binary.
inline const vae::Dataset& mnist(vae::Split split) {
  static vae::Dataset train, test;   // (count, 28, 28) images and (count) labels, owned here
  vae::Dataset& d = split == vae::Split::train ? train : test;
  if (d.size() == 0) {
    try {
      d = vae::load_mnist(mnist_dir(), split);
    } catch (const vae::Error& e) {
      throw vae::Error(std::string("MNIST test data: ") + e.what() +
                       " (or set VAE_DATA to a folder with the four IDX files)");
    }
  }
  return d;
}

}  // namespace vae_test
