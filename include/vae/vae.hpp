// vae/vae.hpp - the model: Vae<D, H, Z>, a static graph with compile-time sizes on one arena.
//
//   x (B,D) -> enc_fc -> ReLU -> h1 (B,H) -> enc_mu     -> mu (B,Z)      --> z = mu + eps e^(logvar/2)
//                                         -> enc_logvar -> logvar (B,Z) -/
//   z (B,Z) -> dec_fc -> ReLU -> h2 (B,H) -> dec_out -> logits (B,D) -> sigmoid -> xhat (B,D)
//
// The encoder and the decoder are structs of their own, each a flat, named list of Dense layers,
// usable alone: Encoder::forward gives mu and logvar for a batch, Decoder::forward decodes a given
// z. The decoder is a template parameter of Vae: a deeper decoder is another struct with the same
// members (see "The decoder concept" below), not a change to Vae.
//
// Memory: the constructor makes ONE arena (or borrows the caller's buffer) and carves every
// buffer from it in Vae::carve(), in a fixed order: parameters, gradients, Adam m and v (the
// ParamBlock, vae/param_block.hpp), then the activations and activation gradients for
// `max_batch` images. arena_bytes(max_batch) is the same sum, constexpr; carve() checks that they
// agree. After construction nothing is allocated: train_step() and eval_step() only read and write
// arena memory and call sgemm. Every buffer is a shaped handle (vae/tensor.hpp): Rows<N> for
// (B, N), Mat/Vec for the parameters; .data() is its pointer, .xt() its xtensor adaptor.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "vae/adam.hpp"
#include "vae/arena.hpp"
#include "vae/error.hpp"
#include "vae/idx.hpp"
#include "vae/latent.hpp"
#include "vae/layers.hpp"
#include "vae/losses.hpp"
#include "vae/param_block.hpp"
#include "vae/sparse.hpp"
#include "vae/tensor.hpp"
#include "vae_rt/rng.h"

namespace vae {

struct StageImages;   // the Trainer's staging policy for a Vae (vae/trainer.hpp)


// ---------------------------------------------------------------------------------------------
// Encoder: x (B, D) -> h (B, H) -> mu, logvar (B, Z)
template <std::size_t D, std::size_t H, std::size_t Z>
struct Encoder {
  static constexpr std::size_t dim_in = D;
  static constexpr std::size_t dim_latent = Z;

  Dense<D, H> fc;           // enc_fc
  Dense<H, Z> mu_head;      // enc_mu
  Dense<H, Z> logvar_head;  // enc_logvar
  static_assert(decltype(fc)::out == decltype(mu_head)::in, "enc_fc feeds enc_mu");
  static_assert(decltype(fc)::out == decltype(logvar_head)::in, "enc_fc feeds enc_logvar");

  static constexpr std::size_t num_params =
      decltype(fc)::num_params + decltype(mu_head)::num_params + decltype(logvar_head)::num_params;

  Rows<H> h;        // (B, H)  relu(enc_fc(x)), kept for backward
  Rows<Z> mu;       // (B, Z)
  Rows<Z> logvar;   // (B, Z)
  Rows<H> d_h;      // (B, H)  gradient w.r.t. h

  // How enc_fc's two products that read x run (vae/sparse.hpp): dense (the default), sparse or
  // packed. The Trainer sets it from the training set's density; the results agree within float
  // reassociation.
  FirstLayerPath first_layer = FirstLayerPath::dense;
  SparseFirstLayer<D, H> fc_sparse;   // the batch's index and the sparse paths' scratch
  // Whether enc_fc runs as the dense sgemm (automatic, left unresolved, counts as dense). Only
  // then does the backward pass read x again (dW = d_h^T x); the sparse and packed paths read
  // their own index of it.
  bool first_layer_dense() const {
    return first_layer == FirstLayerPath::dense || first_layer == FirstLayerPath::automatic;
  }

