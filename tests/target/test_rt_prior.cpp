// test_rt_prior.cpp - the mixture prior (vae_rt/prior.h): prior_bind on the host writer's file,
// its refusals, the component a u picks and the draws, which must be the host's bits; on the
// host and on the target.
#include <string.h>

#include "tables.h"
#include "vae_rt/format.h"
#include "vae_rt/math.h"
#include "vae_rt/prior.h"
#include "vtest.h"

namespace {
using vae_rt::Status;
namespace fmt = vae_rt::format;

fmt::File parsed(const uint8_t* bytes, size_t size) {
  fmt::File f;
  fmt::parse(bytes, size, &f, true, nullptr);
  return f;
}
}  // namespace

TEST(RtPrior, BindsInPlace) {
  const fmt::File f = parsed(tt_weights_i8, tt_weights_i8_size);
  ASSERT_TRUE(vae_rt::prior_present(f));
  vae_rt::MixturePrior p;
  fmt::Diag diag;
  ASSERT_EQ(vae_rt::prior_bind(f, tt_z, &p, &diag), Status::ok);
  EXPECT_EQ(p.k, tt_k);
  EXPECT_EQ(p.z, tt_z);
  fmt::Tensor mu;
  ASSERT_EQ(fmt::find_tensor(f, vae_rt::prior_mu_name, &mu), Status::ok);
  EXPECT_EQ(static_cast<const void*>(p.mu), static_cast<const void*>(mu.data));
  EXPECT_EQ(vae_rt::float_bits(p.weight_total), tt_prior_total_bits);
  EXPECT_EQ(p.logit_max, 0.5f);
  vae_rt::MixturePrior other;
  EXPECT_EQ(vae_rt::prior_bind(f, tt_z + 1, &other, &diag), Status::bad_shape);
  EXPECT_EQ(other.k, 0u);   // untouched on refusal
}

TEST(RtPrior, ComponentsAndDrawsMatchHost) {
  const fmt::File f = parsed(tt_weights_f32, tt_weights_f32_size);
  vae_rt::MixturePrior p;
  ASSERT_EQ(vae_rt::prior_bind(f, tt_z, &p, nullptr), Status::ok);
  for (int i = 0; i <= 16; ++i) {
    const float u = i == 16 ? 0.99999994f : static_cast<float>(i) / 16.0f;
    EXPECT_EQ(vae_rt::prior_component(p, u), tt_prior_component[i]);
  }
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 5, 0);
  for (int d = 0; d < 3; ++d) {
    float z[tt_z];
    vae_rt::prior_sample(p, &rng, z);
    for (size_t j = 0; j < tt_z; ++j) EXPECT_EQ(vae_rt::float_bits(z[j]), tt_prior_draw_bits[d][j]);
  }
}

TEST(RtPrior, InitRefusals) {
  const float logits[2] = {0.0f, 1.0f};
  const float mu[4] = {0, 0, 0, 0};
  float logvar[4] = {0, 0, 0, 0};
  vae_rt::MixturePrior p;
  EXPECT_EQ(vae_rt::prior_init(&p, 2, 2, logits, mu, logvar, nullptr), Status::ok);
  EXPECT_EQ(vae_rt::prior_init(&p, 0, 2, logits, mu, logvar, nullptr), Status::bad_shape);
  EXPECT_EQ(vae_rt::prior_init(&p, 2, 2, nullptr, mu, logvar, nullptr), Status::null_argument);
  logvar[3] = 81.0f;
  EXPECT_EQ(vae_rt::prior_init(&p, 2, 2, logits, mu, logvar, nullptr), Status::bad_value);
  logvar[3] = vae_rt::bits_float(0x7fc00000u);
  EXPECT_EQ(vae_rt::prior_init(&p, 2, 2, logits, mu, logvar, nullptr), Status::bad_value);
  const float inf_logits[2] = {0.0f, vae_rt::bits_float(0x7f800000u)};
  logvar[3] = 0.0f;
  EXPECT_EQ(vae_rt::prior_init(&p, 2, 2, inf_logits, mu, logvar, nullptr), Status::bad_value);
}

TEST(RtPrior, FileWithoutPriorOrFlag) {
  alignas(16) static uint8_t copy[8192];
  memcpy(copy, tt_weights_f32, tt_weights_f32_size);
  fmt::store_u32(copy + fmt::hdr_flags, fmt::load_u32(copy + fmt::hdr_flags) & ~uint32_t{fmt::flag_mixture_prior});
  fmt::store_u32(copy + fmt::hdr_crc32, fmt::file_crc32(copy, tt_weights_f32_size));
  const fmt::File f = parsed(copy, tt_weights_f32_size);
  vae_rt::MixturePrior p;
  EXPECT_EQ(vae_rt::prior_bind(f, tt_z, &p, nullptr), Status::bad_header);   // tensors, no flag
}
