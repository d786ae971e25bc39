// test_prior.cpp - the runtime's mixture prior (vae_rt/prior.h) against independent references:
// the statistics of its draws against the mixture's analytic component weights, means and
// variances; the component choice at exact cumulative boundaries; its draws against the training
// library's double-precision twin vae::gmm_sample (the same stream use, computed apart); the
// decoder's prior path against decoding the prior's draws; and prior_bind's failures, each with
// its own Status and message. The prior in a weight file (round trip, exports): test_gmm.cpp.
#include "vae_rt/prior.h"

#include <gtest/gtest.h>
#include <xtensor/xtensor.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "vae/gmm.hpp"
#include "vae/vae.hpp"
#include "vae/weights.hpp"
#include "vae_rt/decoder.h"

namespace test_prior {

namespace {

namespace fmt = vae_rt::format;
using vae_rt::Status;

// A 3-component mixture in 2-D, far apart (the nearest means are 20 apart, the largest standard
// deviation 1.5), so each draw's component is plain from where it lands.
struct Tiny {
  static constexpr std::size_t K = 3, Z = 2;
  // pi = (0.2, 0.5, 0.3), stored as unnormalized logs (+1.7) to exercise the softmax.
  float logits[K] = {std::log(0.2f) + 1.7f, std::log(0.5f) + 1.7f, std::log(0.3f) + 1.7f};
  float mu[K * Z] = {-20.0f, 0.0f, 0.0f, 20.0f, 20.0f, -5.0f};
  // standard deviations (1.5, 0.5), (1.0, 0.25), (0.7, 1.2)
  float sd[K * Z] = {1.5f, 0.5f, 1.0f, 0.25f, 0.7f, 1.2f};
  float logvar[K * Z];
  Tiny() {
    for (std::size_t i = 0; i < K * Z; ++i) logvar[i] = 2.0f * std::log(sd[i]);
  }
  std::size_t nearest(const float* z) const {
    std::size_t best = 0;
    double bd = 1e300;
    for (std::size_t k = 0; k < K; ++k) {
      const double d = std::hypot(z[0] - mu[k * Z], z[1] - mu[k * Z + 1]);
      if (d < bd) { bd = d; best = k; }
    }
    return best;
  }
};

TEST(Prior, DrawsHaveTheComponentsWeightsMeansAndVariances) {
  const Tiny t;
  vae_rt::MixturePrior p;
  fmt::Diag diag;
  ASSERT_EQ(vae_rt::prior_init(&p, Tiny::K, Tiny::Z, t.logits, t.mu, t.logvar, &diag), Status::ok)
      << diag.text;
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 2024, 0);
  constexpr std::size_t N = 200000;
  double n[3] = {}, s[3][2] = {}, ss[3][2] = {};
  float z[2];
  for (std::size_t i = 0; i < N; ++i) {
    vae_rt::prior_sample(p, &rng, z);
    const std::size_t k = t.nearest(z);
    n[k] += 1;
    for (int j = 0; j < 2; ++j) { s[k][j] += z[j]; ss[k][j] += double(z[j]) * z[j]; }
  }
  const double pi[3] = {0.2, 0.5, 0.3};
  for (std::size_t k = 0; k < 3; ++k) {
    // Binomial standard error <= 0.0012 at N = 200000: 0.006 is 5 of them.
    EXPECT_NEAR(n[k] / N, pi[k], 0.006) << "weight of component " << k;
    for (int j = 0; j < 2; ++j) {
      const double m = s[k][j] / n[k], v = ss[k][j] / n[k] - m * m;
      const double sd = t.sd[k * 2 + j], var = double(sd) * sd;
      // Standard errors: sd / sqrt(n) for the mean (n >= 40000: <= 0.0075), var sqrt(2 / n)
      // for the variance (<= 0.7%); the bounds are ~5 of them. Using exp(logvar) as the
      // standard deviation, or forgetting the mean, fails by far.
      EXPECT_NEAR(m, t.mu[k * 2 + j], 5 * sd / std::sqrt(n[k])) << "mean, component " << k << " dim " << j;
      EXPECT_NEAR(v / var, 1.0, 5 * std::sqrt(2.0 / n[k])) << "variance, component " << k << " dim " << j;
    }
  }
}

TEST(Prior, ComponentChoiceAtExactBoundaries) {
  // Equal logits: weights 1 each, total 4 (exact), u on the 2^-24 grid.
  const float logits[4] = {0.3f, 0.3f, 0.3f, 0.3f};
  const float mu[4] = {0, 1, 2, 3}, lv[4] = {0, 0, 0, 0};
  vae_rt::MixturePrior p;
  ASSERT_EQ(vae_rt::prior_init(&p, 4, 1, logits, mu, lv, nullptr), Status::ok);
  EXPECT_EQ(p.weight_total, 4.0f);
  EXPECT_EQ(vae_rt::prior_component(p, 0.0f), 0u);
  EXPECT_EQ(vae_rt::prior_component(p, 0.25f - 1.0f / 16777216.0f), 0u);
  EXPECT_EQ(vae_rt::prior_component(p, 0.25f), 1u);
  EXPECT_EQ(vae_rt::prior_component(p, 0.5f), 2u);
  EXPECT_EQ(vae_rt::prior_component(p, 0.75f), 3u);
  EXPECT_EQ(vae_rt::prior_component(p, 1.0f - 1.0f / 16777216.0f), 3u);
  // A component whose weight underflows to 0 is never picked, even as the last one.
  const float skewed[4] = {0.0f, -300.0f, 0.0f, -300.0f};
  ASSERT_EQ(vae_rt::prior_init(&p, 4, 1, skewed, mu, lv, nullptr), Status::ok);
  EXPECT_EQ(p.weight_total, 2.0f);
  EXPECT_EQ(vae_rt::prior_component(p, 0.49f), 0u);
  EXPECT_EQ(vae_rt::prior_component(p, 0.5f), 2u);
  EXPECT_EQ(vae_rt::prior_component(p, 1.0f - 1.0f / 16777216.0f), 2u);
  // Rounding can make u * total equal the total: the last positive component, not past it.
  EXPECT_EQ(vae_rt::prior_component(p, 1.0f), 2u);
}

TEST(Prior, DrawsEqualTheTrainingLibrarysSampler) {
  // A mixture like the shipped ones: K = 10, Z = 20, uneven weights and scales.
  constexpr std::size_t K = 10, Z = 20;
  vae::Gmm g;
  g.K = K;
  g.Z = Z;
  vae_rt::Rng init;
  vae_rt::rng_seed(&init, 5, 9);
  for (std::size_t k = 0; k < K; ++k) g.logits.push_back(vae_rt::rng_uniform(&init, -3.0f, 1.0f));
  for (std::size_t i = 0; i < K * Z; ++i) {
    g.mu.push_back(vae_rt::rng_uniform(&init, -2.0f, 2.0f));
    g.logvar.push_back(vae_rt::rng_uniform(&init, -6.0f, 1.0f));
  }
  vae_rt::MixturePrior p;
  ASSERT_EQ(vae_rt::prior_init(&p, K, Z, g.logits.data(), g.mu.data(), g.logvar.data(), nullptr), Status::ok);
  constexpr std::size_t N = 20000;
  std::vector<float> got(N * Z);
  vae_rt::Rng a, b;
  vae_rt::rng_seed(&a, 1, 0);
  vae_rt::rng_seed(&b, 1, 0);
  const xt::xtensor<float, 2> want_rows = vae::gmm_sample(g, a, N);   // (N, Z)
  const float* want = want_rows.data();
  for (std::size_t i = 0; i < N; ++i) vae_rt::prior_sample(p, &b, got.data() + i * Z);
  EXPECT_EQ(a.state, b.state) << "the two samplers used different amounts of the stream";
  double worst = 0;
  std::size_t far = 0;
  for (std::size_t i = 0; i < N * Z; ++i) {
    const double d = std::fabs(double(want[i]) - got[i]) / (1.0 + std::fabs(want[i]));
    worst = std::max(worst, d);
    far += d > 1e-5 ? 1 : 0;   // a different component is off by ~1, not 1e-6
  }
  EXPECT_EQ(far, 0u) << "largest relative difference " << worst;
  std::printf("runtime vs training sampler, %zu draws: largest relative difference %.3g\n", N, worst);
}

TEST(Prior, DecoderGeneratesFromThePrior) {
  constexpr std::size_t Z = 20;
  using Model = vae::Vae784_400_20;
  Model m(4);
  vae_rt::Rng init;
  vae_rt::rng_seed(&init, 3, 0);
  m.init_params(init);
  vae::Gmm g;
  g.K = 4;
  g.Z = Z;
  g.logits = {0.0f, -1.0f, 0.5f, -0.2f};
  for (std::size_t i = 0; i < g.K * Z; ++i) {
    g.mu.push_back(vae_rt::rng_uniform(&init, -3.0f, 3.0f));
    g.logvar.push_back(vae_rt::rng_uniform(&init, -4.0f, 0.0f));
  }
  const std::vector<std::uint8_t> bytes =
      vae::serialize_weights(vae::with_prior(vae::weights_from_model(m), g));
  std::vector<std::uint32_t> words(bytes.size() / 4 + 1);
  std::memcpy(words.data(), bytes.data(), bytes.size());
  using Dec = vae_rt::Decoder<20, 400, 784, 3>;
  alignas(16) static std::uint8_t arena[Dec::arena_bytes];
  Dec dec;
  ASSERT_EQ(dec.init(words.data(), bytes.size(), arena, sizeof arena), Status::ok);
  ASSERT_TRUE(vae_rt::prior_present(dec.file()));
  vae_rt::MixturePrior p;
  fmt::Diag diag;
  ASSERT_EQ(vae_rt::prior_bind(dec.file(), Z, &p, &diag), Status::ok) << diag.text;
  EXPECT_EQ(p.k, 4u);
  constexpr std::size_t n = 7;   // not a multiple of the batch of 3
  std::vector<std::uint8_t> got(n * 784), want(n * 784), normal(n * 784);
  vae_rt::Rng r1, r2, r3;
  vae_rt::rng_seed(&r1, 11, 0);
  vae_rt::rng_seed(&r2, 11, 0);
  vae_rt::rng_seed(&r3, 11, 0);
  dec.generate_batch(&r1, n, got.data(), &p);
  std::vector<float> z(n * Z);
  for (std::size_t i = 0; i < n; ++i) vae_rt::prior_sample(p, &r2, z.data() + i * Z);
  dec.decode_batch_u8(z.data(), n, want.data());
  EXPECT_EQ(got, want);
  EXPECT_EQ(r1.state, r2.state);
  // A null prior is N(0, I), the decoder's plain generate.
  dec.generate_batch(&r3, n, normal.data(), nullptr);
  vae_rt::rng_seed(&r3, 11, 0);
  std::vector<std::uint8_t> plain(n * 784);
  dec.generate_batch(&r3, n, plain.data());
  EXPECT_EQ(normal, plain);
  EXPECT_NE(normal, got);
}

// prior_bind on a small file: the decoder tensors of a 16-8-3 model plus what `edit` does.
template <class Edit>
Status bind_small(Edit edit, std::string* msg) {
  constexpr std::uint32_t K = 2, Z = 3;
  vae::WeightsFile wf;
  wf.dim_x = 16;
  wf.dim_h = 8;
  wf.dim_z = Z;
  std::vector<float> v(16 * 8, 0.1f);
  wf.tensors.push_back(vae::float_tensor("dec_fc_w", 8, 3, v.data()));
  wf.tensors.push_back(vae::float_tensor("dec_fc_b", 8, 0, v.data()));
  wf.tensors.push_back(vae::float_tensor("dec_out_w", 16, 8, v.data()));
  wf.tensors.push_back(vae::float_tensor("dec_out_b", 16, 0, v.data()));
  vae::Gmm g;
  g.K = K;
  g.Z = Z;
  g.logits = {0.0f, -0.5f};
  g.mu.assign(K * Z, 0.25f);
  g.logvar.assign(K * Z, -1.0f);
  wf = vae::with_prior(wf, g);
  edit(wf);
  const std::vector<std::uint8_t> bytes = vae::serialize_weights(wf);
  std::vector<std::uint32_t> words(bytes.size() / 4 + 1);
  std::memcpy(words.data(), bytes.data(), bytes.size());
  fmt::File file;
  fmt::Diag diag;
  EXPECT_EQ(fmt::parse(words.data(), bytes.size(), &file, true, &diag), Status::ok) << diag.text;
  vae_rt::MixturePrior p;
  const Status s = vae_rt::prior_bind(file, Z, &p, &diag);
  *msg = diag.text;
  return s;
}

void drop(vae::WeightsFile& wf, const std::string& name) {
  for (auto it = wf.tensors.begin(); it != wf.tensors.end(); ++it) {
    if (it->name == name) { wf.tensors.erase(it); return; }
  }
}

vae::WeightTensor& tensor(vae::WeightsFile& wf, const std::string& name) {
  for (auto& t : wf.tensors) {
    if (t.name == name) return t;
  }
  throw std::runtime_error("no tensor " + name);
}

void set_float(vae::WeightsFile& wf, const std::string& name, std::size_t i, float v) {
  std::memcpy(tensor(wf, name).data.data() + 4 * i, &v, 4);
}

TEST(Prior, BindRejectsMalformedPriors) {
  std::string msg;
  EXPECT_EQ(bind_small([](vae::WeightsFile&) {}, &msg), Status::ok) << msg;
  struct Case {
    const char* what;
    void (*edit)(vae::WeightsFile&);
    Status want;
    const char* text;
  };
  const Case cases[] = {
      {"no prior at all",
       [](vae::WeightsFile& wf) {
         drop(wf, "prior_logits"); drop(wf, "prior_mu"); drop(wf, "prior_logvar");
         wf.flags &= ~static_cast<std::uint32_t>(fmt::flag_mixture_prior);
       },
       Status::missing_tensor, "carries no mixture prior"},
      {"flag without tensors",
       [](vae::WeightsFile& wf) { drop(wf, "prior_logits"); drop(wf, "prior_mu"); drop(wf, "prior_logvar"); },
       Status::missing_tensor, "prior_logits is missing"},
      {"one tensor missing", [](vae::WeightsFile& wf) { drop(wf, "prior_logvar"); },
       Status::missing_tensor, "prior_logvar is missing"},
      {"tensors without the flag",
       [](vae::WeightsFile& wf) { wf.flags &= ~static_cast<std::uint32_t>(fmt::flag_mixture_prior); },
       Status::bad_header, "flag bit 2"},
      {"int8 means",
       [](vae::WeightsFile& wf) {
         vae::WeightTensor& t = tensor(wf, "prior_mu");
         t.dtype = fmt::Dtype::int8;
         t.data.resize(t.count());
       },
       Status::bad_dtype, "prior_mu is int8"},
      {"logits of rank 2",
       [](vae::WeightsFile& wf) { vae::WeightTensor& t = tensor(wf, "prior_logits"); t.rank = 2; t.dim0 = 1; t.dim1 = 2; },
       Status::bad_shape, "prior_logits has rank 2"},
      {"means of the wrong latent",
       [](vae::WeightsFile& wf) { vae::WeightTensor& t = tensor(wf, "prior_mu"); t.dim0 = 3; t.dim1 = 2; },
       Status::bad_shape, "prior_mu has shape (3, 2)"},
      {"log variances for another K",
       [](vae::WeightsFile& wf) {
         vae::WeightTensor& t = tensor(wf, "prior_logvar");
         t.dim0 = 1;
         t.data.resize(12);
       },
       Status::bad_shape, "prior_logvar has shape (1, 3)"},
      {"a NaN logit",
       [](vae::WeightsFile& wf) { set_float(wf, "prior_logits", 1, std::numeric_limits<float>::quiet_NaN()); },
       Status::bad_value, "prior_logits value 1"},
      {"an infinite mean",
       [](vae::WeightsFile& wf) { set_float(wf, "prior_mu", 4, std::numeric_limits<float>::infinity()); },
       Status::bad_value, "prior_mu value 4"},
      {"a huge log variance", [](vae::WeightsFile& wf) { set_float(wf, "prior_logvar", 5, 81.0f); },
       Status::bad_value, "prior_logvar value 5"},
      {"a NaN log variance",
       [](vae::WeightsFile& wf) { set_float(wf, "prior_logvar", 0, std::numeric_limits<float>::quiet_NaN()); },
       Status::bad_value, "prior_logvar value 0"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(bind_small(c.edit, &msg), c.want) << c.what << ": " << msg;
    EXPECT_NE(msg.find(c.text), std::string::npos) << c.what << ": " << msg;
  }
  // The limit itself is allowed.
  EXPECT_EQ(bind_small([](vae::WeightsFile& wf) { set_float(wf, "prior_logvar", 5, -80.0f); }, &msg), Status::ok) << msg;
}

}  // namespace

}  // namespace test_prior
