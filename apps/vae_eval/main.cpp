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
#include <xtensor/xmath.hpp>

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
#include "vae/blas.hpp"
#include "vae/classifier.hpp"
#include "vae/files/atomic_file.hpp"
#include "vae/gmm.hpp"
#include "vae/idx.hpp"
#include "vae/inference.hpp"
#include "vae/iwae.hpp"
#include "vae/losses.hpp"
#include "vae/vae.hpp"
#include "vae/weights.hpp"
#include "vae_rt/prior.h"

namespace {

using json = nlohmann::json;
constexpr std::size_t kClasses = 10;

using vae_apps::UsageError;

struct Options {
  std::string weights;
  std::string data = "data/mnist";
  int batch = 128;
  std::vector<int> iwae;
  std::uint64_t seed = 1;
  int threads = 1;
  std::size_t test_limit = 0;
  std::size_t train_limit = 0;   // of the mixture fit
  int samples = 0;
  std::string classifier;
  std::string json_out;
  std::string fit_prior;     // "gmm:K"
  std::size_t gmm_k = 0;
  int gmm_iters = 100;
  std::string save_prior;
  bool quiet = false;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Sums over images of one pass.
struct PassSums {
  double mse = 0, bce = 0, kl = 0;
  std::size_t n = 0;
  json to_json() const {
    const double k = n ? 1.0 / static_cast<double>(n) : 0.0;
    return {{"mse", mse * k}, {"bce", bce * k}, {"kl", kl * k}, {"mse_plus_kl", (mse + kl) * k},
            {"bce_plus_kl", (bce + kl) * k}, {"images", n}};
  }
};

// Classifier scores of a set of images (see the file comment).
struct Scores {
  std::size_t n = 0, confident = 0, correct = 0;
  bool has_labels = false;
  std::array<std::size_t, kClasses> hist{};
  std::array<double, kClasses> p_sum{};   // sum over images of p(y|x)
  double neg_entropy_sum = 0;             // sum over images of sum_y p log p

