// sparse.cpp - the sparse-aware first layer's kernels (see vae/sparse.hpp for what and why).
//
// Three variants of each kernel: AVX-512 and AVX2 with FMA (chosen at run time by CPUID, as the
// release build targets baseline x86-64) and portable loops, which are the reference of the test
// and what any other CPU runs. The index, the forward and dW are written once (sparse_kernels.inc)
// over a vector type and compiled twice, in target regions of 16 and 8 lanes; only the index's
// packing differs (AVX-512 compresses, AVX2 permutes by a table). The two give the same bits;
// they fuse each multiply-add (as OpenBLAS does) and their dW sums a column's even and odd entries
// apart, adding the two at the end; the portable code does neither, so it agrees with them within
// float rounding, not bit for bit.
//
// The AVX-512 kernels give each thread a part of H (the layer's outputs: 208 + 192 of 400 at 2
// threads), so every thread sees every row and column of x and the work splits evenly whatever the
// digits look like. A part is done in chunks of accumulators that stay in registers: the forward
// (chunks of at most 8 vectors) makes W^T for its chunk, then adds each row's entries into
// y[r, chunk] one block of 128 columns of x at a time (the block's W^T rows stay in L1), with the
// bias first and ReLU last; dW (chunks of at most 4 vectors, two sets of accumulators) first drops
// the units whose dy column is zero (ReLU units dead for the whole batch, about half of enc_fc's
// on MNIST) and writes their rows as exact zeros, then builds dW^T of the rest 16 columns of x at a
// time in a stack tile and transposes it into dW's rows in 16 x 16 blocks in registers.
//
// Where the time goes (docs/performance.md, "Sparse first layer" and "per part of H"): the
// multiply-adds run at about 1 per cycle (each loads its operand; a GEMM kernel reuses each load
// for several), and W's transpose costs about a third of the forward; so 19% non-zeros make the
// two products about 2x faster than the dense ones, not 5x.
#include "vae/sparse.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "vae/blas.hpp"
#include "vae/error.hpp"
#include "vae/layers.hpp"   // bias_rows, relu_forward (the packed path's bias and ReLU passes)
#include "vae/parallel.hpp"

#include "simd.h"   // the CPU probes, target regions, simd::Avx512 and simd::Avx2

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
  if (d > 65536 || h > 65536 || mb > 65536) {
    throw Error("sparse first layer: 16-bit indices need D, H and the batch <= 65536");
  }
  D = d;
  H = h;
  max_batch = mb;
  col_blocks = (D + block_cols - 1) / block_cols;
  wt = arena.carve_floats(D * padded(H), "sparse.wt");
  row_stride = D + 16;
  xval = arena.carve_floats(mb * row_stride, "sparse.xval");
  xcol = static_cast<std::uint16_t*>(arena.carve_bytes(mb * row_stride * 2, "sparse.xcol"));
  row_nnz = static_cast<std::uint32_t*>(arena.carve_bytes(mb * 4, "sparse.row_nnz"));
  row_blocks = static_cast<std::uint32_t*>(arena.carve_bytes(mb * (col_blocks + 1) * 4, "sparse.row_blocks"));
  cval = arena.carve_floats(D * mb, "sparse.cval");
  crow = static_cast<std::uint16_t*>(arena.carve_bytes(D * mb * 2, "sparse.crow"));
  col_nnz = static_cast<std::uint32_t*>(arena.carve_bytes(D * 4, "sparse.col_nnz"));
  nz_cols = static_cast<std::uint16_t*>(arena.carve_bytes(D * 2, "sparse.nz_cols"));
  col16 = static_cast<std::uint16_t*>(arena.carve_bytes((D + 15) / 16 * 2, "sparse.col16"));
  dyp = arena.carve_floats(mb * padded(H), "sparse.dyp");
  live = static_cast<std::uint16_t*>(arena.carve_bytes(H * 2, "sparse.live"));
}

