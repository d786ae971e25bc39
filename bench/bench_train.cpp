// bench_train.cpp - training throughput of 784-400-20 at batch 128: one train_step, and a whole
// 60k-image epoch, with 1 and 2 threads. Prints a table; it is a benchmark, not a test.
//
//   build/release/bench/bench_train [--data DIR] [--epochs-per-point N]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "vae/blas.hpp"
#include "vae/idx.hpp"
#include "vae/trainer.hpp"
#include "vae/vae.hpp"

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = std::getenv("VAE_DATA") ? std::getenv("VAE_DATA") : "data/mnist";
  int epochs = 1;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--data") && i + 1 < argc) dir = argv[++i];
    else if (!std::strcmp(argv[i], "--epochs-per-point") && i + 1 < argc) epochs = std::atoi(argv[++i]);
    else {
      std::fprintf(stderr, "usage: %s [--data DIR] [--epochs-per-point N]\n", argv[0]);
      return 2;
    }
  }
  try {
    const vae::Dataset train = vae::load_mnist(dir, vae::Split::train);
    using Model = vae::Vae784_400_20;
    std::printf("model 784-400-20, batch 128, BCE + KL, arena %zu bytes\n", Model::arena_bytes(128));
    std::printf("%-8s %14s %14s %14s\n", "threads", "ms/step", "samples/s", "s/epoch(60k)");
    for (int threads : {1, 2}) {
      vae::set_blas_threads(threads);
      Model model(128);
      vae::Trainer<Model> trainer(model, train.images, vae::TrainOptions{});
      // One step, timed over 200 repetitions on the same staged batch, after a warm-up.
      std::uint32_t idx[128];
      for (std::uint32_t i = 0; i < 128; ++i) idx[i] = i;
      vae::stage_batch(model.x, train.images, idx, 128);
      for (int i = 0; i < 20; ++i) model.train_step(128, vae::LossSpec{}, vae::AdamConfig{}, trainer.rng());
      auto t0 = Clock::now();
      const int reps = 200;
      for (int i = 0; i < reps; ++i) model.train_step(128, vae::LossSpec{}, vae::AdamConfig{}, trainer.rng());
      const double step = seconds_since(t0) / reps;
      t0 = Clock::now();
      for (int e = 0; e < epochs; ++e) trainer.train_epoch();
      const double epoch = seconds_since(t0) / epochs;
      std::printf("%-8d %14.3f %14.0f %14.3f\n", threads, step * 1e3, 60000.0 / epoch, epoch);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_train: %s\n", e.what());
    return 1;
  }
  return 0;
}
