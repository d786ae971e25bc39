// latent.cpp - the latent block's fused kernels (see vae/latent.hpp for what and why).
//
// Three register-blocked AVX-512 loops do all six products:
//   dot4x4      4 rows of A by 4 rows of B, 16 dot products along H in 16 accumulators, each
//               reduced at the end: the heads' forward (h by W_mu, W_logvar rows).
//   outer_cols  32 columns of A (B, .) by up to 8 columns of S (B, .), summed over the rows in 16
//               accumulators: dW = S^T A, 32 units at a time (the heads' dW directly in its rows,
//               dec_fc's through 16 x 16 transposes into its (H, Z) rows).
//   rows_by_w   acc[r] += s[r, k] W^T[k, 32 lanes] for a panel of 8 rows: dec_fc's forward (W^T
//               kept on the stack for 32 units) and the heads' input gradient; dec_fc's input
//               gradient d_z the same way with W's rows of Z floats as they are (dz_rows).
// Only the AVX-512 code exists here: without it the model runs the same graph through OpenBLAS
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

bool latent_fused_available(std::size_t Z) { return cpu_has_avx512() && Z >= 1 && Z <= kLatentMaxZ; }

namespace {

void check(const LatentBlock& l, std::size_t B, const char* what) {
  if (!latent_fused_available(l.Z)) {
    throw Error(std::string(what) + ": the fused latent kernels need AVX-512 and Z <= " +
                std::to_string(kLatentMaxZ) + " (Z = " + std::to_string(l.Z) + ")");
  }
  if (!l.h_enc || !l.row_kl) throw Error(std::string(what) + ": the latent block's views are not bound");
  if (B == 0 || B > l.max_batch) {
    throw Error(std::string(what) + ": batch of " + std::to_string(B) + " images, built for 1.." +
                std::to_string(l.max_batch));
  }
}

#if defined(VAE_SPARSE_AVX512)
VAE_AVX512_BEGIN
using simd::lanes;
using simd::transpose_block;

// The 16 sums of v[0..16) in one vector, by halving in 30 shuffles and 15 adds (16 separate
// _mm512_reduce_add_ps take 64 of each): lane 4 j + m holds the sum of v[4 m + j].
VAE_AVX512 inline __m512 reduce16(const __m512 v[16]) {
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

// out[4 r + o] = sum over k < n of a[r][k] b[o][k].
VAE_AVX512 void dot4x4(float out[16], const float* const a[4], const float* const b[4], std::size_t n) {
  __m512 acc[16];
#pragma GCC unroll 16
  for (int q = 0; q < 16; ++q) acc[q] = _mm512_setzero_ps();
  for (std::size_t k = 0; k < n; k += 16) {
    const __mmask16 m = lanes(n - k);
    __m512 bv[4];
#pragma GCC unroll 16
    for (int o = 0; o < 4; ++o) bv[o] = _mm512_maskz_loadu_ps(m, b[o] + k);
#pragma GCC unroll 16
    for (int r = 0; r < 4; ++r) {
      const __m512 av = _mm512_maskz_loadu_ps(m, a[r] + k);
#pragma GCC unroll 16
      for (int o = 0; o < 4; ++o) acc[4 * r + o] = _mm512_fmadd_ps(av, bv[o], acc[4 * r + o]);
    }
  }
  alignas(64) float sums[16];
  _mm512_store_ps(sums, reduce16(acc));   // lane 4 o + r: acc[4 r + o]'s sum
  for (int r = 0; r < 4; ++r) {
    for (int o = 0; o < 4; ++o) out[4 * r + o] = sums[4 * o + r];
  }
}

// out[i, o] = sum over k of a[i, k] b_o[k] for rows [r0, r1) and n_out outputs, whose rows of B
// and destinations brow(o), dst(i, o, sum) give (4 x 4 blocks of dot4x4; a block's missing rows
// and outputs repeat its last ones, and their results are dropped).
template <class BRow, class Dst>
VAE_AVX512 void dot_rows(const float* a, std::size_t lda, std::size_t r0, std::size_t r1, std::size_t n_out,
                         std::size_t n, BRow brow, Dst dst) {
  for (std::size_t i0 = r0; i0 < r1; i0 += 4) {
    const float* ar[4];
    for (std::size_t r = 0; r < 4; ++r) ar[r] = a + std::min(i0 + r, r1 - 1) * lda;
    for (std::size_t o0 = 0; o0 < n_out; o0 += 4) {
      const float* br[4];
      for (std::size_t o = 0; o < 4; ++o) br[o] = brow(std::min(o0 + o, n_out - 1));
      float out[16];
      dot4x4(out, ar, br, n);
      for (std::size_t r = 0; r < 4 && i0 + r < r1; ++r) {
        for (std::size_t o = 0; o < 4 && o0 + o < n_out; ++o) dst(i0 + r, o0 + o, out[4 * r + o]);
      }
    }
  }
}

// Two vectors of 16 lanes from p: [p, p + 16) under m[0] and [p + 16, p + 32) under m[1].
struct Lanes2 {
  __mmask16 m[2];
  VAE_AVX512 static Lanes2 of(std::size_t n) {   // the first min(n, 32) lanes
    return {{lanes(n), n > 16 ? lanes(n - 16) : static_cast<__mmask16>(0)}};
  }
};

// tile[32 j + lane] = sum over i < B of a[i lda + lane] s[i lds + j] for j < NK and the 32 lanes
// of l: 2 NK accumulators, each row's 2 loads and NK broadcasts feeding 2 NK multiply-adds.
template <int NK>
VAE_AVX512 void outer_cols(float* tile, const float* a, std::size_t lda, const float* s, std::size_t lds,
                           std::size_t B, Lanes2 l) {
  __m512 acc[2 * NK];
#pragma GCC unroll 16
  for (int j = 0; j < 2 * NK; ++j) acc[j] = _mm512_setzero_ps();
  for (std::size_t i = 0; i < B; ++i) {
    const __m512 a0 = _mm512_maskz_loadu_ps(l.m[0], a + i * lda);
    const __m512 a1 = _mm512_maskz_loadu_ps(l.m[1], a + i * lda + 16);
    const float* si = s + i * lds;
#pragma GCC unroll 16
    for (int j = 0; j < NK; ++j) {
      const __m512 sv = _mm512_set1_ps(si[j]);
      acc[2 * j] = _mm512_fmadd_ps(a0, sv, acc[2 * j]);
      acc[2 * j + 1] = _mm512_fmadd_ps(a1, sv, acc[2 * j + 1]);
    }
  }
#pragma GCC unroll 16
  for (int j = 0; j < 2 * NK; ++j) _mm512_store_ps(tile + 16 * j, acc[j]);
}

VAE_AVX512 void outer_cols_n(std::size_t nk, float* tile, const float* a, std::size_t lda, const float* s,
                             std::size_t lds, std::size_t B, Lanes2 l) {
  switch (nk) {
    case 1: outer_cols<1>(tile, a, lda, s, lds, B, l); break;
    case 2: outer_cols<2>(tile, a, lda, s, lds, B, l); break;
    case 3: outer_cols<3>(tile, a, lda, s, lds, B, l); break;
    case 4: outer_cols<4>(tile, a, lda, s, lds, B, l); break;
    case 5: outer_cols<5>(tile, a, lda, s, lds, B, l); break;
    case 6: outer_cols<6>(tile, a, lda, s, lds, B, l); break;
    case 7: outer_cols<7>(tile, a, lda, s, lds, B, l); break;
    default: outer_cols<8>(tile, a, lda, s, lds, B, l); break;
  }
}

// acc[2 r + c] += sum over k < n of panel[8 k + r] w_k[16 c lanes], for a group of 8 rows r (a
// panel's group, see LatentBlock) and 32 lanes of W's rows w_k = w + k ldw (under l): each k's
// 2 loads and 8 broadcasts (from one pointer) feed 16 multiply-adds.
VAE_AVX512 inline void rows_by_w(__m512 acc[16], const float* panel, const float* w, std::size_t ldw, std::size_t n,
                                 Lanes2 l) {
  for (std::size_t k = 0; k < n; ++k) {
    const __m512 w0 = _mm512_maskz_loadu_ps(l.m[0], w + k * ldw);
    const __m512 w1 = _mm512_maskz_loadu_ps(l.m[1], w + k * ldw + 16);
    const float* pk = panel + 8 * k;
#pragma GCC unroll 16
    for (int r = 0; r < 8; ++r) {
      const __m512 sv = _mm512_set1_ps(pk[r]);
      acc[2 * r] = _mm512_fmadd_ps(sv, w0, acc[2 * r]);
      acc[2 * r + 1] = _mm512_fmadd_ps(sv, w1, acc[2 * r + 1]);
    }
  }
}

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

// --- forward, rows [r0, r1) ----------------------------------------------------------------
// The heads: mu[i, o] = b_mu[o] + h[i, :] . W_mu[o, :], logvar likewise (Dense::forward's order:
// the bias, then the product added).
VAE_AVX512 void heads_forward(const LatentBlock& l, std::size_t r0, std::size_t r1) {
  const std::size_t H = l.H, Z = l.Z;
  dot_rows(
      l.h_enc, H, r0, r1, 2 * Z, H,
      [&](std::size_t o) { return o < Z ? l.w_mu + o * H : l.w_logvar + (o - Z) * H; },
      [&](std::size_t i, std::size_t o, float v) {
        if (o < Z) {
          l.mu[i * Z + o] = l.b_mu[o] + v;
        } else {
          l.logvar[i * Z + o - Z] = l.b_logvar[o - Z] + v;
        }
      });
}

// dec_fc: h2[i, o] = relu(b[o] + sum over k of z[i, k] W[o, k]), 32 units at a time: their W^T
// (Z x 32) made on the stack, then 8 rows at a time.
VAE_AVX512 void dec_fc_forward(const LatentBlock& l, std::size_t r0, std::size_t r1) {
  const std::size_t H = l.H, Z = l.Z;
  alignas(64) float wt[kLatentMaxZ * 32];
  std::memset(wt, 0, sizeof wt);
  const __m512 zero = _mm512_setzero_ps();
  for (std::size_t o = 0; o < H; o += 32) {
    const Lanes2 u = Lanes2::of(H - o);
    for (std::size_t c = 0; c < 2 && o + 16 * c < H; ++c) {
      for (std::size_t k0 = 0; k0 < Z; k0 += 16) {
        transpose_block(wt + k0 * 32 + 16 * c, 32, nullptr, l.w_dec + (o + 16 * c) * Z + k0, Z,
                        std::min<std::size_t>(16, H - o - 16 * c), std::min<std::size_t>(16, Z - k0), 0xffffu);
      }
    }
    const __m512 b0 = _mm512_maskz_loadu_ps(u.m[0], l.b_dec + o);
    const __m512 b1 = _mm512_maskz_loadu_ps(u.m[1], l.b_dec + o + 16);
    for (std::size_t i0 = r0; i0 < r1; i0 += 8) {
      __m512 acc[16];
      for (std::size_t r = 0; r < 8; ++r) {
        acc[2 * r] = b0;
        acc[2 * r + 1] = b1;
      }
      rows_by_w(acc, l.z_panel + i0 * Z, wt, 32, Z, u);
      // max(acc, 0): +0 for negatives, -0 and NaN, as relu_forward's where(v > 0, v, 0).
      for (std::size_t r = 0; r < 8 && i0 + r < r1; ++r) {
        float* y = l.h_dec + (i0 + r) * H + o;
        _mm512_mask_storeu_ps(y, u.m[0], _mm512_max_ps(acc[2 * r], zero));
        _mm512_mask_storeu_ps(y + 16, u.m[1], _mm512_max_ps(acc[2 * r + 1], zero));
      }
    }
  }
}

// --- backward_dec ----------------------------------------------------------------------------
// dec_fc's dW rows [u0, u1): dW^T for 32 units and up to 8 latent columns at a time, transposed
// into the units' rows.
VAE_AVX512 void dec_fc_weight_grad(const LatentBlock& l, std::size_t B, std::size_t u0, std::size_t u1) {
  const std::size_t H = l.H, Z = l.Z;
  alignas(64) float tile[8 * 32];
  for (std::size_t o = u0; o < u1; o += 32) {
    for (std::size_t k0 = 0; k0 < Z; k0 += 8) {
      const std::size_t nk = std::min<std::size_t>(8, Z - k0);
      outer_cols_n(nk, tile, l.d_h_dec + o, H, l.z + k0, Z, B, Lanes2::of(u1 - o));
      for (std::size_t c = 0; c < 2 && o + 16 * c < u1; ++c) {   // tile row j: column k0 + j
        transpose_block(l.dw_dec + (o + 16 * c) * Z + k0, Z, nullptr, tile + 16 * c, 32, nk,
                        std::min<std::size_t>(16, u1 - o - 16 * c), 0xffffu);
      }
    }
  }
}

// d_z[i, :] = sum over o of d_h2[i, o] W[o, :] for rows [r0, r1): W's rows (Z floats) in NV
// vectors, R rows at a time.
template <int NV, int R>
VAE_AVX512 void dz_rows(const LatentBlock& l, std::size_t r0, std::size_t r1) {
  const std::size_t H = l.H, Z = l.Z;
  const __mmask16 tail = lanes(Z - 16 * (NV - 1));
  for (std::size_t i0 = r0; i0 < r1; i0 += R) {
    const float* dr[R];
    __m512 acc[R][NV];
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      dr[r] = l.d_h_dec + std::min(i0 + r, r1 - 1) * H;
#pragma GCC unroll 16
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
    }
    for (std::size_t o = 0; o < H; ++o) {
      const float* w = l.w_dec + o * Z;
      __m512 wv[NV];
#pragma GCC unroll 16
      for (int v = 0; v + 1 < NV; ++v) wv[v] = _mm512_loadu_ps(w + 16 * v);
      wv[NV - 1] = _mm512_maskz_loadu_ps(tail, w + 16 * (NV - 1));
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
        const __m512 d = _mm512_set1_ps(dr[r][o]);
#pragma GCC unroll 16
        for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(d, wv[v], acc[r][v]);
      }
    }
    for (std::size_t r = 0; r < static_cast<std::size_t>(R) && i0 + r < r1; ++r) {
      float* dz = l.d_z + (i0 + r) * Z;
      for (int v = 0; v + 1 < NV; ++v) _mm512_storeu_ps(dz + 16 * v, acc[r][v]);
      _mm512_mask_storeu_ps(dz + 16 * (NV - 1), tail, acc[r][NV - 1]);
    }
  }
}

