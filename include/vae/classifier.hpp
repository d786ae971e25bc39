// vae/classifier.hpp - Classifier<D, H, C>: an MLP digit classifier on the same library as Vae.
//
//   x (B,D) -> cls_fc -> ReLU -> h (B,H) -> cls_out -> logits (B,C) -> softmax -> p(y|x) (B,C)
//
// It exists to judge the VAE's samples (apps/vae_eval --count) and to show that the pieces of
// the static graph compose into a second model: the same Dense layers (vae/layers.hpp, with their
// gradient rule), one Arena carved exactly like Vae's (params, grads, Adam m and v, then the
// activations for `max_batch` images; arena_bytes() is constexpr and carve() checks it), and
// adam_step over the one contiguous parameter block. After construction a train step allocates
// nothing (tests/test_classifier.cpp counts). Shape letters as in vae/layers.hpp, plus
//   C  classes (10 for MNIST digits).
//
// The loss is softmax cross-entropy, SUMMED over the images of a batch like every loss of this
// library (see vae/losses.hpp); Adam is invariant to that constant factor.
//
// Weight file: the .vaew format with flags 0, D, H and Z = C in the header and the tensors
// cls_fc_w (H, D), cls_fc_b (H), cls_out_w (C, H), cls_out_b (C); see docs/weights-format.md,
// "A classifier in the same format". A VAE reader rejects it (no dec_fc_w), and
// load_classifier rejects a VAE file (no cls_fc_w).
//
// Not a general network builder: the layer list is fixed, as for Vae.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <string>
#include <type_traits>
#include <vector>

#include "vae/adam.hpp"
#include "vae/arena.hpp"
#include "vae/blas.hpp"
#include "vae/error.hpp"
#include "vae/idx.hpp"
#include "vae/layers.hpp"
#include "vae/vae.hpp"       // init_uniform_fan_in
#include "vae/weights.hpp"
#include "vae_rt/rng.h"

namespace vae {

// Softmax cross-entropy over B rows of C logits, with labels y (B) in [0, C):
//   loss_i = -log softmax(a_i)[y_i] = logsumexp(a_i) - a_i[y_i],
//   logsumexp(a) = m + log sum_c e^(a_c - m),  m = max_c a_c,
// so no exponent is positive (no overflow) and the sum is >= 1 (no log of 0).
// probs (B, C), if not null, = softmax(a). d_logits (B, C), if not null, is ASSIGNED
// softmax(a_i) - onehot(y_i), the gradient of the summed loss. Returns the sum of loss_i
// (in double); *correct (if not null) counts rows whose argmax (first on ties) equals y_i.
double softmax_cross_entropy(float* probs, float* d_logits, const float* logits,
                             const std::uint8_t* labels, std::size_t B, std::size_t C,
                             std::size_t* correct);

// log softmax(a) of one row of C logits, stably (as above), into out (C).
void log_softmax(float* out, const float* logits, std::size_t C);

// Sums over a batch or a data set; per-image figures divide by `images`.
struct ClassSums {
  double loss = 0.0;       // summed cross-entropy, nats
  std::size_t correct = 0;
  std::size_t images = 0;

  void add(const ClassSums& o) { loss += o.loss; correct += o.correct; images += o.images; }
  double loss_per_image() const { return images ? loss / static_cast<double>(images) : 0.0; }
  double accuracy() const { return images ? static_cast<double>(correct) / static_cast<double>(images) : 0.0; }
};

template <std::size_t D = 784, std::size_t H = 256, std::size_t C = 10>
class Classifier {
 public:
  static constexpr std::size_t dim_x = D;
  static constexpr std::size_t dim_h = H;
  static constexpr std::size_t num_classes = C;

  Dense<D, H> fc;   // cls_fc
  Dense<H, C> out;  // cls_out
  static_assert(decltype(fc)::out == decltype(out)::in, "cls_fc feeds cls_out");
  static_assert(C >= 2 && C <= 256, "labels are bytes");

