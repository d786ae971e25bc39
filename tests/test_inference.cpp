// test_inference.cpp - the xtensor inference API (include/vae/inference.hpp) against the model's
// own arena passes on the same chunks (bit for bit), against references that share no code with
// it (a double-precision forward pass written here from the weight file's tensors, and the
// freestanding runtime decoder on the serialized weights), against the documented z stream of
// sample(), and for its allocations (the returned containers only) and shape errors.
// Models are freshly initialized from a seed: the checks hold for any weights.
#include "vae/inference.hpp"

#include <gtest/gtest.h>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xstrided_view.hpp>

#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "alloc_counter.hpp"
#include "vae/blas.hpp"
#include "vae/vae.hpp"
#include "vae/weights.hpp"
#include "vae_rt/decoder.h"

namespace test_inference {

namespace {

using Model = vae::Vae784_400_20;
constexpr std::size_t D = 784, H = 400, Z = 20;
using Mat = xt::xtensor<float, 2>;

template <class M>
std::unique_ptr<M> fresh_model(std::size_t max_batch, std::uint64_t seed) {
  auto m = std::make_unique<M>(max_batch);
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, seed, 0);
  m->init_params(rng);
  return m;
}

// n images (n, 28, 28) of pseudo-random bytes.
vae::ImageSet random_images(std::size_t n, std::uint64_t seed) {
  vae::ImageSet s = vae::ImageSet::from_shape({n, 28, 28});
  vae_rt::Rng r;
  vae_rt::rng_seed(&r, seed, 5);
  for (auto& p : s) p = static_cast<std::uint8_t>(vae_rt::rng_below(&r, 256));
  return s;
}

// (n, cols) draws of N(0, I) * scale from stream (seed, 0).
Mat normal_rows(std::size_t n, std::size_t cols, std::uint64_t seed, float scale = 1.0f) {
  Mat z = Mat::from_shape({n, cols});
  vae_rt::Rng r;
  vae_rt::rng_seed(&r, seed, 0);
  vae_rt::rng_fill_normal(&r, z.data(), z.size());
  return z * scale;
}

// --- the model's own passes, chunk by chunk (what the API must equal bit for bit) ---------------

TEST(Inference, EncodeEqualsTheArenaPassesOnTheSameChunks) {
  auto m = fresh_model<Model>(128, 1);
  const vae::ImageSet images = random_images(300, 2);   // 2 full chunks of 128 and one of 44
  const vae::Encoding e = vae::encode(*m, images);
  ASSERT_EQ(e.mu.shape(0), 300u);
  ASSERT_EQ(e.mu.shape(1), Z);
  ASSERT_EQ(e.logvar.shape(1), Z);
  std::vector<std::uint32_t> idx(128);
  for (std::size_t first = 0; first < 300; first += 128) {
    const std::size_t B = std::min<std::size_t>(128, 300 - first);
    for (std::size_t i = 0; i < B; ++i) idx[i] = static_cast<std::uint32_t>(first + i);
    vae::stage_batch(m->x.data(), images, idx.data(), B);
    m->encode(B);
    EXPECT_EQ(std::memcmp(e.mu.data() + first * Z, m->enc.mu.data(), B * Z * sizeof(float)), 0) << first;
    EXPECT_EQ(std::memcmp(e.logvar.data() + first * Z, m->enc.logvar.data(), B * Z * sizeof(float)), 0) << first;
  }
  // The float rows of the same images give the same encoding, and so does an unevaluated
  // expression of them.
  const Mat x = xt::cast<float>(xt::reshape_view(images, {std::size_t{300}, D})) / 255.0f;
  const vae::Encoding ex = vae::encode(*m, x);
  EXPECT_EQ(ex.mu, e.mu);
  EXPECT_EQ(ex.logvar, e.logvar);
  EXPECT_EQ(vae::encode(*m, xt::cast<float>(xt::reshape_view(images, {std::size_t{300}, D})) / 255.0f).mu, e.mu);
}

TEST(Inference, ReconstructEqualsEvalStepWithZEqualMu) {
  auto m = fresh_model<Model>(64, 3);
  const vae::ImageSet images = random_images(100, 4);
  const Mat r = vae::reconstruct(*m, images);
  ASSERT_EQ(r.shape(0), 100u);
  ASSERT_EQ(r.shape(1), D);
  std::vector<std::uint32_t> idx(64);
  for (std::size_t first = 0; first < 100; first += 64) {
    const std::size_t B = std::min<std::size_t>(64, 100 - first);
    for (std::size_t i = 0; i < B; ++i) idx[i] = static_cast<std::uint32_t>(first + i);
    vae::stage_batch(m->x.data(), images, idx.data(), B);
    m->eval_step(B, vae::LossSpec{}, nullptr);
    EXPECT_EQ(std::memcmp(r.data() + first * D, m->dec.xhat.data(), B * D * sizeof(float)), 0) << first;
  }
  // ... and decode(encode(x).mu) of the same rows.
  EXPECT_EQ(vae::decode(*m, vae::encode(*m, images).mu), r);
}

TEST(Inference, DecodeEqualsTheArenaPassOnTheSameChunks) {
  auto m = fresh_model<Model>(128, 5);
  const Mat z = normal_rows(200, Z, 6, 1.5f);
  const Mat p = vae::decode(*m, z);
  ASSERT_EQ(p.shape(0), 200u);
  ASSERT_EQ(p.shape(1), D);
  for (std::size_t first = 0; first < 200; first += 128) {
    const std::size_t B = std::min<std::size_t>(128, 200 - first);
    std::memcpy(m->z.data(), z.data() + first * Z, B * Z * sizeof(float));
    m->decode(B);
    EXPECT_EQ(std::memcmp(p.data() + first * D, m->dec.xhat.data(), B * D * sizeof(float)), 0) << first;
  }
}

// --- independent references ----------------------------------------------------------------------

// y (out) = W (out, in) x (in) + b, in double.
std::vector<double> dense_ref(const std::vector<float>& w, const std::vector<float>& b, const std::vector<double>& x) {
  std::vector<double> y(b.size());
  for (std::size_t o = 0; o < y.size(); ++o) {
    double s = b[o];
    for (std::size_t i = 0; i < x.size(); ++i) s += double(w[o * x.size() + i]) * x[i];
    y[o] = s;
  }
  return y;
}

std::vector<double> relu(std::vector<double> v) {
  for (double& x : v) x = x > 0 ? x : 0;
  return v;
}

TEST(Inference, EncodeAndDecodeMatchADoublePrecisionForwardPassOfTheWeightFile) {
  auto m = fresh_model<Model>(32, 7);
  const vae::WeightsFile wf = vae::weights_from_model(*m);
  auto t = [&](const char* name) { return vae::tensor_floats(wf, name, "model"); };
  const std::vector<float> enc_fc_w = t("enc_fc_w"), enc_fc_b = t("enc_fc_b"), mu_w = t("enc_mu_w"),
                           mu_b = t("enc_mu_b"), lv_w = t("enc_logvar_w"), lv_b = t("enc_logvar_b"),
                           dec_fc_w = t("dec_fc_w"), dec_fc_b = t("dec_fc_b"), out_w = t("dec_out_w"),
                           out_b = t("dec_out_b");
  const vae::ImageSet images = random_images(40, 8);
  const vae::Encoding e = vae::encode(*m, images);
  const Mat p = vae::decode(*m, e.mu);
  double max_enc = 0, max_dec = 0;
  for (std::size_t n = 0; n < 40; ++n) {
    std::vector<double> x(D);
    for (std::size_t k = 0; k < D; ++k) x[k] = images.data()[n * D + k] / 255.0;
    const std::vector<double> h = relu(dense_ref(enc_fc_w, enc_fc_b, x));
    const std::vector<double> mu = dense_ref(mu_w, mu_b, h), lv = dense_ref(lv_w, lv_b, h);
    std::vector<double> z(Z);
    for (std::size_t j = 0; j < Z; ++j) {
      max_enc = std::max({max_enc, std::fabs(mu[j] - e.mu(n, j)), std::fabs(lv[j] - e.logvar(n, j))});
      z[j] = e.mu(n, j);   // decode the float mu the API returned
    }
    const std::vector<double> logits = dense_ref(out_w, out_b, relu(dense_ref(dec_fc_w, dec_fc_b, z)));
    for (std::size_t k = 0; k < D; ++k) {
      max_dec = std::max(max_dec, std::fabs(1.0 / (1.0 + std::exp(-logits[k])) - p(n, k)));
    }
  }
  std::printf("encode vs double reference: max |diff| %.3g; decode: %.3g\n", max_enc, max_dec);
  EXPECT_LE(max_enc, 1e-5);
  EXPECT_LE(max_dec, 1e-5);
}

TEST(Inference, DecodeMatchesTheFreestandingRuntimeDecoderOnTheSerializedWeights) {
  auto m = fresh_model<Model>(128, 9);
  const std::vector<std::uint8_t> bytes = vae::serialize_weights(vae::weights_from_model(*m));
  std::vector<float> words(bytes.size() / 4 + 1);   // 4-byte aligned copy of the file
  std::memcpy(words.data(), bytes.data(), bytes.size());
  alignas(16) static std::uint8_t arena[vae_rt::Decoder<Z, H, D>::arena_bytes];
  vae_rt::Decoder<Z, H, D> dec;
  ASSERT_EQ(dec.init(words.data(), bytes.size(), arena, sizeof arena), vae_rt::Status::ok);
  const Mat z = normal_rows(150, Z, 10);
  const Mat p = vae::decode(*m, z);
  std::vector<float> out(D);
  double max_diff = 0;
  for (std::size_t n = 0; n < 150; ++n) {
    dec.decode(z.data() + n * Z, out.data());
    for (std::size_t k = 0; k < D; ++k) max_diff = std::max(max_diff, std::fabs(double(out[k]) - p(n, k)));
  }
  // The runtime sums in its own documented order (vae_rt/kernels.h), sgemm in OpenBLAS's: equal
  // to float rounding, not bit for bit (the same bound as tests/test_decoder.cpp).
  std::printf("decode vs vae_rt::Decoder: max |diff| %.3g\n", max_diff);
  EXPECT_LE(max_diff, 1e-5);
}

// --- sample ----------------------------------------------------------------------------------------

// The documented stream: one rng_fill_normal of n * Z values on PCG32 (seed, stream 2).
Mat documented_z(std::size_t n, std::size_t z_dim, std::uint64_t seed) {
  Mat z = Mat::from_shape({n, z_dim});
  vae_rt::Rng r;
  vae_rt::rng_seed(&r, seed, 2);
  vae_rt::rng_fill_normal(&r, z.data(), z.size());
  return z;
}

TEST(Inference, SampleIsTheDecodeOfTheDocumentedZStream) {
  auto m = fresh_model<Model>(128, 11);
  const Mat s = vae::sample(*m, 300, 42);
  ASSERT_EQ(s.shape(0), 300u);
  ASSERT_EQ(s.shape(1), D);
  EXPECT_EQ(s, vae::decode(*m, documented_z(300, Z, 42)));
  EXPECT_NE(s, vae::sample(*m, 300, 43));
  // An odd latent size and an odd max batch: chunks end inside a Box-Muller pair, and the stream
  // still equals one fill.
  using Odd = vae::Vae<16, 8, 3>;
  for (std::size_t max_batch : {1u, 5u, 7u, 23u, 64u}) {
    auto odd = fresh_model<Odd>(max_batch, 12);
    EXPECT_EQ(vae::sample(*odd, 23, 9), vae::decode(*odd, documented_z(23, 3, 9))) << max_batch;
  }
}

// --- allocations and errors -------------------------------------------------------------------------

TEST(Inference, TheReturnedContainersAreTheOnlyAllocations) {
  vae::set_blas_threads(1);
  auto m = fresh_model<Model>(64, 13);
  const vae::ImageSet images = random_images(200, 14);   // 4 chunks, the last one partial
  const Mat z = normal_rows(200, Z, 15);
  const Mat x = xt::cast<float>(xt::reshape_view(images, {std::size_t{200}, D})) / 255.0f;
  (void)vae::encode(*m, images);   // warm up OpenBLAS's buffers
  std::size_t before = vae_test::allocation_count();
  vae::Encoding e = vae::encode(*m, images);
  EXPECT_EQ(vae_test::allocation_count() - before, 2u) << "encode: mu and logvar only";
  before = vae_test::allocation_count();
  e = vae::encode(*m, x);
  EXPECT_EQ(vae_test::allocation_count() - before, 2u) << "encode of floats: mu and logvar only";
  before = vae_test::allocation_count();
  Mat p = vae::decode(*m, z);
  EXPECT_EQ(vae_test::allocation_count() - before, 1u) << "decode";
  before = vae_test::allocation_count();
  p = vae::reconstruct(*m, images);
  EXPECT_EQ(vae_test::allocation_count() - before, 1u) << "reconstruct";
  before = vae_test::allocation_count();
  p = vae::sample(*m, 200, 1);
  EXPECT_EQ(vae_test::allocation_count() - before, 1u) << "sample";
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const vae::Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(Inference, WrongShapesAreOneLineErrors) {
  auto m = fresh_model<vae::Vae<16, 8, 3>>(4, 1);
  const Mat wide = xt::zeros<float>({5, 17});
  EXPECT_EQ(error_of([&] { vae::encode(*m, wide); }), "vae::encode: x has shape (5, 17), expected (N, 16)");
  EXPECT_EQ(error_of([&] { vae::reconstruct(*m, wide); }),
            "vae::reconstruct: x has shape (5, 17), expected (N, 16)");
  EXPECT_EQ(error_of([&] { vae::decode(*m, wide); }), "vae::decode: z has shape (5, 17), expected (N, 3)");
  const xt::xtensor<float, 1> flat = xt::zeros<float>({16});
  EXPECT_EQ(error_of([&] { vae::encode(*m, flat); }), "vae::encode: x has shape (16), expected (N, 16)");
  const vae::ImageSet images = xt::zeros<std::uint8_t>({2, 5, 5});
  EXPECT_EQ(error_of([&] { vae::encode(*m, images); }),
            "vae::encode: images of 5x5 = 25 pixels, the model takes 16");
  // Zero rows: empty results, no pass run.
  EXPECT_EQ(vae::decode(*m, xt::xtensor<float, 2>::from_shape({0, 3})).shape(0), 0u);
  EXPECT_EQ(vae::sample(*m, 0, 1).size(), 0u);
}

}  // namespace

}  // namespace test_inference
