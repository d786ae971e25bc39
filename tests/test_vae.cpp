// test_vae.cpp - the whole model: arena layout, finite-difference gradients of the full loss
// with respect to every parameter tensor, the encoder and decoder on their own, and parity with
// golden values made by PyTorch (tests/data/make_golden.py, float64).
#include "vae/vae.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gradcheck.hpp"

namespace {

using Small = vae::Vae<16, 8, 3>;

// The arena size is a compile-time constant of the sizes and the max batch.
static_assert(Small::arena_bytes(5) > 0);
static_assert(vae::Vae784_400_20::num_params == 784 * 400 + 400 + 2 * (400 * 20 + 20) + 20 * 400 + 400 + 400 * 784 + 784);
constexpr std::size_t kDefaultArena = vae::Vae784_400_20::arena_bytes(128);
static_assert(kDefaultArena > 4 * 652824 * sizeof(float));

TEST(Vae, ArenaIsCarvedExactlyAsComputed) {
  vae::Vae784_400_20 model(128);
  EXPECT_EQ(model.arena_used(), kDefaultArena);
  EXPECT_EQ(model.arena_capacity(), kDefaultArena);
  // The layers are slices of the one parameter block, in the documented order.
  EXPECT_EQ(model.enc.fc.w.data(), model.params.data());
  EXPECT_EQ(model.dec.out.b.data() + 784, model.params.data() + vae::Vae784_400_20::num_params);
  EXPECT_EQ(model.dec.out.db.data() + 784, model.grads.data() + vae::Vae784_400_20::num_params);
  std::printf("arena for 784-400-20 at batch 128: %zu bytes (%.2f MiB)\n", kDefaultArena,
              static_cast<double>(kDefaultArena) / (1 << 20));
}

TEST(Vae, CallerBufferTooSmallNamesTheShortfall) {
  std::vector<std::uint8_t> storage(Small::arena_bytes(4) + 64);
  void* aligned = reinterpret_cast<void*>((reinterpret_cast<std::uintptr_t>(storage.data()) + 63) / 64 * 64);
  EXPECT_NO_THROW(Small(4, aligned, Small::arena_bytes(4)));
  try {
    Small m(4, aligned, Small::arena_bytes(4) - 64);
    FAIL() << "no error";
  } catch (const vae::Error& e) {
    EXPECT_NE(std::string(e.what()).find("short by 64 bytes"), std::string::npos) << e.what();
  }
}

TEST(Vae, RejectsBatchLargerThanBuiltFor) {
  Small m(4);
  EXPECT_THROW(m.eval_step(5, vae::LossSpec{}, nullptr), vae::Error);
  EXPECT_THROW(m.eval_step(0, vae::LossSpec{}, nullptr), vae::Error);
}

// --- finite differences of the full loss -------------------------------------------------------

struct GradFixture : ::testing::TestWithParam<vae::LossSpec> {
  static constexpr std::size_t B = 5;
  Small model{B};
  void SetUp() override {
    vae_rt::Rng rng;
    vae_rt::rng_seed(&rng, 12345, 0);
    model.init_params(rng);
    for (std::size_t i = 0; i < B * 16; ++i) model.x[i] = vae_rt::rng_uniform(&rng);
    vae_rt::rng_fill_normal(&rng, model.eps.data(), B * 3);   // fixed eps for every evaluation
  }
  double loss_at_current_params() {
    model.encode(B);
    model.reparameterize(B);
    model.decode(B);
    return model.loss(GetParam(), B, false).total;
  }
};

TEST_P(GradFixture, FullLossGradientMatchesFiniteDifferencesForEveryTensor) {
  model.encode(B);
  model.reparameterize(B);
  model.decode(B);
  model.loss(GetParam(), B, true);
  model.backward(GetParam(), B);
  const std::vector<float> analytic(model.grads.data(), model.grads.data() + Small::num_params);
  std::size_t tensors = 0;
  model.for_each_layer([&](auto& layer) {
    using L = std::decay_t<decltype(layer)>;
    const std::size_t off_w = static_cast<std::size_t>(layer.w.data() - model.params.data());
    const std::size_t off_b = static_cast<std::size_t>(layer.b.data() - model.params.data());
    auto f = [&] { return loss_at_current_params(); };
    // h = 5e-3: rounding noise of the float loss (~1e-6 relative of O(10..60)) over 2h stays
    // below 1e-3, and no ReLU pre-activation of this seed is within 5e-3 of its kink.
    EXPECT_EQ(vae_test::check_gradient(std::string(layer.name) + "_w", layer.w.data(), analytic.data() + off_w,
                                       L::num_weights, f, 5e-3f, 3e-3, 1e-2).failed, 0u);
    EXPECT_EQ(vae_test::check_gradient(std::string(layer.name) + "_b", layer.b.data(), analytic.data() + off_b,
                                       L::out, f, 5e-3f, 3e-3, 1e-2).failed, 0u);
    tensors += 2;
  });
  EXPECT_EQ(tensors, 10u);
}

INSTANTIATE_TEST_SUITE_P(Losses, GradFixture,
                         ::testing::Values(vae::LossSpec{vae::Recon::mse, 1.0f},
                                           vae::LossSpec{vae::Recon::bce, 1.0f},
                                           vae::LossSpec{vae::Recon::mse, 0.0f},
                                           vae::LossSpec{vae::Recon::bce, 0.5f}),
                         [](const ::testing::TestParamInfo<vae::LossSpec>& p) {
                           const char* recon = p.param.recon == vae::Recon::mse ? "mse" : "bce";
                           return std::string(recon) + "_beta" + std::to_string(static_cast<int>(p.param.beta * 10)) + "tenths";
                         });

// --- the encoder and decoder used alone ----------------------------------------------------------

TEST(Vae, DecoderDecodesAGivenZAndEncoderGivesMuLogvar) {
  vae::Vae<16, 8, 3> model(4);
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 9, 0);
  model.init_params(rng);
  std::vector<float> x(4 * 16), z(4 * 3);
  for (float& v : x) v = vae_rt::rng_uniform(&rng);
  vae_rt::rng_fill_normal(&rng, z.data(), z.size());
  // Decoder on caller memory, checked against a naive loop.
  model.dec.forward(vae::Rows<3>(z.data(), 4), 4);
  for (std::size_t i = 0; i < 4; ++i) {
    float h[8];
    for (std::size_t j = 0; j < 8; ++j) {
      double a = model.dec.fc.b[j];
      for (std::size_t k = 0; k < 3; ++k) a += static_cast<double>(z[i * 3 + k]) * model.dec.fc.w[j * 3 + k];
      h[j] = a > 0 ? static_cast<float>(a) : 0.0f;
    }
    for (std::size_t d = 0; d < 16; ++d) {
      double a = model.dec.out.b[d];
      for (std::size_t j = 0; j < 8; ++j) a += static_cast<double>(h[j]) * model.dec.out.w[d * 8 + j];
      EXPECT_NEAR(model.dec.xhat[i * 16 + d], 1.0 / (1.0 + std::exp(-a)), 1e-6);
    }
  }
  // Encoder on caller memory gives the same mu as the model's own pass over the same x.
  model.enc.forward(vae::Rows<16>(x.data(), 4), 4);
  const std::vector<float> mu(model.enc.mu.data(), model.enc.mu.data() + 12), lv(model.enc.logvar.data(), model.enc.logvar.data() + 12);
  std::copy(x.begin(), x.end(), model.x.data());
  model.eval_step(4, vae::LossSpec{}, nullptr);   // z = mu
  EXPECT_EQ(mu, std::vector<float>(model.enc.mu.data(), model.enc.mu.data() + 12));
  EXPECT_EQ(lv, std::vector<float>(model.enc.logvar.data(), model.enc.logvar.data() + 12));
  EXPECT_EQ(mu, std::vector<float>(model.z.data(), model.z.data() + 12));
}