  void add(const float* p, const std::uint8_t* label) {
    std::size_t arg = 0;
    double nh = 0;
    for (std::size_t c = 0; c < kClasses; ++c) {
      const double pc = p[c];
      p_sum[c] += pc;
      if (pc > 0) nh += pc * std::log(pc);
      if (p[c] > p[arg]) arg = c;
    }
    ++hist[arg];
    confident += p[arg] > 0.9f ? 1 : 0;
    neg_entropy_sum += nh;
    if (label) {
      has_labels = true;
      correct += arg == *label ? 1 : 0;
    }
    ++n;
  }
  double share_confident() const { return static_cast<double>(confident) / static_cast<double>(n); }
  double hist_entropy() const {
    double h = 0;
    for (std::size_t c : hist) {
      if (c == 0) continue;
      const double q = static_cast<double>(c) / static_cast<double>(n);
      h -= q * std::log(q);
    }
    return h;
  }
  // E_x KL(p(y|x) || p(y)) = E_x[sum p log p] - sum_y p(y) log p(y).
  double inception_score() const {
    double marg = 0;
    for (double s : p_sum) {
      const double q = s / static_cast<double>(n);
      if (q > 0) marg += q * std::log(q);
    }
    return std::exp(neg_entropy_sum / static_cast<double>(n) - marg);
  }
  json to_json() const {
    json j = {{"images", n}, {"confident_share", share_confident()}, {"histogram", hist},
              {"histogram_entropy_nats", hist_entropy()}, {"inception_score", inception_score()}};
    if (has_labels) j["accuracy"] = static_cast<double>(correct) / static_cast<double>(n);
    return j;
  }
};

using Cls = vae::Classifier784_256_10;

template <class Model>
json run_model(const Options& o, const vae::WeightsFile& wf, const vae::Dataset& test,
               const vae::Dataset* train, Cls* cls_loaded) {
  constexpr std::size_t D = Model::dim_x, Z = Model::dim_z;
  const std::size_t Bmax = static_cast<std::size_t>(o.batch);
  Model model(Bmax);
  vae::weights_to_model(wf, model, o.weights);
  json out;
  out["weights"] = o.weights;
  out["note"] = wf.note;
  out["latent"] = Z;
  out["test_images"] = test.size();
  std::vector<std::uint32_t> idx(Bmax);
  auto stage = [&](std::size_t first, std::size_t B) {
    for (std::size_t i = 0; i < B; ++i) idx[i] = static_cast<std::uint32_t>(first + i);
    vae::stage_batch(model.x.data(), test.images, idx.data(), B);
  };

  // --- losses, sampled and z = mu; per class with z = mu --------------------------------------
  PassSums sampled, mean;
  std::array<PassSums, kClasses> per_class;
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, o.seed, 1);
  for (int pass = 0; pass < 2; ++pass) {
    PassSums& sums = pass == 0 ? sampled : mean;
    vae_apps::ProgressLine progress("vae_eval", pass == 0 ? "losses, z sampled" : "losses, z = mu", test.size(), o.quiet);
    for (std::size_t first = 0; first < test.size(); first += Bmax) {
      progress.update(first);
      const std::size_t B = std::min(Bmax, test.size() - first);
      stage(first, B);
      model.encode(B);
      if (pass == 0) {
        vae_rt::rng_fill_normal(&rng, model.eps.data(), B * Z);
        model.reparameterize(B);
      } else {
        std::copy(model.enc.mu.data(), model.enc.mu.data() + B * Z, model.z.data());
      }
      model.decode(B);
      for (std::size_t i = 0; i < B; ++i) {
        const double mse = vae::mse_loss(nullptr, model.dec.xhat.data() + i * D, model.x.data() + i * D, D);
        const double bce = vae::bce_loss(nullptr, model.dec.logits.data() + i * D, model.dec.xhat.data() + i * D,
                                         model.x.data() + i * D, D);
        const double kl = vae::kl_loss(nullptr, nullptr, model.enc.mu.data() + i * Z, model.enc.logvar.data() + i * Z, Z, 1.0f);
        sums.mse += mse; sums.bce += bce; sums.kl += kl; ++sums.n;
        if (pass == 1) {
          PassSums& c = per_class[test.labels[first + i]];
          c.mse += mse; c.bce += bce; c.kl += kl; ++c.n;
        }
      }
    }
  }
  out["sampled"] = sampled.to_json();
  out["mean"] = mean.to_json();
  for (std::size_t c = 0; c < kClasses; ++c) out["per_class_mean"][std::to_string(c)] = per_class[c].to_json();
  if (!o.quiet) {
    std::printf("%s: latent %zu, %zu test images\n\n", o.weights.c_str(), Z, test.size());
    std::printf("%-12s %9s %9s %9s %11s %11s\n", "pass", "MSE", "BCE", "KL", "MSE + KL", "BCE + KL");
    for (const auto& [name, s] : {std::pair<const char*, const PassSums&>{"z sampled", sampled}, {"z = mu", mean}}) {
      const double k = 1.0 / static_cast<double>(s.n);
      std::printf("%-12s %9.3f %9.3f %9.3f %11.3f %11.3f\n", name, s.mse * k, s.bce * k, s.kl * k,
                  (s.mse + s.kl) * k, (s.bce + s.kl) * k);
    }
    std::printf("\nper digit class, z = mu:\n%-6s %7s %9s %9s\n", "class", "images", "MSE", "BCE");
    for (std::size_t c = 0; c < kClasses; ++c) {
      const PassSums& s = per_class[c];
      const double k = s.n ? 1.0 / static_cast<double>(s.n) : 0.0;
      std::printf("%-6zu %7zu %9.3f %9.3f\n", c, s.n, s.mse * k, s.bce * k);
    }
    std::fflush(stdout);
  }

