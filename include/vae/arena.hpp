// vae/arena.hpp - the one block of memory a model lives in.
//
// A bump allocator over a single 64-byte-aligned buffer, which the arena either allocates once at
// construction or borrows from the caller. Buffers are carved from it at init, in a fixed order,
// and never freed one by one; nothing is allocated afterwards. Running out is a loud vae::Error
// that names the buffer and the shortfall, never silent corruption. Not thread-safe, not a
// general-purpose allocator.
//
// An arena it allocates itself of 2 MiB or more is aligned to 2 MiB, rounded up to whole 2 MiB
// pages and advised to Linux as huge pages (transparent huge pages, where the system has them on):
// a training step walks all of it, and 4 KiB pages cost TLB misses (lib/train/huge_pages.h).
#pragma once

#include <cstddef>
#include <cstdint>

namespace vae {

inline constexpr std::size_t arena_alignment = 64;   // a cache line, and enough for AVX-512

constexpr std::size_t align_up(std::size_t n, std::size_t a = arena_alignment) {
  return (n + a - 1) / a * a;
}

// Bytes an arena spends on a buffer of `count` floats (each carve is rounded up to the alignment).
constexpr std::size_t floats_bytes(std::size_t count) { return align_up(count * sizeof(float)); }

class Arena {
 public:
  explicit Arena(std::size_t capacity);                  // owns one aligned allocation
  Arena(void* buffer, std::size_t capacity);             // borrows; buffer must be 64-aligned
  ~Arena();
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Carve `count` floats, zeroed, aligned to 64 bytes. `what` names the buffer in errors.
  float* carve_floats(std::size_t count, const char* what);
  // Carve raw bytes, zeroed, aligned to 64 bytes.
  void* carve_bytes(std::size_t bytes, const char* what);

  std::size_t capacity() const { return capacity_; }
  std::size_t used() const { return used_; }
  std::uint8_t* base() const { return base_; }

 private:
  std::uint8_t* base_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t used_ = 0;
  bool owned_ = false;
};

}  // namespace vae