  static constexpr std::size_t activation_bytes(std::size_t B) {
    return 2 * floats_bytes(B * H) + 2 * floats_bytes(B * Z);
  }
  void carve(Arena& arena, std::size_t B) {
    h = carve_rows<H>(arena, B, "enc.h");
    mu = carve_rows<Z>(arena, B, "enc.mu");
    logvar = carve_rows<Z>(arena, B, "enc.logvar");
    d_h = carve_rows<H>(arena, B, "enc.d_h");
  }
  // The sparse first layer's index and scratch, carved last of the whole model (Vae::carve), so
  // that every buffer of the dense path keeps the offset it had before the sparse path existed.
  static constexpr std::size_t sparse_bytes(std::size_t B) { return SparseFirstLayer<D, H>::bytes(B); }
  void carve_sparse(Arena& arena, std::size_t B) { fc_sparse.carve(arena, B); }
  void bind(float*& params, float*& grads) {
    fc.bind("enc_fc", params, grads);
    mu_head.bind("enc_mu", params, grads);
    logvar_head.bind("enc_logvar", params, grads);
  }
  template <class F> void for_each_layer(F&& f) { f(fc); f(mu_head); f(logvar_head); }

  // mu, logvar (B, Z) from x (B, D); x may be any caller memory.
  void forward(const Rows<D>& x, std::size_t B) {
    forward_fc(x, B);
    forward_heads(B);
  }
  // forward's two halves (the fused latent block runs the heads in its own dispatch).
  // h (B, H) = relu(enc_fc(x)).
  void forward_fc(const Rows<D>& x, std::size_t B) {
    if (first_layer_dense()) {
      fc.forward(h, x, B, Act::relu);   // bias + product + ReLU per block of h
    } else {   // bias, product and ReLU in the sparse kernel's one pass
      fc_sparse.forward(h.data(), x.data(), fc.w.data(), fc.b.data(), B, first_layer);
    }
  }
  // mu, logvar (B, Z) from h.
  void forward_heads(std::size_t B) {
    // The two heads (Dense::forward each: bias, then the product added) side by side in one
    // dispatch, one on each core (sgemm_each): each is too small to split well.
    const BiasFillHook mu_bias = mu_head.bias_fill_hook(), logvar_bias = logvar_head.bias_fill_hook();
    const GemmCall heads[] = {mu_head.forward_call(mu, h, B, mu_bias.hook()),
                              logvar_head.forward_call(logvar, h, B, logvar_bias.hook())};
    sgemm_each(heads, 2);
  }
  // From d_mu, d_logvar (B, Z): parameter gradients. The input gradient is not needed (x is data).
  // On the sparse and packed paths, forward(x, B) must have run on the same x just before.
  void backward(const Rows<D>& x, const Rows<Z>& d_mu, const Rows<Z>& d_logvar, std::size_t B) {
    backward_heads(d_mu, d_logvar, B);
    backward_fc(x, B);
  }
  // backward's two halves. The heads' parameter gradients, and d_h (ReLU' applied) with enc_fc's db.
  void backward_heads(const Rows<Z>& d_mu, const Rows<Z>& d_logvar, std::size_t B) {
    // The heads' dW (and db in the same task, Dense::weight_grad's hook) side by side in one
    // dispatch, as in forward().
    const BiasGradHook mu_db = mu_head.bias_grad_hook(d_mu, B);
    const BiasGradHook logvar_db = logvar_head.bias_grad_hook(d_logvar, B);
    const GemmCall dws[] = {mu_head.weight_grad_call(d_mu, h, B, mu_db.hook()),
                            logvar_head.weight_grad_call(d_logvar, h, B, logvar_db.hook())};
    sgemm_each(dws, 2);
    // d_h = d_mu W_mu + d_logvar W_logvar as one split product (sgemm_sum): each part adds both
    // heads' products on its block of d_h, then applies ReLU' and sums enc_fc's bias gradient on
    // it (relu_grad_product: Dense::input_grad_relu's rule).
    const GemmCall dh[] = {gemm_dyw(d_h, d_mu, mu_head.w, B, 0.0f),
                           gemm_dyw(d_h, d_logvar, logvar_head.w, B, 1.0f)};
    relu_grad_product(d_h.data(), h.data(), fc.db.data(), B, H,
                      [&](BlockHook after) { sgemm_sum(dh, 2, after); });
  }
  // enc_fc's dW from d_h (its db is backward_heads').
  void backward_fc(const Rows<D>& x, std::size_t B) {
    if (first_layer_dense()) {
      fc.weight_grad(d_h, x, B, /*bias=*/false);   // dW = d_h^T x; db made above
    } else {   // dW from the index forward() built for this x; db made above
      fc_sparse.backward_dw(fc.dw.data(), d_h.data(), first_layer);
    }
  }
  // backward with the heads in the fused latent block's dispatch (latent_backward_enc), whose
  // parts of H also run the sparse first layer's dW when it can go by parts.
  void backward_fused(const Rows<D>& x, const LatentBlock& latent, std::size_t B) {
    if (SparseFirstLayer<D, H>::dw_by_parts(first_layer)) {
      latent_backward_enc(
          latent, B,
          [](void* ctx, std::size_t, std::size_t lo, std::size_t hi) {
            Encoder& e = *static_cast<Encoder*>(ctx);
            e.fc_sparse.backward_dw_part(e.fc.dw.data(), e.d_h.data(), lo, hi);
          },
          this);
    } else {
      latent_backward_enc(latent, B, nullptr, nullptr);
      backward_fc(x, B);
    }
  }
};

// ---------------------------------------------------------------------------------------------
// Decoder: z (B, Z) -> h (B, H) -> logits (B, D) -> xhat (B, D)
//
// The decoder concept (what Vae needs of its Dec parameter): dim_in, dim_out, num_params,
// activation_bytes(B), carve(arena, B), bind(params, grads), for_each_layer(f), forward(z, B)
// that fills `logits` and `xhat`, forward_logits(z, B) that fills `logits` only, and backward(d_z, z, B) that starts from `d_logits`, which the
// loss has written. A decoder with two hidden layers is a struct with dec_fc1, dec_fc2, dec_out.
template <std::size_t Z, std::size_t H, std::size_t D>
struct Decoder {
  static constexpr std::size_t dim_in = Z;
  static constexpr std::size_t dim_out = D;

