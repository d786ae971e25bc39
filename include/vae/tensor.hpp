// vae/tensor.hpp - shapes as types: non-owning, fixed-shape handles over arena memory, their
// xtensor adaptors, and the three shaped matrix products of a Dense layer.
//
//   Mat<R, C>  (R, C) row-major, both static: a weight matrix or its gradient.
//   Vec<N>     (N), static: a bias, its gradient, a whole parameter block.
//   Rows<N>    (B, N) row-major with N static and B <= max_rows() chosen per call: an activation,
//              its gradient, a staged batch. Rows<N, std::uint8_t> holds bytes (labels: N = 1).
//
// Each is a pointer with the shape in its type, bound once when the model carves its arena, and
// never owns memory. .data() is the pointer; .xt() (or .xt(B) for Rows) is the xtensor adaptor over
// the same memory, made on the spot without allocating: xt::adapt with an xt::xshape<...> (an
// xfixed_adaptor) for the static shapes, a 2-D xtensor_adaptor over the first B rows for Rows.
//
// Why a handle and not an xtensor adaptor as the member itself: an adaptor's operator= copies
// elements into the memory it views, so a member adaptor cannot be re-pointed when the model
// carves (it would need placement new), and holding adaptor types in the model structs would make
// every app that includes vae/vae.hpp instantiate xtensor's expression machinery. The handles keep
// that cost in the .cpp files that call .xt() (lib/train/*.cpp).
//
// The products: matmul_* below take the handles (and optional per-block hooks, vae/blas.hpp, which
// the layers use to fuse their elementwise work into the product's pool tasks), read M, N, K and the leading dimensions from the
// static shapes, and static_assert that the inner and outer dimensions agree, so a wrong-shape
// product is a compile error (tests/compile/ proves it). They run on vae::sgemm (our thread pool
// over single-threaded OpenBLAS); see the comment above matmul_xwt for why not xt::blas::gemm.
#pragma once

#include <xtensor/xadapt.hpp>

#include <array>
#include <cstddef>
#include <cstdint>

#include "vae/blas.hpp"

namespace vae {

template <std::size_t R, std::size_t C>
class Mat {
 public:
  static_assert(R > 0 && C > 0, "a matrix needs positive sizes");
  static constexpr std::size_t rows = R;
  static constexpr std::size_t cols = C;
  static constexpr std::size_t size = R * C;

  Mat() = default;
  explicit Mat(float* p) : p_(p) {}
  float* data() const { return p_; }
  float& operator()(std::size_t i, std::size_t j) const { return p_[i * C + j]; }
  float& operator[](std::size_t k) const { return p_[k]; }   // element k of the flat R * C
  // xfixed_adaptor<float*, (R, C)>: an xtensor expression over the same memory.
  auto xt() const { return xt::adapt(p_, xt::xshape<R, C>{}); }

 private:
  float* p_ = nullptr;
};

template <std::size_t N>
class Vec {
 public:
  static_assert(N > 0, "a vector needs a positive size");
  static constexpr std::size_t size = N;

  Vec() = default;
  explicit Vec(float* p) : p_(p) {}
  float* data() const { return p_; }
  float& operator[](std::size_t i) const { return p_[i]; }
  auto xt() const { return xt::adapt(p_, xt::xshape<N>{}); }

 private:
  float* p_ = nullptr;
};

template <std::size_t N, class T = float>
class Rows {
 public:
  static_assert(N > 0, "rows need a positive width");
  static constexpr std::size_t cols = N;
  using value_type = T;

  Rows() = default;
  Rows(T* p, std::size_t max_rows) : p_(p), max_rows_(max_rows) {}
  T* data() const { return p_; }
  T* row(std::size_t i) const { return p_ + i * N; }
  T& operator[](std::size_t k) const { return p_[k]; }   // element k of the flat B * N
  std::size_t max_rows() const { return max_rows_; }
  // (B, N) adaptor over the first B rows (B <= max_rows(), the caller's check): no copy, no
  // allocation (std::array shape and strides, a non-owning buffer).
  auto xt(std::size_t B) const {
    return xt::adapt(p_, B * N, xt::no_ownership(), std::array<std::size_t, 2>{B, N});
  }

