// latent.cpp - the latent block's fused kernels (see vae/latent.hpp for what and why).
//
// Three register-blocked loops do all six products (latent_kernels.inc, written once and
// compiled for AVX-512 at 16 lanes and for AVX2 + FMA at 8):
//   dot_block   L / 4 rows of A by 4 rows of B, L dot products along H in L accumulators, each
//               reduced at the end: the heads' forward (h by W_mu, W_logvar rows).
//   outer_cols  2 L columns of A (B, .) by up to kOuterK columns of S (B, .), summed over the rows:
//               dW = S^T A, 2 L units at a time (the heads' dW directly in its rows, dec_fc's
//               through L x L transposes into its (H, Z) rows).
//   rows_by_w   acc[r] += s[r, k] W^T[k, 2 L lanes] for a panel of rows: dec_fc's forward (W^T
//               kept on the stack for 2 L units) and the heads' input gradient; dec_fc's input
//               gradient d_z the same way with W's rows of Z floats as they are (dz_rows).
// Only SIMD code exists here: without it the model runs the same graph through OpenBLAS
// (Vae::fuse_latent is off), so there is no portable twin to keep.
#include "vae/latent.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "simd.h"
#include "vae/error.hpp"
#include "vae/layers.hpp"   // reparam_kl_forward, reparam_kl_backward, bias_grad_cols

namespace vae {

void LatentBlock::carve(Arena& arena, std::size_t hidden, std::size_t latent, std::size_t mb) {
  H = hidden;
  Z = latent;
  max_batch = mb;
  row_kl = static_cast<double*>(arena.carve_bytes(mb * sizeof(double), "latent.row_kl"));
  z_panel = arena.carve_floats(groups(mb) * 8 * Z, "latent.z_panel");
  d_panel = arena.carve_floats(groups(mb) * 16 * Z, "latent.d_panel");
}

namespace {

SparseIsa g_latent_isa_max = SparseIsa::avx512;

}  // namespace

SparseIsa latent_isa() { return best_isa(g_latent_isa_max); }
void set_latent_isa(SparseIsa most) { g_latent_isa_max = most; }

const char* latent_block_description(bool fused) {
  if (!fused) return "layers (sgemm)";
  return latent_isa() == SparseIsa::avx512 ? "fused (AVX-512)" : "fused (AVX2)";
}

bool latent_fused_available(std::size_t Z) {
  return latent_isa() != SparseIsa::portable && Z >= 1 && Z <= kLatentMaxZ;
}

namespace {

void check(const LatentBlock& l, std::size_t B, const char* what) {
  if (!latent_fused_available(l.Z)) {
    throw Error(std::string(what) + ": the fused latent kernels need AVX-512 or AVX2 + FMA, and Z <= " +
                std::to_string(kLatentMaxZ) + " (Z = " + std::to_string(l.Z) + ")");
  }
  if (!l.h_enc || !l.row_kl) throw Error(std::string(what) + ": the latent block's views are not bound");
  if (B == 0 || B > l.max_batch) {
    throw Error(std::string(what) + ": batch of " + std::to_string(B) + " images, built for 1.." +
                std::to_string(l.max_batch));
  }
}

#if defined(VAE_SPARSE_AVX512)
// Rows [r0, r1) of src's n columns (row stride lds) into their panel groups (r0 a multiple of 8),
// as columns [c0, c0 + n) of groups of `cols` columns.
void pack_rows(float* panel, std::size_t cols, std::size_t c0, const float* src, std::size_t lds, std::size_t n,
               std::size_t r0, std::size_t r1) {
  for (std::size_t i0 = r0; i0 < r1; i0 += 8) {
    float* g = panel + i0 * cols + 8 * c0;   // group i0 / 8 starts at (i0 / 8) * 8 * cols
    for (std::size_t r = 0; r < 8; ++r) {
      const float* row = src + std::min(i0 + r, r1 - 1) * lds;
      for (std::size_t k = 0; k < n; ++k) g[8 * k + r] = row[k];
    }
  }
}

// --- AVX-512 ---------------------------------------------------------------------------------
namespace avx512 {
VAE_TARGET_BEGIN("avx512f")
VAE_AVX512_BEGIN

// The 16 sums of v[0..16) in one vector, by halving in 30 shuffles and 15 adds (16 separate
// _mm512_reduce_add_ps take 64 of each): lane 4 j + m holds the sum of v[4 m + j].
inline __m512 reduce16(const __m512 v[16]) {
  __m512 s[8], t[4], u[2];
#pragma GCC unroll 16
  for (int p = 0; p < 8; ++p) {   // 256-bit halves: lanes 0-7 v[2p]'s 8 partial sums, 8-15 v[2p+1]'s
    s[p] = _mm512_add_ps(_mm512_shuffle_f32x4(v[2 * p], v[2 * p + 1], 0x44),
                         _mm512_shuffle_f32x4(v[2 * p], v[2 * p + 1], 0xEE));
  }
#pragma GCC unroll 16
  for (int p = 0; p < 4; ++p) {   // 128-bit lane q: 4 partial sums of v[4p + q]
    t[p] = _mm512_add_ps(_mm512_shuffle_f32x4(s[2 * p], s[2 * p + 1], 0x88),
                         _mm512_shuffle_f32x4(s[2 * p], s[2 * p + 1], 0xDD));
  }
#pragma GCC unroll 16
  for (int p = 0; p < 2; ++p) {   // lane q: 2 partials of v[8p + q], then 2 of v[8p + 4 + q]
    u[p] = _mm512_add_ps(_mm512_shuffle_ps(t[2 * p], t[2 * p + 1], 0x44),
                         _mm512_shuffle_ps(t[2 * p], t[2 * p + 1], 0xEE));
  }
  return _mm512_add_ps(_mm512_shuffle_ps(u[0], u[1], 0x88), _mm512_shuffle_ps(u[0], u[1], 0xDD));
}

struct Ops : simd::Avx512 {
  static constexpr int kOuterK = 8;              // 16 accumulators of 32 registers (masks in k registers)
  static constexpr std::size_t kPanelRows = 8;   // 16 accumulators
  static constexpr int kDzMaxV = 4;              // Z <= 64
  static constexpr int dz_rows(int nv) { return nv <= 2 ? 8 : 4; }
  static void sums(float out[16], const __m512 acc[16]) {
    alignas(64) float s[16];
    _mm512_store_ps(s, reduce16(acc));   // lane 4 j + m: acc[4 m + j]'s sum
    for (int q = 0; q < 16; ++q) out[q] = s[4 * (q % 4) + q / 4];
  }
};

#include "latent_kernels.inc"

VAE_AVX512_END
VAE_TARGET_END
}  // namespace avx512

// --- AVX2 + FMA ------------------------------------------------------------------------------
// 16 vector registers, and a tail mask takes one of them: outer_cols takes at most 5 columns (10
// accumulators, 2 masks, 2 loads, a broadcast; 6 spilled), rows_by_w half a panel group (4 rows, 8
// accumulators), dz_rows fewer rows as W's rows take more vectors.
namespace avx2 {
VAE_TARGET_BEGIN("avx2,fma")
VAE_AVX512_BEGIN

struct Ops : simd::Avx2 {
  static constexpr int kOuterK = 5;
  static constexpr std::size_t kPanelRows = 4;
  static constexpr int kDzMaxV = 8;   // Z <= 64
  static constexpr int dz_rows(int nv) { return nv == 1 ? 8 : nv == 2 ? 6 : nv == 3 ? 3 : nv == 4 ? 2 : 1; }
  // out[q] = the sum of acc[q]: pairwise adds within 128-bit halves, then the two halves.
  static void sums(float out[8], const __m256 acc[8]) {
    const __m256 t0 = _mm256_hadd_ps(acc[0], acc[1]), t1 = _mm256_hadd_ps(acc[2], acc[3]);
    const __m256 t2 = _mm256_hadd_ps(acc[4], acc[5]), t3 = _mm256_hadd_ps(acc[6], acc[7]);
    const __m256 u0 = _mm256_hadd_ps(t0, t1), u1 = _mm256_hadd_ps(t2, t3);   // acc[0..3] | acc[4..7], by half
    _mm256_storeu_ps(out, _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31)));
  }
};

#include "latent_kernels.inc"

VAE_AVX512_END
VAE_TARGET_END
}  // namespace avx2
#endif

}  // namespace

