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

// --- the same passes on one block of a product's output (issue 19: fewer passes over memory) ---
// Each works on the GemmBlock (vae/blas.hpp) that one part of a product writes, in the part's own
// pool task, while the block is in that core's cache: sgemm's hooks call them (the Hook structs
// below), and a product of another kind (a sparse first layer, say) calls them on its own chunks.
// Each computes exactly what its whole-array pass above computes, element for element and in the
// same order (bias_grad's column sums add the rows in order), so fused and separate passes give
// the same bits.
// y[r0:r1, c0:c1] = b[c0:c1]: the bias, written before a product that adds to it (beta = 1).
void bias_fill_block(const GemmBlock& y, const float* b);
// y = max(y, 0) on the block.
void relu_block(const GemmBlock& y);
// dy = dy where y > 0, else 0, on the block (y: the saved ReLU output, laid out as dy). With db
// not null the block must hold rows 0..B of its columns, and db[c0:c1] = their column sums after
// the mask: the bias gradient of the layer whose output went through the ReLU.
void relu_grad_block(const GemmBlock& dy, const float* y, float* db);
// db[lo:hi] = column sums of dy (B, N) over columns lo..hi, rows added in order (as bias_grad).
void bias_grad_cols(float* db, const float* dy, std::size_t B, std::size_t N, std::size_t lo,
                    std::size_t hi);

// The passes above as sgemm hooks. Each is a small struct that holds the hook's operands; hook()
// points at it, so it must outlive the product (a local beside the call).
struct BiasFillHook {   // prologue: y = b broadcast
  const float* b;
  BlockHook hook() const {
    return {[](const void* c, const GemmBlock& blk) { bias_fill_block(blk, static_cast<const BiasFillHook*>(c)->b); }, this};
  }
};
struct ReluHook {   // epilogue: y = max(y, 0)
  BlockHook hook() const {
    return {[](const void*, const GemmBlock& blk) { relu_block(blk); }, this};
  }
};
struct ReluGradHook {   // epilogue: dy *= relu'(y), and db = column sums when fuse_db
  const float* y;
  float* db;
  BlockHook hook() const {
    return {[](const void* c, const GemmBlock& blk) {
              const auto* h = static_cast<const ReluGradHook*>(c);
              relu_grad_block(blk, h->y, h->db);
            },
            this};
  }
};
// Epilogue of a weight-gradient product dW (Out, In) = dy^T x: db = column sums of dy (B, Out),
// each part the Out rows of dW it wrote (split by rows; the part read those columns of dy for its
// product, so they are in its cache), or, split by columns, the share of Out in proportion to
// its columns [c0, c1) of In: the blocks tile [0, In), so the shares tile [0, Out). (Not by part
// number: a part whose range is empty runs no hook.)
struct BiasGradHook {
  float* db;         // (Out)
  const float* dy;   // (B, Out)
  std::size_t B, out, in;
  bool by_rows;      // sgemm_splits_rows(Out, In): the product's blocks are rows of dW
  BlockHook hook() const {
    return {[](const void* c, const GemmBlock& blk) {
              const auto* h = static_cast<const BiasGradHook*>(c);
              const std::size_t lo = h->by_rows ? blk.r0 : h->out * blk.c0 / h->in;
              const std::size_t hi = h->by_rows ? blk.r1 : h->out * blk.c1 / h->in;
              bias_grad_cols(h->db, h->dy, h->B, h->out, lo, hi);
            },
            this};
  }
};

// An input gradient dx (B, N) through a ReLU whose output was x_relu: issue(after) runs the
// product that writes dx with `after` as its epilogue, which applies ReLU' to each block and,
// when the product's parts hold whole columns, sums prev_db (N) on them; else the column sums
// are a pass of their own after it. Dense::input_grad_relu and the encoder's two-head d_h
// (vae/vae.hpp) share this rule.
template <class Issue>
void relu_grad_product(float* dx, const float* x_relu, float* prev_db, std::size_t B,
                       std::size_t N, Issue&& issue) {
  const bool fuse_db = !sgemm_splits_rows(B, N);
  const ReluGradHook relu_grad{x_relu, fuse_db ? prev_db : nullptr};
  issue(relu_grad.hook());
  if (!fuse_db) bias_grad(prev_db, dx, B, N);
}

