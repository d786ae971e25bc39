// test_trainer.cpp - the training loop on real MNIST: zero heap allocations per step and per
// evaluation (every first-layer path), bit-identical runs (1 thread; 2 threads on the sparse
// path), sparse and dense first layers agree on 2-epoch losses, steps that stage the next batch
// train as staging before each step, the latent-2 configuration trains.
#include "vae/trainer.hpp"

#include <gtest/gtest.h>
#include <xtensor/xbuilder.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "alloc_counter.hpp"
#include "mnist_fixture.hpp"
#include "vae/latent.hpp"
#include "vae/vae.hpp"

namespace test_trainer {

namespace {

using vae_test::mnist;

// Every path of the first layer (vae/sparse.hpp): automatic (sparse on MNIST where the sparse
// kernels have SIMD code, else dense), sparse, dense, packed; the sparse path with each set of the
// SIMD kernels (AVX-512, AVX2, portable: the first layer's and the latent block's, where the CPU
// runs them; portable leaves the latent block unfused), and the latent block unfused.
TEST(Trainer, ZeroHeapAllocationsAcrossTrainStepsAndEvaluation) {
  vae::set_blas_threads(2);
  const vae::ImageSet train = vae::head(mnist(vae::Split::train).images, 128 * 102);
  const vae::ImageSet& test = mnist(vae::Split::test).images;
  struct Case {
    vae::FirstLayerPath asked, expected;
    vae::SparseIsa isa;
    bool fuse_latent;
  };
  using P = vae::FirstLayerPath;
  using I = vae::SparseIsa;
  const vae::SparseIsa best = vae::sparse_isa();
  const Case cases[] = {{P::automatic, vae::sparse_simd() ? P::sparse : P::dense, best, true},
                        {P::sparse, P::sparse, I::avx512, true},
                        {P::sparse, P::sparse, I::avx2, true},
                        {P::sparse, P::sparse, I::portable, true},
                        {P::dense, P::dense, best, true},
                        {P::dense, P::dense, best, false},
                        {P::packed, P::packed, best, true}};
  for (const Case& c : cases) {
    vae::set_sparse_isa(c.isa);
    vae::set_latent_isa(c.isa);
    vae::Vae784_400_20 model(128);
    model.fuse_latent = c.fuse_latent && vae::latent_fused_available(20);
    SCOPED_TRACE(std::string(vae::first_layer_name(c.asked)) + ", kernels " + vae::sparse_isa_name(vae::sparse_isa()) +
                 (model.fuse_latent ? ", latent fused" : ", latent unfused"));
    vae::TrainOptions opt;
    opt.first_layer = c.asked;
    vae::Trainer<vae::Vae784_400_20> trainer(model, train, opt, vae::ParamInit::from_seed);
    EXPECT_EQ(model.enc.first_layer, c.expected);
    // Warm-up: OpenBLAS sets up its buffers and threads on first use.
    std::size_t steps = 0;
    auto count_steps = [&](const vae::StepReport&) { ++steps; };
    trainer.train_epoch(count_steps);
    trainer.evaluate(test, true);

    const std::size_t before = vae_test::allocation_count();
    steps = 0;
    trainer.train_epoch(count_steps);
    const vae::LossSums sampled = trainer.evaluate(test, true);
    const vae::LossSums mean = trainer.evaluate(test, false);
    const std::size_t after = vae_test::allocation_count();
    EXPECT_EQ(steps, 102u);
    EXPECT_EQ(after - before, 0u) << "heap allocations during 102 train steps and 2 test evaluations";
    EXPECT_EQ(sampled.images, 10000u);
    EXPECT_EQ(mean.images, 10000u);
  }
  vae::set_sparse_isa(vae::SparseIsa::avx512);   // back to the default: the best the CPU has
  vae::set_latent_isa(vae::SparseIsa::avx512);
  // Sanity: the counter does count (a vector allocation is seen).
  const std::size_t c0 = vae_test::allocation_count();
  std::vector<int>* v = new std::vector<int>(100);
  const std::size_t c1 = vae_test::allocation_count();
  delete v;
  EXPECT_GE(c1 - c0, 2u);
}

// The sparse first layer changes only the order of float additions: two epochs on 6400 images
// (BCE + KL) give the dense path's training and test losses to 3 significant digits.
TEST(Trainer, SparseAndDenseFirstLayersGiveTheSameLosses) {
  vae::set_blas_threads(2);
  const vae::ImageSet train = vae::head(mnist(vae::Split::train).images, 6400);
  const vae::ImageSet test = vae::head(mnist(vae::Split::test).images, 2000);
  auto losses = [&](vae::FirstLayerPath path) {
    vae::Vae784_400_20 model(128);
    vae::TrainOptions opt;
    opt.loss = vae::LossSpec{vae::Recon::bce, 1.0f};
    opt.first_layer = path;
    vae::Trainer<vae::Vae784_400_20> trainer(model, train, opt, vae::ParamInit::from_seed);
    EXPECT_EQ(model.enc.first_layer, path);
    std::vector<double> out;
    for (int e = 0; e < 2; ++e) {
      out.push_back(trainer.train_epoch().total_per_image());
      out.push_back(trainer.evaluate(test, false).total_per_image());
    }
    return out;
  };
  const std::vector<double> dense = losses(vae::FirstLayerPath::dense);
  const std::vector<double> sparse = losses(vae::FirstLayerPath::sparse);
  const std::vector<double> packed = losses(vae::FirstLayerPath::packed);
  const char* what[] = {"epoch 1 train", "epoch 1 test", "epoch 2 train", "epoch 2 test"};
  for (std::size_t i = 0; i < dense.size(); ++i) {
    std::printf("%-13s dense %.6f sparse %.6f packed %.6f\n", what[i], dense[i], sparse[i], packed[i]);
    EXPECT_LE(std::fabs(sparse[i] - dense[i]), 5e-4 * std::fabs(dense[i])) << what[i];
    EXPECT_LE(std::fabs(packed[i] - dense[i]), 5e-4 * std::fabs(dense[i])) << what[i];
  }
}

// A fixed seed and thread count repeat bit for bit on the sparse path too (2 threads).
TEST(Trainer, SparsePathRunsAreBitIdentical) {
  vae::set_blas_threads(2);
  const vae::ImageSet train = vae::head(mnist(vae::Split::train).images, 3200);
  auto params = [&](std::uint64_t seed) {
    vae::Vae784_400_20 model(128);
    vae::TrainOptions opt;
    opt.seed = seed;
    opt.first_layer = vae::FirstLayerPath::sparse;
    vae::Trainer<vae::Vae784_400_20> trainer(model, train, opt, vae::ParamInit::from_seed);
    trainer.train_epoch();
    trainer.train_epoch();
    return std::vector<float>(model.params.data(), model.params.data() + vae::Vae784_400_20::num_params);
  };
  const std::vector<float> a = params(7), b = params(7), c = params(8);
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
  EXPECT_NE(std::memcmp(a.data(), c.data(), a.size() * sizeof(float)), 0);
}

// The Trainer's steps stage the next batch themselves (Vae::train_step with a PendingBatch): in
// the time a core waits in dec_out's backward where the first layer keeps its own index of x, else
// after the backward pass. The reference is the same Trainer staging each batch before its step
// (the policy with step_stages_next off). Two epochs of each must end with the same losses and
// the same parameters and Adam state, bit for bit, on every first-layer path at 1-3 threads: x
// rewritten while the step still read it (the dense path's dW) would change the gradients.
struct StageBeforeEachStep : vae::StageImages {
  static constexpr bool step_stages_next = false;
};

TEST(Trainer, StepsStagingTheNextBatchTrainAsStagingBeforeEachStep) {
  using Model = vae::Vae784_400_20;
  const vae::ImageSet train = vae::head(mnist(vae::Split::train).images, 128 * 6 + 40);   // 7 batches
  for (int threads : {1, 2, 3}) {
    for (vae::FirstLayerPath path : {vae::FirstLayerPath::dense, vae::FirstLayerPath::sparse, vae::FirstLayerPath::packed}) {
      SCOPED_TRACE(std::to_string(threads) + " threads, " + vae::first_layer_name(path));
      vae::set_blas_threads(threads);
      Model a(128), b(128);
      vae::TrainOptions opt;
      opt.first_layer = path;
      vae::Trainer<Model> pipelined(a, train, opt, vae::ParamInit::from_seed);
      vae::Trainer<Model, StageBeforeEachStep> staged(b, train, opt, vae::ParamInit::from_seed);
      for (int e = 0; e < 2; ++e) {
        const vae::LossSums sa = pipelined.train_epoch(), sb = staged.train_epoch();
        EXPECT_EQ(sa.total, sb.total);
        EXPECT_EQ(sa.kl, sb.kl);
      }
      // The parameters, their gradients from the last step, Adam's m and v: one block each.
      for (auto [pa, pb] : {std::pair{a.params.data(), b.params.data()}, std::pair{a.grads.data(), b.grads.data()},
                            std::pair{a.adam_m.data(), b.adam_m.data()}, std::pair{a.adam_v.data(), b.adam_v.data()}}) {
        EXPECT_EQ(std::memcmp(pa, pb, Model::num_params * sizeof(float)), 0);
      }
    }
  }
}

// A step given the next batch leaves x holding it, as stage_batch writes it; a next batch it cannot
// stage (an index past the set, more images than the model's batch, images of another size or
// none, no indices) throws before the step changes anything.
TEST(Trainer, StepStagesTheNextBatchIntoXAndRejectsABadOne) {
  using Model = vae::Vae784_400_20;
  vae::set_blas_threads(2);
  const vae::ImageSet& images = mnist(vae::Split::train).images;
  Model m(64);
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 3, 0);
  m.init_params(rng);
  m.enc.first_layer = vae::FirstLayerPath::sparse;
  std::vector<std::uint32_t> now(64), next(50);
  for (std::size_t i = 0; i < now.size(); ++i) now[i] = static_cast<std::uint32_t>(7 * i);
  for (std::size_t i = 0; i < next.size(); ++i) next[i] = static_cast<std::uint32_t>(59999 - 11 * i);
  vae::stage_batch(m.x.data(), images, now.data(), now.size());
  m.train_step(64, vae::LossSpec{}, vae::AdamConfig{}, rng, vae::PendingBatch{&images, next.data(), next.size()});
  std::vector<float> expect(50 * 784);
  vae::stage_batch(expect.data(), images, next.data(), next.size());
  EXPECT_EQ(std::memcmp(m.x.data(), expect.data(), expect.size() * sizeof(float)), 0);