// d_z for rows [r0, r1), then the reparameterization's and KL's gradients for the same rows.
VAE_AVX512 void dec_fc_input_grad(const LatentBlock& l, std::size_t r0, std::size_t r1, float beta) {
  const std::size_t Z = l.Z;
  switch ((Z + 15) / 16) {
    case 1: dz_rows<1, 8>(l, r0, r1); break;
    case 2: dz_rows<2, 8>(l, r0, r1); break;
    case 3: dz_rows<3, 4>(l, r0, r1); break;
    default: dz_rows<4, 4>(l, r0, r1); break;
  }
  const std::size_t lo = r0 * Z, n = (r1 - r0) * Z;
  reparam_kl_backward(l.d_mu + lo, l.d_logvar + lo, l.d_z + lo, l.mu + lo, l.logvar + lo, l.eps + lo, n, beta);
  pack_rows(l.d_panel, 2 * Z, 0, l.d_mu, Z, Z, r0, r1);   // for backward_enc's input gradient
  pack_rows(l.d_panel, 2 * Z, Z, l.d_logvar, Z, Z, r0, r1);
}

// --- backward_enc, units [u0, u1) ----------------------------------------------------------
// The heads' dW columns [u0, u1): dW[o, u] = sum over i of d[i, o] h[i, u], 32 units and up to 8
// outputs at a time, straight into W's rows.
VAE_AVX512 void heads_weight_grad(const LatentBlock& l, std::size_t B, std::size_t u0, std::size_t u1) {
  const std::size_t H = l.H, Z = l.Z;
  alignas(64) float tile[8 * 32];
  for (std::size_t u = u0; u < u1; u += 32) {
    const Lanes2 m = Lanes2::of(u1 - u);
    for (int head = 0; head < 2; ++head) {
      const float* d = head == 0 ? l.d_mu : l.d_logvar;
      float* dw = head == 0 ? l.dw_mu : l.dw_logvar;
      for (std::size_t o0 = 0; o0 < Z; o0 += 8) {
        const std::size_t nk = std::min<std::size_t>(8, Z - o0);
        outer_cols_n(nk, tile, l.h_enc + u, H, d + o0, Z, B, m);
        for (std::size_t j = 0; j < nk; ++j) {
          _mm512_mask_storeu_ps(dw + (o0 + j) * H + u, m.m[0], _mm512_load_ps(tile + 32 * j));
          _mm512_mask_storeu_ps(dw + (o0 + j) * H + u + 16, m.m[1], _mm512_load_ps(tile + 32 * j + 16));
        }
      }
    }
  }
}

