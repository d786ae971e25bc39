// vae/sparse.hpp - the sparse-aware first layer (issue 19): enc_fc's two products that read the
// input x, skipping its exact zeros.
//
// MNIST pixels are 81% exact zeros, and a batch of 128 images has non-zero pixels in only ~527 of
// its 784 columns. Two of the step's five large products read x:
//   forward  y (B, H) = relu(b + x (B, D) W^T)   (Dense::forward's order: bias, product, ReLU)
//   dW       dW (H, D) = dy^T (H, B) x (B, D)
// Both are sums over x's entries, so terms with x = 0 can be dropped without changing the
// mathematics; only the order of the remaining additions differs from OpenBLAS's (float
// reassociation). dW's rows for units whose dy column is all zero (ReLU units dead for the whole
// batch) are exact zeros too (as the dense product gives them for finite x), and are written
// without a product. Three paths (FirstLayerPath):
//   dense   Dense<D, H>::forward / backward, one sgemm each (the reference).
//   sparse  the kept path. The batch is indexed as CSR (row s: its non-zero columns and values,
//           and where each block of block_cols columns starts) and CSC (column j: its non-zero
//           rows and values), both from x in one dispatch. The SIMD kernels (AVX-512, or AVX2
//           with FMA: the same loops at 8 lanes, the same bits) give each thread a
//           part of H: forward y[s, part] = relu(b + sum x[s,j] W^T[j, part]) over row s's
//           entries, W^T made for the part's chunk and the batch's non-zero 16-column blocks;
//           dW^T[j, live units of the part] = sum x[s,j] dy[s, live] over column j's entries,
//           16 columns at a time, transposed into dW's (H, D) rows (lib/train/sparse.cpp). The
//           portable loops split rows (forward) and columns (dW) instead.
//   packed  the other candidate, kept for the benchmark and its test: gather the batch's
//           non-zero columns of x and W into dense (B, K) and (H, K) blocks (K ~ 527 on MNIST)
//           and run the same sgemm with the shorter K; dW's (H, K) result is scattered back.
// In both sparse-aware paths the columns of dW for pixels that are zero in the whole batch are
// written as exact zeros, as the dense product gives them.
//
// Which path runs: Encoder::first_layer (vae/vae.hpp), dense by default; Trainer sets it from the
// training set's non-zero fraction (choose_first_layer below), or TrainOptions::first_layer forces
// one. Figures and the threshold's measurement: docs/performance.md, "Sparse first layer".
//
// Memory: every buffer is carved from the model's arena at init, sized for the worst case
// (max_batch x D entries); nothing is allocated per step. Determinism: each output element is
// computed by one thread, in an order fixed by the data (rows and columns ascending), so a fixed
// seed repeats bit for bit; the sparse kernels' results do not even depend on the thread count.
//
// What this is not: a general sparse-matrix library. Indices are 16-bit (D <= 65536).
#pragma once

#include <cstddef>
#include <cstdint>

#include "vae/arena.hpp"

