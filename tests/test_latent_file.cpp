// test_latent_file.cpp - vae_gen's --latent reader (apps/vae_gen/latent_file.hpp): the bytes come
// back as floats bit for bit, and each kind of bad file is one error line naming the file and
// what was expected. fuzz/fuzz_latent.cpp checks the same properties on arbitrary bytes.
#include "latent_file.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "vae/error.hpp"

namespace test_latent_file {

namespace {

std::vector<std::uint8_t> bytes_of(const std::vector<float>& v) {
  std::vector<std::uint8_t> b(v.size() * 4);
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

std::string error_of(const std::vector<std::uint8_t>& b, std::size_t z) {
  try {
    vae_gen::parse_latents(b.empty() ? nullptr : b.data(), b.size(), z, "z.f32");
  } catch (const vae::Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(LatentFile, RowsOfZFloatsComeBackBitForBit) {
  const std::vector<float> v = {0.5f, -1.25f, 3.4028235e38f, -0.0f, 1e-45f, 2.0f};
  const std::vector<std::uint8_t> b = bytes_of(v);
  for (std::size_t z : {1, 2, 3, 6}) {
    const std::vector<float> got = vae_gen::parse_latents(b.data(), b.size(), z, "z.f32");
    ASSERT_EQ(got.size(), v.size()) << z;
    EXPECT_EQ(std::memcmp(got.data(), v.data(), b.size()), 0) << z;   // -0.0 and denormals too
  }
}

TEST(LatentFile, SizeErrorsNameTheFileAndTheRowSize) {
  EXPECT_EQ(error_of({}, 20), "z.f32: 0 bytes is not a whole number of latents of 20 float32 "
                              "(80 bytes each)");
  EXPECT_EQ(error_of(std::vector<std::uint8_t>(12), 2),
            "z.f32: 12 bytes is not a whole number of latents of 2 float32 (8 bytes each)");
  EXPECT_EQ(error_of(std::vector<std::uint8_t>(8), 0), "z.f32: latent size 0, expected a positive Z");
}

TEST(LatentFile, MoreThanMaxLatentsIsAnError) {
  const std::vector<std::uint8_t> b((vae_gen::max_latents + 1) * 4, 0);
  EXPECT_EQ(error_of(b, 1), "z.f32: 1000001 latents, expected at most 1000000");
  const std::vector<std::uint8_t> ok(vae_gen::max_latents * 4, 0);
  EXPECT_EQ(vae_gen::parse_latents(ok.data(), ok.size(), 1, "z.f32").size(), vae_gen::max_latents);
}

// NaN decoded to a blank digit and infinity to a saturated one without a word; now the file is
// refused, naming the latent and the value.
TEST(LatentFile, NonFiniteValuesAreErrors) {
  EXPECT_EQ(error_of(bytes_of({0.0f, 1.0f, 2.0f, std::nanf("")}), 2),
            "z.f32: latent 1 value 1 is NaN, expected finite float32 values");
  EXPECT_EQ(error_of(bytes_of({-INFINITY, 1.0f}), 2),
            "z.f32: latent 0 value 0 is infinite, expected finite float32 values");
}

}  // namespace

}  // namespace test_latent_file