 private:
  T* p_ = nullptr;
  std::size_t max_rows_ = 0;
};

// --- the shaped products -----------------------------------------------------------------------
// Why vae::sgemm and not xt::blas::gemm (read in /usr/include/xtensor-blas/xblas.hpp, 0.20):
// xt::blas::gemm into an existing adaptor is allocation-free when both inputs are containers
// (view_eval passes them through), but it is ONE cblas_sgemm call. To use both cores it would need
// OpenBLAS's own threads, whose level-3 driver mallocs a 512 KB job array per call (vae/blas.hpp)
// and breaks the zero-allocation step; single-threaded, it leaves the second core idle (the
// products are ~85% of a step). vae::sgemm splits the same call into row or column blocks over our
// pool. tests/test_blas.cpp ("XtBlasGemm...") checks both claims: the same product, bit for bit at
// one thread, and xt::blas::gemm counts zero allocations on adaptors.

// Each product is written once, as the GemmCall (vae/blas.hpp) that describes it: gemm_* make
// the call (for sgemm_each and sgemm_sum, which issue several in one dispatch), matmul_* run it.

// y (B, Out) = x (B, In) W^T + beta y, W (Out, In) as torch.nn.Linear.
template <std::size_t YN, std::size_t XN, std::size_t WR, std::size_t WC>
GemmCall gemm_xwt(const Rows<YN>& y, const Rows<XN>& x, const Mat<WR, WC>& w, std::size_t B,
                  float beta, BlockHook before = {}, BlockHook after = {}) {
  static_assert(WR == YN, "x W^T: W's rows must equal y's width (Out)");
  static_assert(WC == XN, "x W^T: W's columns must equal x's width (In)");
  return {Trans::no, Trans::yes, B, YN, XN, 1.0f, x.data(), XN, w.data(), WC, beta, y.data(), YN,
          before, after};
}

// dW (Out, In) = dy^T (Out, B) x (B, In) + beta dW.
template <std::size_t WR, std::size_t WC, std::size_t DYN, std::size_t XN>
GemmCall gemm_dytx(const Mat<WR, WC>& dw, const Rows<DYN>& dy, const Rows<XN>& x, std::size_t B,
                   float beta, BlockHook before = {}, BlockHook after = {}) {
  static_assert(WR == DYN, "dy^T x: dW's rows must equal dy's width (Out)");
  static_assert(WC == XN, "dy^T x: dW's columns must equal x's width (In)");
  return {Trans::yes, Trans::no, WR, WC, B, 1.0f, dy.data(), DYN, x.data(), XN, beta, dw.data(), WC,
          before, after};
}

// dx (B, In) = dy (B, Out) W (Out, In) + beta dx.
template <std::size_t DXN, std::size_t DYN, std::size_t WR, std::size_t WC>
GemmCall gemm_dyw(const Rows<DXN>& dx, const Rows<DYN>& dy, const Mat<WR, WC>& w, std::size_t B,
                  float beta, BlockHook before = {}, BlockHook after = {}) {
  static_assert(WR == DYN, "dy W: W's rows must equal dy's width (Out)");
  static_assert(WC == DXN, "dy W: W's columns must equal dx's width (In)");
  return {Trans::no, Trans::no, B, DXN, DYN, 1.0f, dy.data(), DYN, w.data(), WC, beta, dx.data(), DXN,
          before, after};
}

template <std::size_t YN, std::size_t XN, std::size_t WR, std::size_t WC>
void matmul_xwt(const Rows<YN>& y, const Rows<XN>& x, const Mat<WR, WC>& w, std::size_t B,
                float beta, BlockHook before = {}, BlockHook after = {}) {
  sgemm(gemm_xwt(y, x, w, B, beta, before, after));
}
template <std::size_t WR, std::size_t WC, std::size_t DYN, std::size_t XN>
void matmul_dytx(const Mat<WR, WC>& dw, const Rows<DYN>& dy, const Rows<XN>& x, std::size_t B,
                 float beta, BlockHook before = {}, BlockHook after = {}) {
  sgemm(gemm_dytx(dw, dy, x, B, beta, before, after));
}
template <std::size_t DXN, std::size_t DYN, std::size_t WR, std::size_t WC>
void matmul_dyw(const Rows<DXN>& dx, const Rows<DYN>& dy, const Mat<WR, WC>& w, std::size_t B,
                float beta, BlockHook before = {}, BlockHook after = {}) {
  sgemm(gemm_dyw(dx, dy, w, B, beta, before, after));
}

}  // namespace vae
