// vae/trainer.hpp - the training loop: epochs of shuffled mini-batches, and test evaluation, for
// every model of the library.
//
// Trainer<Model, Staging> shuffles the training set each epoch with its one RNG stream, iterates
// batches of `batch` images (the last one may be partial), stages each batch into the model's
// arena and takes one step (a Vae's step stages the next batch itself, in time its backward pass
// leaves a core idle), tracks the running sums, and evaluates a data set batch by batch. It
// prints nothing: progress goes to a callback. What differs between models is the staging policy:
//   StageImages            an ImageSet; stages model.x; the model's steps are
//                          train_step(B, loss, adam, rng) and eval_step(B, loss, rng*) (Vae),
//                          returning LossSums. evaluate(set, sample_z) as the PyTorch reference
//                          does: z sampled once per image (sample_z), or z = mu.
//   StageImagesWithLabels  a Dataset (images and labels); stages model.x and model.labels; the
//                          steps are train_step(B, adam) and eval_step(B) (Classifier), returning
//                          ClassSums. Labels are checked against Model::num_classes up front.
// The default policy is the model's: Model::staging.
//
// Initialization is the caller's choice, said where the trainer is built: ParamInit::from_seed
// draws the model's parameters from the trainer's RNG stream (PyTorch's nn.Linear scheme) and
// resets Adam; ParamInit::keep leaves the model as it is (weights just loaded, a checkpoint about
// to be restored). Constructing a trainer never changes the parameters behind the caller's back.
//
//   vae::Trainer<vae::Vae784_400_20> trainer(model, train.images, opt, vae::ParamInit::from_seed);
//
// The first layer: the constructor sets the model's first-layer path (vae/sparse.hpp) from the
// training set's non-zero fraction, or as TrainOptions::first_layer says; only the speed differs.
//
// Allocation: the constructor allocates the shuffle order (one uint32 per training image) and a
// batch's index list; train_epoch() and evaluate() allocate nothing.
#pragma once

#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "vae/adam.hpp"
#include "vae/blas.hpp"
#include "vae/error.hpp"
#include "vae/idx.hpp"
#include "vae/losses.hpp"
#include "vae/sparse.hpp"
#include "vae_rt/rng.h"