  static constexpr std::size_t num_params = decltype(fc)::num_params + decltype(out)::num_params;

  // Bytes of the one arena, for batches of up to max_batch images. Mirrors carve() line by line.
  static constexpr std::size_t arena_bytes(std::size_t max_batch) {
    const std::size_t B = max_batch;
    return 4 * floats_bytes(num_params)      // params, grads, adam_m, adam_v
           + floats_bytes(B * D)             // x
           + align_up(B)                     // labels
           + 2 * floats_bytes(B * H)         // h, d_h
           + 3 * floats_bytes(B * C);        // logits, probs, d_logits
  }

  explicit Classifier(std::size_t max_batch) : arena_(arena_bytes(max_batch)), max_batch_(max_batch) {
    carve();
  }
  Classifier(std::size_t max_batch, void* buffer, std::size_t bytes)
      : arena_(buffer, bytes), max_batch_(max_batch) {
    carve();
  }
  Classifier(const Classifier&) = delete;
  Classifier& operator=(const Classifier&) = delete;

  // (P) each, P = num_params, laid out cls_fc_w cls_fc_b cls_out_w cls_out_b.
  float* params = nullptr;    // (P)
  float* grads = nullptr;     // (P)  ASSIGNED by each backward (see vae/layers.hpp)
  float* adam_m = nullptr;    // (P)
  float* adam_v = nullptr;    // (P)
  std::int64_t adam_t = 0;

  float* x = nullptr;              // (B, D)  the staged batch, pixels in [0, 1]
  std::uint8_t* labels = nullptr;  // (B)     the staged labels
  float* h = nullptr;              // (B, H)  relu(cls_fc(x))
  float* d_h = nullptr;            // (B, H)
  float* logits = nullptr;         // (B, C)
  float* probs = nullptr;          // (B, C)  softmax(logits), p(y|x)
  float* d_logits = nullptr;       // (B, C)  written by the loss

  std::size_t max_batch() const { return max_batch_; }
  std::size_t arena_used() const { return arena_.used(); }

  template <class F> void for_each_layer(F&& f) { f(fc); f(out); }

  void init_params(vae_rt::Rng& rng) {
    for_each_layer([&](auto& layer) { init_uniform_fan_in(layer, rng); });
    for (std::size_t i = 0; i < num_params; ++i) adam_m[i] = adam_v[i] = 0.0f;
    adam_t = 0;
  }

  // logits (B, C) from the staged x.
  void forward(std::size_t B) {
    check_batch(B);
    fc.forward(h, x, B);
    relu_forward(h, B * H);
    out.forward(logits, h, B);
  }
  // probs (B, C) = p(y|x) of the staged x.
  void predict(std::size_t B) {
    forward(B);
    for (std::size_t i = 0; i < B; ++i) {
      log_softmax(probs + i * C, logits + i * C, C);
      for (std::size_t c = 0; c < C; ++c) probs[i * C + c] = std::exp(probs[i * C + c]);
    }
  }
  // Loss of the current forward pass against the staged labels; with_grad writes d_logits.
  ClassSums loss(std::size_t B, bool with_grad) {
    ClassSums s;
    s.loss = softmax_cross_entropy(probs, with_grad ? d_logits : nullptr, logits, labels, B, C,
                                   &s.correct);
    s.images = B;
    return s;
  }
  // Parameter gradients from d_logits. The input gradient is not needed (x is data).
  void backward(std::size_t B) {
    out.backward(d_h, d_logits, h, B);
    relu_backward(d_h, d_h, h, B * H);
    fc.backward(nullptr, d_h, x, B);
  }

  // One Adam step on the staged batch (x, labels). Returns the loss before the update.
  ClassSums train_step(std::size_t B, const AdamConfig& adam) {
    forward(B);
    const ClassSums s = loss(B, true);
    backward(B);
    adam_step(params, grads, adam_m, adam_v, num_params, adam, ++adam_t);
    return s;
  }
  ClassSums eval_step(std::size_t B) {
    forward(B);
    return loss(B, false);
  }