  Dense<Z, H> fc;    // dec_fc
  Dense<H, D> out;   // dec_out
  static_assert(decltype(fc)::out == decltype(out)::in, "dec_fc feeds dec_out");

  static constexpr std::size_t num_params = decltype(fc)::num_params + decltype(out)::num_params;

  Rows<H> h;          // (B, H)  relu(dec_fc(z))
  Rows<D> logits;     // (B, D)  dec_out(h)
  Rows<D> xhat;       // (B, D)  sigmoid(logits)
  Rows<H> d_h;        // (B, H)
  Rows<D> d_logits;   // (B, D)  written by the loss

  static constexpr std::size_t activation_bytes(std::size_t B) {
    return 2 * floats_bytes(B * H) + 3 * floats_bytes(B * D);
  }
  void carve(Arena& arena, std::size_t B) {
    h = carve_rows<H>(arena, B, "dec.h");
    logits = carve_rows<D>(arena, B, "dec.logits");
    xhat = carve_rows<D>(arena, B, "dec.xhat");
    d_h = carve_rows<H>(arena, B, "dec.d_h");
    d_logits = carve_rows<D>(arena, B, "dec.d_logits");
  }
  void bind(float*& params, float*& grads) {
    fc.bind("dec_fc", params, grads);
    out.bind("dec_out", params, grads);
  }
  template <class F> void for_each_layer(F&& f) { f(fc); f(out); }

