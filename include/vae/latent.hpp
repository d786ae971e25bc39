// vae/latent.hpp - the latent block of the training step (enc_mu, enc_logvar, the
// reparameterization with KL, dec_fc) in three fused dispatches (issue 19).
//
//   forward       split by rows of the batch; per row, nothing crosses to another thread:
//                   mu, logvar (B, Z) = b + h (B, H) W^T          enc_mu, enc_logvar
//                   z = mu + eps e^(logvar / 2), the row's KL sum  (reparam_kl_forward)
//                   h2 (B, H) = relu(b + z W^T)                   dec_fc (W^T on the stack)
//   backward_dec  after dec_out's input gradient (d_h2, ReLU' applied, dec_fc's db made):
//                   dec_fc's dW (H, Z) = d_h2^T z                 split by units
//                   d_z (B, Z) = d_h2 W, then d_mu, d_logvar      split by rows (reparam_kl_backward)
//   backward_enc  split by units (parts of H, as the sparse first layer's dW splits them):
//                   the heads' dW (Z, H) = d^T h, db (Z)           d = d_mu, d_logvar
//                   d_h (B, H) = relu'(h) (d_mu W_mu + d_logvar W_logvar), enc_fc's db (H)
//                   then the caller's work on the same part (enc_fc's sparse dW, which reads
//                   only d_h's columns of its part: no barrier between).
//
// Why: these six products are 12 of the step's 420 MFLOP, but one at a time through OpenBLAS
// (sgemm_each, sgemm_sum: shapes with 20 rows or columns suit no GEMM kernel) plus two serial
// passes they took 0.23 ms of a 1.92 ms step (docs/performance.md, "The latent block"). Here they
// are register-blocked SIMD loops (AVX-512, or AVX2 + FMA), three dispatches instead of seven.
//
// The mathematics is the model's (vae/vae.hpp): the same sums, added in another order (float
// reassociation). The elementwise parts keep their bits: z is reparam_kl_forward's (through
// reparam_kl_rows), d_mu and d_logvar reparam_kl_backward's, the heads' db bias_grad_cols'. The
// KL sum is each row's sum, the rows then added in order: the same terms as reparam_kl_forward's
// one chain, so it may differ from it in the last bits. Each output is computed by one thread in
// an order that does not depend on the thread count, so a fixed seed repeats bit for bit at any
// thread count.
//
// Which path runs: Vae::fuse_latent, on by default when latent_fused_available(Z) (AVX-512 or
// AVX2 + FMA, Z <= kLatentMaxZ) for the model's own Decoder; otherwise the OpenBLAS path in Vae,
// which is the reference of the test (tests/test_latent.cpp). The AVX-512 and AVX2 kernels add
// in different orders: each repeats its own bits, and both agree with the reference within float
// rounding.
#pragma once

#include <cstddef>

#include "vae/arena.hpp"
#include "vae/parallel.hpp"
#include "vae/sparse.hpp"   // SparseIsa: the kernel sets, shared with the sparse first layer

namespace vae {

// The forward keeps dec_fc's W^T for a block of units on the stack (Z x 32 floats at most).
inline constexpr std::size_t kLatentMaxZ = 64;

// Whether the fused kernels run here: latent_isa() is not portable and Z <= kLatentMaxZ.
bool latent_fused_available(std::size_t Z);

// The kernels the block runs: the best this CPU has (AVX-512, else AVX2 + FMA), at most what
// set_latent_isa allowed (the best at start); portable means none, and the model keeps the
// layers' path. Tests and bench_train lower it, before a model is built (Vae reads
// latent_fused_available once, in its constructor).
SparseIsa latent_isa();
void set_latent_isa(SparseIsa most);

// What the block runs as, for reports: "fused (AVX-512)" or "fused (AVX2)" by the kernels in use
// now when `fused` (a model's fuse_latent), else "layers (sgemm)".
const char* latent_block_description(bool fused);

// Views of the block's operands (row-major, B rows) and its scratch. The model fills the views
// once at init (its arena does not move); carve() carves the scratch. backward_dec and
// backward_enc read only what any forward pass leaves (z, mu, logvar, eps, h) and the
// gradients before them, so they also follow the model's unfused forward.
struct LatentBlock {
  std::size_t H = 0, Z = 0, max_batch = 0;
  // enc_mu, enc_logvar: W (Z, H), b (Z), and their gradients
  const float* w_mu = nullptr;
  const float* b_mu = nullptr;
  const float* w_logvar = nullptr;
  const float* b_logvar = nullptr;
  float* dw_mu = nullptr;
  float* db_mu = nullptr;
  float* dw_logvar = nullptr;
  float* db_logvar = nullptr;
  // dec_fc: W (H, Z), b (H), dW (H, Z); its db is made by dec_out's input gradient
  const float* w_dec = nullptr;
  const float* b_dec = nullptr;
  float* dw_dec = nullptr;
  // activations
  const float* h_enc = nullptr;   // (B, H) relu(enc_fc(x))
  float* d_h_enc = nullptr;       // (B, H)
  float* db_enc = nullptr;        // (H)    enc_fc's bias gradient
  const float* eps = nullptr;     // (B, Z)
  float* mu = nullptr;            // (B, Z)
  float* logvar = nullptr;        // (B, Z)
  float* z = nullptr;             // (B, Z)
  float* d_z = nullptr;           // (B, Z)
  float* d_mu = nullptr;          // (B, Z)
  float* d_logvar = nullptr;      // (B, Z)
  float* h_dec = nullptr;         // (B, H) relu(dec_fc(z))
  const float* d_h_dec = nullptr;   // (B, H) its gradient, ReLU' applied
  // scratch; a panel holds rows by groups of 8, each group (columns, 8): value [k][r] at
  // group * 8 * columns + 8 k + r, the rows past the batch repeating its last
  double* row_kl = nullptr;       // (max_batch) each row's KL sum, added in row order after
  float* z_panel = nullptr;       // (groups, Z, 8) z: forward packs its rows, then reads them
  float* d_panel = nullptr;       // (groups, 2 Z, 8) d_mu | d_logvar: packed by backward_dec,
                                  //   read by backward_enc

  static constexpr std::size_t groups(std::size_t max_batch) { return (max_batch + 7) / 8; }
  static constexpr std::size_t bytes(std::size_t Z, std::size_t max_batch) {
    return align_up(max_batch * sizeof(double)) + floats_bytes(groups(max_batch) * 8 * Z) +
           floats_bytes(groups(max_batch) * 16 * Z);
  }
  void carve(Arena& arena, std::size_t hidden, std::size_t latent, std::size_t mb);
};

// mu, logvar, z, h_dec for rows 0..B; returns the KL sum (kl_loss's, before beta).
double latent_forward(const LatentBlock& l, std::size_t B);
// dw_dec, d_z, then d_mu, d_logvar (reparam_kl_backward's, KL weighted by beta).
void latent_backward_dec(const LatentBlock& l, std::size_t B, float beta);
// dw_mu, db_mu, dw_logvar, db_logvar, d_h_enc (ReLU' applied), db_enc; then, when after is not
// null, after(ctx, part, lo, hi) on each part [lo, hi) of H, in the same task. The parts are
// parallel_for(H, 16)'s.
void latent_backward_enc(const LatentBlock& l, std::size_t B, RangeFn after, void* ctx);

}  // namespace vae