TEST(Vae, InitMatchesPyTorchLinearBounds) {
  vae::Vae784_400_20 model(1);
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 1, 0);
  model.init_params(rng);
  model.for_each_layer([](auto& layer) {
    using L = std::decay_t<decltype(layer)>;
    const float bound = 1.0f / std::sqrt(static_cast<float>(L::in));
    float lo = 1, hi = -1;
    for (std::size_t i = 0; i < L::num_params; ++i) {
      lo = std::min(lo, layer.w[i]);
      hi = std::max(hi, layer.w[i]);
    }
    EXPECT_GE(lo, -bound) << layer.name;
    EXPECT_LT(hi, bound) << layer.name;
    EXPECT_GT(hi - lo, 1.9f * bound) << layer.name;   // the whole range is used
  });
}

// --- parity with PyTorch -------------------------------------------------------------------------

nlohmann::json load_golden() {
  const std::string path = std::string(VAE_TEST_SOURCE_DIR) + "/tests/data/golden_vae_small.json";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  return nlohmann::json::parse(in);
}

// Largest |a - b| / (atol + rtol |b|); <= 1 passes. Prints the largest absolute difference.
double compare(const std::string& what, const float* got, const nlohmann::json& want, double atol, double rtol) {
  double worst = 0.0, max_abs = 0.0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    const double w = want[i].get<double>();
    const double d = std::fabs(static_cast<double>(got[i]) - w);
    max_abs = std::max(max_abs, d);
    worst = std::max(worst, d / (atol + rtol * std::fabs(w)));
  }
  std::printf("  %-22s n=%-4zu max |diff| %.3g\n", what.c_str(), want.size(), max_abs);
  return worst;
}

