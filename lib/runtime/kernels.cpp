// kernels.cpp - the runtime's dense kernels (vae_rt/kernels.h), written so that the compiler
// can map the eight fixed partial sums onto SIMD lanes, and so that the order of every addition
// is the one documented in the header on every platform.
//
// Not hand-written SIMD: the loops are plain C++ over arrays of eight; -O2/-O3 vectorize them
// (SSE/AVX on x86-64, the scalar FPU on a Cortex-M4 gives the same bits, just slower).
#include "vae_rt/kernels.h"

#include "vae_rt/math.h"

namespace vae_rt {
namespace {

constexpr size_t lanes = 8;

// The fixed final reduction of the eight partial sums.
inline float reduce8(const float* a) {
  const float s0 = a[0] + a[4], s1 = a[1] + a[5], s2 = a[2] + a[6], s3 = a[3] + a[7];
  return (s0 + s2) + (s1 + s3);
}

// The loop is split into whole groups of eight and a tail; element i always lands in a[i % 8]
// and every a[k] sees its elements in increasing i, so the split does not change the result.
template <class W>
inline float dot_impl(const W* w, const float* x, size_t n) {
  float a[lanes] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    for (size_t k = 0; k < lanes; ++k) a[k] += static_cast<float>(w[i + k]) * x[i + k];
  }
  for (size_t k = 0; i + k < n; ++k) a[k] += static_cast<float>(w[i + k]) * x[i + k];
  return reduce8(a);
}

// Four rows at once share each load of x; each row keeps its own eight partial sums in the same
// order as dot_impl, so the result is bit-identical to four separate dots.
template <class W>
inline void dot4_impl(float* out, const W* w0, const W* w1, const W* w2, const W* w3,
                      const float* x, size_t n) {
  float a0[lanes] = {0}, a1[lanes] = {0}, a2[lanes] = {0}, a3[lanes] = {0};
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    for (size_t k = 0; k < lanes; ++k) {
      const float xv = x[i + k];
      a0[k] += static_cast<float>(w0[i + k]) * xv;
      a1[k] += static_cast<float>(w1[i + k]) * xv;
      a2[k] += static_cast<float>(w2[i + k]) * xv;
      a3[k] += static_cast<float>(w3[i + k]) * xv;
    }
  }
  for (size_t k = 0; i + k < n; ++k) {
    const float xv = x[i + k];
    a0[k] += static_cast<float>(w0[i + k]) * xv;
    a1[k] += static_cast<float>(w1[i + k]) * xv;
    a2[k] += static_cast<float>(w2[i + k]) * xv;
    a3[k] += static_cast<float>(w3[i + k]) * xv;
  }
  out[0] = reduce8(a0);
  out[1] = reduce8(a1);
  out[2] = reduce8(a2);
  out[3] = reduce8(a3);
}

// Pre-activations of `rows` outputs, four at a time, handed to emit(r, value).
template <class W, class Emit>
inline void rows_impl(const W* w, const float* scale, const float* b, const float* x, size_t rows,
                      size_t cols, Emit&& emit) {
  size_t r = 0;
  for (; r + 4 <= rows; r += 4) {
    float d[4];
    const W* wr = w + r * cols;
    dot4_impl(d, wr, wr + cols, wr + 2 * cols, wr + 3 * cols, x, cols);
    for (size_t k = 0; k < 4; ++k) emit(r + k, (scale ? d[k] * scale[r + k] : d[k]) + b[r + k]);
  }
  for (; r < rows; ++r) {
    const float d = dot_impl(w + r * cols, x, cols);
    emit(r, (scale ? d * scale[r] : d) + b[r]);
  }
}

}  // namespace

float dot_f32(const float* w, const float* x, size_t n) { return dot_impl(w, x, n); }
float dot_i8(const int8_t* w, const float* x, size_t n) { return dot_impl(w, x, n); }

void dense_f32(float* y, const float* w, const float* b, const float* x, size_t rows, size_t cols,
               bool relu) {
  rows_impl(w, nullptr, b, x, rows, cols, [&](size_t r, float v) {
    y[r] = relu && !(v > 0.0f) ? 0.0f : v;
  });
}

void dense_i8(float* y, const int8_t* q, const float* scale, const float* b, const float* x,
              size_t rows, size_t cols, bool relu) {
  rows_impl(q, scale, b, x, rows, cols, [&](size_t r, float v) {
    y[r] = relu && !(v > 0.0f) ? 0.0f : v;
  });
}

void dense_sigmoid_f32(float* out, const float* w, const int8_t* q, const float* scale,
                       const float* b, const float* x, size_t rows, size_t cols) {
  const auto emit = [&](size_t r, float v) { out[r] = rt_sigmoidf(v); };
  if (w) {
    rows_impl(w, nullptr, b, x, rows, cols, emit);
  } else {
    rows_impl(q, scale, b, x, rows, cols, emit);
  }
}

void dense_sigmoid_u8(uint8_t* out, const float* w, const int8_t* q, const float* scale,
                      const float* b, const float* x, size_t rows, size_t cols) {
  const auto emit = [&](size_t r, float v) { out[r] = pixel_u8(rt_sigmoidf(v)); };
  if (w) {
    rows_impl(w, nullptr, b, x, rows, cols, emit);
  } else {
    rows_impl(q, scale, b, x, rows, cols, emit);
  }
}

}  // namespace vae_rt
