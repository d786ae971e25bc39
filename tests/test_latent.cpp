// test_latent.cpp - the fused latent block (lib/train/latent.cpp, vae/latent.hpp), with each set
// of its kernels the CPU has (AVX-512, AVX2 + FMA): one training step with it against the same
// step through the layers' own calls (OpenBLAS), which is the reference, on a real MNIST batch
// and on small models whose sizes leave partial vectors and row groups; and the same bits at any
// thread count. Finite differences of the fused backward
// are test_vae.cpp's gradient checks, which run whatever path the model takes by default.
#include "vae/latent.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "mnist_fixture.hpp"
#include "vae/blas.hpp"
#include "vae/trainer.hpp"
#include "vae/vae.hpp"
#include "vae_rt/rng.h"

namespace test_latent {

namespace {

using vae::FirstLayerPath;

// max |a - ref| / max |ref| (the error relative to the tensor's scale).
double rel_error(const float* a, const float* ref, std::size_t n) {
  double diff = 0.0, scale = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    diff = std::max(diff, std::fabs(static_cast<double>(a[i]) - static_cast<double>(ref[i])));
    scale = std::max(scale, std::fabs(static_cast<double>(ref[i])));
  }
  return scale > 0.0 ? diff / scale : diff;
}

// What one step leaves: every gradient, the activations the block writes, the loss sums.
struct StepResult {
  std::vector<float> grads, mu, logvar, z, h_dec, d_h_enc;
  vae::LossSums loss;
};

// One step of a fresh model (seed 3) on x (B rows), eps from seed 5; fused or not.
template <class Model>
StepResult step(const std::vector<float>& x, std::size_t B, bool fused, FirstLayerPath first,
                const vae::LossSpec& spec) {
  constexpr std::size_t Z = Model::dim_z, H = Model::dim_h;
  auto m = std::make_unique<Model>(B + 5);   // max_batch above B: the views are sized by B
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 3, 0);
  m->init_params(rng);
  m->fuse_latent = fused;
  m->enc.first_layer = first;
  std::copy(x.begin(), x.end(), m->x.data());
  vae_rt::rng_seed(&rng, 5, 0);
  vae_rt::rng_fill_normal(&rng, m->eps.data(), B * Z);
  StepResult r;
  r.loss = m->train_step_given_eps(B, spec, vae::AdamConfig{});
  r.grads.assign(m->grads.data(), m->grads.data() + Model::num_params);
  r.mu.assign(m->enc.mu.data(), m->enc.mu.data() + B * Z);
  r.logvar.assign(m->enc.logvar.data(), m->enc.logvar.data() + B * Z);
  r.z.assign(m->z.data(), m->z.data() + B * Z);
  r.h_dec.assign(m->dec.h.data(), m->dec.h.data() + B * H);
  r.d_h_enc.assign(m->enc.d_h.data(), m->enc.d_h.data() + B * H);
  return r;
}

// Every layer's dW and db (each at 1e-5 of its largest value), the block's activations and the
// loss sums of the fused step against the layers' step.
template <class Model>
void expect_same_step(const StepResult& fused, const StepResult& ref) {
  Model shapes(1);
  std::size_t at = 0;
  shapes.for_each_layer([&](auto& layer) {
    const std::size_t sizes[2] = {layer.w.size, layer.b.size};
    for (int t = 0; t < 2; ++t) {
      const double e = rel_error(fused.grads.data() + at, ref.grads.data() + at, sizes[t]);
      EXPECT_LE(e, 1e-5) << layer.name << (t == 1 ? " db" : " dW");
      at += sizes[t];
    }
  });
  EXPECT_EQ(at, Model::num_params);
  EXPECT_LE(rel_error(fused.mu.data(), ref.mu.data(), ref.mu.size()), 1e-6);
  EXPECT_LE(rel_error(fused.logvar.data(), ref.logvar.data(), ref.logvar.size()), 1e-6);
  EXPECT_LE(rel_error(fused.z.data(), ref.z.data(), ref.z.size()), 1e-6);
  EXPECT_LE(rel_error(fused.h_dec.data(), ref.h_dec.data(), ref.h_dec.size()), 1e-6);
  EXPECT_LE(rel_error(fused.d_h_enc.data(), ref.d_h_enc.data(), ref.d_h_enc.size()), 1e-5);
  EXPECT_NEAR(fused.loss.recon, ref.loss.recon, 1e-6 * std::fabs(ref.loss.recon));
  EXPECT_NEAR(fused.loss.kl, ref.loss.kl, 1e-5 * std::fabs(ref.loss.kl) + 1e-6);
  // ReLU' keeps exact zeros where h = 0: the same units and rows are zero in both.
  for (std::size_t i = 0; i < ref.d_h_enc.size(); ++i) {
    ASSERT_EQ(fused.d_h_enc[i] == 0.0f, ref.d_h_enc[i] == 0.0f) << "d_h_enc[" << i << "]";
  }
}

