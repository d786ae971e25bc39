// classifier_train - train the 784-256-10 MLP classifier on MNIST with the VAE's own library and
// save it as a .vaew file (docs/weights-format.md, "A classifier in the same format").
//
//   classifier_train --epochs 5 --out weights/mnist_classifier.vaew
//
// The classifier is the judge of apps/vae_eval --count. Each epoch prints the training loss and
// accuracy and the test accuracy. Exit status: 0 done, 1 runtime error (data, files), 2 usage
// error. Every error is one line on stderr.
//
// Not here: checkpoints, resuming, reports; a run takes a minute or two.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <new>
#include <string>
#include <thread>

#include "cli_main.hpp"
#include "mnist_policy.hpp"
#include "vae/blas.hpp"
#include "vae/classifier.hpp"
#include "vae/idx.hpp"

namespace {

using vae_apps::UsageError;

struct Settings {
  int epochs = 5;
  int batch = 128;
  double lr = 1e-3;
  std::uint64_t seed = 1;
  int threads = 1;
  std::string data = "data/mnist";
  std::string out;
  std::size_t train_limit = 0, test_limit = 0;
  double min_accuracy = 0.0;
  bool quiet = false;
};

int run(int argc, char** argv) {
  Settings s;
  s.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  CLI::App app{"Train the MLP digit classifier (784-256-10, ReLU, softmax cross-entropy, Adam) on "
               "MNIST and write it as a .vaew file (--out).",
               "classifier_train"};
  vae_apps::set_up_help(app);
  app.add_option("--epochs", s.epochs, "passes over the 60,000 training images")
      ->check(vae_apps::integer(1, 100000));
  app.add_option("--batch", s.batch, "images per step")->check(vae_apps::integer(1, 4096));
  app.add_option("--lr", s.lr, "Adam learning rate")->check(vae_apps::positive_real());
  vae_apps::add_seed(app, s.seed, "seed of initialization and shuffling");
  vae_apps::add_threads(app, s.threads)->description("threads for the matrix products (this machine's cores)");
  app.add_option("--data", s.data, "folder with the four MNIST IDX files (fetched if the default is empty)");
  vae_apps::add_train_limit(app, s.train_limit, "train on the first N training images (0: all)");
  vae_apps::add_test_limit(app, s.test_limit);
  app.add_option("-o,--out", s.out, "weight file to write at the end (.vaew; missing folders are made)");
  app.add_option("--min-accuracy", s.min_accuracy,
                 "fail (exit 1, no file written) below this test accuracy, in [0, 1]")
      ->check(vae_apps::real(0.0, 1.0, false, "a number from 0 to 1", "[0, 1]"));
  vae_apps::add_quiet(app, s.quiet, "no progress output (errors only)");
  if (const int rc = vae_apps::parse_command_line(app, argc, argv); rc >= 0) return rc;
  // The output is checked now, not after the last epoch (its place, and room for it: the
  // parameters at 4 bytes each and 64 KB for the file's header); its folder is made before training.
  if (!s.out.empty()) {
    vae_apps::check_output_file(s.out, "--out");
    vae_apps::check_free_space(s.out, 4ULL * vae::Classifier784_256_10::num_params + 65536, "--out");
  }
  vae_apps::ensure_mnist("classifier_train", s.data, app.count("--data") > 0, s.quiet);
  if (!s.out.empty()) vae_apps::make_parent_dirs(s.out, "--out");

  const vae::Dataset train = vae::head(vae::load_mnist(s.data, vae::Split::train), s.train_limit);
  const vae::Dataset test = vae::head(vae::load_mnist(s.data, vae::Split::test), s.test_limit);
  if (train.size() < static_cast<std::size_t>(s.batch)) {
    throw UsageError("--batch " + std::to_string(s.batch) + " is larger than the " + std::to_string(train.size()) +
                     " training images");
  }
  vae::set_blas_threads(s.threads);
  vae::set_flush_denormals();

  using Model = vae::Classifier784_256_10;
  Model model(static_cast<std::size_t>(s.batch));
  vae::TrainOptions opt;
  opt.adam.lr = static_cast<float>(s.lr);
  opt.batch = static_cast<std::size_t>(s.batch);
  opt.seed = s.seed;
  vae::Trainer<Model> trainer(model, train, opt, vae::ParamInit::from_seed);
  if (!s.quiet) {
    std::printf("classifier 784-256-10: %zu parameters, arena %.1f MB; %zu training, %zu test images\n",
                Model::num_params, static_cast<double>(Model::arena_bytes(static_cast<std::size_t>(s.batch))) / 1e6,
                train.size(), test.size());
  }
  vae::ClassSums te;
  for (int e = 1; e <= s.epochs; ++e) {
    const auto t0 = std::chrono::steady_clock::now();
    const vae::ClassSums tr = trainer.train_epoch();
    te = trainer.evaluate(test);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!std::isfinite(tr.loss)) throw vae::Error("training diverged (loss is not finite) in epoch " + std::to_string(e));
    if (!s.quiet) {
      std::printf("epoch %3d  train loss %.4f acc %.2f%%  test loss %.4f acc %.2f%%  (%.1f s)\n", e,
                  tr.loss_per_image(), 100.0 * tr.accuracy(), te.loss_per_image(), 100.0 * te.accuracy(), secs);
      std::fflush(stdout);
    }
  }
  if (te.accuracy() < s.min_accuracy) {
    throw vae::Error("test accuracy " + std::to_string(100.0 * te.accuracy()) + "% is below --min-accuracy " +
                     std::to_string(100.0 * s.min_accuracy) + "%; no file written");
  }
  if (!s.out.empty()) {
    char note[256];
    std::snprintf(note, sizeof note,
                  "784-256-10 MLP, softmax CE, Adam lr %g, batch %d, %d epochs, seed %llu; "
                  "MNIST test accuracy %.2f%%",
                  s.lr, s.batch, s.epochs, static_cast<unsigned long long>(s.seed), 100.0 * te.accuracy());
    vae::save_classifier(model, s.out, note);
    if (!s.quiet) std::printf("wrote %s (test accuracy %.2f%%)\n", s.out.c_str(), 100.0 * te.accuracy());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return vae_apps::run_main("classifier_train", [&] { return run(argc, argv); });
}
