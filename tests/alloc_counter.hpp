// alloc_counter.hpp - counts every heap allocation of the process, to prove a loop makes none.
//
// Counts malloc, calloc, realloc, aligned_alloc, posix_memalign and memalign, and so also
// operator new (which allocates through them), in every thread, OpenBLAS's included. Without
// AddressSanitizer the test binary interposes those functions and forwards to glibc's
// __libc_* entry points; under AddressSanitizer, which owns malloc, it installs the sanitizer's
// allocation hooks instead. Link alloc_counter.cpp into the test binary to use it.
#pragma once

#include <cstddef>

namespace vae_test {

// Allocations counted so far in the whole process.
std::size_t allocation_count();

}  // namespace vae_test
