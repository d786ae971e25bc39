// vae/layers.hpp - the layers of the static graph, each a forward/backward pair.
//
// Shape letters, used in every buffer comment of the training library:
//   B  images in the batch (<= the model's max batch)      D  pixels per image (784)
//   H  hidden units                                         Z  latent dimensions
//   In, Out  a Dense layer's input and output widths
//
// The layer interface, written once (every layer below follows it):
//   forward(out..., in...)          computes outputs from inputs; outputs come first.
//   backward(d_in..., d_out..., saved...)
//       takes the gradient of the loss with respect to the layer's outputs and
//       - ASSIGNS (=) the gradient with respect to its inputs (activation gradients), and
//       - ASSIGNS (=) the gradient with respect to its parameters.
//   Parameter gradients are assigned rather than accumulated because in this static graph every
//   parameter is used exactly once per step: no zero-grad pass is needed. A layer reused twice in
//   one step would have to accumulate instead.
// Exception, said where it happens: backward's `beta = 1` mode ADDS the input gradient into d_in,
// for an input that feeds two layers (the encoder's h feeds enc_mu and enc_logvar).
// Layers own no memory: they hold shaped handles (vae/tensor.hpp) into the model's arena, bound
// once at init. Elementwise passes are out of line (lib/train/layers.cpp), written as xtensor
// expressions there, so that the apps that include this header do not compile xtensor's
// expression templates.
#pragma once

#include <cmath>
#include <cstddef>

#include "vae/tensor.hpp"
#include "vae_rt/rng.h"

namespace vae {

// --- elementwise passes (lib/train/layers.cpp), over n values or (B, N) rows ------------------
// y (B, N) = b (N) broadcast over the rows.
void bias_rows(float* y, const float* b, std::size_t B, std::size_t N);
// db (N) = column sums of dy (B, N), rows added in order.
void bias_grad(float* db, const float* dy, std::size_t B, std::size_t N);
// ReLU in place on n values: y = max(y, 0).
void relu_forward(float* y, std::size_t n);
// dx = dy where the output y > 0, else 0. Uses the saved output, so no pre-activation is kept.
// dx may alias dy.
void relu_backward(float* dx, const float* dy, const float* y, std::size_t n);

// Fully connected: y (B, Out) = x (B, In) W^T + b, with W (Out, In) row-major as torch.nn.Linear.
template <std::size_t In, std::size_t Out>
struct Dense {
  static_assert(In > 0 && Out > 0, "Dense needs positive sizes");
  static constexpr std::size_t in = In;
  static constexpr std::size_t out = Out;
  static constexpr std::size_t num_weights = Out * In;
  static constexpr std::size_t num_params = Out * In + Out;

  const char* name = "";   // tensor-name prefix, e.g. "enc_fc" -> "enc_fc_w", "enc_fc_b"
  Mat<Out, In> w;          // (Out, In)  parameters, slice of the model's parameter block
  Vec<Out> b;              // (Out)
  Mat<Out, In> dw;         // (Out, In)  gradients, the same slice of the gradient block
  Vec<Out> db;             // (Out)

  // Slice this layer's parameters (W then b) from `params` and `grads`; advance both.
  void bind(const char* layer_name, float*& params, float*& grads) {
    name = layer_name;
    w = Mat<Out, In>(params); b = Vec<Out>(params + num_weights); params += num_params;
    dw = Mat<Out, In>(grads); db = Vec<Out>(grads + num_weights); grads += num_params;
  }

  // y (B, Out) = x (B, In) W^T + b. The bias is written into y first and the product is added
  // to it (beta = 1), which saves a pass over y.
  void forward(const Rows<Out>& y, const Rows<In>& x, std::size_t B) const {
    bias_rows(y.data(), b.data(), B, Out);
    matmul_xwt(y, x, w, B, 1.0f);
  }

  // dW (Out, In) = dy^T x;  db (Out) = column sums of dy;  then the input gradient:
  //   Grad::assign      dx (B, In)  = dy W
  //   Grad::accumulate  dx (B, In) += dy W   (an input shared with another layer)
  //   Grad::none        no dx (the input is data)
  enum class Grad { assign, accumulate, none };
  void backward(const Rows<In>& dx, const Rows<Out>& dy, const Rows<In>& x, std::size_t B,
                Grad mode = Grad::assign) {
    matmul_dytx(dw, dy, x, B, 0.0f);
    bias_grad(db.data(), dy.data(), B, Out);
    if (mode != Grad::none) matmul_dyw(dx, dy, w, B, mode == Grad::accumulate ? 1.0f : 0.0f);
  }
  // The same with no input gradient.
  void backward(const Rows<Out>& dy, const Rows<In>& x, std::size_t B) {
    backward(Rows<In>(), dy, x, B, Grad::none);
  }
};

// PyTorch's nn.Linear default initialization: W and b uniform in +-1/sqrt(fan_in), W first.
template <class Layer>
void init_uniform_fan_in(Layer& layer, vae_rt::Rng& rng) {
  const float bound = 1.0f / std::sqrt(static_cast<float>(Layer::in));
  float* w = layer.w.data();
  float* b = layer.b.data();
  for (std::size_t i = 0; i < Layer::num_weights; ++i) w[i] = vae_rt::rng_uniform(&rng, -bound, bound);
  for (std::size_t i = 0; i < Layer::out; ++i) b[i] = vae_rt::rng_uniform(&rng, -bound, bound);
}

// Sigmoid y = 1 / (1 + e^-x) over n values, with the runtime's portable exp so that the
// training library and the device decode the same pixels from the same logits.
void sigmoid_forward(float* y, const float* x, std::size_t n);

// dx = dy * y * (1 - y) from the saved output y. dx may alias dy.
void sigmoid_backward(float* dx, const float* dy, const float* y, std::size_t n);

// The reparameterization z = mu + eps * exp(logvar / 2), all (B, Z) flattened to n values.
// eps ~ N(0, I) is drawn by the caller (from the model's Rng) so that it can also be fixed.
void reparam_forward(float* z, const float* mu, const float* logvar, const float* eps,
                     std::size_t n);

// Given dz, ASSIGN d_mu = dz and d_logvar = dz * eps * exp(logvar / 2) / 2.
void reparam_backward(float* d_mu, float* d_logvar, const float* dz, const float* logvar,
                      const float* eps, std::size_t n);

}  // namespace vae