namespace {

SparseIsa g_isa_max = SparseIsa::avx512;
// The AVX-512 kernels do a part of an output row in chunks of at most kFwdVectors (forward) or
// kDwVectors (dW) accumulators, sized so that what each entry's multiply-adds read stays in L1
// (48 KB on the machine they were measured on, and L2 behind it): the forward's W^T for one block
// of kBlockCols columns of x (at most 128 x 8 vectors; ~43 KB for the ~85 of them that are
// non-zero in an MNIST batch), dW's packed dy for the whole batch (128 x 4 vectors = 32 KB).
// Chosen by measurement (docs/performance.md).
[[maybe_unused]] constexpr int kFwdVectors = 8;
constexpr std::size_t kBlockCols = SparseBatch::block_cols;
[[maybe_unused]] constexpr int kDwVectors = 4;

SparseIsa isa();

void check_batch(const SparseBatch& s, std::size_t B) {
  if (B == 0 || B > s.max_batch) {
    throw Error("sparse first layer: batch of " + std::to_string(B) + " images, built for 1.." +
                std::to_string(s.max_batch));
  }
}

// From col_nnz: the non-zero columns, ascending (K of them), the batch's entry count, and the
// 16-column blocks that hold a non-zero column (col16, which the AVX-512 forward transposes).
void list_nonzero_columns(SparseBatch& s) {
  std::size_t k = 0, nnz = 0;
  for (std::size_t j = 0; j < s.D; ++j) {
    s.nz_cols[k] = static_cast<std::uint16_t>(j);
    k += s.col_nnz[j] != 0;
    nnz += s.col_nnz[j];
  }
  s.K = k;
  s.nnz = nnz;
  std::size_t q = 0;
  for (std::size_t j0 = 0; j0 < s.D; j0 += 16) {
    bool any = false;
    for (std::size_t j = j0; j < std::min<std::size_t>(s.D, j0 + 16); ++j) any = any || s.col_nnz[j] != 0;
    if (any) s.col16[q++] = static_cast<std::uint16_t>(j0);
  }
  s.n_col16 = q;
}

// --- the index -------------------------------------------------------------------------------
// CSR of rows [lo, hi) of x: every value written, the cursor advanced on non-zeros; where each
// block of kBlockCols columns starts, in row_blocks.
void index_rows(SparseBatch& s, const float* x, std::size_t lo, std::size_t hi) {
  for (std::size_t r = lo; r < hi; ++r) {
    const float* xr = x + r * s.D;
    std::uint16_t* col = s.xcol + r * s.row_stride;
    float* val = s.xval + r * s.row_stride;
    std::uint32_t* rb = s.row_blocks + r * (s.col_blocks + 1);
    std::size_t n = 0;
    for (std::size_t j = 0; j < s.D; ++j) {
      if (j % kBlockCols == 0) rb[j / kBlockCols] = static_cast<std::uint32_t>(n);
      const float v = xr[j];
      col[n] = static_cast<std::uint16_t>(j);
      val[n] = v;
      n += v != 0.0f;
    }
    rb[s.col_blocks] = static_cast<std::uint32_t>(n);
    s.row_nnz[r] = static_cast<std::uint32_t>(n);
  }
}

// CSC of columns [lo, hi) from the CSR (rows ascending within each column), a block of
// kBlockCols columns at a time: the block's entries of each row are row_blocks' range, and the
// block's columns (their next slots in crow and cval) stay in L1 while every row is read.
void index_cols(SparseBatch& s, std::size_t B, std::size_t lo, std::size_t hi) {
  std::fill(s.col_nnz + lo, s.col_nnz + hi, 0u);
  const std::size_t NB = s.col_blocks;
  for (std::size_t b = lo / kBlockCols; b < NB && b * kBlockCols < hi; ++b) {
    for (std::size_t r = 0; r < B; ++r) {
      const std::uint32_t* rb = s.row_blocks + r * (NB + 1);
      const std::uint16_t* col = s.xcol + r * s.row_stride;
      const float* val = s.xval + r * s.row_stride;
      for (std::size_t k = rb[b]; k < rb[b + 1]; ++k) {
        const std::size_t j = col[k];
        if (j < lo) continue;
        if (j >= hi) break;
        const std::size_t at = j * s.max_batch + s.col_nnz[j]++;
        s.crow[at] = static_cast<std::uint16_t>(r);
        s.cval[at] = val[k];
      }
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

// y[r, :] = act(bias + sum over row r's entries of v * wt[j, :]), a chunk of 128 outputs at a time.
void fwd_rows_portable(float* y, const float* bias, bool relu, const SparseBatch& s, std::size_t lo, std::size_t hi) {
  constexpr std::size_t C = 128;
  float acc[C];
  const std::size_t H = s.H;
  for (std::size_t r = lo; r < hi; ++r) {
    const std::uint16_t* col = s.xcol + r * s.row_stride;
    const float* val = s.xval + r * s.row_stride;
    const std::size_t n = s.row_nnz[r];
    for (std::size_t o0 = 0; o0 < H; o0 += C) {
      const std::size_t w = std::min(C, H - o0);
      for (std::size_t o = 0; o < w; ++o) acc[o] = bias ? bias[o0 + o] : 0.0f;
      for (std::size_t k = 0; k < n; ++k) {
        const float v = val[k];
        const float* wr = s.wt + std::size_t{col[k]} * H + o0;
        for (std::size_t o = 0; o < w; ++o) acc[o] += v * wr[o];
      }
      float* yr = y + r * H + o0;
      for (std::size_t o = 0; o < w; ++o) yr[o] = relu ? (acc[o] > 0.0f ? acc[o] : 0.0f) : acc[o];
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
// The kernels of sparse_kernels.inc over 16-lane vectors and masks; the index compresses.
namespace avx512 {
VAE_TARGET_BEGIN("avx512f")
VAE_AVX512_BEGIN

struct Ops : simd::Avx512 {
  static constexpr int kFwd = kFwdVectors, kDw = kDwVectors;
  // The lanes of nz, compressed: values to val, their columns (j0 + lane) as 16-bit to col. A
  // whole vector of each is stored (the index's rows have room); returns how many are valid.
  static std::size_t compress_whole(float* val, std::uint16_t* col, V v, std::uint32_t nz, std::size_t j0) {
    const __mmask16 m = static_cast<__mmask16>(nz);
    const __m512i j = _mm512_add_epi32(iota(), _mm512_set1_epi32(static_cast<int>(j0)));
    _mm512_storeu_ps(val, _mm512_maskz_compress_ps(m, v));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(col), _mm512_cvtepi32_epi16(_mm512_maskz_compress_epi32(m, j)));
    return static_cast<std::size_t>(__builtin_popcount(nz));
  }
  // The same, storing only the popcount(m) valid entries, rows r0 + lane.
  static void compress_exact(float* val, std::uint16_t* row, V v, std::uint32_t m, std::size_t r0) {
    const __mmask16 k = static_cast<__mmask16>(m), n = simd::lanes(static_cast<std::size_t>(__builtin_popcount(m)));
    const __m512i rows = _mm512_add_epi32(iota(), _mm512_set1_epi32(static_cast<int>(r0)));
    _mm512_mask_storeu_ps(val, n, _mm512_maskz_compress_ps(k, v));
    _mm512_mask_cvtepi32_storeu_epi16(row, n, _mm512_maskz_compress_epi32(k, rows));
  }
};

#include "sparse_kernels.inc"

VAE_AVX512_END
VAE_TARGET_END
}  // namespace avx512

// --- AVX2 kernels ----------------------------------------------------------------------------
// For CPUs with AVX2 and FMA but not AVX-512 (most x86 laptops and desktops, AMD before Zen 4):
// the kernels of sparse_kernels.inc over 8-lane vectors, so the same bits as the AVX-512 kernels.
// 16 vector registers: the forward keeps at most 13 accumulators, dW two sets of at most 6. AVX2
// has no compress: the index permutes by a table instead.
namespace avx2 {
VAE_TARGET_BEGIN("avx2,fma")
VAE_AVX512_BEGIN   // the same false positives as AVX-512's intrinsics

using simd::lanes8;

// AVX2 has no compress: for each 8-bit mask, the lanes of its set bits, ascending (then zeros),
// as a permutevar8x32 index.
struct CompressTable {
  alignas(32) std::int32_t idx[256][8];
  constexpr CompressTable() : idx{} {
    for (int m = 0; m < 256; ++m) {
      int n = 0;
      for (int i = 0; i < 8; ++i) {
        if (m >> i & 1) idx[m][n++] = i;
      }
    }
  }
};
constexpr CompressTable kCompress;

inline __m256i compress_index(unsigned m) {
  return _mm256_load_si256(reinterpret_cast<const __m256i*>(kCompress.idx[m]));
}

struct Ops : simd::Avx2 {
  static constexpr int kFwd = 13, kDw = 6;
  // Ops::compress_whole and compress_exact of AVX-512, by the permutation table. AVX2 has no 16-bit
  // masked store: compress_exact writes the rows one by one.
  static std::size_t compress_whole(float* val, std::uint16_t* col, V v, std::uint32_t nz, std::size_t j0) {
    const __m256i perm = compress_index(nz);
    const __m256i j = _mm256_add_epi32(iota(), _mm256_set1_epi32(static_cast<int>(j0)));
    _mm256_storeu_ps(val, _mm256_permutevar8x32_ps(v, perm));
    const __m256i c = _mm256_permutevar8x32_epi32(j, perm);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(col),
                     _mm_packus_epi32(_mm256_castsi256_si128(c), _mm256_extracti128_si256(c, 1)));
    return static_cast<std::size_t>(__builtin_popcount(nz));
  }
  static void compress_exact(float* val, std::uint16_t* row, V v, std::uint32_t m, std::size_t r0) {
    const std::size_t n = static_cast<std::size_t>(__builtin_popcount(m));
    _mm256_maskstore_ps(val, lanes8(n), _mm256_permutevar8x32_ps(v, compress_index(m)));
    for (std::size_t q = 0; m; ++q, m &= m - 1) row[q] = static_cast<std::uint16_t>(r0 + static_cast<std::size_t>(__builtin_ctz(m)));
  }
};

#include "sparse_kernels.inc"

VAE_AVX512_END
VAE_TARGET_END
}  // namespace avx2
#endif

// The kernels in use: the best the CPU has, up to what set_sparse_isa allowed.
SparseIsa isa() { return best_isa(g_isa_max); }

}  // namespace

const char* sparse_isa_name(SparseIsa i) {
  switch (i) {
    case SparseIsa::portable: return "portable";
    case SparseIsa::avx2: return "AVX2";
    case SparseIsa::avx512: return "AVX-512";
  }
  return "?";
}
const char* first_layer_description(FirstLayerPath p) {
  if (p != FirstLayerPath::sparse) return first_layer_name(p);
  switch (isa()) {
    case SparseIsa::avx512: return "sparse (AVX-512)";
    case SparseIsa::avx2: return "sparse (AVX2)";
    case SparseIsa::portable: break;
  }
  return "sparse (portable)";
}
SparseIsa sparse_isa() { return isa(); }
void set_sparse_isa(SparseIsa most) { g_isa_max = most; }
bool sparse_simd() { return isa() != SparseIsa::portable; }
void set_sparse_simd(bool on) { g_isa_max = on ? SparseIsa::avx512 : SparseIsa::portable; }

// --- sparse ----------------------------------------------------------------------------------
void sparse_index(SparseBatch& s, const float* x, std::size_t B) {
  check_batch(s, B);
  s.B = B;
#if defined(VAE_SPARSE_AVX512)
  // One dispatch: each part makes the CSR of its rows and the CSC of its columns, both from x.
  const SparseIsa k = isa();
  if (k != SparseIsa::portable) {
    // Every part runs, even one whose rows are empty: its columns may not be.
    parallel_for_parts(B, 16, [&](std::size_t p, std::size_t parts) {
      std::size_t lo, hi;
      parallel_range(B, parts, p, lo, hi);
      if (k == SparseIsa::avx512) {
        avx512::index_rows(s, x, lo, hi);
      } else {
        avx2::index_rows(s, x, lo, hi);
      }
      parallel_range(s.D, parts, p, lo, hi);
      if (k == SparseIsa::avx512) {
        avx512::index_cols(s, x, B, lo, hi);
      } else {
        avx2::index_cols(s, x, B, lo, hi);
      }
    });
    list_nonzero_columns(s);
    return;
  }
#endif
  parallel_for(B, 16, [&](std::size_t, std::size_t lo, std::size_t hi) { index_rows(s, x, lo, hi); });
  parallel_for(s.D, 16, [&](std::size_t, std::size_t lo, std::size_t hi) { index_cols(s, B, lo, hi); });
  list_nonzero_columns(s);
}

void sparse_xwt(float* y, const float* w, const float* bias, bool relu, SparseBatch& s) {
#if defined(VAE_SPARSE_AVX512)
  // A part of H per thread, in chunks: W^T for the chunk's units, then every row's outputs for
  // them (no barrier between: each chunk reads only the W^T it wrote).
  const SparseIsa k = isa();
  if (k == SparseIsa::avx512) {
    parallel_for(s.H, 16, [&](std::size_t, std::size_t lo, std::size_t hi) {
      avx512::fwd_part(y, w, bias, relu, s, lo, hi);
    });
    return;
  }
  if (k == SparseIsa::avx2) {
    parallel_for(s.H, 16, [&](std::size_t, std::size_t lo, std::size_t hi) {
      avx2::fwd_part(y, w, bias, relu, s, lo, hi);
    });
    return;
  }
#endif
  // W^T's rows for the batch's non-zero columns (wt[j, :] = W[:, j]), then the rows.
  parallel_for(s.K, 16, [&](std::size_t, std::size_t lo, std::size_t hi) { transpose_w_portable(s, w, lo, hi); });
  parallel_for(s.B, 16, [&](std::size_t, std::size_t lo, std::size_t hi) {
    fwd_rows_portable(y, bias, relu, s, lo, hi);
  });
}

void sparse_dytx(float* dw, const float* dy, SparseBatch& s) {
#if defined(VAE_SPARSE_AVX512)
  // A part of dW's rows per thread (vae/sparse.hpp).
  if (sparse_simd()) {
    parallel_for(s.H, 16, [&](std::size_t, std::size_t lo, std::size_t hi) { sparse_dytx_part(dw, dy, s, lo, hi); });
    return;
  }
#endif
  // dW^T into wt (free after the forward), then transposed into dW, a part of dW's columns each.
  parallel_for(s.D, 16, [&](std::size_t, std::size_t lo, std::size_t hi) {
    dw_cols_portable(dy, s, lo, hi);
    dw_transpose_portable(dw, s, lo, hi);
  });
}

void sparse_dytx_part(float* dw, const float* dy, SparseBatch& s, std::size_t lo, std::size_t hi) {
#if defined(VAE_SPARSE_AVX512)
  const SparseIsa k = isa();
  if (k == SparseIsa::avx512) {
    avx512::dw_part(dw, dy, s, lo, hi);
    return;
  }
  if (k == SparseIsa::avx2) {
    avx2::dw_part(dw, dy, s, lo, hi);
    return;
  }
#endif
  (void)dw, (void)dy, (void)s, (void)lo, (void)hi;
  throw Error("sparse_dytx_part: the SIMD kernels are not in use here (sparse_simd() is false)");
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

void packed_xwt(float* y, const float* w, const float* bias, bool relu, SparseBatch& s) {
  const std::size_t D = s.D, H = s.H, K = s.K;
  if (bias) {
    bias_rows(y, bias, s.B, H);
  } else {
    parallel_for(s.B * H, 16384, [&](std::size_t, std::size_t lo, std::size_t hi) {
      std::fill(y + lo, y + hi, 0.0f);
    });
  }
  if (K > 0) {
    parallel_for(H, 16, [&](std::size_t, std::size_t lo, std::size_t hi) {
      for (std::size_t o = lo; o < hi; ++o) {
        for (std::size_t k = 0; k < K; ++k) s.wt[o * K + k] = w[o * D + s.nz_cols[k]];
      }
    });
    sgemm(Trans::no, Trans::yes, s.B, H, K, 1.0f, s.xval, K, s.wt, K, 1.0f, y, H);
  }
  if (relu) relu_forward(y, s.B * H);
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
