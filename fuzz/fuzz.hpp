// fuzz/fuzz.hpp - what every fuzz target shares: the libFuzzer entry point, a property check
// that aborts with a message (a broken property is a finding, exactly like a crash), and the
// verdict that the corpus replay (replay_main.cpp) checks against file names.
//
// Each fuzz_<name>.cpp defines LLVMFuzzerTestOneInput and sets vae_fuzz::accepted to whether
// the input was accepted by the parser under test. Built two ways (fuzz/CMakeLists.txt): with
// libFuzzer's main (VAE_FUZZ, clang) or with replay_main.cpp (any compiler, as ctest tests).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace vae_fuzz {

// The verdict on the last input: did the parser under test accept it?
inline bool accepted = false;

[[noreturn]] inline void fail(const char* file, int line, const char* what) {
  std::fprintf(stderr, "%s:%d: property violated: %s\n", file, line, what);
  std::abort();
}

// Bitwise equality of two arrays of n elements (NaN payloads included: a round trip must keep
// every bit).
template <class T>
bool same_bits(const T* a, const T* b, std::size_t n) {
  return n == 0 || std::memcmp(a, b, n * sizeof(T)) == 0;
}

}  // namespace vae_fuzz

// FUZZ_CHECK(cond): a property of the code under test; abort (a libFuzzer finding) if false.
#define FUZZ_CHECK(cond) \
  ((cond) ? static_cast<void>(0) : ::vae_fuzz::fail(__FILE__, __LINE__, #cond))