namespace vae {

enum class FirstLayerPath : std::uint8_t { automatic, dense, packed, sparse };

// "automatic", "dense", "packed", "sparse".
const char* first_layer_name(FirstLayerPath p);

// The non-zero fraction of n bytes (the training set's pixels).
double nonzero_fraction(const std::uint8_t* pixels, std::size_t n);

// Below this non-zero fraction of the training set the Trainer takes the sparse path. Its cost
// grows with the non-zeros, the dense products' does not. Measured with the kernels as they are
// now (docs/performance.md, "per part of H"; index + both products, 2 threads): 0.34 ms at MNIST's
// 19.3% and 0.61-0.68 ms at Fashion-MNIST's 49.9% against 0.68-0.74 ms dense, so the crossover is
// near 55%. 0.30 was set when it was near 35%; it keeps Fashion-MNIST on the dense path, as issue
// 19 asks, although the sparse path is now a little faster there too (see the docs).
inline constexpr double sparse_density_threshold = 0.30;

// The instruction set of the sparse kernels: AVX-512 (16 lanes), AVX2 with FMA (8 lanes; the same
// loops, and the same bits: every sum is taken in the same order), or the portable loops. The
// latent block's kernels are chosen from the same sets, apart (vae/latent.hpp: set_latent_isa).
enum class SparseIsa : std::uint8_t { portable, avx2, avx512 };
const char* sparse_isa_name(SparseIsa isa);   // "portable", "AVX2", "AVX-512"
// The kernels in use: the best this CPU has, at most what set_sparse_isa allowed (the best at
// start). Tests and the benchmark lower it; set_sparse_simd(on) is set_sparse_isa(on ? avx512 :
// portable).
SparseIsa sparse_isa();
void set_sparse_isa(SparseIsa most);
// What enc_fc's products run as, for reports: "dense", "packed", or "sparse (AVX-512)", "sparse
// (AVX2)", "sparse (portable)" by the kernels in use now.
const char* first_layer_description(FirstLayerPath p);
// Whether the sparse kernels use SIMD code (AVX-512 or AVX2): sparse_isa() != portable.
bool sparse_simd();
void set_sparse_simd(bool on);

// The path for data of non-zero fraction `density`, given what was asked: automatic picks sparse
// below sparse_density_threshold when the sparse kernels run SIMD code (AVX-512 or AVX2), else dense; any
// other request is returned as it is. The portable loops lose to the dense sgemm even on MNIST
// (enc_fc's two products, 2 threads: 5.1 ms against 0.8-1.3 ms; docs/performance.md).
inline FirstLayerPath choose_first_layer(FirstLayerPath asked, double density) {
  if (asked != FirstLayerPath::automatic) return asked;
  return density < sparse_density_threshold && sparse_simd() ? FirstLayerPath::sparse : FirstLayerPath::dense;
}

// The index of one batch and the scratch of the two sparse-aware paths, as runtime-sized views
// over arena memory (carved by SparseFirstLayer below). Rows are images, columns pixels.
struct SparseBatch {
  // The AVX-512 forward adds a row's entries a block of block_cols columns of x at a time.
  static constexpr std::size_t block_cols = 128;
  static constexpr std::size_t padded(std::size_t n) { return (n + 15) / 16 * 16; }

  std::size_t D = 0, H = 0, max_batch = 0;
  std::size_t col_blocks = 0;      // ceil(D / block_cols)
  float* wt = nullptr;             // (D, padded H) sparse: W^T of the batch's non-zero columns, per
                                   //   chunk of outputs (wt + o0 D: D rows of the chunk's width);
                                   //   portable: (D, H); packed: W's gathered (H, K), then dW's (H, K)
  std::size_t row_stride = 0;      // D + 16: a row's CSR slot, with room for a whole vector store
  float* xval = nullptr;           // (max_batch, row_stride) sparse: CSR values, row s from
                                   //   s * row_stride; packed: the gathered x (B, K)
  std::uint16_t* xcol = nullptr;   // (max_batch, row_stride) CSR column indices
  std::uint32_t* row_nnz = nullptr;   // (max_batch) entries of each row
  std::uint32_t* row_blocks = nullptr;   // (max_batch, col_blocks + 1) where row r's entries of
                                         //   column block b start; [col_blocks] = row_nnz[r]
  float* cval = nullptr;           // (D, max_batch) CSC values, column j from j * max_batch
  std::uint16_t* crow = nullptr;   // (D, max_batch) CSC row indices
  std::uint32_t* col_nnz = nullptr;   // (D) entries of each column
  std::uint16_t* nz_cols = nullptr;   // (D) the batch's non-zero columns, ascending
  std::uint16_t* col16 = nullptr;     // (ceil(D / 16)) the 16-column blocks holding one, by first column
  std::size_t n_col16 = 0;         // how many (col16[0..n_col16))
  float* dyp = nullptr;            // (max_batch, padded H) sparse dW: dy's columns with a non-zero,
                                   //   per chunk of them (dyp + p0 B: B rows of the chunk's width)
  std::uint16_t* live = nullptr;   // (H) sparse dW: the units of dyp's columns
  std::size_t K = 0;               // how many (nz_cols[0..K))
  std::size_t nnz = 0;             // non-zero entries of the batch
  std::size_t B = 0;               // the batch the index was built for

