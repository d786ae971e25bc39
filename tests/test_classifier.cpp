// test_classifier.cpp - the MLP classifier on the library's pieces: softmax cross-entropy (values,
// stability, finite differences), the whole model's gradient, zero heap allocations per step, a
// short training run on MNIST, and the weight file round trip.
#include "vae/classifier.hpp"
#include "vae/vae.hpp"   // a VAE file, refused as a classifier

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "alloc_counter.hpp"
#include "gradcheck.hpp"
#include "mnist_fixture.hpp"
#include "vae_rt/rng.h"

namespace test_classifier {

namespace {

std::vector<float> randn(std::size_t n, std::uint64_t seed, float scale = 1.0f) {
  vae_rt::Rng r;
  vae_rt::rng_seed(&r, seed, 5);
  std::vector<float> v(n);
  vae_rt::rng_fill_normal(&r, v.data(), n);
  for (float& x : v) x *= scale;
  return v;
}

using vae_test::mnist;

std::string temp_path(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / "vae_test_classifier";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

TEST(SoftmaxCrossEntropy, ClosedFormValues) {
  // Equal logits: -log(1/C) for any label.
  const std::vector<float> a = {0.5f, 0.5f, 0.5f, 0.5f};
  const std::uint8_t y[1] = {2};
  std::size_t correct = 0;
  EXPECT_NEAR(vae::softmax_cross_entropy(nullptr, nullptr, a.data(), y, 1, 4, &correct), std::log(4.0), 1e-7);
  // Two classes, logits (0, log 3): p = (1/4, 3/4).
  const std::vector<float> b = {0.0f, std::log(3.0f)};
  const std::uint8_t y0[1] = {0}, y1[1] = {1};
  std::vector<float> p(2), d(2);
  EXPECT_NEAR(vae::softmax_cross_entropy(p.data(), d.data(), b.data(), y0, 1, 2, &correct), std::log(4.0), 1e-6);
  EXPECT_EQ(correct, 0u);
  EXPECT_NEAR(p[0], 0.25f, 1e-6f);
  EXPECT_NEAR(d[0], 0.25f - 1.0f, 1e-6f);
  EXPECT_NEAR(d[1], 0.75f, 1e-6f);
  EXPECT_NEAR(vae::softmax_cross_entropy(nullptr, nullptr, b.data(), y1, 1, 2, &correct), -std::log(0.75), 1e-6);
  EXPECT_EQ(correct, 1u);
}

TEST(SoftmaxCrossEntropy, StableForHugeLogits) {
  // exp(1000) overflows float and double; the log-sum-exp never forms it.
  const std::vector<float> a = {1000.0f, 0.0f, -1000.0f};
  const std::uint8_t y0[1] = {0}, y1[1] = {1};
  std::vector<float> p(3), d(3), ls(3);
  EXPECT_NEAR(vae::softmax_cross_entropy(p.data(), d.data(), a.data(), y0, 1, 3, nullptr), 0.0, 1e-12);
  EXPECT_NEAR(vae::softmax_cross_entropy(nullptr, nullptr, a.data(), y1, 1, 3, nullptr), 1000.0, 1e-9);
  for (float v : d) EXPECT_TRUE(std::isfinite(v));
  EXPECT_EQ(p[0], 1.0f);
  vae::log_softmax(ls.data(), a.data(), 3);
  EXPECT_EQ(ls[0], 0.0f);
  EXPECT_EQ(ls[2], -2000.0f);
}

TEST(SoftmaxCrossEntropy, GradientMatchesFiniteDifferences) {
  constexpr std::size_t B = 6, C = 10;
  std::vector<float> logits = randn(B * C, 1, 3.0f);
  const std::uint8_t y[B] = {0, 3, 9, 9, 4, 7};
  std::vector<float> d(B * C);
  vae::softmax_cross_entropy(nullptr, d.data(), logits.data(), y, B, C, nullptr);
  auto loss = [&] { return vae::softmax_cross_entropy(nullptr, nullptr, logits.data(), y, B, C, nullptr); };
  EXPECT_EQ(vae_test::check_gradient("softmax_ce d_logits", logits.data(), d.data(), B * C, loss, 1e-2f, 5e-4, 1e-2).failed, 0u);
  // Each row of softmax - onehot sums to 0.
  for (std::size_t i = 0; i < B; ++i) {
    double s = 0.0;
    for (std::size_t c = 0; c < C; ++c) s += d[i * C + c];
    EXPECT_NEAR(s, 0.0, 1e-6);
  }
}

TEST(Classifier, WholeModelGradientMatchesFiniteDifferences) {
  using Small = vae::Classifier<16, 12, 5>;
  constexpr std::size_t B = 4;
  Small model(B);
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 7, 0);
  model.init_params(rng);
  for (std::size_t i = 0; i < B * 16; ++i) model.x[i] = vae_rt::rng_uniform(&rng);
  const std::uint8_t y[B] = {1, 4, 0, 2};
  for (std::size_t i = 0; i < B; ++i) model.labels[i] = y[i];
  model.forward(B);
  model.loss(B, true);
  model.backward(B);
  const std::vector<float> analytic(model.grads.data(), model.grads.data() + Small::num_params);
  // ReLU kinks: every hidden pre-activation is kept farther than the step's effect from 0.
  for (std::size_t i = 0; i < B * 12; ++i) ASSERT_TRUE(model.h[i] == 0.0f || model.h[i] > 1e-3f);
  auto loss = [&] {
    model.forward(B);
    return model.loss(B, false).loss;
  };
  const auto r = vae_test::check_gradient("classifier params", model.params.data(), analytic.data(),
                                          Small::num_params, loss, 1e-3f, 2e-3, 2e-2);
  EXPECT_EQ(r.failed, 0u) << "largest |fd - analytic| " << r.max_abs_err;
  EXPECT_EQ(r.checked, Small::num_params);
}

TEST(Classifier, ArenaSizeIsConstexprAndExact) {
  constexpr std::size_t bytes = vae::Classifier784_256_10::arena_bytes(128);
  static_assert(bytes > 4 * vae::Classifier784_256_10::num_params * sizeof(float), "params x4 at least");
  vae::Classifier784_256_10 model(128);
  EXPECT_EQ(model.arena_used(), bytes);
  EXPECT_EQ(vae::Classifier784_256_10::num_params, 784u * 256 + 256 + 256 * 10 + 10);
}

TEST(Classifier, ZeroHeapAllocationsAcrossTrainStepsAndEvaluation) {
  vae::set_blas_threads(2);
  const vae::Dataset train = vae::head(mnist(vae::Split::train), 128 * 20);
  const vae::Dataset test = vae::head(mnist(vae::Split::test), 1000);
  vae::Classifier784_256_10 model(128);
  vae::Trainer<vae::Classifier784_256_10> trainer(model, train, vae::TrainOptions{},
                                                    vae::ParamInit::from_seed);
  trainer.train_epoch();   // warm-up: OpenBLAS sets up its buffers and threads on first use
  trainer.evaluate(test);
  const std::size_t before = vae_test::allocation_count();
  const vae::ClassSums tr = trainer.train_epoch();
  const vae::ClassSums te = trainer.evaluate(test);
  const std::size_t after = vae_test::allocation_count();
  EXPECT_EQ(after - before, 0u) << "heap allocations during 20 train steps and a test evaluation";
  EXPECT_EQ(tr.images, 128u * 20);
  EXPECT_EQ(te.images, 1000u);
  const std::size_t c0 = vae_test::allocation_count();
  std::vector<int>* v = new std::vector<int>(100);
  const std::size_t c1 = vae_test::allocation_count();
  delete v;
  EXPECT_GE(c1 - c0, 2u) << "the counter counts";
}

TEST(Classifier, ThreeEpochsOnASubsetReachASaneAccuracy) {
  vae::set_blas_threads(2);
  const vae::Dataset train = vae::head(mnist(vae::Split::train), 10000);
  const vae::Dataset test = vae::head(mnist(vae::Split::test), 2000);
  vae::Classifier784_256_10 model(128);
  vae::Trainer<vae::Classifier784_256_10> trainer(model, train, vae::TrainOptions{},
                                                    vae::ParamInit::from_seed);
  const double chance_loss = std::log(10.0);
  vae::ClassSums first = trainer.train_epoch();
  vae::ClassSums second = trainer.train_epoch();
  trainer.train_epoch();
  EXPECT_LT(first.loss_per_image(), chance_loss);
  EXPECT_LT(second.loss_per_image(), first.loss_per_image());
  // 10,000 images x 3 epochs (235 steps) reach about 89% on these 2,000; chance is 10%.
  const vae::ClassSums te = trainer.evaluate(test);
  EXPECT_GT(te.accuracy(), 0.85) << "test loss " << te.loss_per_image();
}

TEST(Classifier, WeightFileRoundTripAndWrongFileErrors) {
  using Small = vae::Classifier<16, 12, 5>;
  Small a(2), b(2);
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 3, 0);
  a.init_params(rng);
  const std::string path = temp_path("cls.vaew");
  vae::save_classifier(a, path, "test");
  vae::load_classifier(b, path);
  for (std::size_t i = 0; i < Small::num_params; ++i) ASSERT_EQ(a.params[i], b.params[i]) << i;
  const vae::WeightsFile wf = vae::read_weights(path);
  EXPECT_EQ(wf.flags, 0u);
  EXPECT_EQ(wf.dim_z, 5u);
  EXPECT_EQ(wf.note, "classifier: test");
  ASSERT_NE(wf.find("cls_out_w"), nullptr);
  EXPECT_EQ(wf.find("cls_out_w")->dim0, 5u);
  // Another shape, and a VAE file: one-line errors naming the file.
  vae::Classifier<16, 8, 5> c(2);
  try {
    vae::load_classifier(c, path);
    ADD_FAILURE() << "hidden mismatch accepted";
  } catch (const vae::Error& e) {
    EXPECT_NE(std::string(e.what()).find("hidden 12"), std::string::npos) << e.what();
  }
  vae::Vae<16, 12, 5> v(2);
  vae::save_weights(v, path);
  try {
    vae::load_classifier(b, path);
    ADD_FAILURE() << "a VAE file accepted as a classifier";
  } catch (const vae::Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a classifier"), std::string::npos) << e.what();
  }
}

}  // namespace

}  // namespace test_classifier