  // --- the IWAE bound ---------------------------------------------------------------------------
  if (!o.iwae.empty()) {
    if (!o.quiet) std::printf("\nIWAE bound, BCE decoder (-L_K, nats per image; lower is better):\n");
    std::vector<vae::LogMeanExp> acc(Bmax);
    for (int K : o.iwae) {
      const auto t0 = std::chrono::steady_clock::now();
      vae_rt::Rng krng;
      vae_rt::rng_seed(&krng, o.seed, 2);
      double sum = 0;
      vae_apps::ProgressLine progress("vae_eval", "IWAE K = " + std::to_string(K), test.size(), o.quiet);
      for (std::size_t first = 0; first < test.size(); first += Bmax) {
        char running[64];
        std::snprintf(running, sizeof running, "-L_K so far %.3f", first ? sum / static_cast<double>(first) : 0.0);
        progress.update(first, first ? running : "");
        const std::size_t B = std::min(Bmax, test.size() - first);
        stage(first, B);
        model.encode(B);
        std::fill(acc.begin(), acc.end(), vae::LogMeanExp{});
        for (int k = 0; k < K; ++k) {
          vae_rt::rng_fill_normal(&krng, model.eps.data(), B * Z);
          model.reparameterize(B);
          model.decode(B);
          for (std::size_t i = 0; i < B; ++i) {
            const float* z = model.z.data() + i * Z;
            const double log_px_z = -vae::bce_loss(nullptr, model.dec.logits.data() + i * D,
                                                   model.dec.xhat.data() + i * D, model.x.data() + i * D, D);
            acc[i].add(log_px_z + vae::log_normal_standard(z, Z) -
                       vae::log_normal_diag(z, model.enc.mu.data() + i * Z, model.enc.logvar.data() + i * Z, Z));
          }
        }
        for (std::size_t i = 0; i < B; ++i) sum -= acc[i].value();
      }
      const double nll = sum / static_cast<double>(test.size());
      char done[96];
      std::snprintf(done, sizeof done, "IWAE K = %d: -L_K %.3f nats per image", K, nll);
      progress.finish(done);
      out["iwae"][std::to_string(K)] = nll;
      if (!o.quiet) {
        std::printf("  K = %-6d %10.3f   (%.1f s)\n", K, nll, seconds_since(t0));
        std::fflush(stdout);
      }
    }
  }