TEST(Vae, MatchesPyTorchGoldenForwardLossGradientsAndAdam) {
  const nlohmann::json g = load_golden();
  ASSERT_EQ(g["config"]["D"], 16);
  ASSERT_EQ(g["config"]["H"], 8);
  ASSERT_EQ(g["config"]["Z"], 3);
  const std::size_t B = g["config"]["B"].get<std::size_t>();
  for (const auto& c : g["cases"]) {
    Small model(B);
    const vae::LossSpec spec{c["recon_type"] == "mse" ? vae::Recon::mse : vae::Recon::bce, c["beta"].get<float>()};
    std::printf("case %s beta %.1f\n", c["recon_type"].get<std::string>().c_str(), spec.beta);
    auto load = [&](float* dst, const nlohmann::json& src) {
      for (std::size_t i = 0; i < src.size(); ++i) dst[i] = src[i].get<float>();
    };
    // Parameters in golden param_order are the model's block order.
    std::size_t off = 0;
    for (const auto& name : g["param_order"]) {
      load(model.params.data() + off, g["params"][name.get<std::string>()]);
      off += g["params"][name.get<std::string>()].size();
    }
    ASSERT_EQ(off, Small::num_params);
    load(model.x.data(), g["x"]);
    load(model.eps.data(), g["eps"]);

    model.encode(B);
    model.reparameterize(B);
    model.decode(B);
    const auto& a = g["activations"];
    EXPECT_LE(compare("h1", model.enc.h.data(), a["h1"], 1e-6, 1e-5), 1.0);
    EXPECT_LE(compare("mu", model.enc.mu.data(), a["mu"], 1e-6, 1e-5), 1.0);
    EXPECT_LE(compare("logvar", model.enc.logvar.data(), a["logvar"], 1e-6, 1e-5), 1.0);
    EXPECT_LE(compare("z", model.z.data(), a["z"], 1e-6, 1e-5), 1.0);
    EXPECT_LE(compare("h2", model.dec.h.data(), a["h2"], 1e-6, 1e-5), 1.0);
    EXPECT_LE(compare("logits", model.dec.logits.data(), a["logits"], 1e-6, 1e-5), 1.0);
    EXPECT_LE(compare("xhat", model.dec.xhat.data(), a["xhat"], 1e-6, 1e-5), 1.0);
    const vae::LossSums s = model.loss(spec, B, true);
    EXPECT_NEAR(s.recon, c["recon"].get<double>(), 1e-5 * c["recon"].get<double>());
    EXPECT_NEAR(s.kl, c["kl"].get<double>(), 1e-5 * c["kl"].get<double>());
    EXPECT_NEAR(s.total, c["total"].get<double>(), 1e-5 * c["total"].get<double>());
    model.backward(spec, B);
    off = 0;
    for (const auto& name : g["param_order"]) {
      const auto& want = c["grads"][name.get<std::string>()];
      EXPECT_LE(compare("grad " + name.get<std::string>(), model.grads.data() + off, want, 1e-5, 1e-4), 1.0);
      off += want.size();
    }

    // Three Adam steps on the same batch and eps.
    const vae::AdamConfig adam{g["config"]["lr"].get<float>(), g["config"]["beta1"].get<float>(),
                               g["config"]["beta2"].get<float>(), g["config"]["adam_eps"].get<float>()};
    for (std::size_t t = 0; t < 3; ++t) {
      const vae::LossSums st = model.train_step_given_eps(B, spec, adam);
      const double want = c["step_losses"][t].get<double>();
      EXPECT_NEAR(st.total, want, 1e-5 * want) << "step " << t;
    }
    off = 0;
    for (const auto& name : g["param_order"]) {
      const auto& want = c["params_after"][name.get<std::string>()];
      EXPECT_LE(compare("after 3 steps " + name.get<std::string>(), model.params.data() + off, want, 1e-6, 1e-5), 1.0);
      off += want.size();
    }
  }
}

}  // namespace