 private:
  void check_batch(std::size_t B) const {
    if (B == 0 || B > max_batch_) {
      throw Error("batch of " + std::to_string(B) + " images: the classifier was built for 1.." +
                  std::to_string(max_batch_));
    }
  }
  void carve() {
    const std::size_t B = max_batch_;
    params = arena_.carve_floats(num_params, "params");
    grads = arena_.carve_floats(num_params, "grads");
    adam_m = arena_.carve_floats(num_params, "adam_m");
    adam_v = arena_.carve_floats(num_params, "adam_v");
    x = arena_.carve_floats(B * D, "x");
    labels = static_cast<std::uint8_t*>(arena_.carve_bytes(B, "labels"));
    h = arena_.carve_floats(B * H, "h");
    d_h = arena_.carve_floats(B * H, "d_h");
    logits = arena_.carve_floats(B * C, "logits");
    probs = arena_.carve_floats(B * C, "probs");
    d_logits = arena_.carve_floats(B * C, "d_logits");
    float* p = params;
    float* g = grads;
    fc.bind("cls_fc", p, g);
    out.bind("cls_out", p, g);
    if (arena_.used() != arena_bytes(B) || p != params + num_params) {
      throw Error("internal: carve() and arena_bytes() disagree (" + std::to_string(arena_.used()) +
                  " vs " + std::to_string(arena_bytes(B)) + " bytes)");
    }
  }

  Arena arena_;
  std::size_t max_batch_;
};

using Classifier784_256_10 = Classifier<784, 256, 10>;

// Stage labels y (B) for images idx[0..B); no allocation.
inline void stage_labels(std::uint8_t* y, const Labels& labels,
                         const std::uint32_t* idx, std::size_t B) {
  for (std::size_t i = 0; i < B; ++i) {
    if (idx[i] >= labels.size()) throw Error("label index " + std::to_string(idx[i]) + " out of range");
    y[i] = labels[idx[i]];
  }
}

// Epochs of shuffled mini-batches for a Classifier, on the Trainer's pattern (vae/trainer.hpp):
// the constructor allocates the permutation and an index list; train_epoch() and evaluate()
// allocate nothing. Shuffling uses one RNG stream seeded by `seed`, which also initializes the
// parameters.
template <class Model>
class ClassifierTrainer {
 public:
  // init: ParamInit::from_seed initializes the parameters from `seed`, ParamInit::keep leaves
  // them as they are (vae/trainer.hpp); the shuffle stream is seeded from `seed` either way.
  ClassifierTrainer(Model& model, const Dataset& train, std::size_t batch, AdamConfig adam,
                    std::uint64_t seed, ParamInit init)
      : model_(model), train_(train), batch_(batch), adam_(adam), order_(train.size()),
        idx_(batch) {
    if (pixels_per_image(train.images) != Model::dim_x) {
      throw Error("training images have " + std::to_string(pixels_per_image(train.images)) +
                  " pixels; the classifier expects " + std::to_string(Model::dim_x));
    }
    if (train.labels.size() != train.size()) throw Error("training labels and images disagree");
    if (batch == 0 || batch > model.max_batch()) {
      throw Error("batch " + std::to_string(batch) + " is outside 1.." +
                  std::to_string(model.max_batch()) + " (the model's max batch)");
    }
    if (train.size() == 0 || train.size() > UINT32_MAX) throw Error("training set is empty or too large");
    check_labels(train, "training");
    vae_rt::rng_seed(&rng_, seed, 0);
    if (init == ParamInit::from_seed) model_.init_params(rng_);
  }

  std::size_t batches_per_epoch() const { return (train_.size() + batch_ - 1) / batch_; }

  ClassSums train_epoch() {
    std::iota(order_.begin(), order_.end(), 0u);
    for (std::size_t i = order_.size() - 1; i > 0; --i) {
      const std::size_t j = vae_rt::rng_below(&rng_, static_cast<std::uint32_t>(i + 1));
      std::swap(order_[i], order_[j]);
    }
    ClassSums sums;
    for (std::size_t first = 0; first < train_.size(); first += batch_) {
      const std::size_t B = std::min(batch_, train_.size() - first);
      stage_batch(model_.x, train_.images, order_.data() + first, B);
      stage_labels(model_.labels, train_.labels, order_.data() + first, B);
      sums.add(model_.train_step(B, adam_));
    }
    return sums;
  }