  // logits and xhat (B, D) from z (B, Z); z may be any caller memory.
  void forward(const Rows<Z>& z, std::size_t B) {
    forward_logits(z, B);
    sigmoid_forward(xhat.data(), logits.data(), B * D);
  }
  // logits (B, D) only: training fuses the sigmoid into the loss (sigmoid_recon_loss).
  void forward_logits(const Rows<Z>& z, std::size_t B) {
    fc.forward(h, z, B, Act::relu);   // bias + product + ReLU per block of h
    forward_out(B);
  }
  // logits from h (the fused latent block makes h).
  void forward_out(std::size_t B) { out.forward(logits, h, B); }
  // From d_logits (B, D): parameter gradients and d_z (B, Z).
  void backward(const Rows<Z>& d_z, const Rows<Z>& z, std::size_t B) {
    backward_out(B);
    backward_fc(d_z, z, B);
  }
  // backward's two halves. dec_out's gradients, and d_h (ReLU' applied) with dec_fc's db.
  // Returns whether the two products ran side by side, one per core; then `idle` (if any) ran on
  // the core that made dW, after dW and db, while the other core finished d_h (dW is the shorter
  // of the two: 1,204 against 1,307 kcycles alone). Otherwise `idle` did not run.
  bool backward_out(std::size_t B, BlockHook idle = {}) {
    // The two products side by side, each whole on its own core, where the pool has two threads
    // (sgemm_each): dW with dec_out's db, d_h with ReLU' and dec_fc's db over all its rows.
    const BiasGradHook db = out.bias_grad_hook(d_logits, B);   // a whole block: every row
    const HookPair db_then_idle{db.hook(), idle};
    const ReluGradHook relu_db{h.data(), fc.db.data()};
    const GemmCall both[] = {out.weight_grad_call(d_logits, h, B, db_then_idle.hook()),
                             gemm_dyw(d_h, d_logits, out.w, B, 0.0f, BlockHook{}, relu_db.hook())};
    if (sgemm_side_by_side(both, 2)) {
      sgemm_each(both, 2);
      return true;
    }
    using Grad = typename decltype(out)::Grad;
    out.weight_grad(d_logits, h, B);   // dW, and db in the same tasks
    // d_h = d_logits W_out, with ReLU' and dec_fc's bias gradient in the product's parts.
    out.input_grad_relu(d_h, d_logits, h, fc.db.data(), B, Grad::assign);
    return false;
  }
  // dec_fc's dW and d_z from d_h.
  void backward_fc(const Rows<Z>& d_z, const Rows<Z>& z, std::size_t B) {
    // dec_fc's dW (db made above) and d_z, both small and both from d_h: side by side in one
    // dispatch (sgemm_each).
    const GemmCall fc_grads[] = {fc.weight_grad_call(d_h, z, B, BlockHook{}), gemm_dyw(d_z, d_h, fc.w, B, 0.0f)};
    sgemm_each(fc_grads, 2);
  }
};

// ---------------------------------------------------------------------------------------------
template <std::size_t D = 784, std::size_t H = 400, std::size_t Z = 20,
          class Dec = Decoder<Z, H, D>>
class Vae : public ParamBlock<Encoder<D, H, Z>::num_params + Dec::num_params> {
  using Block = ParamBlock<Encoder<D, H, Z>::num_params + Dec::num_params>;

 public:
  using encoder_type = Encoder<D, H, Z>;
  using decoder_type = Dec;
  using staging = StageImages;   // Trainer<Vae> stages images only
  static_assert(Dec::dim_in == Z, "the decoder's input is the latent");
  static_assert(Dec::dim_out == D, "the decoder's output is an image");

  static constexpr std::size_t dim_x = D;
  static constexpr std::size_t dim_h = H;
  static constexpr std::size_t dim_z = Z;
  static constexpr std::size_t num_params = Block::num_params;

  // Bytes of the one arena, for batches of up to max_batch images. Mirrors carve() line by line.
  static constexpr std::size_t arena_bytes(std::size_t max_batch) {
    const std::size_t B = max_batch;
    return Block::param_bytes()                                // params, grads, adam_m, adam_v
           + floats_bytes(B * D)                               // x
           + 5 * floats_bytes(B * Z)                           // eps, z, d_z, d_mu, d_logvar
           + encoder_type::activation_bytes(B) + Dec::activation_bytes(B)
           + encoder_type::sparse_bytes(B)                     // the sparse first layer
           + LatentBlock::bytes(Z, B);                         // the fused latent block, last
  }

