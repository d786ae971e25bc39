// test_arena.cpp - carving, alignment, zeroing, borrowed buffers and the overflow message.
#include "vae/arena.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "vae/error.hpp"

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

}  // namespace

}  // namespace test_arena
