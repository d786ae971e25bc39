// vae/trainer.hpp - the training loop: epochs of shuffled mini-batches, and test evaluation.
//
// Trainer<Model> drives any model with the Vae interface (stage into model.x, train_step,
// eval_step). It shuffles the training set each epoch with the model's one RNG stream, iterates
// batches of `batch` images (the last one may be partial), tracks the running loss and its terms,
// and evaluates a test set as the PyTorch reference does: z sampled once per image. It also
// evaluates with z = mu. It prints nothing: progress goes to a callback.
//
// Initialization is the caller's choice, said where the trainer is built: ParamInit::from_seed
// draws the model's parameters from the trainer's RNG stream (PyTorch's nn.Linear scheme) and
// resets Adam; ParamInit::keep leaves the model as it is (weights just loaded, a checkpoint about
// to be restored). Constructing a trainer never changes the model behind the caller's back.
//
//   vae::Trainer<vae::Vae784_400_20> trainer(model, train.images, opt, vae::ParamInit::from_seed);
//
// Allocation: the constructor allocates the shuffle order (one uint32 per training image) and a
// batch's index list; train_epoch() and evaluate() allocate nothing.
#pragma once

#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "vae/adam.hpp"
#include "vae/blas.hpp"
#include "vae/error.hpp"
#include "vae/idx.hpp"
#include "vae/losses.hpp"
#include "vae_rt/rng.h"

namespace vae {

struct TrainOptions {
  LossSpec loss;                 // recon kind and beta (default MSE + 1 KL, vae_train's default)
  AdamConfig adam;               // lr and PyTorch's defaults
  std::size_t batch = 128;
  std::uint64_t seed = 1;
  bool flush_denormals = true;   // FTZ/DAZ on the training thread (see vae/blas.hpp)
};

// What one step reports to the progress callback.
struct StepReport {
  std::size_t batch_index;   // 1-based, of batches_per_epoch
  std::size_t batches_per_epoch;
  const LossSums& running;   // sums over the epoch so far
};

template <class Model>
class Trainer {
 public:
  // init: ParamInit::from_seed initializes the parameters from opt.seed (PyTorch's nn.Linear
  // scheme) and resets Adam; ParamInit::keep leaves them as they are. The RNG stream is seeded
  // from opt.seed either way; from_seed draws the parameters from it first.
  Trainer(Model& model, const ImageSet& train, TrainOptions opt, ParamInit init)
      : model_(model), train_(train), opt_(opt), order_(image_count(train)), batch_idx_(opt.batch) {
    if (pixels_per_image(train) != Model::dim_x) {
      throw Error("training images have " + std::to_string(pixels_per_image(train)) +
                  " pixels; the model expects " + std::to_string(Model::dim_x));
    }
    if (opt.batch == 0 || opt.batch > model.max_batch()) {
      throw Error("batch " + std::to_string(opt.batch) + " is outside 1.." +
                  std::to_string(model.max_batch()) + " (the model's max batch)");
    }
    if (image_count(train) == 0 || image_count(train) > UINT32_MAX) throw Error("training set is empty or too large");
    if (opt.flush_denormals) set_flush_denormals();
    vae_rt::rng_seed(&rng_, opt.seed, 0);
    if (init == ParamInit::from_seed) model_.init_params(rng_);
  }

  std::size_t batches_per_epoch() const { return (image_count(train_) + opt_.batch - 1) / opt_.batch; }
  int epoch() const { return epoch_; }
  const TrainOptions& options() const { return opt_; }
  vae_rt::Rng& rng() { return rng_; }
  // For resuming from a checkpoint: the epochs done and the RNG state after them.
  void restore(int epochs_done, const vae_rt::Rng& rng) { epoch_ = epochs_done; rng_ = rng; }

  // One pass over the training set in a fresh random order (Fisher-Yates on the RNG stream).
  template <class Progress>
  LossSums train_epoch(Progress&& progress) {
    std::iota(order_.begin(), order_.end(), 0u);
    for (std::size_t i = order_.size() - 1; i > 0; --i) {
      const std::size_t j = vae_rt::rng_below(&rng_, static_cast<std::uint32_t>(i + 1));
      std::swap(order_[i], order_[j]);
    }
    LossSums running;
    const std::size_t nb = batches_per_epoch();
    for (std::size_t b = 0; b < nb; ++b) {
      const std::size_t first = b * opt_.batch;
      const std::size_t B = std::min(opt_.batch, image_count(train_) - first);
      stage_batch(model_.x, train_, order_.data() + first, B);
      running.add(model_.train_step(B, opt_.loss, opt_.adam, rng_));
      progress(StepReport{b + 1, nb, running});
    }
    ++epoch_;
    return running;
  }
  LossSums train_epoch() {
    return train_epoch([](const StepReport&) {});
  }

  // The loss over a whole image set, in order, batch by batch. sample_z: z drawn once per image
  // from a stream seeded by (seed, epoch), so evaluation never disturbs the training stream and
  // repeats exactly; otherwise z = mu.
  LossSums evaluate(const ImageSet& images, bool sample_z) {
    if (pixels_per_image(images) != Model::dim_x) {
      throw Error("evaluation images have " + std::to_string(pixels_per_image(images)) +
                  " pixels; the model expects " + std::to_string(Model::dim_x));
    }
    vae_rt::Rng eval_rng;
    vae_rt::rng_seed(&eval_rng, opt_.seed + static_cast<std::uint64_t>(epoch_), 1);
    LossSums sums;
    for (std::size_t first = 0; first < image_count(images); first += opt_.batch) {
      const std::size_t B = std::min(opt_.batch, image_count(images) - first);
      for (std::size_t i = 0; i < B; ++i) batch_idx_[i] = static_cast<std::uint32_t>(first + i);
      stage_batch(model_.x, images, batch_idx_.data(), B);
      sums.add(model_.eval_step(B, opt_.loss, sample_z ? &eval_rng : nullptr));
    }
    return sums;
  }

 private:
  Model& model_;
  const ImageSet& train_;
  TrainOptions opt_;
  vae_rt::Rng rng_;
  std::vector<std::uint32_t> order_;      // (N) this epoch's permutation of the training set
  std::vector<std::uint32_t> batch_idx_;  // (batch) indices of one evaluation batch
  int epoch_ = 0;
};

}  // namespace vae
