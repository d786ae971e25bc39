// test_arena.cpp - carving, alignment, zeroing, borrowed buffers, the overflow message, and a
// large arena's huge pages.
#include "vae/arena.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "vae/error.hpp"
#include "vm_flags.hpp"

namespace test_arena {

namespace {

TEST(Arena, CarvesAlignedZeroedBuffersInOrder) {
  vae::Arena a(1000);
  float* p = a.carve_floats(3, "p");
  float* q = a.carve_floats(17, "q");
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 64, 0u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(q) % 64, 0u);
  EXPECT_EQ(reinterpret_cast<std::uint8_t*>(q) - reinterpret_cast<std::uint8_t*>(p), 64);
  EXPECT_EQ(a.used(), 64u + 128u);
  for (int i = 0; i < 17; ++i) EXPECT_EQ(q[i], 0.0f);
  EXPECT_EQ(vae::floats_bytes(17), 128u);
}

TEST(Arena, OverflowNamesTheBufferAndTheShortfall) {
  vae::Arena a(256);
  a.carve_floats(32, "first");   // 128 bytes
  try {
    a.carve_floats(64, "dec.logits");   // 256 bytes, 128 left
    FAIL() << "no error";
  } catch (const vae::Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("dec.logits"), std::string::npos) << m;
    EXPECT_NE(m.find("short by 128 bytes"), std::string::npos) << m;
  }
}

TEST(Arena, BorrowsTheCallersBuffer) {
  alignas(64) static std::uint8_t buffer[512];
  vae::Arena a(buffer, sizeof buffer);
  EXPECT_EQ(static_cast<void*>(a.carve_floats(4, "x")), static_cast<void*>(buffer));
  EXPECT_THROW(vae::Arena(buffer + 4, 100), vae::Error);   // misaligned
  EXPECT_THROW(vae::Arena(nullptr, 100), vae::Error);
}

// A model's arena (784-400-20 at batch 128: ~25 MB) is walked end to end by every training step:
// from 2 MiB on, the arena is made of whole 2 MiB pages, aligned to them, and advised to the kernel
// as huge pages (MADV_HUGEPAGE, "hg" in the mapping's VmFlags whatever the system's THP setting).
TEST(Arena, LargeArenaIsAlignedAndAdvisedAsHugePages) {
#if defined(__linux__)
  const std::size_t capacity = (std::size_t{5} << 20) + 100;
  vae::Arena a(capacity);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a.base()) % (std::size_t{2} << 20), 0u);
  EXPECT_EQ(a.capacity(), vae::align_up(capacity));
  const std::string flags = vae_test::vm_flags_of(a.base());
  EXPECT_TRUE(vae_test::has_vm_flag(flags, "hg")) << "VmFlags:" << flags;
  // The whole capacity is still there to carve, zeroed, to its last byte.
  auto* p = static_cast<std::uint8_t*>(a.carve_bytes(a.capacity(), "all"));
  EXPECT_EQ(p[a.capacity() - 1], 0u);
  p[a.capacity() - 1] = 1;
#else
  GTEST_SKIP() << "madvise(MADV_HUGEPAGE) is Linux's";
#endif
}

}  // namespace

}  // namespace test_arena