// d_h[i, u] = (h[i, u] > 0) * sum over o of (d_mu[i, o] W_mu[o, u] + d_logvar[i, o] W_logvar[o, u])
// for units [u0, u1), 32 units by 8 rows at a time, and enc_fc's db[u] = its column sums in row
// order.
VAE_AVX512 void heads_input_grad(const LatentBlock& l, std::size_t B, std::size_t u0, std::size_t u1) {
  const std::size_t H = l.H, Z = l.Z;
  const __m512 zero = _mm512_setzero_ps();
  for (std::size_t u = u0; u < u1; u += 32) {
    const Lanes2 m = Lanes2::of(u1 - u);
    __m512 db[2] = {zero, zero};
    for (std::size_t i0 = 0; i0 < B; i0 += 8) {
      __m512 acc[16];
      for (std::size_t r = 0; r < 16; ++r) acc[r] = zero;
      const float* panel = l.d_panel + i0 * 2 * Z;   // d_mu's Z columns, then d_logvar's
      rows_by_w(acc, panel, l.w_mu + u, H, Z, m);
      rows_by_w(acc, panel + 8 * Z, l.w_logvar + u, H, Z, m);
      // ReLU': where(h > 0, d, 0), as relu_grad_block.
      for (std::size_t r = 0; r < 8 && i0 + r < B; ++r) {
        for (std::size_t c = 0; c < 2; ++c) {
          const std::size_t at = (i0 + r) * H + u + 16 * c;
          const __mmask16 on =
              _mm512_mask_cmp_ps_mask(m.m[c], _mm512_maskz_loadu_ps(m.m[c], l.h_enc + at), zero, _CMP_GT_OQ);
          const __m512 g = _mm512_maskz_mov_ps(on, acc[2 * r + c]);
          _mm512_mask_storeu_ps(l.d_h_enc + at, m.m[c], g);
          db[c] = _mm512_add_ps(db[c], g);
        }
      }
    }
    _mm512_mask_storeu_ps(l.db_enc + u, m.m[0], db[0]);
    _mm512_mask_storeu_ps(l.db_enc + u + 16, m.m[1], db[1]);
  }
}
VAE_AVX512_END
#endif

}  // namespace

