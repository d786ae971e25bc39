// vae/classifier.hpp - Classifier<D, H, C>: an MLP digit classifier on the same library as Vae.
//
//   x (B,D) -> cls_fc -> ReLU -> h (B,H) -> cls_out -> logits (B,C) -> softmax -> p(y|x) (B,C)
//
// It exists to judge the VAE's samples (apps/vae_eval --count) and to show that the pieces of
// the static graph compose into a second model: the same Dense layers (vae/layers.hpp, with their
// gradient rule), the same ParamBlock (vae/param_block.hpp: params, grads, Adam m and v, the
// arena agreement check), one Arena carved like Vae's (the ParamBlock, then the activations for
// `max_batch` images; arena_bytes() is constexpr and carve() checks it), and the one Trainer
// (vae/trainer.hpp) with the images-and-labels staging. After construction a train step
// allocates nothing (tests/test_classifier.cpp counts). Shape letters as in vae/layers.hpp, plus
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
#include "vae/param_block.hpp"
#include "vae/tensor.hpp"
#include "vae/trainer.hpp"
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
class Classifier : public ParamBlock<Dense<D, H>::num_params + Dense<H, C>::num_params> {
  using Block = ParamBlock<Dense<D, H>::num_params + Dense<H, C>::num_params>;

 public:
  static constexpr std::size_t dim_x = D;
  static constexpr std::size_t dim_h = H;
  static constexpr std::size_t num_classes = C;
  using staging = StageImagesWithLabels;   // Trainer<Classifier> stages images and labels

  Dense<D, H> fc;   // cls_fc
  Dense<H, C> out;  // cls_out
  static_assert(decltype(fc)::out == decltype(out)::in, "cls_fc feeds cls_out");
  static_assert(C >= 2 && C <= 256, "labels are bytes");

  static constexpr std::size_t num_params = Block::num_params;

  // Bytes of the one arena, for batches of up to max_batch images. Mirrors carve() line by line.
  static constexpr std::size_t arena_bytes(std::size_t max_batch) {
    const std::size_t B = max_batch;
    return Block::param_bytes()              // params, grads, adam_m, adam_v
           + floats_bytes(B * D)             // x
           + align_up(B)                     // labels
           + 2 * floats_bytes(B * H)         // h, d_h
           + 3 * floats_bytes(B * C);        // logits, probs, d_logits
  }

  // The arena is allocated here (arena_bytes(max_batch)), or the caller's buffer is borrowed.
  explicit Classifier(std::size_t max_batch) : Block(max_batch, arena_bytes(max_batch)) { carve(); }
  Classifier(std::size_t max_batch, void* buffer, std::size_t bytes) : Block(max_batch, buffer, bytes) {
    carve();
  }

  // params, grads, adam_m, adam_v, adam_t: ParamBlock's members, (P) each, P = num_params,
  // laid out cls_fc_w cls_fc_b cls_out_w cls_out_b.

  Rows<D> x;                        // (B, D)  the staged batch, pixels in [0, 1]
  Rows<1, std::uint8_t> labels;     // (B)     the staged labels
  Rows<H> h;                        // (B, H)  relu(cls_fc(x))
  Rows<H> d_h;                      // (B, H)
  Rows<C> logits;                   // (B, C)
  Rows<C> probs;                    // (B, C)  softmax(logits), p(y|x)
  Rows<C> d_logits;                 // (B, C)  written by the loss

  // max_batch(), arena_used(), arena_capacity(): from ModelArena (vae/param_block.hpp).

  template <class F> void for_each_layer(F&& f) { f(fc); f(out); }

  void init_params(vae_rt::Rng& rng) {
    this->init([&](auto&& f) { for_each_layer(f); }, rng);
  }

  // logits (B, C) from the staged x.
  void forward(std::size_t B) {
    check_batch_size(B, this->max_batch_, "classifier");
    fc.forward(h, x, B, Act::relu);   // bias + product + ReLU per block of h
    out.forward(logits, h, B);
  }
  // probs (B, C) = p(y|x) of the staged x.
  void predict(std::size_t B) {
    forward(B);
    for (std::size_t i = 0; i < B; ++i) {
      float* p = probs.row(i);
      log_softmax(p, logits.row(i), C);
      for (std::size_t c = 0; c < C; ++c) p[c] = std::exp(p[c]);
    }
  }
  // Loss of the current forward pass against the staged labels; with_grad writes d_logits.
  ClassSums loss(std::size_t B, bool with_grad) {
    ClassSums s;
    s.loss = softmax_cross_entropy(probs.data(), with_grad ? d_logits.data() : nullptr,
                                   logits.data(), labels.data(), B, C, &s.correct);
    s.images = B;
    return s;
  }
  // Parameter gradients from d_logits. The input gradient is not needed (x is data).
  void backward(std::size_t B) {
    using Grad = typename decltype(out)::Grad;
    out.weight_grad(d_logits, h, B);
    // d_h = d_logits W_out, with ReLU' and fc's bias gradient in the product's parts.
    out.input_grad_relu(d_h, d_logits, h, fc.db.data(), B, Grad::assign);
    fc.weight_grad(d_h, x, B, /*bias=*/false);
  }

  // One Adam step on the staged batch (x, labels). Returns the loss before the update.
  ClassSums train_step(std::size_t B, const AdamConfig& adam) {
    forward(B);
    const ClassSums s = loss(B, true);
    backward(B);
    this->adam_update(adam);
    return s;
  }
  ClassSums eval_step(std::size_t B) {
    forward(B);
    return loss(B, false);
  }

 private:
  void carve() {
    const std::size_t B = this->max_batch_;
    this->carve_params();
    x = carve_rows<D>(this->arena_, B, "x");
    labels = Rows<1, std::uint8_t>(static_cast<std::uint8_t*>(this->arena_.carve_bytes(B, "labels")), B);
    h = carve_rows<H>(this->arena_, B, "h");
    d_h = carve_rows<H>(this->arena_, B, "d_h");
    logits = carve_rows<C>(this->arena_, B, "logits");
    probs = carve_rows<C>(this->arena_, B, "probs");
    d_logits = carve_rows<C>(this->arena_, B, "d_logits");
    this->bind_layers([&](float*& p, float*& g) {
      fc.bind("cls_fc", p, g);
      out.bind("cls_out", p, g);
    });
    this->check_carve(arena_bytes(B));
  }
};

using Classifier784_256_10 = Classifier<784, 256, 10>;

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
  layers_to_weights(wf, model);
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
  const struct { const char* what; std::uint32_t file; std::size_t build; } dims[] = {
      {"image size", wf.dim_x, Model::dim_x},
      {"hidden", wf.dim_h, Model::dim_h},
      {"classes", wf.dim_z, Model::num_classes}};
  for (const auto& d : dims) {
    if (d.file == d.build) continue;
    throw Error(path + ": file has " + d.what + " " + std::to_string(d.file) +
                ", this build expects " + std::to_string(d.build));
  }
  layers_from_weights(wf, model, path);
}

template <class Model>
void load_classifier(Model& model, const std::string& path) {
  classifier_from_weights(read_weights(path), model, path);
}

}  // namespace vae