  static constexpr std::size_t bytes(std::size_t D, std::size_t H, std::size_t max_batch) {
    return floats_bytes(D * padded(H)) + floats_bytes(max_batch * (D + 16)) + align_up(max_batch * (D + 16) * 2) +
           align_up(max_batch * 4) + align_up(max_batch * ((D + block_cols - 1) / block_cols + 1) * 4) +
           floats_bytes(D * max_batch) + align_up(D * max_batch * 2) + align_up(D * 4) + align_up(D * 2) +
           align_up((D + 15) / 16 * 2) + floats_bytes(max_batch * padded(H)) + align_up(H * 2);
  }
  void carve(Arena& arena, std::size_t d, std::size_t h, std::size_t mb);
};

// --- the kernels (lib/train/sparse.cpp); x (B, D), y and dy (B, H), w and dw (H, D) -----------
// sparse: index x (CSR, CSC, non-zero columns), then the products.
void sparse_index(SparseBatch& s, const float* x, std::size_t B);
// y (B, H) = act(bias + x W^T): bias (H) or null for none, act ReLU if relu, else none.
void sparse_xwt(float* y, const float* w, const float* bias, bool relu, SparseBatch& s);
void sparse_dytx(float* dw, const float* dy, SparseBatch& s);        // dW = dy^T x
// Rows [lo, hi) of sparse_dytx's dW (a part of parallel_for(H, 16)), for a caller that runs the
// parts in its own dispatch (the latent block's backward_enc). The SIMD kernels: sparse_simd().
void sparse_dytx_part(float* dw, const float* dy, SparseBatch& s, std::size_t lo, std::size_t hi);
// packed: find the non-zero columns and gather x's, then the products.
void packed_index(SparseBatch& s, const float* x, std::size_t B);
void packed_xwt(float* y, const float* w, const float* bias, bool relu, SparseBatch& s);   // as sparse_xwt
void packed_dytx(float* dw, const float* dy, SparseBatch& s);        // dW = dy^T x


// The first layer's sparse-aware paths for a Dense<D, H> (vae/layers.hpp), on one SparseBatch.
template <std::size_t D, std::size_t H>
struct SparseFirstLayer {
  static_assert(D <= 65536 && H <= 65536, "16-bit column and unit indices");
  SparseBatch batch;

  static constexpr std::size_t bytes(std::size_t max_batch) { return SparseBatch::bytes(D, H, max_batch); }
  void carve(Arena& arena, std::size_t max_batch) { batch.carve(arena, D, H, max_batch); }

  // y (B, H) = relu(b + x (B, D) W^T (H, D)), indexing x first: Dense::forward's order (the bias,
  // then the product added, then ReLU).
  void forward(float* y, const float* x, const float* w, const float* b, std::size_t B, FirstLayerPath path) {
    if (path == FirstLayerPath::packed) {
      packed_index(batch, x, B);
      packed_xwt(y, w, b, /*relu=*/true, batch);
    } else {
      sparse_index(batch, x, B);
      sparse_xwt(y, w, b, /*relu=*/true, batch);
    }
  }
  // dW (H, D) = dy^T (H, B) x (B, D), from the index that forward built for the same x.
  // Whether backward_dw_part can run dW by parts of H inside another dispatch.
  static bool dw_by_parts(FirstLayerPath path) { return path == FirstLayerPath::sparse && sparse_simd(); }
  void backward_dw_part(float* dw, const float* dy, std::size_t lo, std::size_t hi) {
    sparse_dytx_part(dw, dy, batch, lo, hi);
  }
  void backward_dw(float* dw, const float* dy, FirstLayerPath path) {
    if (path == FirstLayerPath::packed) {
      packed_dytx(dw, dy, batch);
    } else {
      sparse_dytx(dw, dy, batch);
    }
  }
};

}  // namespace vae
