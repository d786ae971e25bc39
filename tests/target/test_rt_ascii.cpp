// test_rt_ascii.cpp - the ASCII renderer and the pixel checksum (vae_rt/ascii.h), on the host and
// on the target: what vae_gen --ascii and mcu_gen print must be the same characters.
#include <string.h>

#include "tables.h"
#include "vae_rt/ascii.h"
#include "vtest.h"

TEST(RtAscii, RampAndLines) {
  // The first pixel value of each of the ten ramp characters: ceil(i * 25.6).
  const uint8_t px[2 * 5] = {0, 26, 52, 77, 103, 128, 154, 180, 205, 231};
  char out[2 * 6];
  ASSERT_EQ(vae_rt::ascii_art(px, 2, 5, out), sizeof out);
  EXPECT_EQ(memcmp(out, " .:-=\n+*#%@\n", sizeof out), 0);
}

TEST(RtAscii, HostDigitRendersInItsShape) {
  char out[6 * 7];
  ASSERT_EQ(vae_rt::ascii_art(tt_pixels[1][1][0], 6, 6, out), sizeof out);
  for (size_t r = 0; r < 6; ++r) {
    EXPECT_EQ(out[r * 7 + 6], '\n');
    for (size_t c = 0; c < 6; ++c) {
      EXPECT_EQ(out[r * 7 + c], vae_rt::ascii_ramp[tt_pixels[1][1][0][r * 6 + c] * 10u / 256u]);
    }
  }
}

TEST(RtAscii, Fnv1aKnownValues) {
  EXPECT_EQ(vae_rt::fnv1a32(nullptr, 0), 0x811c9dc5u);
  const uint8_t a[1] = {'a'};
  EXPECT_EQ(vae_rt::fnv1a32(a, 1), 0xe40c292cu);
  const uint8_t foobar[6] = {'f', 'o', 'o', 'b', 'a', 'r'};
  EXPECT_EQ(vae_rt::fnv1a32(foobar, 6), 0xbf9cf968u);
}