double latent_forward(const LatentBlock& l, std::size_t B) {
  check(l, B, "latent_forward");
#if defined(VAE_SPARSE_AVX512)
  const std::size_t Z = l.Z;
  parallel_for(B, 16, [&](std::size_t, std::size_t r0, std::size_t r1) {   // never an empty range
    heads_forward(l, r0, r1);
    const std::size_t lo = r0 * Z;
    reparam_kl_rows(l.z + lo, l.row_kl + r0, l.mu + lo, l.logvar + lo, l.eps + lo, r1 - r0, Z);
    pack_rows(l.z_panel, Z, 0, l.z, Z, Z, r0, r1);
    dec_fc_forward(l, r0, r1);
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
  // Every part runs, even one whose rows are empty: its units may not be.
  parallel_for_parts(B, 16, [&](std::size_t p, std::size_t parts) {
    std::size_t r0, r1, u0, u1;
    parallel_range(B, parts, p, r0, r1);
    parallel_range(H, parts, p, u0, u1);
    dec_fc_weight_grad(l, B, u0, u1);
    if (r0 < r1) dec_fc_input_grad(l, r0, r1, beta);
  });
#else
  (void)beta;
#endif
}

void latent_backward_enc(const LatentBlock& l, std::size_t B, RangeFn after, void* ctx) {
  check(l, B, "latent_backward_enc");
#if defined(VAE_SPARSE_AVX512)
  parallel_for(l.H, 16, [&](std::size_t p, std::size_t lo, std::size_t hi) {
    if (p == 0) {   // the heads' db: 2 Z column sums, rows in order (Dense's bias_grad_hook)
      bias_grad_cols(l.db_mu, l.d_mu, B, l.Z, 0, l.Z);
      bias_grad_cols(l.db_logvar, l.d_logvar, B, l.Z, 0, l.Z);
    }
    heads_weight_grad(l, B, lo, hi);
    heads_input_grad(l, B, lo, hi);
    if (after) after(ctx, p, lo, hi);
  });
#else
  (void)after, (void)ctx;
#endif
}

}  // namespace vae