double latent_forward(const LatentBlock& l, std::size_t B) {
  check(l, B, "latent_forward");
#if defined(VAE_SPARSE_AVX512)
  const bool wide = latent_isa() == SparseIsa::avx512;
  parallel_for(B, 16, [&](std::size_t, std::size_t r0, std::size_t r1) {   // never an empty range
    if (wide) {
      avx512::forward_rows(l, r0, r1);
    } else {
      avx2::forward_rows(l, r0, r1);
    }
  });
#endif
  double kl = 0.0;
  for (std::size_t i = 0; i < B; ++i) kl += l.row_kl[i];
  return kl;
}

void latent_backward_dec(const LatentBlock& l, std::size_t B, float beta) {
  check(l, B, "latent_backward_dec");
#if defined(VAE_SPARSE_AVX512)
  const std::size_t H = l.H;
  const bool wide = latent_isa() == SparseIsa::avx512;
  // Every part runs, even one whose rows are empty: its units may not be.
  parallel_for_parts(B, 16, [&](std::size_t p, std::size_t parts) {
    std::size_t r0, r1, u0, u1;
    parallel_range(B, parts, p, r0, r1);
    parallel_range(H, parts, p, u0, u1);
    if (wide) {
      avx512::dec_fc_weight_grad(l, B, u0, u1);
      if (r0 < r1) avx512::dec_fc_input_grad(l, r0, r1, beta);
    } else {
      avx2::dec_fc_weight_grad(l, B, u0, u1);
      if (r0 < r1) avx2::dec_fc_input_grad(l, r0, r1, beta);
    }
  });
#else
  (void)beta;
#endif
}

void latent_backward_enc(const LatentBlock& l, std::size_t B, RangeFn after, void* ctx) {
  check(l, B, "latent_backward_enc");
#if defined(VAE_SPARSE_AVX512)
  const bool wide = latent_isa() == SparseIsa::avx512;
  parallel_for(l.H, 16, [&](std::size_t p, std::size_t lo, std::size_t hi) {
    if (p == 0) {   // the heads' db: 2 Z column sums, rows in order (Dense's bias_grad_hook)
      bias_grad_cols(l.db_mu, l.d_mu, B, l.Z, 0, l.Z);
      bias_grad_cols(l.db_logvar, l.d_logvar, B, l.Z, 0, l.Z);
    }
    if (wide) {
      avx512::heads_weight_grad(l, B, lo, hi);
      avx512::heads_input_grad(l, B, lo, hi);
    } else {
      avx2::heads_weight_grad(l, B, lo, hi);
      avx2::heads_input_grad(l, B, lo, hi);
    }
    if (after) after(ctx, p, lo, hi);
  });
#else
  (void)after, (void)ctx;
#endif
}

}  // namespace vae
