// vae_eval - how good is a trained model? Losses, the importance-weighted bound, and sample scores.
//
//   vae_eval weights/mnist_vae.vaew                                    # losses on the test set
//   vae_eval weights/mnist_vae.vaew --iwae 1,50,1000                   # + the IWAE bound
//   vae_eval weights/mnist_vae.vaew --count 10000 --classifier weights/mnist_classifier.vaew
//   vae_eval ... -o eval.json
//
// On MNIST's test set (or its first --test-limit images), with the training library's model:
//   - reconstruction MSE and BCE, KL and the totals (MSE + KL, BCE + KL), per image, for z drawn
//     once per image from q(z|x) ("sampled") and for z = mu;
//   - per digit class, the reconstruction MSE and BCE with z = mu;
//   - --iwae K: -L_K in nats per image for the BCE decoder (vae/iwae.hpp): for each batch of
//     images the encoder runs once and the K draws are decoded batch by batch, their log weights
//     folded into one online log-mean-exp per image (nothing of size K is stored).
// --count N scores N generated digits with the classifier (a 784-256-10 .vaew file from
// classifier_train): z ~ N(0, I) from vae_rt::rng_seed(--seed, stream 0), Z values per digit in
// order as vae_gen draws them, decoded by the training decoder, pixels rounded to 1/255 as in a
// PNG; and the same scores for the first N real test images, for reference:
//   - confident: the share of images whose largest class probability is > 0.9;
//   - the histogram of predicted classes and its entropy (nats; ln 10 = 2.303 is uniform);
//   - the inception score exp E_x[KL(p(y|x) || p(y))], p(y) the mean of p(y|x) over the images
//     (1 to 10: high when each image is one clear digit and all digits occur).
// Exit status: 0 done, 1 runtime error (data, files), 2 usage error. Every error is one line.
// Every input (the model, the classifier, MNIST) and output is checked before the first pass.
// The long steps (the passes, IWAE, the mixture fit with its log-likelihood per iteration, the
// sample scores) show progress on stderr (apps/common/progress_line.hpp); -q/--quiet: no table
// and no progress.
//
// --fit-prior gmm:K fits a K-component diagonal Gaussian mixture to the encoder's mu over the
// 60,000 training images (vae/gmm.hpp; EM, deterministic start) and, with --count, also scores
// digits decoded from z drawn from it; --save-prior FILE writes WEIGHTS plus the mixture as
// prior_logits, prior_mu, prior_logvar with flag bit 2 (docs/weights-format.md), replacing a
// prior WEIGHTS already carries (FILE may be WEIGHTS itself: the write is atomic). Without
// --fit-prior, a file that carries a prior has it scored. Mixture draws use the runtime's
// sampler (vae_rt::prior_sample) on the same seed and stream as the N(0, I) draws, so digit i is
// the one `vae_gen --prior gmm --seed S` decodes.
//
// Not here: the runtime decoder (vae_gen is its tool), pictures.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "cli_main.hpp"
#include "mnist_policy.hpp"
#include "progress_line.hpp"
#include "vae/files/atomic_file.hpp"
#include "vae/blas.hpp"
#include "vae/classifier.hpp"
#include "vae/gmm.hpp"
#include "vae/idx.hpp"
#include "vae/iwae.hpp"
#include "vae/losses.hpp"
#include "vae/vae.hpp"
#include "vae/weights.hpp"
#include "eval.hpp"