std::vector<float> random_images(std::size_t B, std::size_t D, std::uint64_t seed) {
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, seed, 0);
  std::vector<float> x(B * D);
  for (float& v : x) v = vae_rt::rng_uniform(&rng, 0.0f, 1.0f) < 0.3f ? vae_rt::rng_uniform(&rng, 0.0f, 1.0f) : 0.0f;
  return x;
}

template <class Model>
void small_model_case(std::size_t B) {
  SCOPED_TRACE("Vae<" + std::to_string(Model::dim_x) + ", " + std::to_string(Model::dim_h) + ", " +
               std::to_string(Model::dim_z) + ">, B = " + std::to_string(B));
  const std::vector<float> x = random_images(B, Model::dim_x, 11 + B);
  for (const vae::LossSpec& spec : {vae::LossSpec{vae::Recon::mse, 1.0f}, vae::LossSpec{vae::Recon::bce, 0.5f}}) {
    const StepResult ref = step<Model>(x, B, false, FirstLayerPath::dense, spec);
    for_each_latent_isa([&] { expect_same_step<Model>(step<Model>(x, B, true, FirstLayerPath::dense, spec), ref); });
  }
}

// Runs f once with each set of the block's kernels this CPU has (AVX-512, AVX2 + FMA), the model
// built inside f; then back to the best.
template <class F>
void for_each_latent_isa(F&& f) {
  for (vae::SparseIsa isa : {vae::SparseIsa::avx512, vae::SparseIsa::avx2}) {
    vae::set_latent_isa(isa);
    if (vae::latent_isa() != isa) continue;   // the CPU has not got it
    SCOPED_TRACE(std::string("latent kernels ") + vae::sparse_isa_name(isa));
    f();
  }
  vae::set_latent_isa(vae::SparseIsa::avx512);
}

}  // namespace

// One step on a real MNIST batch, 784-400-20: the fused block against the layers' calls, with the
// dense first layer and with the sparse one (whose dW then runs in backward_enc's parts), for a
// whole batch and for a partial one.
TEST(Latent, OneMnistStepMatchesTheLayersPath) {
  if (!vae::latent_fused_available(20)) GTEST_SKIP() << "no AVX-512 or AVX2 here: the model runs the layers' path only";
  vae::set_blas_threads(2);
  using Model = vae::Vae784_400_20;
  const vae::ImageSet& images = vae_test::mnist(vae::Split::train).images;
  for (std::size_t B : {std::size_t{128}, std::size_t{37}}) {
    std::vector<std::uint32_t> idx(B);
    for (std::size_t i = 0; i < B; ++i) idx[i] = static_cast<std::uint32_t>(i * 41 + 7);
    std::vector<float> x(B * 784);
    vae::stage_batch(x.data(), images, idx.data(), B);
    const vae::LossSpec spec{vae::Recon::mse, 1.0f};
    const StepResult ref = step<Model>(x, B, false, FirstLayerPath::dense, spec);
    for_each_latent_isa([&] {
      for (FirstLayerPath first : {FirstLayerPath::dense, FirstLayerPath::sparse}) {
        SCOPED_TRACE(std::string("B = ") + std::to_string(B) + ", first layer " + vae::first_layer_name(first));
        expect_same_step<Model>(step<Model>(x, B, true, first, spec), ref);
      }
    });
  }
}

// Sizes that are not multiples of 16 or 32 (H), 8 (rows) or 4 (outputs), and Z from 2 to 64 (one
// to four vectors of W's rows in d_z).
TEST(Latent, SmallModelsMatchTheLayersPath) {
  if (!vae::latent_fused_available(2)) GTEST_SKIP() << "no AVX-512 or AVX2 here: the model runs the layers' path only";
  for (int threads : {1, 3}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    vae::set_blas_threads(threads);
    for (std::size_t B : {std::size_t{1}, std::size_t{7}, std::size_t{17}, std::size_t{40}}) {
      small_model_case<vae::Vae<16, 8, 3>>(B);
      small_model_case<vae::Vae<36, 12, 4>>(B);
      small_model_case<vae::Vae<25, 37, 2>>(B);
      small_model_case<vae::Vae<30, 50, 17>>(B);
      small_model_case<vae::Vae<30, 40, 40>>(B);
      small_model_case<vae::Vae<20, 24, 64>>(B);
    }
  }
  vae::set_blas_threads(2);
}

