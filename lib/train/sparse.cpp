// sparse.cpp - the sparse-aware first layer's kernels (see vae/sparse.hpp for what and why).
//
// Two variants of each product kernel: AVX-512 (intrinsics under a target attribute, chosen at
// run time by CPUID, as the release build targets baseline x86-64) and portable loops, which are
// the reference of the test and what any other CPU runs. Both add the same terms in the same order
// per output element; the AVX-512 code fuses each multiply-add (as OpenBLAS does), the portable
// code does not, so the two agree within float rounding, not bit for bit.
//
// Register blocking: an output row of H floats is done in chunks of up to 8 AVX-512 vectors
// (128 floats), each chunk a set of accumulators that stays in registers over all the entries of
// the row (forward) or the column (dW). H = 400 is 3 chunks of 128 and one of 16.
#include "vae/sparse.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "vae/blas.hpp"
#include "vae/error.hpp"
#include "vae/parallel.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(VAE_NO_SPARSE_SIMD)
#define VAE_SPARSE_AVX512 1
#include <immintrin.h>
#endif

namespace vae {

const char* first_layer_name(FirstLayerPath p) {
  switch (p) {
    case FirstLayerPath::automatic: return "automatic";
    case FirstLayerPath::dense: return "dense";
    case FirstLayerPath::packed: return "packed";
    case FirstLayerPath::sparse: return "sparse";
  }
  return "?";
}

double nonzero_fraction(const std::uint8_t* pixels, std::size_t n) {
  if (n == 0) return 0.0;
  std::size_t nz = 0;
  for (std::size_t i = 0; i < n; ++i) nz += pixels[i] != 0;
  return static_cast<double>(nz) / static_cast<double>(n);
}

void SparseBatch::carve(Arena& arena, std::size_t d, std::size_t h, std::size_t mb) {
  if (d > 65536 || mb > 65536) throw Error("sparse first layer: 16-bit indices need D and the batch <= 65536");
  D = d;
  H = h;
  max_batch = mb;
  wt = arena.carve_floats(D * H, "sparse.wt");
  xval = arena.carve_floats(mb * D, "sparse.xval");
  xcol = static_cast<std::uint16_t*>(arena.carve_bytes(mb * D * 2, "sparse.xcol"));
  row_nnz = static_cast<std::uint32_t*>(arena.carve_bytes(mb * 4, "sparse.row_nnz"));
  cval = arena.carve_floats(D * mb, "sparse.cval");
  crow = static_cast<std::uint16_t*>(arena.carve_bytes(D * mb * 2, "sparse.crow"));
  col_nnz = static_cast<std::uint32_t*>(arena.carve_bytes(D * 4, "sparse.col_nnz"));
  nz_cols = static_cast<std::uint16_t*>(arena.carve_bytes(D * 2, "sparse.nz_cols"));
}

namespace {

bool g_simd_allowed = true;
constexpr std::size_t kTileH = 512;   // dW's tile holds 16 columns of dW^T of up to 512 floats

bool cpu_has_avx512() {
#if defined(VAE_SPARSE_AVX512)
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
#else
  return false;
#endif
}

void check_batch(const SparseBatch& s, std::size_t B) {
  if (B == 0 || B > s.max_batch) {
    throw Error("sparse first layer: batch of " + std::to_string(B) + " images, built for 1.." +
                std::to_string(s.max_batch));
  }
}

// The non-zero columns from col_nnz, ascending.
void list_nonzero_columns(SparseBatch& s) {
  std::size_t k = 0, nnz = 0;
  for (std::size_t j = 0; j < s.D; ++j) {
    s.nz_cols[k] = static_cast<std::uint16_t>(j);
    k += s.col_nnz[j] != 0;
    nnz += s.col_nnz[j];
  }
  s.K = k;
  s.nnz = nnz;
}

// --- portable kernels ------------------------------------------------------------------------
// y[s, o0:o0+n] += sum over row s's entries of v * wt[j, o0:o0+n].
void fwd_rows_portable(float* y, const SparseBatch& s, std::size_t lo, std::size_t hi) {
  constexpr std::size_t C = 128;
  float acc[C];
  const std::size_t H = s.H;
  for (std::size_t r = lo; r < hi; ++r) {
    const std::uint16_t* col = s.xcol + r * s.D;
    const float* val = s.xval + r * s.D;
    const std::size_t n = s.row_nnz[r];
    for (std::size_t o0 = 0; o0 < H; o0 += C) {
      const std::size_t w = std::min(C, H - o0);
      std::fill_n(acc, w, 0.0f);
      for (std::size_t k = 0; k < n; ++k) {
        const float v = val[k];
        const float* wr = s.wt + std::size_t{col[k]} * H + o0;
        for (std::size_t o = 0; o < w; ++o) acc[o] += v * wr[o];
      }
      float* yr = y + r * H + o0;
      for (std::size_t o = 0; o < w; ++o) yr[o] += acc[o];
    }
  }
}

// tile (16, H): tile[jj, :] = sum over column j0+jj's entries of v * dy[s, :].
void dw_tile_portable(float* tile, const float* dy, const SparseBatch& s, std::size_t j0, std::size_t nj) {
  const std::size_t H = s.H;
  for (std::size_t jj = 0; jj < nj; ++jj) {
    const std::size_t j = j0 + jj;
    float* t = tile + jj * H;
    std::fill_n(t, H, 0.0f);
    const std::uint16_t* row = s.crow + j * s.max_batch;
    const float* val = s.cval + j * s.max_batch;
    for (std::size_t k = 0; k < s.col_nnz[j]; ++k) {
      const float v = val[k];
      const float* d = dy + std::size_t{row[k]} * H;
      for (std::size_t o = 0; o < H; ++o) t[o] += v * d[o];
    }
  }
}

#if defined(VAE_SPARSE_AVX512)
// --- AVX-512 kernels -------------------------------------------------------------------------
#define VAE_AVX512 __attribute__((target("avx512f")))

// One chunk of NV full vectors (+ one masked vector if Tail) of y's row r.
template <int NV, bool Tail>
VAE_AVX512 inline void fwd_chunk(float* yr, const float* wt, std::size_t H, const std::uint16_t* col,
                                 const float* val, std::size_t n, __mmask16 tail) {
  constexpr int NA = NV + (Tail ? 1 : 0);
  __m512 acc[NA > 0 ? NA : 1];
#pragma GCC unroll 16
  for (int i = 0; i < NA; ++i) acc[i] = _mm512_setzero_ps();
  for (std::size_t k = 0; k < n; ++k) {
    const __m512 v = _mm512_set1_ps(val[k]);
    const float* w = wt + std::size_t{col[k]} * H;
#pragma GCC unroll 16
    for (int i = 0; i < NV; ++i) acc[i] = _mm512_fmadd_ps(v, _mm512_loadu_ps(w + 16 * i), acc[i]);
    if (Tail) acc[NV] = _mm512_fmadd_ps(v, _mm512_maskz_loadu_ps(tail, w + 16 * NV), acc[NV]);
  }
#pragma GCC unroll 16
  for (int i = 0; i < NV; ++i) _mm512_storeu_ps(yr + 16 * i, _mm512_add_ps(_mm512_loadu_ps(yr + 16 * i), acc[i]));
  if (Tail) {
    float* p = yr + 16 * NV;
    _mm512_mask_storeu_ps(p, tail, _mm512_add_ps(_mm512_maskz_loadu_ps(tail, p), acc[NV]));
  }
}

// tile rows of one chunk: tile[jj, 0:16*NA] for column j.
template <int NV, bool Tail>
VAE_AVX512 inline void dw_chunk(float* t, const float* dy, std::size_t H, const std::uint16_t* row,
                                const float* val, std::size_t n, __mmask16 tail) {
  constexpr int NA = NV + (Tail ? 1 : 0);
  __m512 acc[NA > 0 ? NA : 1];
#pragma GCC unroll 16
  for (int i = 0; i < NA; ++i) acc[i] = _mm512_setzero_ps();
  for (std::size_t k = 0; k < n; ++k) {
    const __m512 v = _mm512_set1_ps(val[k]);
    const float* d = dy + std::size_t{row[k]} * H;
#pragma GCC unroll 16
    for (int i = 0; i < NV; ++i) acc[i] = _mm512_fmadd_ps(v, _mm512_loadu_ps(d + 16 * i), acc[i]);
    if (Tail) acc[NV] = _mm512_fmadd_ps(v, _mm512_maskz_loadu_ps(tail, d + 16 * NV), acc[NV]);
  }
#pragma GCC unroll 16
  for (int i = 0; i < NV; ++i) _mm512_storeu_ps(t + 16 * i, acc[i]);
  if (Tail) _mm512_mask_storeu_ps(t + 16 * NV, tail, acc[NV]);
}

// Calls K<NV, Tail>::run for the chunks of a row of H floats: 8-vector chunks, then the rest.
template <template <int, bool> class K, class... A>
VAE_AVX512 inline void for_chunks(std::size_t H, A... a) {
  std::size_t o0 = 0;
  for (; o0 + 128 <= H; o0 += 128) K<8, false>::run(o0, 0, a...);
  const std::size_t rest = H - o0;
  if (rest == 0) return;
  const int nv = static_cast<int>(rest / 16);
  const __mmask16 m = static_cast<__mmask16>((1u << (rest % 16)) - 1u);
  const bool t = rest % 16 != 0;
#define VAE_CASE(N)                              \
  case N:                                        \
    if (t) K<N, true>::run(o0, m, a...);         \
    else K<N, false>::run(o0, m, a...);          \
    break;
  switch (nv) { VAE_CASE(0) VAE_CASE(1) VAE_CASE(2) VAE_CASE(3) VAE_CASE(4) VAE_CASE(5) VAE_CASE(6) VAE_CASE(7) }
#undef VAE_CASE
}

template <int NV, bool Tail>
struct FwdChunk {
  VAE_AVX512 static void run(std::size_t o0, __mmask16 m, float* yr, const float* wt, std::size_t H,
                             const std::uint16_t* col, const float* val, std::size_t n) {
    if (NV == 0 && !Tail) return;
    fwd_chunk<NV, Tail>(yr + o0, wt + o0, H, col, val, n, m);
  }
};
template <int NV, bool Tail>
struct DwChunk {
  VAE_AVX512 static void run(std::size_t o0, __mmask16 m, float* t, const float* dy, std::size_t H,
                             const std::uint16_t* row, const float* val, std::size_t n) {
    if (NV == 0 && !Tail) return;
    dw_chunk<NV, Tail>(t + o0, dy + o0, H, row, val, n, m);
  }
};

VAE_AVX512 void fwd_rows_avx512(float* y, const SparseBatch& s, std::size_t lo, std::size_t hi) {
  for (std::size_t r = lo; r < hi; ++r) {
    for_chunks<FwdChunk>(s.H, y + r * s.H, static_cast<const float*>(s.wt), s.H,
                         static_cast<const std::uint16_t*>(s.xcol + r * s.D),
                         static_cast<const float*>(s.xval + r * s.D), std::size_t{s.row_nnz[r]});
  }
}

VAE_AVX512 void dw_tile_avx512(float* tile, const float* dy, const SparseBatch& s, std::size_t j0, std::size_t nj) {
  for (std::size_t jj = 0; jj < nj; ++jj) {
    const std::size_t j = j0 + jj;
    for_chunks<DwChunk>(s.H, tile + jj * s.H, dy, s.H,
                        static_cast<const std::uint16_t*>(s.crow + j * s.max_batch),
                        static_cast<const float*>(s.cval + j * s.max_batch), std::size_t{s.col_nnz[j]});
  }
}
#endif

bool use_simd() { return g_simd_allowed && cpu_has_avx512(); }

// CSR of rows [lo, hi) of x: branch-free, every value written, the cursor advanced on non-zeros.
void index_rows(SparseBatch& s, const float* x, std::size_t lo, std::size_t hi) {
  for (std::size_t r = lo; r < hi; ++r) {
    const float* xr = x + r * s.D;
    std::uint16_t* col = s.xcol + r * s.D;
    float* val = s.xval + r * s.D;
    std::size_t n = 0;
    for (std::size_t j = 0; j < s.D; ++j) {
      const float v = xr[j];
      col[n] = static_cast<std::uint16_t>(j);
      val[n] = v;
      n += v != 0.0f;
    }
    s.row_nnz[r] = static_cast<std::uint32_t>(n);
  }
}

// CSC of columns [lo, hi) of x (B rows): rows ascending within each column.
void index_cols(SparseBatch& s, const float* x, std::size_t B, std::size_t lo, std::size_t hi) {
  std::fill(s.col_nnz + lo, s.col_nnz + hi, 0u);
  for (std::size_t r = 0; r < B; ++r) {
    const float* xr = x + r * s.D;
    for (std::size_t j = lo; j < hi; ++j) {
      const float v = xr[j];
      const std::size_t at = j * s.max_batch + s.col_nnz[j];
      s.crow[at] = static_cast<std::uint16_t>(r);
      s.cval[at] = v;
      s.col_nnz[j] += v != 0.0f;
    }
  }
}

}  // namespace

bool sparse_simd() { return use_simd(); }
void set_sparse_simd(bool on) { g_simd_allowed = on; }

// --- sparse ----------------------------------------------------------------------------------
void sparse_index(SparseBatch& s, const float* x, std::size_t B) {
  check_batch(s, B);
  s.B = B;
  parallel_for(B, 16, [&](std::size_t, std::size_t lo, std::size_t hi) { index_rows(s, x, lo, hi); });
  parallel_for(s.D, 16, [&](std::size_t, std::size_t lo, std::size_t hi) { index_cols(s, x, B, lo, hi); });
  list_nonzero_columns(s);
}

void sparse_xwt(float* y, const float* w, SparseBatch& s) {
  const std::size_t D = s.D, H = s.H;
  // W^T's rows for the batch's non-zero columns: wt[j, :] = W[:, j].
  parallel_for(s.K, 16, [&](std::size_t, std::size_t lo, std::size_t hi) {
    constexpr std::size_t T = 16;   // a block of 16 columns, read 16 floats at a time per row
    for (std::size_t k0 = lo; k0 < hi; k0 += T) {
      const std::size_t nk = std::min(T, hi - k0);
      for (std::size_t o = 0; o < H; ++o) {
        const float* wr = w + o * D;
        for (std::size_t k = 0; k < nk; ++k) s.wt[std::size_t{s.nz_cols[k0 + k]} * H + o] = wr[s.nz_cols[k0 + k]];
      }
    }
  });
  const bool simd = use_simd();
  parallel_for(s.B, 16, [&](std::size_t, std::size_t lo, std::size_t hi) {
#if defined(VAE_SPARSE_AVX512)
    if (simd) {
      fwd_rows_avx512(y, s, lo, hi);
      return;
    }
#endif
    (void)simd;
    fwd_rows_portable(y, s, lo, hi);
  });
}

void sparse_dytx(float* dw, const float* dy, const SparseBatch& s) {
  const std::size_t D = s.D, H = s.H;
  const bool simd = use_simd();
  parallel_for(D, 16, [&](std::size_t, std::size_t lo, std::size_t hi) {
    constexpr std::size_t T = 16;
    alignas(64) float tile[T * kTileH];   // (16, H) one tile of dW^T, for H <= kTileH
    for (std::size_t j0 = lo; j0 < hi; j0 += T) {
      const std::size_t nj = std::min(T, hi - j0);
      std::uint32_t any = 0;
      for (std::size_t jj = 0; jj < nj; ++jj) any |= s.col_nnz[j0 + jj];
      if (!any) {   // pixels zero in the whole batch: exact zeros, as the dense product gives
        for (std::size_t o = 0; o < H; ++o) std::fill_n(dw + o * D + j0, nj, 0.0f);
        continue;
      }
      if (H <= kTileH) {
#if defined(VAE_SPARSE_AVX512)
        if (simd) {
          dw_tile_avx512(tile, dy, s, j0, nj);
        } else
#endif
        {
          dw_tile_portable(tile, dy, s, j0, nj);
        }
        // Transpose the tile (nj, H) into dW[o, j0 + jj].
        for (std::size_t o = 0; o < H; ++o) {
          float* d = dw + o * D + j0;
          for (std::size_t jj = 0; jj < nj; ++jj) d[jj] = tile[jj * H + o];
        }
        continue;
      }
      // Wider layers: portable, straight into dW, column by column (no tile).
      for (std::size_t jj = 0; jj < nj; ++jj) {
        const std::size_t j = j0 + jj;
        for (std::size_t o = 0; o < H; ++o) dw[o * D + j] = 0.0f;
        for (std::size_t k = 0; k < s.col_nnz[j]; ++k) {
          const float v = s.cval[j * s.max_batch + k];
          const float* d = dy + std::size_t{s.crow[j * s.max_batch + k]} * H;
          for (std::size_t o = 0; o < H; ++o) dw[o * D + j] += v * d[o];
        }
      }
    }
  });
}

// --- packed ----------------------------------------------------------------------------------
void packed_index(SparseBatch& s, const float* x, std::size_t B) {
  check_batch(s, B);
  s.B = B;
  const std::size_t D = s.D;
  // Non-zero counts per column (the same as the CSC's), by column ranges.
  parallel_for(D, 16, [&](std::size_t, std::size_t lo, std::size_t hi) {
    std::fill(s.col_nnz + lo, s.col_nnz + hi, 0u);
    for (std::size_t r = 0; r < B; ++r) {
      const float* xr = x + r * D;
      for (std::size_t j = lo; j < hi; ++j) s.col_nnz[j] += xr[j] != 0.0f;
    }
  });
  list_nonzero_columns(s);
  const std::size_t K = s.K;
  parallel_for(B, 16, [&](std::size_t, std::size_t lo, std::size_t hi) {
    for (std::size_t r = lo; r < hi; ++r) {
      for (std::size_t k = 0; k < K; ++k) s.xval[r * K + k] = x[r * D + s.nz_cols[k]];
    }
  });
}

void packed_xwt(float* y, const float* w, SparseBatch& s) {
  const std::size_t D = s.D, H = s.H, K = s.K;
  if (K == 0) return;
  parallel_for(H, 16, [&](std::size_t, std::size_t lo, std::size_t hi) {
    for (std::size_t o = lo; o < hi; ++o) {
      for (std::size_t k = 0; k < K; ++k) s.wt[o * K + k] = w[o * D + s.nz_cols[k]];
    }
  });
  sgemm(Trans::no, Trans::yes, s.B, H, K, 1.0f, s.xval, K, s.wt, K, 1.0f, y, H);
}

void packed_dytx(float* dw, const float* dy, SparseBatch& s) {
  const std::size_t D = s.D, H = s.H, K = s.K;
  if (K > 0) sgemm(Trans::yes, Trans::no, H, K, s.B, 1.0f, dy, H, s.xval, K, 0.0f, s.wt, K);
  parallel_for(H, 16, [&](std::size_t, std::size_t lo, std::size_t hi) {
    for (std::size_t o = lo; o < hi; ++o) {
      float* d = dw + o * D;
      std::fill_n(d, D, 0.0f);
      for (std::size_t k = 0; k < K; ++k) d[s.nz_cols[k]] = s.wt[o * K + k];
    }
  });
}

}  // namespace vae