  // The arena is allocated here (arena_bytes(max_batch)), or the caller's buffer is borrowed.
  explicit Vae(std::size_t max_batch) : Block(max_batch, arena_bytes(max_batch)) { carve(); }
  Vae(std::size_t max_batch, void* buffer, std::size_t bytes) : Block(max_batch, buffer, bytes) {
    carve();
  }

  encoder_type enc;
  Dec dec;

  // The latent block (enc_mu, enc_logvar, reparameterization + KL, dec_fc) in three fused
  // dispatches (vae/latent.hpp) instead of the layers' own calls: train_step's forward and
  // backward() take it when fuse_latent is on. Default: where latent_fused_available(Z), for the
  // model's own Decoder. Either way the mathematics is the same (tests/test_latent.cpp).
  static constexpr bool latent_fusable = std::is_same_v<Dec, Decoder<Z, H, D>>;
  bool fuse_latent = false;   // read only where latent_fusable
  LatentBlock latent;   // its views over this arena (set in carve) and its scratch

  // The parameter block and its companions (params, grads, adam_m, adam_v, adam_t) are
  // ParamBlock's members, (P) each, P = num_params, laid out as
  // enc_fc_w enc_fc_b enc_mu_w enc_mu_b enc_logvar_w enc_logvar_b dec_fc_w dec_fc_b dec_out_w ...

  Rows<D> x;          // (B, D)  the staged batch, pixels in [0, 1]
  Rows<Z> eps;        // (B, Z)  N(0, I) noise of the reparameterization
  Rows<Z> z;          // (B, Z)
  Rows<Z> d_z;        // (B, Z)
  Rows<Z> d_mu;       // (B, Z)
  Rows<Z> d_logvar;   // (B, Z)

  // max_batch(), arena_used(), arena_capacity(): from ModelArena (vae/param_block.hpp).

  // PyTorch nn.Linear initialization of every layer, in parameter order; Adam state reset.
  void init_params(vae_rt::Rng& rng) {
    this->init([&](auto&& f) { for_each_layer(f); }, rng);
  }

  template <class F> void for_each_layer(F&& f) {
    enc.for_each_layer(f);
    dec.for_each_layer(f);
  }

  // --- the passes, on the arena buffers, for B <= max_batch images ---------------------------
  void encode(std::size_t B) { enc.forward(x, B); }
  void reparameterize(std::size_t B) {
    reparam_forward(z.data(), enc.mu.data(), enc.logvar.data(), eps.data(), B * Z);
  }
  // The same z, and the KL sum of the batch from the same pass (what loss() reports as kl).
  double reparameterize_kl(std::size_t B) {
    return reparam_kl_forward(z.data(), enc.mu.data(), enc.logvar.data(), eps.data(), B * Z);
  }
  void decode(std::size_t B) { dec.forward(z, B); }
  // Loss sums of the current forward pass; with_grad also writes dec.d_logits.
  LossSums loss(const LossSpec& spec, std::size_t B, bool with_grad) {
    LossSums s;
    float* d_logits = with_grad ? dec.d_logits.data() : nullptr;
    s.recon = spec.recon == Recon::mse
                  ? mse_loss(d_logits, dec.xhat.data(), x.data(), B * D)
                  : bce_loss(d_logits, dec.logits.data(), dec.xhat.data(), x.data(), B * D);
    // KL's gradient is added after the reparameterization's in backward(); here only its value.
    s.kl = kl_loss(nullptr, nullptr, enc.mu.data(), enc.logvar.data(), B * Z, spec.beta);
    s.total = s.recon + static_cast<double>(spec.beta) * s.kl;
    s.images = B;
    return s;
  }
  // Gradients of recon + beta KL w.r.t. every parameter, after loss(spec, B, true).
  // Returns whether `idle` ran (on the core that finishes dec_out's dW first, see
  // Decoder::backward_out): only on the fused path with the two products side by side.
  bool backward(const LossSpec& spec, std::size_t B, BlockHook idle = {}) {
    if (latent_on()) {
      const bool side_by_side = dec.backward_out(B, idle);
      latent_backward_dec(latent, B, spec.beta);   // dec_fc's dW, d_z, reparam' + KL'
      enc.backward_fused(x, latent, B);
      return side_by_side && idle;
    }
    dec.backward(d_z, z, B);
    // The reparameterization's gradient and KL's in one pass.
    reparam_kl_backward(d_mu.data(), d_logvar.data(), d_z.data(), enc.mu.data(), enc.logvar.data(),
                        eps.data(), B * Z, spec.beta);
    enc.backward(x, d_mu, d_logvar, B);
    return false;
  }

