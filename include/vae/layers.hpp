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
// Layers own no memory: they hold pointers into the model's arena, bound once at init.
#pragma once

#include <cstddef>

#include "vae/blas.hpp"
#include "vae/parallel.hpp"

namespace vae {

// Fully connected: y (B, Out) = x (B, In) W^T + b, with W (Out, In) row-major as torch.nn.Linear.
template <std::size_t In, std::size_t Out>
struct Dense {
  static_assert(In > 0 && Out > 0, "Dense needs positive sizes");
  static constexpr std::size_t in = In;
  static constexpr std::size_t out = Out;
  static constexpr std::size_t num_weights = Out * In;
  static constexpr std::size_t num_params = Out * In + Out;

  const char* name = "";   // tensor-name prefix, e.g. "enc_fc" -> "enc_fc_w", "enc_fc_b"
  float* w = nullptr;      // (Out, In)  parameters, slice of the model's parameter block
  float* b = nullptr;      // (Out)
  float* dw = nullptr;     // (Out, In)  gradients, the same slice of the gradient block
  float* db = nullptr;     // (Out)

  // Slice this layer's parameters (W then b) from `params` and `grads`; advance both.
  void bind(const char* layer_name, float*& params, float*& grads) {
    name = layer_name;
    w = params; b = params + num_weights; params += num_params;
    dw = grads; db = grads + num_weights; grads += num_params;
  }

  // y (B, Out) = x (B, In) W^T + b. The bias is written into y first and sgemm adds the product
  // to it (beta = 1), which saves a pass over y.
  void forward(float* y, const float* x, std::size_t B) const {
    parallel_for(B, 16, [&](std::size_t, std::size_t lo, std::size_t hi) {
      for (std::size_t i = lo; i < hi; ++i) {
        float* yi = y + i * Out;
        for (std::size_t o = 0; o < Out; ++o) yi[o] = b[o];
      }
    });
    sgemm(Trans::no, Trans::yes, B, Out, In, 1.0f, x, In, w, In, 1.0f, y, Out);
  }

  // dW (Out, In) = dy^T x;  db (Out) = sum over rows of dy;  dx (B, In) = dy W (skipped if null).
  void backward(float* dx, const float* dy, const float* x, std::size_t B) {
    sgemm(Trans::yes, Trans::no, Out, In, B, 1.0f, dy, Out, x, In, 0.0f, dw, In);
    // Column sums, split by columns: each thread adds its columns' rows in row order.
    parallel_for(Out, 4096, [&](std::size_t, std::size_t lo, std::size_t hi) {
      for (std::size_t o = lo; o < hi; ++o) db[o] = 0.0f;
      for (std::size_t i = 0; i < B; ++i) {
        const float* dyi = dy + i * Out;
        for (std::size_t o = lo; o < hi; ++o) db[o] += dyi[o];
      }
    });
    if (dx) sgemm(Trans::no, Trans::no, B, In, Out, 1.0f, dy, Out, w, In, 0.0f, dx, In);
  }
};

// ReLU, in place on n values: y = max(x, 0).
inline void relu_forward(float* y, std::size_t n) {
  parallel_for(n, 16384, [&](std::size_t, std::size_t lo, std::size_t hi) {
    for (std::size_t i = lo; i < hi; ++i) y[i] = y[i] > 0.0f ? y[i] : 0.0f;
  });
}

// dx = dy where the output y > 0, else 0. Uses the saved output, so no pre-activation is kept.
// dx may alias dy.
inline void relu_backward(float* dx, const float* dy, const float* y, std::size_t n) {
  parallel_for(n, 16384, [&](std::size_t, std::size_t lo, std::size_t hi) {
    for (std::size_t i = lo; i < hi; ++i) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
  });
}

// Sigmoid y = 1 / (1 + e^-x) over n values, with the runtime's portable exp so that the
// training library and the device decode the same pixels from the same logits.
void sigmoid_forward(float* y, const float* x, std::size_t n);

// dx = dy * y * (1 - y) from the saved output y. dx may alias dy.
inline void sigmoid_backward(float* dx, const float* dy, const float* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) dx[i] = dy[i] * y[i] * (1.0f - y[i]);
}

// The reparameterization z = mu + eps * exp(logvar / 2), all (B, Z) flattened to n values.
// eps ~ N(0, I) is drawn by the caller (from the model's Rng) so that it can also be fixed.
void reparam_forward(float* z, const float* mu, const float* logvar, const float* eps,
                     std::size_t n);

// Given dz, ASSIGN d_mu = dz and d_logvar = dz * eps * exp(logvar / 2) / 2.
void reparam_backward(float* d_mu, float* d_logvar, const float* dz, const float* logvar,
                      const float* eps, std::size_t n);

}  // namespace vae