// The block's three dispatches give the same bits at any thread count: each value is computed by
// one thread in an order that does not depend on how many there are. Run on the model's views
// with fixed inputs (h with ReLU zeros, d_h2 with ReLU' zeros), outside a step, so that only the
// block's own arithmetic is compared.
TEST(Latent, KernelsRepeatBitForBitAtAnyThreadCount) {
  if (!vae::latent_fused_available(20)) GTEST_SKIP() << "no AVX-512 or AVX2 here: the model runs the layers' path only";
  for_each_latent_isa([] {
    using Model = vae::Vae<100, 72, 20>;
    constexpr std::size_t B = 100, H = 72, Z = 20;   // 4 parts of rows at 4 threads
    auto m = std::make_unique<Model>(B);
    vae_rt::Rng rng;
    vae_rt::rng_seed(&rng, 29, 0);
    m->init_params(rng);
    auto fill = [&](float* p, std::size_t n, float zero_share) {
      for (std::size_t i = 0; i < n; ++i) {
        p[i] = vae_rt::rng_uniform(&rng, 0.0f, 1.0f) < zero_share ? 0.0f : vae_rt::rng_uniform(&rng, -1.0f, 1.0f);
      }
    };
    std::vector<float> h(B * H), eps(B * Z), d_h2(B * H);
    fill(h.data(), h.size(), 0.5f);
    for (float& v : h) v = std::max(v, 0.0f);
    fill(eps.data(), eps.size(), 0.0f);
    fill(d_h2.data(), d_h2.size(), 0.4f);
    std::vector<float> first;
    double first_kl = 0.0;
    for (int threads : {1, 2, 3, 4}) {
      SCOPED_TRACE("threads " + std::to_string(threads));
      vae::set_blas_threads(threads);
      std::copy(h.begin(), h.end(), m->enc.h.data());
      std::copy(eps.begin(), eps.end(), m->eps.data());
      const double kl = vae::latent_forward(m->latent, B);
      std::copy(d_h2.begin(), d_h2.end(), m->dec.d_h.data());
      vae::latent_backward_dec(m->latent, B, 0.7f);
      vae::latent_backward_enc(m->latent, B, nullptr, nullptr);
      std::vector<float> out;
      for (const auto& [p, n] : {std::pair<const float*, std::size_t>{m->enc.mu.data(), B * Z},
                                 {m->enc.logvar.data(), B * Z}, {m->z.data(), B * Z}, {m->dec.h.data(), B * H},
                                 {m->d_z.data(), B * Z}, {m->d_mu.data(), B * Z}, {m->d_logvar.data(), B * Z},
                                 {m->enc.d_h.data(), B * H}, {m->grads.data(), Model::num_params}}) {
        out.insert(out.end(), p, p + n);
      }
      if (threads == 1) {
        first = out;
        first_kl = kl;
        continue;
      }
      ASSERT_EQ(out.size(), first.size());
      EXPECT_EQ(std::memcmp(out.data(), first.data(), out.size() * sizeof(float)), 0);
      EXPECT_EQ(kl, first_kl);
    }
  });
  vae::set_blas_threads(2);
}

// Without the model's own decoder (a deeper one, say) the block cannot be fused: the model keeps
// the layers' path, and a step still trains.
struct OtherDecoder : vae::Decoder<3, 8, 16> {};   // another type with the decoder concept
TEST(Latent, OnlyTheModelsOwnDecoderIsFused) {
  static_assert(vae::Vae784_400_20::latent_fusable);
  static_assert(!vae::Vae<16, 8, 3, OtherDecoder>::latent_fusable);
  vae::Vae<16, 8, 3> own(4);
  EXPECT_EQ(own.fuse_latent, vae::latent_fused_available(3));
  EXPECT_FALSE(vae::latent_fused_available(vae::kLatentMaxZ + 1));
  vae::Vae<16, 8, 3, OtherDecoder> other(4);
  EXPECT_FALSE(other.fuse_latent);
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 1, 0);
  other.init_params(rng);
  const std::vector<float> x = random_images(4, 16, 2);
  std::copy(x.begin(), x.end(), other.x.data());
  const vae::LossSums s = other.train_step(4, vae::LossSpec{}, vae::AdamConfig{}, rng);
  EXPECT_TRUE(std::isfinite(s.total));
  EXPECT_GT(s.total, 0.0);
}

}  // namespace test_latent