// The activation a Dense layer's forward applies to its output in the same pass.
enum class Act { none, relu };

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

  // y (B, Out) = x (B, In) W^T + b, then ReLU with Act::relu. One pool task per block of y does
  // all of it while the block is in its core's cache: the bias is written into the block, the
  // product added to it (beta = 1, the same bits as a separate bias pass), the ReLU applied.
  void forward(const Rows<Out>& y, const Rows<In>& x, std::size_t B, Act act = Act::none) const {
    const BiasFillHook bias = bias_fill_hook();
    const ReluHook relu;
    sgemm(forward_call(y, x, B, bias.hook(), act == Act::relu ? relu.hook() : BlockHook{}));
  }
  // forward's parts, for a caller that issues the product with others (sgemm_each): the hook that
  // writes the bias into each block of y before the product is added (a local beside the call:
  // hook() points at it), and the call.
  BiasFillHook bias_fill_hook() const { return {b.data()}; }
  GemmCall forward_call(const Rows<Out>& y, const Rows<In>& x, std::size_t B, BlockHook before,
                        BlockHook after = {}) const {
    return gemm_xwt(y, x, w, B, 1.0f, before, after);
  }

  // dW (Out, In) = dy^T x;  db (Out) = column sums of dy;  then the input gradient:
  //   Grad::assign      dx (B, In)  = dy W
  //   Grad::accumulate  dx (B, In) += dy W   (an input shared with another layer)
  //   Grad::none        no dx (the input is data)
  enum class Grad { assign, accumulate, none };
  void backward(const Rows<In>& dx, const Rows<Out>& dy, const Rows<In>& x, std::size_t B,
                Grad mode = Grad::assign) {
    weight_grad(dy, x, B);
    if (mode != Grad::none) input_grad(dx, dy, B, mode);
  }
  // The same with no input gradient.
  void backward(const Rows<Out>& dy, const Rows<In>& x, std::size_t B) {
    backward(Rows<In>(), dy, x, B, Grad::none);
  }

  // The two halves of backward, for models that fuse the passes between layers (vae/vae.hpp):
  // dW = dy^T x, and db = column sums of dy in the same pool tasks (BiasGradHook) unless
  // `bias` is false (the caller has made db already, e.g. in relu_grad_block).
  void weight_grad(const Rows<Out>& dy, const Rows<In>& x, std::size_t B, bool bias = true) {
    const BiasGradHook db_hook = bias_grad_hook(dy, B);
    sgemm(weight_grad_call(dy, x, B, bias ? db_hook.hook() : BlockHook{}));
  }
  // weight_grad's parts, for a caller that issues the product with others (sgemm_each): the hook
  // that makes db in dW's product (a local beside the call: hook() points at it), and the call.
  BiasGradHook bias_grad_hook(const Rows<Out>& dy, std::size_t B) {
    return {db.data(), dy.data(), B, Out, In, sgemm_splits_rows(Out, In)};
  }
  GemmCall weight_grad_call(const Rows<Out>& dy, const Rows<In>& x, std::size_t B, BlockHook after) {
    return gemm_dytx(dw, dy, x, B, 0.0f, BlockHook{}, after);
  }
  // dx = dy W (assign) or dx += dy W (accumulate), with an optional epilogue on dx's blocks.
  void input_grad(const Rows<In>& dx, const Rows<Out>& dy, std::size_t B, Grad mode,
                  BlockHook after = {}) const {
    matmul_dyw(dx, dy, w, B, mode == Grad::accumulate ? 1.0f : 0.0f, BlockHook{}, after);
  }
  // The input gradient through the ReLU that made this layer's input x_relu = relu(pre):
  // dx = (dy W [+ dx]) * relu'(x_relu), and prev_db = column sums of that dx, the bias gradient
  // of the layer before the ReLU; both in the product's pool tasks (ReluGradHook) when the product
  // is split by columns (whole columns per part), else the column sums as a pass of their own.
  void input_grad_relu(const Rows<In>& dx, const Rows<Out>& dy, const Rows<In>& x_relu,
                       float* prev_db, std::size_t B, Grad mode) const {
    relu_grad_product(dx.data(), x_relu.data(), prev_db, B, In,
                      [&](BlockHook after) { input_grad(dx, dy, B, mode, after); });
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

// n draws from N(0, 1): exactly vae_rt::rng_fill_normal's values, bit for bit, and the same
// stream position after them, for the training step's noise. rng_fill_normal draws one pair at a
// time, scalar (its sqrt is inline assembly, its sin/cos pick a quadrant with a switch). Here the
// uniforms come first, the PCG32 stream run as four interleaved lanes (each jumped four states
// ahead: the same sequence), then Box-Muller over a block in a loop that vectorizes, with the
// same float operations on each value.
void fill_normal(vae_rt::Rng& rng, float* out, std::size_t n);

// The reparameterization z = mu + eps * exp(logvar / 2), all (B, Z) flattened to n values.
// eps ~ N(0, I) is drawn by the caller (from the model's Rng) so that it can also be fixed.
void reparam_forward(float* z, const float* mu, const float* logvar, const float* eps,
                     std::size_t n);

// Given dz, ASSIGN d_mu = dz and d_logvar = dz * eps * exp(logvar / 2) / 2.
void reparam_backward(float* d_mu, float* d_logvar, const float* dz, const float* logvar,
                      const float* eps, std::size_t n);

// The reparameterization and the KL term of the loss fused (issue 19), for the training step:
// forward writes z as reparam_forward does and returns the KL sum kl_loss returns; backward
// ASSIGNS d_mu = dz + beta mu and d_logvar = dz eps exp(logvar / 2) / 2 + beta (e^logvar - 1) / 2,
// reparam_backward followed by kl_loss's gradient. The same bits as the separate passes.
double reparam_kl_forward(float* z, const float* mu, const float* logvar, const float* eps,
                          std::size_t n);
void reparam_kl_backward(float* d_mu, float* d_logvar, const float* dz, const float* mu,
                         const float* logvar, const float* eps, std::size_t n, float beta);
// reparam_kl_forward over `rows` rows of Z values, each row's KL sum into row_kl[r] (its terms
// added in index order, as reparam_kl_forward adds them); z gets the same bits.
void reparam_kl_rows(float* z, double* row_kl, const float* mu, const float* logvar, const float* eps,
                     std::size_t rows, std::size_t Z);

}  // namespace vae