  const std::vector<float> params(m.params.data(), m.params.data() + Model::num_params);
  const std::vector<float> x(m.x.data(), m.x.data() + 64 * 784);
  std::vector<std::uint32_t> bad = next;
  bad[17] = 60000;
  const vae::ImageSet small = xt::zeros<std::uint8_t>({std::size_t{100}, std::size_t{8}, std::size_t{8}});
  const std::vector<std::uint32_t> many(65, 0);
  const std::pair<vae::PendingBatch, const char*> cases[] = {
      {{&images, bad.data(), bad.size()}, "index 60000 at batch row 17"},
      {{&images, many.data(), many.size()}, "65"},
      {{&small, next.data(), 10}, "784 pixels"},
      {{nullptr, next.data(), 10}, "784 pixels"},
      {{&images, nullptr, 10}, "no image indices"}};
  for (const auto& [pending, phrase] : cases) {
    SCOPED_TRACE(phrase);
    try {
      m.train_step(50, vae::LossSpec{}, vae::AdamConfig{}, rng, pending);
      ADD_FAILURE() << "no error";
    } catch (const vae::Error& e) {
      EXPECT_NE(std::string(e.what()).find(phrase), std::string::npos) << e.what();
    }
    EXPECT_EQ(std::memcmp(m.params.data(), params.data(), params.size() * sizeof(float)), 0);
    EXPECT_EQ(std::memcmp(m.x.data(), x.data(), x.size() * sizeof(float)), 0);
  }
}

std::vector<float> train_params(std::uint64_t seed) {
  vae::set_blas_threads(1);
  const vae::ImageSet train = vae::head(mnist(vae::Split::train).images, 6400);
  vae::Vae784_400_20 model(128);
  vae::TrainOptions opt;
  opt.seed = seed;
  vae::Trainer<vae::Vae784_400_20> trainer(model, train, opt, vae::ParamInit::from_seed);
  trainer.train_epoch();
  trainer.train_epoch();
  return std::vector<float>(model.params.data(), model.params.data() + vae::Vae784_400_20::num_params);
}

TEST(Trainer, OneThreadRunsAreBitIdentical) {
  const std::vector<float> a = train_params(7), b = train_params(7), c = train_params(8);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
  EXPECT_NE(std::memcmp(a.data(), c.data(), a.size() * sizeof(float)), 0);   // the seed matters
}

TEST(Trainer, LatentTwoConfigurationTrains) {
  vae::set_blas_threads(2);
  const vae::ImageSet train = vae::head(mnist(vae::Split::train).images, 6400);
  const vae::ImageSet test = vae::head(mnist(vae::Split::test).images, 1000);
  vae::Vae784_400_2 model(128);
  vae::TrainOptions bce;
  bce.loss = vae::LossSpec{vae::Recon::bce, 1.0f};
  vae::Trainer<vae::Vae784_400_2> trainer(model, train, bce, vae::ParamInit::from_seed);
  const double before = trainer.evaluate(test, true).total_per_image();
  double first_batches = 0.0;
  trainer.train_epoch([&](const vae::StepReport& r) {
    if (r.batch_index == 5) first_batches = r.running.total_per_image();
  });
  const vae::LossSums e2 = trainer.train_epoch();
  const double after = trainer.evaluate(test, true).total_per_image();
  std::printf("latent 2, BCE+KL: test loss %.1f before, %.1f after 2 epochs on 6400 images\n", before, after);
  EXPECT_GT(before, 500.0);            // an untrained decoder: ~784 log 2
  EXPECT_LT(after, 220.0);             // it learns
  EXPECT_LT(e2.total_per_image(), first_batches);
  EXPECT_EQ(trainer.epoch(), 2);
}

TEST(Trainer, RejectsMismatchedImagesAndBatch) {
  const vae::ImageSet small = xt::zeros<std::uint8_t>({10, 5, 5});   // (10, 5, 5)
  vae::Vae<25, 8, 2> ok_model(4);
  vae::Vae784_400_2 model(4);
  EXPECT_THROW((vae::Trainer<vae::Vae784_400_2>(model, small, vae::TrainOptions{}, vae::ParamInit::from_seed)),
               vae::Error);
  vae::TrainOptions big;
  big.batch = 8;
  EXPECT_THROW((vae::Trainer<vae::Vae<25, 8, 2>>(ok_model, small, big, vae::ParamInit::from_seed)), vae::Error);
}

// Initialization is what the caller asked for: keep leaves the parameters (and Adam) alone,
// from_seed draws them from the seed, the same way every time.
TEST(Trainer, InitializesTheModelOnlyWhenAsked) {
  vae::ImageSet small = vae::ImageSet::from_shape({10, 5, 5});   // (10, 5, 5)
  small.fill(7);
  using Small = vae::Vae<25, 8, 2>;
  Small model(4);
  for (std::size_t i = 0; i < Small::num_params; ++i) model.params[i] = 0.25f;
  vae::TrainOptions opt;
  opt.batch = 4;
  vae::Trainer<Small> kept(model, small, opt, vae::ParamInit::keep);
  for (std::size_t i = 0; i < Small::num_params; ++i) ASSERT_EQ(model.params[i], 0.25f) << "parameter " << i;
  vae::Trainer<Small> seeded(model, small, opt, vae::ParamInit::from_seed);
  const std::vector<float> first(model.params.data(), model.params.data() + Small::num_params);
  std::size_t changed = 0;
  for (float p : first) changed += p != 0.25f ? 1 : 0;
  EXPECT_GT(changed, Small::num_params / 2);
  Small other(4);
  vae::Trainer<Small> again(other, small, opt, vae::ParamInit::from_seed);
  EXPECT_EQ(std::memcmp(first.data(), other.params.data(), first.size() * sizeof(float)), 0);
}

TEST(Trainer, LossSpecDefaultIsVaeTrainsDefault) {
  const vae::LossSpec spec;   // vae_train --loss mse --mode vae
  EXPECT_EQ(spec.recon, vae::Recon::mse);
  EXPECT_EQ(spec.beta, 1.0f);
}

}  // namespace

}  // namespace test_trainer