  // One optimization step on the staged batch x (B images): eps from rng, forward, loss,
  // backward, Adam. Returns the batch's loss sums (before the update). No allocation.
  LossSums train_step(std::size_t B, const LossSpec& spec, const AdamConfig& adam,
                      vae_rt::Rng& rng) {
    check_batch_size(B, this->max_batch_, "model");
    fill_normal(rng, eps.data(), B * Z);   // rng_fill_normal's draws, vectorized (vae/layers.hpp)
    return step(B, spec, adam, nullptr);
  }

  // The same step, which also stages the batch the next step will train on: on return x holds
  // next's images (as stage_batch writes them), and everything else is as the step above gives.
  // The Trainer's epochs take their steps this way. Why: x is free once the forward has read it
  // when the first layer keeps its own index of x (the sparse and packed paths); there the core
  // that finishes dec_out's dW first stages the images while the other finishes d_h, time it
  // would otherwise spend waiting. A shuffled batch's images are cache misses: staging them took
  // ~35 us of a 1.8 ms step (issue 19, docs/performance.md). On the other paths they are staged
  // after the backward pass, before Adam. next's images and indices are checked first: a bad one
  // throws vae::Error before the step changes anything.
  LossSums train_step(std::size_t B, const LossSpec& spec, const AdamConfig& adam, vae_rt::Rng& rng,
                      const PendingBatch& next) {
    check_batch_size(B, this->max_batch_, "model");
    check_batch_size(next.B, this->max_batch_, "model (next batch)");
    if (!next.images || pixels_per_image(*next.images) != D) {
      throw Error("train_step: the next batch's images are not " + std::to_string(D) + " pixels each");
    }
    check_batch_indices(*next.images, next.idx, next.B);
    fill_normal(rng, eps.data(), B * Z);
    return step(B, spec, adam, &next);
  }

  // The step with the noise already in eps (B, Z): for tests against fixed references.
  LossSums train_step_given_eps(std::size_t B, const LossSpec& spec, const AdamConfig& adam) {
    check_batch_size(B, this->max_batch_, "model");
    return step(B, spec, adam, nullptr);
  }

  // Loss of the staged batch without training. rng: draw z as in training; null: z = mu.
  LossSums eval_step(std::size_t B, const LossSpec& spec, vae_rt::Rng* rng) {
    check_batch_size(B, this->max_batch_, "model");
    encode(B);
    if (rng) {
      fill_normal(*rng, eps.data(), B * Z);
      reparameterize(B);
    } else {
      std::copy_n(enc.mu.data(), B * Z, z.data());
    }
    decode(B);
    return loss(spec, B, false);
  }

 private:
  // Stages a pending batch into x from inside a product's task (backward's idle core).
  struct StageHook {
    float* x;
    PendingBatch next;
    BlockHook hook() const {
      return {[](const void* c, const GemmBlock&) {
                const auto* h = static_cast<const StageHook*>(c);
                stage_batch_serial(h->x, h->next);
              },
              this};
    }
  };

