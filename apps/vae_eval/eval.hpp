// eval.hpp - what vae_eval's command line (main.cpp) hands to the evaluation of one model
// (eval_model.hpp): the options, and run_model, instantiated once per shape of VAE_MODELS in a
// translation unit of its own (eval_model.cpp.in). Free of CLI11 and of the model's code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "vae/classifier.hpp"
#include "vae/idx.hpp"
#include "vae/vae.hpp"
#include "vae/weights.hpp"
#include "vae_models.hpp"

namespace vae_eval {

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

using Cls = vae::Classifier784_256_10;

// Every figure of the model in wf (its shape: Model's) as JSON, the tables on stdout unless quiet.
// train: the training set of --fit-prior (empty without); cls: the loaded classifier of --count.
template <class Model>
nlohmann::json run_model(const Options& o, const vae::WeightsFile& wf, const vae::Dataset& test,
                         const vae::Dataset* train, Cls* cls);

#define VAE_MODEL(X, H, Z)                                                                            \
  extern template nlohmann::json run_model<vae::Vae<X, H, Z>>(const Options&, const vae::WeightsFile&, \
                                                              const vae::Dataset&, const vae::Dataset*, Cls*);
#include "vae_models.def"
#undef VAE_MODEL

}  // namespace vae_eval
