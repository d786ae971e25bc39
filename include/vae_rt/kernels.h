// vae_rt/kernels.h - the runtime's numeric kernels: dot products, dense layers, pixel rounding.
//
// Every kernel has ONE summation order, written in the source and independent of the platform,
// so a Cortex-M4 and an x86-64 host produce the same bits (given IEEE binary32 arithmetic and no
// FMA contraction, -ffp-contract=off, which vae::runtime imposes on itself and its consumers):
//
//   dot(w, x, n): eight partial sums a[k] = sum of w[i] * x[i] over i = k (mod 8), each in
//   increasing i starting from +0.0f; then s[k] = a[k] + a[k+4] (k < 4), t0 = s[0] + s[2],
//   t1 = s[1] + s[3], dot = t0 + t1. The int8 dot is the same with w[i] converted exactly to
//   float first.
//
//   dense: y[r] = dot(W[r, :], x) + b[r]; int8: y[r] = dot_i8(Q[r, :], x) * scale[r] + b[r].
//
// Two families with that one order:
//
//   Reference kernels (dot_f32 ... dense_sigmoid_u8): plain loops over one input vector, the
//   order spelled out literally. They are the test oracle, and what a target without SIMD (the
//   Cortex-M4F) runs: the batched kernels call them there.
//
//   Batched kernels (dense_batch, dense_sigmoid_batch_*): n input vectors (n digits) per pass over
//   the weights, so each weight row is read from memory once for up to four digits (W2 of
//   784-400-20 is 1.25 MB float32: it lives in L3, and one pass per digit is bandwidth-bound).
//   The eight partial sums of one (row, digit) are ONE 8-lane vector (GCC/Clang vector
//   extensions: one AVX register or two SSE2 registers), a row block of
//   R rows x B digits keeps R*B such vectors, and the final reduction is the fixed tree above:
//   the vector width only decides how many (row, digit) sums run side by side, never the order
//   within one. Each weight row is read (and an int8 row widened to float) once per pass, for
//   all of its digits. Results are bit-identical to the reference kernels for every n (tests/
//   test_kernels.cpp checks it). A column tail (cols not a multiple of 8) is padded with zeros in
//   both w and x: the padded lanes add +0.0f, and a partial sum that starts at +0.0f and is only
//   ever rounded to nearest is never -0.0f, so adding +0.0f leaves it unchanged.
//
//   On x86-64 builds without AVX2 (the plain `release` preset, -march=x86-64), the batched
//   kernels also carry an AVX2 copy (same source, compiled with __attribute__((target("avx2"))),
//   still no FMA) chosen at run time by CPUID; kernel_isa() names the one in use. int8 weights are
//   converted to float once per row block and used for all digits of the pass (vpmovsxbd +
//   vcvtdq2ps with AVX2, unpack + shift + cvtdq2ps with SSE2): no integer dot products, so the
//   arithmetic is the same float order as the reference.
//
// Kernels take raw pointers and sizes; they never allocate and never fail (callers validated the
// shapes when the weights were bound). Not a BLAS: no strides, no transposes.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "vae_rt/format.h"

namespace vae_rt {

// One bound dense layer: pointers into the weight file (row-major (rows, cols), see
// docs/weights-format.md).
struct DenseView {
  format::Dtype dtype = format::Dtype::float32;
  const float* w = nullptr;       // (rows, cols) when float32, else null
  const int8_t* q = nullptr;      // (rows, cols) when int8, else null
  const float* scale = nullptr;   // (rows) when int8, else null
  const float* b = nullptr;       // (rows)
  uint32_t rows = 0, cols = 0;
};

// --- reference kernels: one input vector, plain loops ------------------------------------------

float dot_f32(const float* w, const float* x, size_t n);
float dot_i8(const int8_t* w, const float* x, size_t n);

// y (rows) = W (rows, cols) x (cols) + b, then ReLU when relu is set. y must not alias x.
void dense_f32(float* y, const float* w, const float* b, const float* x, size_t rows, size_t cols,
               bool relu);
// The same with int8 weights Q (rows, cols) and per-row scales (rows).
void dense_i8(float* y, const int8_t* q, const float* scale, const float* b, const float* x,
              size_t rows, size_t cols, bool relu);

// The output layer fused with the sigmoid, written straight to the caller's pixels so that no
// (rows) float buffer is needed: out[r] = sigmoid(W[r, :] x + b[r]) as float, or as uint8 via
// pixel_u8. q/scale are used when w is null (int8 weights).
void dense_sigmoid_f32(float* out, const float* w, const int8_t* q, const float* scale,
                       const float* b, const float* x, size_t rows, size_t cols);
void dense_sigmoid_u8(uint8_t* out, const float* w, const int8_t* q, const float* scale,
                      const float* b, const float* x, size_t rows, size_t cols);

// --- batched kernels: n input vectors per pass over the weights --------------------------------
// x is (n, l.cols) row-major, the outputs are (n, l.rows): vector j of the batch gives exactly
// what the reference kernel gives for x + j * l.cols. Any n >= 0; the weights are streamed once
// per group of up to batch_kernel_max vectors. Outputs must not alias x.

constexpr size_t batch_kernel_max = 4;

// y (n, rows) = W x_j + b, then ReLU when relu is set; float32 or int8 weights.
void dense_batch(float* y, const DenseView& layer, const float* x, size_t n, bool relu);
// out (n, rows) = sigmoid(W x_j + b), as float or as uint8 pixels (pixel_u8).
void dense_sigmoid_batch_f32(float* out, const DenseView& layer, const float* x, size_t n);
void dense_sigmoid_batch_u8(uint8_t* out, const DenseView& layer, const float* x, size_t n);

// The code path the batched kernels take on this machine: "avx2" or "sse2" (x86-64), or "scalar"
// (the reference loops, digit by digit: a Cortex-M4F, or any target without SSE2).
const char* kernel_isa();
// For tests and benchmarks: false pins the batched kernels to this build's baseline path (e.g.
// SSE2 in an x86-64 build that also carries the AVX2 copy); true (the default) lets them use
// the best path the CPU offers. Returns kernel_isa() afterwards. Not thread-safe against
// kernels running at the same time on other threads.
const char* kernel_allow_dispatch(bool allow);

// A probability p in [0, 1] as a pixel: floor(p * 255 + 0.5) in float arithmetic (two IEEE
// operations, so exact and identical everywhere), clamped to 0..255; NaN gives 0.
inline uint8_t pixel_u8(float p) {
  const float v = p * 255.0f + 0.5f;
  if (!(v >= 1.0f)) return 0;
  if (v >= 255.0f) return 255;
  return static_cast<uint8_t>(static_cast<int>(v));
}

}  // namespace vae_rt
