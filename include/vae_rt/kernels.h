// vae_rt/kernels.h - the runtime's numeric kernels: dot products, dense layers, pixel rounding.
//
// Every kernel has ONE summation order, written in the source and independent of the platform,
// so a Cortex-M4 and an x86-64 host produce the same bits (given IEEE binary32 arithmetic and no
// FMA contraction, -ffp-contract=off, which vae::runtime imposes on itself and its consumers):
//
//   dot(w, x, n): eight partial sums a[k] = sum of w[i] * x[i] over i = k (mod 8), each in
//   increasing i starting from +0.0f; then s[k] = a[k] + a[k+4] (k < 4), t0 = s[0] + s[2],
//   t1 = s[1] + s[3], dot = t0 + t1. Eight independent accumulators let the compiler use SIMD
//   lanes without changing that order (no -ffast-math reassociation is needed or allowed).
//   The int8 dot is the same with w[i] converted exactly to float first.
//
//   dense: y[r] = dot(W[r, :], x) + b[r]; int8: y[r] = dot_i8(Q[r, :], x) * scale[r] + b[r].
//
// Kernels take raw pointers and sizes; they never allocate and never fail (callers validated the
// shapes when the weights were bound). Not a BLAS: no strides, no transposes, no batching yet;
// an optimized kernel must keep these signatures and produce the same bits.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace vae_rt {

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

// A probability p in [0, 1] as a pixel: floor(p * 255 + 0.5) in float arithmetic (two IEEE
// operations, so exact and identical everywhere), clamped to 0..255; NaN gives 0.
inline uint8_t pixel_u8(float p) {
  const float v = p * 255.0f + 0.5f;
  if (!(v >= 1.0f)) return 0;
  if (v >= 255.0f) return 255;
  return static_cast<uint8_t>(static_cast<int>(v));
}

}  // namespace vae_rt