namespace vae {

struct TrainOptions {
  LossSpec loss;                 // recon kind and beta (default MSE + 1 KL, vae_train's default)
  AdamConfig adam;               // lr and PyTorch's defaults
  std::size_t batch = 128;
  std::uint64_t seed = 1;
  bool flush_denormals = true;   // FTZ/DAZ on the training thread (see vae/blas.hpp)
  // enc_fc's products that read x (vae/sparse.hpp): automatic picks sparse for data below
  // sparse_density_threshold non-zero pixels (MNIST), dense otherwise (Fashion-MNIST).
  FirstLayerPath first_layer = FirstLayerPath::automatic;
};

// What one step reports to the progress callback; Sums is LossSums (Vae) or ClassSums.
template <class Sums>
struct BasicStepReport {
  std::size_t batch_index;   // 1-based, of batches_per_epoch
  std::size_t batches_per_epoch;
  const Sums& running;       // sums over the epoch so far
};
using StepReport = BasicStepReport<LossSums>;

// --- staging policies (see the header comment) -----------------------------------------------
struct StageImages {
  using Data = ImageSet;
  static const ImageSet& images(const ImageSet& d) { return d; }
  template <class Model>
  static void check(const ImageSet&, const char*) {}
  // The path of the model's first layer for this training set (a speed choice: the results agree
  // within float reassociation), from its non-zero fraction unless opt says which.
  template <class Model>
  static void configure(Model& m, const ImageSet& d, const TrainOptions& opt) {
    const double density = opt.first_layer == FirstLayerPath::automatic
                               ? nonzero_fraction(d.data(), d.size())
                               : 0.0;
    m.enc.first_layer = choose_first_layer(opt.first_layer, density);
  }
  template <class Model>
  static void stage(Model& m, const ImageSet& d, const std::uint32_t* idx, std::size_t B) {
    stage_batch(m.x.data(), d, idx, B);
  }
  template <class Model>
  static auto train_step(Model& m, std::size_t B, const TrainOptions& opt, vae_rt::Rng& rng) {
    return m.train_step(B, opt.loss, opt.adam, rng);
  }
  // The model's step stages the next batch itself (Vae::train_step with a PendingBatch).
  static constexpr bool step_stages_next = true;
  template <class Model>
  static auto train_step(Model& m, std::size_t B, const TrainOptions& opt, vae_rt::Rng& rng,
                         const PendingBatch& next) {
    return m.train_step(B, opt.loss, opt.adam, rng, next);
  }
  template <class Model>
  static auto eval_step(Model& m, std::size_t B, const TrainOptions& opt, vae_rt::Rng* rng) {
    return m.eval_step(B, opt.loss, rng);
  }
};

struct StageImagesWithLabels {
  using Data = Dataset;
  static const ImageSet& images(const Dataset& d) { return d.images; }
  template <class Model>
  static void check(const Dataset& d, const char* what) {
    if (d.labels.size() != d.size()) throw Error(std::string(what) + " labels and images disagree");
    for (std::uint8_t y : d.labels) {
      if (y >= Model::num_classes) {
        throw Error(std::string(what) + " label " + std::to_string(y) + " is not below " +
                    std::to_string(Model::num_classes) + " classes");
      }
    }
  }
  template <class Model>
  static void configure(Model&, const Dataset&, const TrainOptions&) {}   // dense first layer
  template <class Model>
  static void stage(Model& m, const Dataset& d, const std::uint32_t* idx, std::size_t B) {
    stage_batch(m.x.data(), d.images, idx, B);
    for (std::size_t i = 0; i < B; ++i) {
      if (idx[i] >= d.labels.size()) throw Error("label index " + std::to_string(idx[i]) + " out of range");
      m.labels[i] = d.labels[idx[i]];
    }
  }
  template <class Model>
  static auto train_step(Model& m, std::size_t B, const TrainOptions& opt, vae_rt::Rng&) {
    return m.train_step(B, opt.adam);
  }
  static constexpr bool step_stages_next = false;   // the Trainer stages every batch
  template <class Model>
  static auto eval_step(Model& m, std::size_t B, const TrainOptions&, vae_rt::Rng*) {
    return m.eval_step(B);
  }
};

template <class Model, class Staging = typename Model::staging>
class Trainer {
 public:
  using Data = typename Staging::Data;
  using Sums = decltype(Staging::train_step(std::declval<Model&>(), std::size_t{},
                                            std::declval<const TrainOptions&>(),
                                            std::declval<vae_rt::Rng&>()));
  using Report = BasicStepReport<Sums>;

  // init: ParamInit::from_seed initializes the parameters from opt.seed (PyTorch's nn.Linear
  // scheme) and resets Adam; ParamInit::keep leaves them as they are. The RNG stream is seeded
  // from opt.seed either way; from_seed draws the parameters from it first.
  Trainer(Model& model, const Data& train, TrainOptions opt, ParamInit init)
      : model_(model), train_(train), opt_(opt), order_(image_count(Staging::images(train))),
        batch_idx_(opt.batch) {
    const ImageSet& images = Staging::images(train);
    check_pixels(images, "training");
    if (opt.batch == 0 || opt.batch > model.max_batch()) {
      throw Error("batch " + std::to_string(opt.batch) + " is outside 1.." +
                  std::to_string(model.max_batch()) + " (the model's max batch)");
    }
    if (image_count(images) == 0 || image_count(images) > UINT32_MAX) throw Error("training set is empty or too large");
    Staging::template check<Model>(train, "training");
    Staging::template configure<Model>(model_, train, opt_);
    if (opt.flush_denormals) set_flush_denormals();
    vae_rt::rng_seed(&rng_, opt.seed, 0);
    if (init == ParamInit::from_seed) model_.init_params(rng_);
  }

