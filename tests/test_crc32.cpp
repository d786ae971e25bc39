// test_crc32.cpp - vae_rt's CRC-32 against the standard check values.
#include "vae_rt/crc32.h"

#include <gtest/gtest.h>

namespace test_crc32 {

namespace {

TEST(Crc32, MatchesTheStandardCheckValue) {
  EXPECT_EQ(vae_rt::crc32("123456789", 9), 0xCBF43926u);
  EXPECT_EQ(vae_rt::crc32("", 0), 0u);
  EXPECT_EQ(vae_rt::crc32_update(vae_rt::crc32("1234", 4), "56789", 5), 0xCBF43926u);
  EXPECT_EQ(vae_rt::crc32("The quick brown fox jumps over the lazy dog", 43), 0x414FA339u);
}

}  // namespace

}  // namespace test_crc32
