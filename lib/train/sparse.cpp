// sparse.cpp - the sparse-aware first layer's kernels (see vae/sparse.hpp for what and why).
//
// Two variants of each product kernel: AVX-512 (intrinsics under a target attribute, chosen at
// run time by CPUID, as the release build targets baseline x86-64) and portable loops, which are
// the reference of the test and what any other CPU runs. Both add the same terms in the same order
// per output element; the AVX-512 code fuses each multiply-add (as OpenBLAS does), the portable
// code does not, so the two agree within float rounding, not bit for bit.
//
// Register blocking: an output row of H floats is done in chunks of at most 13 AVX-512 vectors
// (H = 400: 13 + 12), each a set of accumulators that stays in registers over the entries of the
// row (forward, y[r, :]) or of the column (dW, dW^T[j, :]), each entry one broadcast and one
// fused multiply-add per vector. The forward walks W^T (made for the batch's non-zero columns
// only) in blocks of 64 non-zero columns; dW builds dW^T for 64 columns at a time in a tile on the
// stack and transposes it into dW's (H, D) layout in 16 x 16 blocks in registers.
//
// Where the time goes (docs/performance.md, "Sparse first layer"): each vector multiply-add takes
// about 2.5 times as long as in OpenBLAS's dense kernel (each of ours loads its operand; a GEMM
// kernel reuses each load for several), plus the index (~0.1 ms a batch) and W's transpose; so
// 19% non-zeros make the two products ~1.5-2x faster, not 5x.
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
  row_stride = D + 16;
  xval = arena.carve_floats(mb * row_stride, "sparse.xval");
  xcol = static_cast<std::uint16_t*>(arena.carve_bytes(mb * row_stride * 2, "sparse.xcol"));
  row_nnz = static_cast<std::uint32_t*>(arena.carve_bytes(mb * 4, "sparse.row_nnz"));
  cval = arena.carve_floats(D * mb, "sparse.cval");
  crow = static_cast<std::uint16_t*>(arena.carve_bytes(D * mb * 2, "sparse.crow"));
  col_nnz = static_cast<std::uint32_t*>(arena.carve_bytes(D * 4, "sparse.col_nnz"));
  nz_cols = static_cast<std::uint16_t*>(arena.carve_bytes(D * 2, "sparse.nz_cols"));
  cursor = static_cast<std::uint32_t*>(arena.carve_bytes(std::max(mb, D) * 4, "sparse.cursor"));
  bounds = static_cast<std::uint32_t*>(arena.carve_bytes((D + 1) * 4, "sparse.bounds"));
}