  std::size_t batches_per_epoch() const { return (count() + opt_.batch - 1) / opt_.batch; }
  int epoch() const { return epoch_; }
  const TrainOptions& options() const { return opt_; }
  vae_rt::Rng& rng() { return rng_; }
  // For resuming from a checkpoint: the epochs done and the RNG state after them.
  void restore(int epochs_done, const vae_rt::Rng& rng) { epoch_ = epochs_done; rng_ = rng; }

  // One pass over the training set in a fresh random order (Fisher-Yates on the RNG stream).
  template <class Progress>
  Sums train_epoch(Progress&& progress) {
    std::iota(order_.begin(), order_.end(), 0u);
    for (std::size_t i = order_.size() - 1; i > 0; --i) {
      const std::size_t j = vae_rt::rng_below(&rng_, static_cast<std::uint32_t>(i + 1));
      std::swap(order_[i], order_[j]);
    }
    Sums running;
    const std::size_t nb = batches_per_epoch();
    for (std::size_t b = 0; b < nb; ++b) {
      const std::size_t first = b * opt_.batch, next = first + opt_.batch;
      const std::size_t B = batch_at(first, count());
      const bool last = b + 1 == nb;
      if constexpr (Staging::step_stages_next) {
        // The first batch is staged here; each later one by the step before it, while that step
        // no longer reads x (Vae::train_step with a PendingBatch).
        if (b == 0) Staging::stage(model_, train_, order_.data(), B);
        if (last) {
          running.add(Staging::train_step(model_, B, opt_, rng_));
        } else {
          const PendingBatch pending{&Staging::images(train_), order_.data() + next, batch_at(next, count())};
          running.add(Staging::train_step(model_, B, opt_, rng_, pending));
        }
      } else {
        Staging::stage(model_, train_, order_.data() + first, B);
        if (!last) {   // the next batch's images, on their way during this step
          prefetch_images(Staging::images(train_), order_.data() + next, batch_at(next, count()));
        }
        running.add(Staging::train_step(model_, B, opt_, rng_));
      }
      progress(Report{b + 1, nb, running});
    }
    ++epoch_;
    return running;
  }
  Sums train_epoch() {
    return train_epoch([](const Report&) {});
  }

  // The sums over a whole data set, in order, batch by batch. sample_z (models with a latent):
  // z drawn once per image from a stream seeded by (seed, epoch), so evaluation never disturbs
  // the training stream and repeats exactly; otherwise z = mu.
  Sums evaluate(const Data& set, bool sample_z = false) {
    const ImageSet& images = Staging::images(set);
    check_pixels(images, "evaluation");
    Staging::template check<Model>(set, "evaluation");
    vae_rt::Rng eval_rng;
    vae_rt::rng_seed(&eval_rng, opt_.seed + static_cast<std::uint64_t>(epoch_), 1);
    Sums sums;
    for (std::size_t first = 0; first < image_count(images); first += opt_.batch) {
      const std::size_t B = batch_at(first, image_count(images));
      for (std::size_t i = 0; i < B; ++i) batch_idx_[i] = static_cast<std::uint32_t>(first + i);
      Staging::stage(model_, set, batch_idx_.data(), B);
      sums.add(Staging::eval_step(model_, B, opt_, sample_z ? &eval_rng : nullptr));
    }
    return sums;
  }

 private:
  static void check_pixels(const ImageSet& images, const char* what) {
    if (pixels_per_image(images) != Model::dim_x) {
      throw Error(std::string(what) + " images have " + std::to_string(pixels_per_image(images)) +
                  " pixels; the model expects " + std::to_string(Model::dim_x));
    }
  }
  std::size_t count() const { return image_count(Staging::images(train_)); }
  // The images of the batch that starts at `first` of `total`: a full batch, or the last, partial one.
  std::size_t batch_at(std::size_t first, std::size_t total) const { return std::min(opt_.batch, total - first); }

  Model& model_;
  const Data& train_;
  TrainOptions opt_;
  vae_rt::Rng rng_;
  std::vector<std::uint32_t> order_;      // (N) this epoch's permutation of the training set
  std::vector<std::uint32_t> batch_idx_;  // (batch) indices of one evaluation batch
  int epoch_ = 0;
};

}  // namespace vae
