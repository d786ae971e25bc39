// test_rt_decoder.cpp - the decoder (vae_rt/decoder.h): its init errors, the arena shortfall, and
// generate, whose pixels must be the host's (tables.h) for float32 and int8 weights, N(0, I) and
// the mixture prior; on the host and on the target.
#include <string.h>

#include "tables.h"
#include "vae_rt/decoder.h"
#include "vae_rt/prior.h"
#include "vtest.h"

namespace {

using vae_rt::Status;
namespace fmt = vae_rt::format;
using Dec = vae_rt::Decoder<tt_z, tt_h, tt_d>;
using Dec3 = vae_rt::Decoder<tt_z, tt_h, tt_d, 3>;

alignas(16) uint8_t g_arena[Dec3::arena_bytes + 16];
alignas(16) uint8_t g_copy[8192];

const uint8_t* weights(int dtype) { return dtype ? tt_weights_i8 : tt_weights_f32; }
size_t weights_size(int dtype) { return dtype ? tt_weights_i8_size : tt_weights_f32_size; }

}  // namespace

TEST(RtDecoder, ArenaIsTheDocumentedSize) {
  EXPECT_EQ(Dec::arena_bytes, (tt_h + tt_z) * sizeof(float));   // 64: already a multiple of 16
  Dec dec;
  ASSERT_EQ(dec.init(tt_weights_f32, tt_weights_f32_size, g_arena, Dec::arena_bytes), Status::ok);
  EXPECT_EQ(dec.arena_used(), Dec::arena_bytes);
  EXPECT_TRUE(dec.ready());
  EXPECT_EQ(strcmp(dec.dtype_name(), "float32"), 0);
  ASSERT_EQ(dec.init(tt_weights_i8, tt_weights_i8_size, g_arena, Dec::arena_bytes), Status::ok);
  EXPECT_EQ(strcmp(dec.dtype_name(), "int8"), 0);
  EXPECT_EQ(dec.weight_bytes(), tt_h * tt_z + tt_h * 4 + tt_h * 4 + tt_d * tt_h + tt_d * 4 + tt_d * 4);
}

TEST(RtDecoder, InitErrors) {
  Dec dec;
  fmt::Diag diag;
  EXPECT_EQ(dec.init(tt_weights_f32, tt_weights_f32_size, g_arena, Dec::arena_bytes - 1, &diag),
            Status::arena_too_small);
  EXPECT_NE(diag.text[0], '\0');
  EXPECT_FALSE(dec.ready());
  EXPECT_EQ(dec.init(tt_weights_f32, tt_weights_f32_size, nullptr, Dec::arena_bytes),
            Status::null_argument);
  EXPECT_EQ(dec.init(tt_weights_f32, tt_weights_f32_size, g_arena + 4, Dec::arena_bytes),
            Status::misaligned);
  vae_rt::Decoder<tt_z + 1, tt_h, tt_d> wrong_z;
  EXPECT_EQ(wrong_z.init(tt_weights_f32, tt_weights_f32_size, g_arena, sizeof g_arena),
            Status::dims_mismatch);
  // A renamed dec_out_b (CRC recomputed): the parser accepts it, the decoder misses it.
  memcpy(g_copy, tt_weights_i8, tt_weights_i8_size);
  fmt::File f;
  ASSERT_EQ(fmt::parse(g_copy, tt_weights_i8_size, &f, true, nullptr), Status::ok);
  for (uint32_t i = 0; i < f.header.tensor_count; ++i) {
    uint8_t* rec = g_copy + fmt::header_size + i * fmt::record_size;
    if (strcmp(reinterpret_cast<const char*>(rec), fmt::dec_out_b) == 0) rec[0] = 'x';
  }
  fmt::store_u32(g_copy + fmt::hdr_crc32, fmt::file_crc32(g_copy, tt_weights_i8_size));
  EXPECT_EQ(dec.init(g_copy, tt_weights_i8_size, g_arena, Dec::arena_bytes), Status::missing_tensor);
  g_copy[tt_weights_i8_size - 1] ^= 1;   // and a stale CRC
  EXPECT_EQ(dec.init(g_copy, tt_weights_i8_size, g_arena, Dec::arena_bytes), Status::bad_crc);
}

TEST(RtDecoder, GenerateMatchesHostPixels) {
  for (int dtype = 0; dtype < 2; ++dtype) {
    Dec dec;
    ASSERT_EQ(dec.init(weights(dtype), weights_size(dtype), g_arena, Dec::arena_bytes), Status::ok);
    vae_rt::MixturePrior prior;
    ASSERT_EQ(vae_rt::prior_bind(dec.file(), tt_z, &prior, nullptr), Status::ok);
    for (int p = 0; p < 2; ++p) {
      for (size_t s = 0; s < tt_nseeds; ++s) {
        vae_rt::Rng rng;
        vae_rt::rng_seed(&rng, tt_seeds[s], 0);
        uint8_t px[tt_d];
        dec.generate(&rng, px, p ? &prior : nullptr);
        int differ = 0;
        for (size_t i = 0; i < tt_d; ++i) differ += px[i] != tt_pixels[dtype][p][s][i];
        EXPECT_EQ(differ, 0);
      }
    }
  }
}

TEST(RtDecoder, FloatPixelsMatchHostBits) {
  Dec dec;
  ASSERT_EQ(dec.init(tt_weights_f32, tt_weights_f32_size, g_arena, Dec::arena_bytes), Status::ok);
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, tt_seeds[0], 0);
  float px[tt_d];
  dec.generate(&rng, px);
  for (size_t i = 0; i < tt_d; ++i) EXPECT_EQ(vae_rt::float_bits(px[i]), tt_pixels_f32_bits[i]);
}

TEST(RtDecoder, BatchOfThreeEqualsOneByOne) {
  Dec3 dec;
  ASSERT_EQ(dec.init(tt_weights_i8, tt_weights_i8_size, g_arena, Dec3::arena_bytes), Status::ok);
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, tt_seeds[0], 0);
  uint8_t px[4][tt_d];
  dec.generate_batch(&rng, 4, px[0]);   // one pass of 3 and a tail of 1
  vae_rt::Rng one;
  vae_rt::rng_seed(&one, tt_seeds[0], 0);
  Dec single;
  alignas(16) static uint8_t arena1[Dec::arena_bytes];
  ASSERT_EQ(single.init(tt_weights_i8, tt_weights_i8_size, arena1, sizeof arena1), Status::ok);
  for (int j = 0; j < 4; ++j) {
    uint8_t want[tt_d];
    single.generate(&one, want);
    EXPECT_EQ(memcmp(px[j], want, tt_d), 0);
  }
  EXPECT_EQ(memcmp(px[0], tt_pixels[1][0][0], tt_d), 0);
}