  // Forward, loss, backward and Adam on x with the noise in eps; stages `next` into x (if any)
  // once the step no longer reads x.
  LossSums step(std::size_t B, const LossSpec& spec, const AdamConfig& adam, const PendingBatch* next) {
    LossSums s;
    if (latent_on()) {   // enc_fc; heads + reparameterization + KL + dec_fc in one dispatch; dec_out
      enc.forward_fc(x, B);
      s.kl = latent_forward(latent, B);
      dec.forward_out(B);
    } else {
      encode(B);
      s.kl = reparameterize_kl(B);
      dec.forward_logits(z, B);
    }
    // The decoder's sigmoid and the reconstruction loss in one pass (the same arithmetic as
    // decode() followed by loss()). Measured against running them in dec_out's forward epilogue
    // (per block of logits, while in cache): that was 0.01 ms slower at 2 threads (0.486 against
    // 0.475 ms for decode + loss, interleaved in one process on the quiet machine), so this pass
    // stays.
    s.recon = sigmoid_recon_loss(spec.recon, dec.xhat.data(), dec.d_logits.data(),
                                 dec.logits.data(), x.data(), B * D);
    s.total = s.recon + static_cast<double>(spec.beta) * s.kl;
    s.images = B;
    // x is read by the backward pass only through the dense first layer's dW.
    const StageHook stage_next{x.data(), next ? *next : PendingBatch{}};
    const bool staged = backward(spec, B, next && !enc.first_layer_dense() ? stage_next.hook() : BlockHook{});
    if (next && !staged) stage_batch(x.data(), *next->images, next->idx, next->B);
    this->adam_update(adam);
    return s;
  }

  bool latent_on() const {
    if constexpr (latent_fusable) {
      return fuse_latent;
    } else {
      return false;
    }
  }

  // Every byte of the arena is carved here, in this order (arena_bytes() is the same sum).
  void carve() {
    const std::size_t B = this->max_batch_;
    this->carve_params();
    x = carve_rows<D>(this->arena_, B, "x");
    eps = carve_rows<Z>(this->arena_, B, "eps");
    z = carve_rows<Z>(this->arena_, B, "z");
    d_z = carve_rows<Z>(this->arena_, B, "d_z");
    d_mu = carve_rows<Z>(this->arena_, B, "d_mu");
    d_logvar = carve_rows<Z>(this->arena_, B, "d_logvar");
    enc.carve(this->arena_, B);
    dec.carve(this->arena_, B);
    enc.carve_sparse(this->arena_, B);
    latent.carve(this->arena_, H, Z, B);
    this->bind_layers([&](float*& p, float*& g) {
      enc.bind(p, g);
      dec.bind(p, g);
    });
    this->check_carve(arena_bytes(B));
    if constexpr (latent_fusable) {
      bind_latent();
      fuse_latent = latent_fused_available(Z);
    }
  }
  // The latent block's views: the heads', dec_fc's and the activations' buffers.
  void bind_latent() {
    LatentBlock& l = latent;
    l.w_mu = enc.mu_head.w.data();
    l.b_mu = enc.mu_head.b.data();
    l.w_logvar = enc.logvar_head.w.data();
    l.b_logvar = enc.logvar_head.b.data();
    l.dw_mu = enc.mu_head.dw.data();
    l.db_mu = enc.mu_head.db.data();
    l.dw_logvar = enc.logvar_head.dw.data();
    l.db_logvar = enc.logvar_head.db.data();
    l.w_dec = dec.fc.w.data();
    l.b_dec = dec.fc.b.data();
    l.dw_dec = dec.fc.dw.data();
    l.h_enc = enc.h.data();
    l.d_h_enc = enc.d_h.data();
    l.db_enc = enc.fc.db.data();
    l.eps = eps.data();
    l.mu = enc.mu.data();
    l.logvar = enc.logvar.data();
    l.z = z.data();
    l.d_z = d_z.data();
    l.d_mu = d_mu.data();
    l.d_logvar = d_logvar.data();
    l.h_dec = dec.h.data();
    l.d_h_dec = dec.d_h.data();
  }
};

using Vae784_400_20 = Vae<784, 400, 20>;
using Vae784_400_2 = Vae<784, 400, 2>;

}  // namespace vae