namespace {

using vae_eval::Cls;
using vae_eval::Options;
using vae_apps::UsageError;

int run(int argc, char** argv) {
  Options o;
  o.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  CLI::App app{"Evaluate a .vaew model on the MNIST test set: MSE, BCE, KL (z sampled and z = mu), "
               "per-class reconstruction, the IWAE bound (--iwae), and classifier scores of its "
               "samples (--count, --classifier).",
               "vae_eval"};
  vae_apps::set_up_help(app);
  app.add_option("weights", o.weights, "a full model (.vaew with the encoder) of a compiled shape: " VAE_MODELS_TEXT)->required();
  app.add_option("--data", o.data, "folder with the MNIST IDX files (fetched if the default is empty)");
  app.add_option("--batch", o.batch, "images per batch")->check(vae_apps::integer(1, 4096));
  app.add_option("--iwae", o.iwae, "importance samples K of the IWAE bound; a list, e.g. 1,50,1000")
      ->delimiter(',')
      ->check(vae_apps::integer(1, 1000000));
  vae_apps::add_seed(app, o.seed, "seed of every draw (z of the sampled pass, IWAE, samples)");
  vae_apps::add_threads(app, o.threads);
  vae_apps::add_test_limit(app, o.test_limit);
  vae_apps::add_deprecated_alias(app, "--limit", "--test-limit", o.test_limit, "vae_eval")
      ->check(vae_apps::integer(0, 1000000000));
  vae_apps::add_train_limit(app, o.train_limit, "fit --fit-prior's mixture to the first N training images (0: all)");
  app.add_option("-n,--count", o.samples, "score N generated digits and N real ones (needs --classifier)")
      ->check(vae_apps::integer(0, 10000000));
  vae_apps::add_deprecated_alias(app, "--samples", "--count", o.samples, "vae_eval")
      ->check(vae_apps::integer(0, 10000000));
  app.add_option("--classifier", o.classifier, "classifier .vaew (classifier_train) for --count");
  app.add_option("--fit-prior", o.fit_prior,
                 "gmm:K fits a K-component diagonal Gaussian mixture to the encoder's mu over the "
                 "training set (EM); --count then also scores z drawn from it");
  app.add_option("--gmm-iters", o.gmm_iters, "EM iterations of --fit-prior")->check(vae_apps::integer(1, 100000));
  app.add_option("--save-prior", o.save_prior, "write WEIGHTS with the fitted mixture (prior_* tensors) to this .vaew");
  app.add_option("-o,--out", o.json_out, "also write every figure to this JSON file");
  vae_apps::add_deprecated_alias(app, "--json", "--out", o.json_out, "vae_eval");
  vae_apps::add_quiet(app, o.quiet, "no table and no progress (with --out: the file only)");
  if (const int rc = vae_apps::parse_command_line(app, argc, argv); rc >= 0) return rc;
  if (o.samples > 0 && o.classifier.empty()) throw UsageError("--count needs --classifier FILE");
  if (!o.classifier.empty() && o.samples == 0) throw UsageError("--classifier is used by --count N");
  if (!o.fit_prior.empty()) {
    const std::string pre = "gmm:";
    std::size_t k = 0, used = 0;
    if (o.fit_prior.compare(0, pre.size(), pre) == 0) {
      try {
        k = std::stoul(o.fit_prior.substr(pre.size()), &used);
      } catch (const std::exception&) {
        used = 0;
      }
    }
    if (used == 0 || pre.size() + used != o.fit_prior.size() || k < 1 || k > 1000) {
      throw UsageError("--fit-prior " + o.fit_prior + ": expected gmm:K with K in 1..1000");
    }
    o.gmm_k = k;
  }
  if (!o.save_prior.empty() && o.gmm_k == 0) throw UsageError("--save-prior needs --fit-prior gmm:K");
  // Outputs are checked before the evaluation, which can take minutes.
  if (!o.json_out.empty()) vae_apps::check_output_file(o.json_out, "--out");
  if (!o.save_prior.empty()) vae_apps::check_output_file(o.save_prior, "--save-prior");
  if (!o.json_out.empty() && !o.save_prior.empty()) {
    std::error_code ec;
    if (std::filesystem::weakly_canonical(o.json_out, ec) == std::filesystem::weakly_canonical(o.save_prior, ec)) {
      throw UsageError("--out " + o.json_out + " and --save-prior " + o.save_prior + " are the same file");
    }
  }

  // Every input is read and checked before the first pass: the model, the classifier, MNIST.
  const vae::WeightsFile wf = vae::read_weights(o.weights);
  if (wf.find("cls_fc_w")) throw vae::Error(o.weights + ": a classifier file; vae_eval needs a VAE or an autoencoder");
  if (!wf.has_encoder()) throw vae::Error(o.weights + ": decoder-only file; the evaluation needs the encoder too");
  if (!vae_apps::model_compiled(wf.dim_x, wf.dim_h, wf.dim_z)) {
    throw vae::Error(o.weights + ": " + vae_apps::not_compiled_message(wf.dim_x, wf.dim_h, wf.dim_z));
  }
  std::unique_ptr<Cls> cls;
  if (!o.classifier.empty()) {
    cls = std::make_unique<Cls>(static_cast<std::size_t>(o.batch));
    vae::load_classifier(*cls, o.classifier);
  }
  if (o.gmm_k > 0) {
    vae_apps::ensure_mnist("vae_eval", o.data, app.count("--data") > 0, o.quiet);
  } else {
    vae_apps::ensure_mnist("vae_eval", o.data, app.count("--data") > 0, o.quiet,
                           {"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"});
  }
  const vae::Dataset test = vae::head(vae::load_mnist(o.data, vae::Split::test), o.test_limit);
  vae::Dataset train;
  if (o.gmm_k > 0) {
    train = vae::head(vae::load_mnist(o.data, vae::Split::train), o.train_limit);
    if (train.size() < o.gmm_k) {
      throw UsageError("--fit-prior gmm:" + std::to_string(o.gmm_k) + " needs at least that many training images; --train-limit " +
                       std::to_string(o.train_limit) + " leaves " + std::to_string(train.size()));
    }
  }
  vae::set_blas_threads(o.threads);
  vae::set_flush_denormals();

  // The shapes of VAE_MODELS (vae_models.hpp), each instantiated by eval_model.cpp.in.
  const nlohmann::json out = vae_apps::with_model(wf.dim_x, wf.dim_h, wf.dim_z, o.weights + ": ", [&](auto shape) {
    using S = decltype(shape);
    return vae_eval::run_model<vae::Vae<S::x, S::h, S::z>>(o, wf, test, &train, cls.get());
  });
  if (!o.json_out.empty()) {
    vae_apps::make_parent_dirs(o.json_out, "--out");
    vae::write_file_atomic(o.json_out, out.dump(2) + "\n");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return vae_apps::run_main("vae_eval", [&] { return run(argc, argv); });
}