  ClassSums evaluate(const Dataset& set) {
    if (pixels_per_image(set.images) != Model::dim_x) throw Error("evaluation images have the wrong size");
    check_labels(set, "evaluation");
    ClassSums sums;
    for (std::size_t first = 0; first < set.size(); first += batch_) {
      const std::size_t B = std::min(batch_, set.size() - first);
      for (std::size_t i = 0; i < B; ++i) idx_[i] = static_cast<std::uint32_t>(first + i);
      stage_batch(model_.x, set.images, idx_.data(), B);
      stage_labels(model_.labels, set.labels, idx_.data(), B);
      sums.add(model_.eval_step(B));
    }
    return sums;
  }

 private:
  static void check_labels(const Dataset& d, const char* what) {
    for (std::uint8_t y : d.labels) {
      if (y >= Model::num_classes) {
        throw Error(std::string(what) + " label " + std::to_string(y) + " is not below " +
                    std::to_string(Model::num_classes) + " classes");
      }
    }
  }

  Model& model_;
  const Dataset& train_;
  std::size_t batch_;
  AdamConfig adam_;
  vae_rt::Rng rng_;
  std::vector<std::uint32_t> order_;  // (N) this epoch's permutation
  std::vector<std::uint32_t> idx_;    // (batch) one evaluation batch's indices
};

// --- the weight file (docs/weights-format.md, "A classifier in the same format") ------------
inline constexpr const char* cls_note_prefix = "classifier";

template <class Model>
WeightsFile classifier_weights(Model& model, const std::string& note) {
  WeightsFile wf;
  wf.flags = 0;   // no encoder, no decoder: a VAE reader finds no dec_fc_w and says so
  wf.dim_x = static_cast<std::uint32_t>(Model::dim_x);
  wf.dim_h = static_cast<std::uint32_t>(Model::dim_h);
  wf.dim_z = static_cast<std::uint32_t>(Model::num_classes);
  wf.note = note.empty() ? std::string(cls_note_prefix) : std::string(cls_note_prefix) + ": " + note;
  model.for_each_layer([&](auto& layer) {
    using L = std::decay_t<decltype(layer)>;
    const std::string name = layer.name;
    wf.tensors.push_back(float_tensor(name + "_w", static_cast<std::uint32_t>(L::out),
                                      static_cast<std::uint32_t>(L::in), layer.w));
    wf.tensors.push_back(float_tensor(name + "_b", static_cast<std::uint32_t>(L::out), 0, layer.b));
  });
  return wf;
}

template <class Model>
void save_classifier(Model& model, const std::string& path, const std::string& note = {}) {
  write_weights(path, classifier_weights(model, note));
}

// Dims and shapes must match; errors name the file and what was expected.
template <class Model>
void classifier_from_weights(const WeightsFile& wf, Model& model, const std::string& path) {
  if (!wf.find("cls_fc_w")) {
    throw Error(path + ": not a classifier file (no tensor cls_fc_w; a VAE file holds enc_*/dec_*)");
  }
  auto check_dim = [&](const char* what, std::uint32_t file, std::size_t build) {
    if (file != build) {
      throw Error(path + ": file has " + what + " " + std::to_string(file) +
                  ", this build expects " + std::to_string(build));
    }
  };
  check_dim("image size", wf.dim_x, Model::dim_x);
  check_dim("hidden", wf.dim_h, Model::dim_h);
  check_dim("classes", wf.dim_z, Model::num_classes);
  layers_from_weights(wf, model, path);
}

template <class Model>
void load_classifier(Model& model, const std::string& path) {
  classifier_from_weights(read_weights(path), model, path);
}

}  // namespace vae