  // --- the mixture prior: fitted to the encoder's mu over the training set, or the file's -------
  vae::Gmm gmm;
  if (o.gmm_k == 0) {
    gmm = vae::prior_from_weights(wf, o.weights);
    if (gmm.K > 0) {
      out["prior_gmm"] = {{"k", gmm.K}, {"stored", true}};
      if (!o.quiet) std::printf("\nmixture prior: the file's, %zu components\n", gmm.K);
    }
  }
  if (o.gmm_k > 0) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::size_t N = train->size();
    auto mus = xt::xtensor<float, 2>::from_shape({N, Z});   // (N, Z) the training images' mu
    std::vector<std::uint32_t> tidx(Bmax);
    vae_apps::ProgressLine encoding("vae_eval", "encoding " + std::to_string(N) + " training images", N, o.quiet);
    for (std::size_t first = 0; first < N; first += Bmax) {
      encoding.update(first);
      const std::size_t B = std::min(Bmax, N - first);
      for (std::size_t i = 0; i < B; ++i) tidx[i] = static_cast<std::uint32_t>(first + i);
      vae::stage_batch(model.x.data(), train->images, tidx.data(), B);
      model.encode(B);
      std::copy(model.enc.mu.data(), model.enc.mu.data() + B * Z, mus.data() + first * Z);
    }
    encoding.finish("encoded " + std::to_string(N) + " training images");
    vae_apps::ProgressLine em("vae_eval", "mixture of " + std::to_string(o.gmm_k) + ", EM",
                              static_cast<std::size_t>(o.gmm_iters), o.quiet);
    const vae::GmmFit fit = vae::fit_gmm(mus, o.gmm_k, o.gmm_iters, 1e-4, [&](int done, int iters, double ll) {
      char text[96];
      std::snprintf(text, sizeof text, "iteration %d/%d, mean log-likelihood %.3f", done, iters, ll);
      em.update(static_cast<std::size_t>(done), text);
    });
    char em_done[128];
    std::snprintf(em_done, sizeof em_done, "mixture of %zu fitted, %d EM iterations, mean log-likelihood %.3f -> %.3f",
                  o.gmm_k, o.gmm_iters, fit.loglik.front(), fit.loglik.back());
    em.finish(em_done);
    gmm = fit.gmm;
    // The same data under N(0, I), for comparison.
    const double ll_normal = xt::mean(vae::log_normal_standard(mus))();
    out["prior_gmm"] = {{"k", o.gmm_k}, {"stored", false}, {"iterations", o.gmm_iters}, {"train_images", N},
                        {"loglik_first", fit.loglik.front()}, {"loglik_last", fit.loglik.back()},
                        {"loglik_standard_normal", ll_normal}};
    if (!o.quiet) {
      std::printf("\nmixture prior: %zu components fitted to mu of %zu training images, %d EM iterations "
                  "(%.1f s)\n  mean log-likelihood of mu: %.3f -> %.3f nats (N(0, I): %.3f)\n",
                  o.gmm_k, N, o.gmm_iters, seconds_since(t0), fit.loglik.front(), fit.loglik.back(), ll_normal);
    }
    if (!o.save_prior.empty()) {
      vae_apps::make_parent_dirs(o.save_prior, "--save-prior");
      vae::write_weights(o.save_prior, vae::with_prior(wf, gmm));   // replaces a prior wf had
      if (!o.quiet) std::printf("  wrote %s (the model and the prior)\n", o.save_prior.c_str());
    }
  }
  if (gmm.K > 0) {
    // The mixture on held-out codes: the test images' mu, which the fit never saw. A K that only
    // memorizes the training codes shows here as a lower figure than the training one.
    const xt::xtensor<float, 2> tmu = vae::encode(model, test.images).mu;   // (test images, Z)
    const double ll_test = vae::gmm_log_likelihood(gmm, tmu);
    const double ll_test_normal = xt::mean(vae::log_normal_standard(tmu))();
    out["prior_gmm"]["loglik_test"] = ll_test;
    out["prior_gmm"]["loglik_test_standard_normal"] = ll_test_normal;
    if (!o.quiet) {
      std::printf("  mean log-likelihood of the %zu test images' mu: %.3f nats (N(0, I): %.3f)\n",
                  test.size(), ll_test, ll_test_normal);
    }
  }