namespace {

bool g_simd_allowed = true;
// Sizes of the AVX-512 kernels (unused in a build without them):
// forward: W^T is walked in blocks of kColBlock non-zero columns, each used by every row of the
// part before the next; a row is done in chunks of at most kMaxVectors accumulators (of the 32
// vector registers; H = 400 in 2 chunks, 13 + 12).
[[maybe_unused]] constexpr std::size_t kColBlock = 64;
[[maybe_unused]] constexpr int kMaxVectors = 13;
// dW: dW^T is made for kTileCols columns at a time in a stack tile of kTileCols x kTileH floats
// (128 KB; wider layers take the portable path), walking dy in blocks of kRowBlock images.
[[maybe_unused]] constexpr std::size_t kTileH = 512;
[[maybe_unused]] constexpr std::size_t kTileCols = 64;
[[maybe_unused]] constexpr std::size_t kRowBlock = 32;

bool cpu_has_avx512() {
#if defined(VAE_SPARSE_AVX512)
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
#else
  return false;
#endif
}
bool use_simd() { return g_simd_allowed && cpu_has_avx512(); }

void check_batch(const SparseBatch& s, std::size_t B) {
  if (B == 0 || B > s.max_batch) {
    throw Error("sparse first layer: batch of " + std::to_string(B) + " images, built for 1.." +
                std::to_string(s.max_batch));
  }
}

// The non-zero columns from col_nnz, ascending, and the batch's entry count.
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

// --- the index -------------------------------------------------------------------------------
// CSR of rows [lo, hi) of x: branch-free, every value written, the cursor advanced on non-zeros.
void index_rows(SparseBatch& s, const float* x, std::size_t lo, std::size_t hi) {
  for (std::size_t r = lo; r < hi; ++r) {
    const float* xr = x + r * s.D;
    std::uint16_t* col = s.xcol + r * s.row_stride;
    float* val = s.xval + r * s.row_stride;
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

// CSC of columns [lo, hi) from the CSR (rows ascending within each column): each row's entries in
// [lo, hi) are contiguous, as its columns are ascending.
void index_cols(SparseBatch& s, std::size_t B, std::size_t lo, std::size_t hi) {
  std::fill(s.col_nnz + lo, s.col_nnz + hi, 0u);
  for (std::size_t r = 0; r < B; ++r) {
    const std::uint16_t* col = s.xcol + r * s.row_stride;
    const float* val = s.xval + r * s.row_stride;
    const std::size_t n = s.row_nnz[r];
    std::size_t k = static_cast<std::size_t>(std::lower_bound(col, col + n, lo) - col);
    for (; k < n && col[k] < hi; ++k) {
      const std::size_t j = col[k];
      const std::size_t at = j * s.max_batch + s.col_nnz[j]++;
      s.crow[at] = static_cast<std::uint16_t>(r);
      s.cval[at] = val[k];
    }
  }
}

// --- portable kernels ------------------------------------------------------------------------
// wt[j, :] = W[:, j] for the non-zero columns nz_cols[lo, hi).
void transpose_w_portable(const SparseBatch& s, const float* w, std::size_t lo, std::size_t hi) {
  constexpr std::size_t T = 16;   // 16 columns at a time: each row of W read 16 values at once
  for (std::size_t k0 = lo; k0 < hi; k0 += T) {
    const std::size_t nk = std::min(T, hi - k0);
    for (std::size_t o = 0; o < s.H; ++o) {
      const float* wr = w + o * s.D;
      for (std::size_t k = 0; k < nk; ++k) s.wt[std::size_t{s.nz_cols[k0 + k]} * s.H + o] = wr[s.nz_cols[k0 + k]];
    }
  }
}

// y[r, :] += sum over row r's entries of v * wt[j, :], a chunk of 128 outputs at a time.
void fwd_rows_portable(float* y, const SparseBatch& s, std::size_t lo, std::size_t hi) {
  constexpr std::size_t C = 128;
  float acc[C];
  const std::size_t H = s.H;
  for (std::size_t r = lo; r < hi; ++r) {
    const std::uint16_t* col = s.xcol + r * s.row_stride;
    const float* val = s.xval + r * s.row_stride;
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

// dW^T[j, :] (into wt) = sum over column j's entries of v * dy[r, :], for columns [lo, hi).
void dw_cols_portable(const float* dy, const SparseBatch& s, std::size_t lo, std::size_t hi) {
  const std::size_t H = s.H;
  for (std::size_t j = lo; j < hi; ++j) {
    if (s.col_nnz[j] == 0) continue;
    float* t = s.wt + j * H;
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

// dW[:, lo:hi] = dW^T[lo:hi, :] from wt; columns without entries exact zeros.
void dw_transpose_portable(float* dw, const SparseBatch& s, std::size_t lo, std::size_t hi) {
  constexpr std::size_t T = 16;
  for (std::size_t j0 = lo; j0 < hi; j0 += T) {
    const std::size_t nj = std::min(T, hi - j0);
    for (std::size_t o = 0; o < s.H; ++o) {
      float* d = dw + o * s.D + j0;
      for (std::size_t jj = 0; jj < nj; ++jj) d[jj] = s.col_nnz[j0 + jj] ? s.wt[(j0 + jj) * s.H + o] : 0.0f;
    }
  }
}

#if defined(VAE_SPARSE_AVX512)
// --- AVX-512 kernels -------------------------------------------------------------------------
#define VAE_AVX512 __attribute__((target("avx512f")))
// GCC 12's intrinsics start some results from _mm512_undefined_ps(), which -Wuninitialized
// reports at -O3 (a false positive: every lane is written).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

// A chunk of an output row: NV full vectors, then one masked vector if Tail.
template <int NV, bool Tail>
struct Chunk {
  static constexpr int NA = NV + (Tail ? 1 : 0);
  __m512 acc[NA > 0 ? NA : 1];

  VAE_AVX512 void zero() {
#pragma GCC unroll 16
    for (int i = 0; i < NA; ++i) acc[i] = _mm512_setzero_ps();
  }
  VAE_AVX512 void load(const float* p, __mmask16 tail) {
#pragma GCC unroll 16
    for (int i = 0; i < NV; ++i) acc[i] = _mm512_loadu_ps(p + 16 * i);
    if (Tail) acc[NV] = _mm512_maskz_loadu_ps(tail, p + 16 * NV);
  }
  VAE_AVX512 void store(float* p, __mmask16 tail) const {
#pragma GCC unroll 16
    for (int i = 0; i < NV; ++i) _mm512_storeu_ps(p + 16 * i, acc[i]);
    if (Tail) _mm512_mask_storeu_ps(p + 16 * NV, tail, acc[NV]);
  }
  // acc += sum over k of val[k] * base[idx[k] * stride, 0:16 NA]
  VAE_AVX512 void add(const float* base, std::size_t stride, const std::uint16_t* idx, const float* val,
                      std::size_t n, __mmask16 tail) {
    for (std::size_t k = 0; k < n; ++k) {
      const __m512 v = _mm512_set1_ps(val[k]);
      const float* p = base + std::size_t{idx[k]} * stride;
      // One address register and constant offsets: without this GCC 12 rebuilt every load's
      // address from the index (a lea each, and pointers spilled to vector registers).
      __asm__("" : "+r"(p));
#pragma GCC unroll 16
      for (int i = 0; i < NV; ++i) acc[i] = _mm512_fmadd_ps(v, _mm512_loadu_ps(p + 16 * i), acc[i]);
      if (Tail) acc[NV] = _mm512_fmadd_ps(v, _mm512_maskz_loadu_ps(tail, p + 16 * NV), acc[NV]);
    }
  }
};

// Forward, one chunk [o0, o0 + 16 NA) of rows [lo, hi): W^T in column blocks (s.cursor[r]: where
// row r's entries of the current block start).
template <int NV, bool Tail>
VAE_AVX512 void fwd_rows_chunk(float* y, const SparseBatch& s, std::size_t lo, std::size_t hi, std::size_t o0,
                               __mmask16 tail, std::size_t nblocks) {
  const std::size_t H = s.H;
  for (std::size_t r = lo; r < hi; ++r) s.cursor[r] = 0;
  Chunk<NV, Tail> c;
  for (std::size_t b = 0; b < nblocks; ++b) {
    const std::uint32_t end = s.bounds[b + 1];
    for (std::size_t r = lo; r < hi; ++r) {
      const std::uint16_t* col = s.xcol + r * s.row_stride;
      const std::size_t n = s.row_nnz[r], k0 = s.cursor[r];
      std::size_t k1 = k0;
      while (k1 < n && col[k1] < end) ++k1;
      if (k1 == k0) continue;
      s.cursor[r] = static_cast<std::uint32_t>(k1);
      float* yr = y + r * H + o0;
      c.load(yr, tail);
      c.add(s.wt + o0, H, col + k0, s.xval + r * s.row_stride + k0, k1 - k0, tail);
      c.store(yr, tail);
    }
  }
}

// dW^T's tile (nj <= kTileCols columns x H), one chunk [o0, o0 + 16 NA): tile[jj, :] = sum over
// column j0 + jj's entries of v * dy[r, :], walking dy in blocks of kRowBlock images so that a
// block's rows (kRowBlock x 13 vectors = 26 KB) stay in L1 while every column of the tile uses
// them; the partial sums go through the tile. Columns without entries are left alone.
template <int NV, bool Tail>
VAE_AVX512 void dw_cols_chunk(const float* dy, const SparseBatch& s, float* tile, std::size_t j0, std::size_t nj,
                              std::size_t o0, __mmask16 tail) {
  const std::size_t H = s.H, MB = s.max_batch;
  std::uint32_t cur[kTileCols] = {};
  Chunk<NV, Tail> c;
  for (std::size_t r0 = 0; r0 < s.B; r0 += kRowBlock) {
    const std::size_t end = r0 + kRowBlock;
    for (std::size_t jj = 0; jj < nj; ++jj) {
      const std::size_t j = j0 + jj, n = s.col_nnz[j];
      if (n == 0) continue;
      const std::uint16_t* row = s.crow + j * MB;
      const std::size_t k0 = cur[jj];
      std::size_t k1 = k0;
      while (k1 < n && row[k1] < end) ++k1;
      if (k1 == k0 && r0 > 0) continue;
      cur[jj] = static_cast<std::uint32_t>(k1);
      float* t = tile + jj * H + o0;
      if (r0 == 0) {
        c.zero();
      } else {
        c.load(t, tail);
      }
      c.add(dy + o0, H, row + k0, s.cval + j * MB + k0, k1 - k0, tail);
      c.store(t, tail);
    }
  }
}

// Calls Kernel<N, Tail>::run(args..., o0, tail) for a chunk of N full vectors (+ a masked one).
template <template <int, bool> class Kernel, int N = 0, class... A>
VAE_AVX512 void dispatch_chunk(int nv, bool t, std::size_t o0, __mmask16 m, A... a) {
  if constexpr (N > kMaxVectors) {
    (void)nv, (void)t, (void)o0, (void)m;
    ((void)a, ...);
  } else if (nv == N) {
    if (t) {
      Kernel<N, true>::run(a..., o0, m);
    } else {
      Kernel<N, false>::run(a..., o0, m);
    }
  } else {
    dispatch_chunk<Kernel, N + 1>(nv, t, o0, m, a...);
  }
}

// Runs the kernel over a row of H floats in as few chunks of at most kMaxVectors vectors as
// possible, of balanced sizes (H = 400: 13 + 12 vectors), the last vector masked if H % 16.
template <template <int, bool> class Kernel, class... A>
VAE_AVX512 void for_chunks(std::size_t H, A... a) {
  const std::size_t V = (H + 15) / 16;
  const std::size_t chunks = (V + kMaxVectors - 1) / kMaxVectors;
  const __mmask16 m = static_cast<__mmask16>(H % 16 ? (1u << (H % 16)) - 1u : 0xffffu);
  std::size_t v0 = 0;
  for (std::size_t c = 0; c < chunks; ++c) {
    const std::size_t nv = V / chunks + (c < V % chunks ? 1 : 0);
    const bool last_masked = c + 1 == chunks && H % 16 != 0;
    dispatch_chunk<Kernel>(static_cast<int>(last_masked ? nv - 1 : nv), last_masked, v0 * 16, m, a...);
    v0 += nv;
  }
}

template <int NV, bool Tail>
struct FwdKernel {
  VAE_AVX512 static void run(float* y, const SparseBatch* s, std::size_t lo, std::size_t hi, std::size_t nblocks,
                             std::size_t o0, __mmask16 m) {
    if (NV > 0 || Tail) fwd_rows_chunk<NV, Tail>(y, *s, lo, hi, o0, m, nblocks);
  }
};
template <int NV, bool Tail>
struct DwKernel {
  VAE_AVX512 static void run(const float* dy, const SparseBatch* s, float* tile, std::size_t j0, std::size_t nj,
                             std::size_t o0, __mmask16 m) {
    if (NV > 0 || Tail) dw_cols_chunk<NV, Tail>(dy, *s, tile, j0, nj, o0, m);
  }
};

// 16 x 16 transpose in registers (r[i] row i in, column i out): 64 shuffles.
VAE_AVX512 inline void transpose16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; ++i) {
    r[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
    r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
    r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
    r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
  }
  for (int h = 0; h < 2; ++h) {
    for (int i = 0; i < 4; ++i) {
      t[8 * h + i] = _mm512_shuffle_f32x4(r[8 * h + i], r[8 * h + 4 + i], 0x88);
      t[8 * h + 4 + i] = _mm512_shuffle_f32x4(r[8 * h + i], r[8 * h + 4 + i], 0xDD);
    }
  }
  for (int i = 0; i < 8; ++i) {
    r[i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0x88);
    r[8 + i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0xDD);
  }
}

// dst (nc <= 16 rows at stride ldd, 16 wide, first nr lanes stored) = the transpose of src
// (nr <= 16 rows at stride lds, nc lanes read): rows with a zero bit in `live` read as zeros.
VAE_AVX512 inline void transpose_block(float* dst, std::size_t ldd, const float* src, std::size_t lds,
                                       std::size_t nr, std::size_t nc, std::uint32_t live) {
  __m512 r[16];
  const __mmask16 cm = static_cast<__mmask16>(nc >= 16 ? 0xffffu : (1u << nc) - 1u);
  for (std::size_t i = 0; i < 16; ++i) {
    r[i] = i < nr && (live >> i & 1u) ? _mm512_maskz_loadu_ps(cm, src + i * lds) : _mm512_setzero_ps();
  }
  transpose16(r);
  const __mmask16 rm = static_cast<__mmask16>(nr >= 16 ? 0xffffu : (1u << nr) - 1u);
  for (std::size_t i = 0; i < nc; ++i) _mm512_mask_storeu_ps(dst + i * ldd, rm, r[i]);
}

// wt[j, :] = W[:, j] for the 16-column blocks of W that hold a column of nz_cols[lo, hi)
// (whole blocks: a zero column's W^T row is written too, and never read).
VAE_AVX512 void transpose_w_avx512(const SparseBatch& s, const float* w, std::size_t lo, std::size_t hi) {
  const std::size_t H = s.H, D = s.D;
  std::size_t last_block = ~std::size_t{0};
  for (std::size_t k = lo; k < hi; ++k) {
    const std::size_t j0 = s.nz_cols[k] / 16 * 16;
    if (j0 == last_block) continue;
    // A block may straddle two parts' column ranges: the part holding its first column of the
    // range writes it, so each block is written by one part only.
    if (k == lo && lo > 0 && s.nz_cols[lo - 1] / 16 * 16 == j0) {
      last_block = j0;
      continue;
    }
    last_block = j0;
    const std::size_t nc = std::min<std::size_t>(16, D - j0);
    for (std::size_t o0 = 0; o0 < H; o0 += 16) {
      transpose_block(s.wt + j0 * H + o0, H, w + o0 * D + j0, D, std::min<std::size_t>(16, H - o0), nc, 0xffffu);
    }
  }
}

// dW[:, lo:hi] for H <= kTileH: kTileCols columns at a time, their dW^T tile made on the stack and
// transposed into dW in 16 x 16 blocks in registers; columns without entries read as zeros, so their dW
// columns are exact zeros.
VAE_AVX512 void dw_avx512(float* dw, const float* dy, const SparseBatch& s, std::size_t lo, std::size_t hi) {
  const std::size_t H = s.H, D = s.D;
  alignas(64) float tile[kTileCols * kTileH];   // (kTileCols, H) dW^T of the tile's columns
  for (std::size_t jt = lo; jt < hi; jt += kTileCols) {
    const std::size_t ntj = std::min(kTileCols, hi - jt);
    bool any = false;
    for (std::size_t jj = 0; jj < ntj; ++jj) any = any || s.col_nnz[jt + jj] != 0;
    if (any) for_chunks<DwKernel>(H, dy, &s, static_cast<float*>(tile), jt, ntj);
    for (std::size_t j0 = jt; j0 < jt + ntj; j0 += 16) {
      const std::size_t nj = std::min<std::size_t>(16, jt + ntj - j0);
      std::uint32_t live = 0;
      for (std::size_t jj = 0; jj < nj; ++jj) live |= s.col_nnz[j0 + jj] ? 1u << jj : 0u;
      for (std::size_t o0 = 0; o0 < H; o0 += 16) {
        transpose_block(dw + o0 * D + j0, D, tile + (j0 - jt) * H + o0, H, nj, std::min<std::size_t>(16, H - o0), live);
      }
    }
  }
}

// CSR of rows [lo, hi): 16 pixels at a time, the non-zeros compressed to the front (a whole
// vector is stored at the cursor; the row's slot has 16 spare entries for it).
VAE_AVX512 void index_rows_avx512(SparseBatch& s, const float* x, std::size_t lo, std::size_t hi) {
  const std::size_t D = s.D;
  const __m512i step = _mm512_set1_epi32(16);
  for (std::size_t r = lo; r < hi; ++r) {
    const float* xr = x + r * D;
    std::uint16_t* col = s.xcol + r * s.row_stride;
    float* val = s.xval + r * s.row_stride;
    std::size_t n = 0;
    __m512i j = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    for (std::size_t j0 = 0; j0 < D; j0 += 16) {
      const __mmask16 in = static_cast<__mmask16>(D - j0 >= 16 ? 0xffffu : (1u << (D - j0)) - 1u);
      const __m512 v = _mm512_maskz_loadu_ps(in, xr + j0);
      const __mmask16 nz = _mm512_mask_cmp_ps_mask(in, v, _mm512_setzero_ps(), _CMP_NEQ_UQ);
      _mm512_storeu_ps(val + n, _mm512_maskz_compress_ps(nz, v));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(col + n), _mm512_cvtepi32_epi16(_mm512_maskz_compress_epi32(nz, j)));
      n += static_cast<std::size_t>(__builtin_popcount(nz));
      j = _mm512_add_epi32(j, step);
    }
    s.row_nnz[r] = static_cast<std::uint32_t>(n);
  }
}
#pragma GCC diagnostic pop
#endif

}  // namespace

bool sparse_simd() { return use_simd(); }
void set_sparse_simd(bool on) { g_simd_allowed = on; }

// --- sparse ----------------------------------------------------------------------------------
void sparse_index(SparseBatch& s, const float* x, std::size_t B) {
  check_batch(s, B);
  s.B = B;
  const bool simd = use_simd();
  parallel_for(B, 16, [&](std::size_t, std::size_t lo, std::size_t hi) {
#if defined(VAE_SPARSE_AVX512)
    if (simd) return index_rows_avx512(s, x, lo, hi);
#endif
    (void)simd;
    index_rows(s, x, lo, hi);
  });
  parallel_for(s.D, 16, [&](std::size_t, std::size_t lo, std::size_t hi) { index_cols(s, B, lo, hi); });
  list_nonzero_columns(s);
  // Column blocks of the forward: kColBlock non-zero columns each, as raw column bounds.
  std::size_t nb = 0;
  s.bounds[0] = 0;
  for (std::size_t k = kColBlock; k < s.K; k += kColBlock) s.bounds[++nb] = s.nz_cols[k];
  s.bounds[++nb] = static_cast<std::uint32_t>(s.D);
  s.nblocks = nb;
}

void sparse_xwt(float* y, const float* w, SparseBatch& s) {
  const bool simd = use_simd();
  (void)simd;   // no AVX-512 code in this build (VAE_NO_SPARSE_SIMD or another CPU)
  // W^T's rows for the batch's non-zero columns: wt[j, :] = W[:, j].
  parallel_for(s.K, 16, [&](std::size_t, std::size_t lo, std::size_t hi) {
#if defined(VAE_SPARSE_AVX512)
    if (simd) return transpose_w_avx512(s, w, lo, hi);
#endif
    transpose_w_portable(s, w, lo, hi);
  });
  parallel_for(s.B, 16, [&](std::size_t, std::size_t lo, std::size_t hi) {
#if defined(VAE_SPARSE_AVX512)
    if (simd) return for_chunks<FwdKernel>(s.H, y, static_cast<const SparseBatch*>(&s), lo, hi, s.nblocks);
#endif
    fwd_rows_portable(y, s, lo, hi);
  });
}

// dW^T into wt (free after the forward), then transposed into dW, a part of dW's columns each.
void sparse_dytx(float* dw, const float* dy, const SparseBatch& s) {
  const bool simd = use_simd();
  (void)simd;
  parallel_for(s.D, 16, [&](std::size_t, std::size_t lo, std::size_t hi) {
#if defined(VAE_SPARSE_AVX512)
    if (simd && s.H <= kTileH) return dw_avx512(dw, dy, s, lo, hi);
#endif
    dw_cols_portable(dy, s, lo, hi);
    dw_transpose_portable(dw, s, lo, hi);
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
