// eval_model.hpp - vae_eval's evaluation of one compiled model, step by step (run_model, declared
// in eval.hpp; instantiated per shape by eval_model.cpp.in). Each step adds its figures to the
// JSON and prints its table (unless --quiet):
//   losses()          MSE, BCE, KL, z sampled and z = mu; per class with z = mu
//   iwae_bound()      --iwae K...: -L_K of the BCE decoder
//   stored_prior()    the file's mixture prior, when it has one and --fit-prior is not given
//   fit_prior()       --fit-prior gmm:K: EM on the training set's mu; --save-prior writes it
//   prior_on_test()   the mixture's log-likelihood of the test set's mu (held out)
//   sample_scores()   --count N: classifier scores of decoded samples (N(0, I) and the mixture)
//                     and of N real test images
// Buffers: the model's arena (batch Bmax = --batch) holds every activation; idx (Bmax) is the
// batch's image indices; the mixture fit's mus (N, Z) and the held-out tmu (test, Z) are owned by
// their step.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include <xtensor/xmath.hpp>

#include "eval.hpp"
#include "output_paths.hpp"
#include "progress_line.hpp"
#include "usage_error.hpp"
#include "vae/blas.hpp"
#include "vae/error.hpp"
#include "vae/gmm.hpp"
#include "vae/inference.hpp"
#include "vae/iwae.hpp"
#include "vae/losses.hpp"
#include "vae_rt/prior.h"

namespace vae_eval {

using json = nlohmann::json;
constexpr std::size_t kClasses = 10;

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
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

template <class Model>
class Evaluation {
 public:
  static constexpr std::size_t D = Model::dim_x, Z = Model::dim_z;

  Evaluation(const Options& options, const vae::WeightsFile& file, const vae::Dataset& test_set)
      : o(options), wf(file), test(test_set), Bmax(static_cast<std::size_t>(o.batch)), model(Bmax), idx(Bmax) {
    vae::weights_to_model(wf, model, o.weights);
    out["weights"] = o.weights;
    out["note"] = wf.note;
    out["latent"] = Z;
    out["test_images"] = test.size();
  }

  // --- losses, sampled and z = mu; per class with z = mu --------------------------------------
  void losses() {
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
    report_losses(sampled, mean, per_class);
  }

  // --- the IWAE bound ---------------------------------------------------------------------------
  void iwae_bound() {
    if (o.iwae.empty()) return;
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

  // --- the mixture prior: the file's, or fitted to the encoder's mu over the training set ------
  void stored_prior() {
    if (o.gmm_k > 0) return;
    gmm = vae::prior_from_weights(wf, o.weights);
    if (gmm.K > 0) {
      out["prior_gmm"] = {{"k", gmm.K}, {"stored", true}};
      if (!o.quiet) std::printf("\nmixture prior: the file's, %zu components\n", gmm.K);
    }
  }
  void fit_prior(const vae::Dataset* train) {
    if (o.gmm_k == 0) return;
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
  // The mixture on held-out codes: the test images' mu, which the fit never saw. A K that only
  // memorizes the training codes shows here as a lower figure than the training one.
  void prior_on_test() {
    if (gmm.K == 0) return;
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
  void sample_scores(Cls* cls_loaded) {
    if (o.samples == 0) return;
    static_assert(Cls::dim_x == D, "the classifier reads the model's images");
    Cls& cls = *cls_loaded;   // loaded and checked before the first pass (main.cpp)
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

  json take_figures() { return std::move(out); }

 private:
  void stage(std::size_t first, std::size_t B) {
    for (std::size_t i = 0; i < B; ++i) idx[i] = static_cast<std::uint32_t>(first + i);
    vae::stage_batch(model.x.data(), test.images, idx.data(), B);
  }
  void report_losses(const PassSums& sampled, const PassSums& mean,
                     const std::array<PassSums, kClasses>& per_class) {
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
  }

  const Options& o;
  const vae::WeightsFile& wf;
  const vae::Dataset& test;
  const std::size_t Bmax;
  Model model;                      // its arena: parameters and every activation of a batch
  std::vector<std::uint32_t> idx;   // (Bmax) image indices of the batch being staged
  vae::Gmm gmm;                     // the mixture prior: stored or fitted; K = 0 when none
  json out;                         // every figure so far
};

template <class Model>
json run_model(const Options& o, const vae::WeightsFile& wf, const vae::Dataset& test,
               const vae::Dataset* train, Cls* cls) {
  Evaluation<Model> e(o, wf, test);
  e.losses();
  e.iwae_bound();
  e.stored_prior();
  e.fit_prior(train);
  e.prior_on_test();
  e.sample_scores(cls);
  return e.take_figures();
}

}  // namespace vae_eval