  // --- sample scores --------------------------------------------------------------------------
  if (o.samples > 0) {
    static_assert(Cls::dim_x == D, "the classifier reads the model's images");
    Cls& cls = *cls_loaded;   // loaded and checked before the first pass
    const std::size_t N = static_cast<std::size_t>(o.samples);
    Scores gen, gen_gmm, real;
    vae_rt::Rng srng;
    vae_rt::rng_seed(&srng, o.seed, 0);
    vae_apps::ProgressLine progress("vae_eval", "scoring " + std::to_string(N) + " samples", N, o.quiet);
    for (std::size_t first = 0; first < N; first += Bmax) {
      progress.update(first);
      const std::size_t B = std::min(Bmax, N - first);
      vae_rt::rng_fill_normal(&srng, model.z.data(), B * Z);
      model.decode(B);
      for (std::size_t i = 0; i < B * D; ++i) cls.x[i] = std::nearbyint(model.dec.xhat[i] * 255.0f) / 255.0f;
      cls.predict(B);
      for (std::size_t i = 0; i < B; ++i) gen.add(cls.probs.data() + i * kClasses, nullptr);
    }
    if (gmm.K > 0) {
      // The runtime's sampler, from the same seed and stream as N(0, I) above: digit i is what
      // vae_gen --prior gmm --seed S makes (decoded here by the training decoder).
      vae_rt::MixturePrior prior;
      vae_rt::format::Diag diag;
      if (vae_rt::prior_init(&prior, gmm.K, Z, gmm.logits.data(), gmm.mu.data(), gmm.logvar.data(),
                             &diag) != vae_rt::Status::ok) {
        throw vae::Error(std::string("the mixture prior: ") + diag.text);
      }
      vae_rt::Rng grng;
      vae_rt::rng_seed(&grng, o.seed, 0);
      for (std::size_t first = 0; first < N; first += Bmax) {
        const std::size_t B = std::min(Bmax, N - first);
        for (std::size_t i = 0; i < B; ++i) vae_rt::prior_sample(prior, &grng, model.z.data() + i * Z);
        model.decode(B);
        for (std::size_t i = 0; i < B * D; ++i) cls.x[i] = std::nearbyint(model.dec.xhat[i] * 255.0f) / 255.0f;
        cls.predict(B);
        for (std::size_t i = 0; i < B; ++i) gen_gmm.add(cls.probs.data() + i * kClasses, nullptr);
      }
    }
    const std::size_t Nreal = std::min(N, test.size());
    for (std::size_t first = 0; first < Nreal; first += Bmax) {
      const std::size_t B = std::min(Bmax, Nreal - first);
      for (std::size_t i = 0; i < B; ++i) idx[i] = static_cast<std::uint32_t>(first + i);
      vae::stage_batch(cls.x.data(), test.images, idx.data(), B);
      cls.predict(B);
      for (std::size_t i = 0; i < B; ++i) real.add(cls.probs.data() + i * kClasses, &test.labels[first + i]);
    }
    out["samples"] = {{"classifier", o.classifier}, {"seed", o.seed}, {"generated", gen.to_json()},
                      {"real_test", real.to_json()}};
    if (gmm.K > 0) out["samples"]["generated_gmm"] = gen_gmm.to_json();
    if (!o.quiet) {
      std::printf("\nsample scores (classifier %s):\n", o.classifier.c_str());
      std::printf("%-24s %7s %10s %12s %10s   histogram 0..9\n", "images", "N", "p>0.9", "hist. H", "IS");
      std::vector<std::pair<const char*, const Scores*>> rows = {{"z ~ N(0, I), decoded", &gen}};
      if (gmm.K > 0) rows.push_back({"z ~ mixture, decoded", &gen_gmm});
      rows.push_back({"real test images", &real});
      for (const auto& [name, sp] : rows) {
        const Scores& s = *sp;
        std::printf("%-24s %7zu %9.1f%% %12.3f %10.3f  ", name, s.n, 100.0 * s.share_confident(), s.hist_entropy(),
                    s.inception_score());
        for (std::size_t c : s.hist) std::printf(" %zu", c);
        std::printf("\n");
      }
      if (real.has_labels) {
        std::printf("(classifier accuracy on those real images: %.2f%%)\n",
                    100.0 * static_cast<double>(real.correct) / static_cast<double>(real.n));
      }
    }
  }
  return out;
}

int run(int argc, char** argv) {
  Options o;
  o.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  CLI::App app{"Evaluate a .vaew model on the MNIST test set: MSE, BCE, KL (z sampled and z = mu), "
               "per-class reconstruction, the IWAE bound (--iwae), and classifier scores of its "
               "samples (--count, --classifier).",
               "vae_eval"};
  vae_apps::set_up_help(app);
  app.add_option("weights", o.weights, "a full model (.vaew with the encoder), latent 20 or 2")->required();
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
  if (wf.dim_z != 20 && wf.dim_z != 2) {
    throw vae::Error(o.weights + ": file has latent " + std::to_string(wf.dim_z) + "; vae_eval is built for 20 and 2");
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

  json out;
  if (wf.dim_z == 20) {
    out = run_model<vae::Vae784_400_20>(o, wf, test, &train, cls.get());
  } else {
    out = run_model<vae::Vae784_400_2>(o, wf, test, &train, cls.get());
  }
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
