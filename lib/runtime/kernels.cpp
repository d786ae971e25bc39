// kernels.cpp - the runtime's dense kernels (vae_rt/kernels.h): the reference loops, and the
// entry points of the batched kernels, which keep one 8-lane vector of partial sums per
// (row, digit) (their source is kernels_batch.inc, compiled once per instruction set: the
// baseline copy here, the AVX2 copy in kernels_avx2.cpp).
//
// The summation order is the one documented in the header for both families; the batched
// kernels only choose how many (row, digit) sums run side by side. They are written with GCC /
// Clang vector extensions (elementwise IEEE operations on fixed-size vectors; one intrinsic pair
// for the AVX2 int8 widening), so the order is in the source, not in the compiler's choice of
// vector width. On a target without SSE2 (the Cortex-M4F) the batched entry points run the
// reference loops digit by digit, which give the same bits (tests/test_kernels.cpp).
//
// Not here: integer dot products (the int8 path converts weights to float, exactly, once per row
// block and pass), threads, or any allocation.
#include "vae_rt/kernels.h"

#include "kernels_isa.h"   // VAE_RT_SIMD, VAE_RT_AVX2_COPY; the AVX2 copy's entry points
#include "vae_rt/math.h"

// The 8-lane vectors below never cross a call boundary (everything taking one is always_inline),
// so GCC's note about the AVX calling convention of 32-byte vectors does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace vae_rt {
namespace {

// --- reference kernels -------------------------------------------------------------------------

// The fixed final reduction of the eight partial sums.
inline float reduce8(const float* a) {
  const float s0 = a[0] + a[4], s1 = a[1] + a[5], s2 = a[2] + a[6], s3 = a[3] + a[7];
  return (s0 + s2) + (s1 + s3);
}

// Element i lands in a[i % 8] and every a[k] sees its elements in increasing i. The loop is split
// into whole groups of eight and a tail only so that the accumulators stay in registers.
// A weight as float, exactly. Where floats are soft (an ARM target without an FPU, e.g. a
// Cortex-M3), converting an int8 is a libgcc call (__aeabi_i2f) per weight; a 256-entry table
// (1 KB of flash) gives the same values with one load: the same bits, a quarter fewer
// instructions per int8 digit there (docs/performance.md). Elsewhere the conversion instruction.
#if defined(__arm__) && !defined(__ARM_FP)
struct I8Floats {
  float v[256];
  constexpr I8Floats() : v() {
    for (int i = 0; i < 256; ++i) v[i] = static_cast<float>(i < 128 ? i : i - 256);
  }
};
constexpr I8Floats i8_floats{};
inline float weight_float(int8_t w) { return i8_floats.v[static_cast<uint8_t>(w)]; }
#else
inline float weight_float(int8_t w) { return static_cast<float>(w); }
#endif
inline float weight_float(float w) { return w; }

template <class W>
inline float ref_dot(const W* w, const float* x, size_t n) {
  float a[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (size_t k = 0; k < 8; ++k) a[k] += weight_float(w[i + k]) * x[i + k];
  }
  for (size_t k = 0; i + k < n; ++k) a[k] += weight_float(w[i + k]) * x[i + k];
  return reduce8(a);
}

// Four rows at once share each load of x (a Cortex-M4F does one load per cycle: 5 loads per
// 4 multiply-adds instead of 8); each row keeps its own eight partial sums in the order of
// ref_dot, so the result is bit-identical to four separate dots. These are the runtime's
// original loops, unchanged, so the firmware runs exactly what it ran before. (On x86-64 GCC
// vectorizes them across the outer loop with many shuffles: slow there, but the host uses the
// batched kernels.)
template <class W>
inline void ref_dot4(float* out, const W* w0, const W* w1, const W* w2, const W* w3,
                     const float* x, size_t n) {
  float a0[8] = {0}, a1[8] = {0}, a2[8] = {0}, a3[8] = {0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (size_t k = 0; k < 8; ++k) {
      const float xv = x[i + k];
      a0[k] += weight_float(w0[i + k]) * xv;
      a1[k] += weight_float(w1[i + k]) * xv;
      a2[k] += weight_float(w2[i + k]) * xv;
      a3[k] += weight_float(w3[i + k]) * xv;
    }
  }
  for (size_t k = 0; i + k < n; ++k) {
    const float xv = x[i + k];
    a0[k] += weight_float(w0[i + k]) * xv;
    a1[k] += weight_float(w1[i + k]) * xv;
    a2[k] += weight_float(w2[i + k]) * xv;
    a3[k] += weight_float(w3[i + k]) * xv;
  }
  out[0] = reduce8(a0);
  out[1] = reduce8(a1);
  out[2] = reduce8(a2);
  out[3] = reduce8(a3);
}

// Pre-activations of all rows for one input vector, four rows at a time, handed to
// emit(r, value).
template <class W, class Emit>
inline void ref_rows(const W* w, const float* scale, const float* b, const float* x, size_t rows,
                     size_t cols, Emit&& emit) {
  size_t r = 0;
  for (; r + 4 <= rows; r += 4) {
    float d[4];
    const W* wr = w + r * cols;
    ref_dot4(d, wr, wr + cols, wr + 2 * cols, wr + 3 * cols, x, cols);
    for (size_t k = 0; k < 4; ++k) emit(r + k, (scale ? d[k] * scale[r + k] : d[k]) + b[r + k]);
  }
  for (; r < rows; ++r) {
    const float d = ref_dot(w + r * cols, x, cols);
    emit(r, (scale ? d * scale[r] : d) + b[r]);
  }
}

inline float relu_if(bool relu, float v) { return relu && !(v > 0.0f) ? 0.0f : v; }

// --- batched kernels (kernels_batch.inc) -------------------------------------------------------
// kernels_batch.inc reads two switches: VAE_RT_BATCH_AVX2 (8-float lanes, AVX2 int8 widening)
// and VAE_RT_BATCH_REGS32 (32 vector registers: bigger blocks). They are macros of our own, set
// per copy, because in C++ a #pragma GCC target does not define __AVX2__ for the text after it.
#if VAE_RT_SIMD
#ifdef __AVX2__
#define VAE_RT_BATCH_AVX2 1
#else
#define VAE_RT_BATCH_AVX2 0
#endif
#ifdef __AVX512VL__
#define VAE_RT_BATCH_REGS32 1
#else
#define VAE_RT_BATCH_REGS32 0
#endif
namespace base {
#include "kernels_batch.inc"
}  // namespace base
#undef VAE_RT_BATCH_AVX2
#undef VAE_RT_BATCH_REGS32

#if VAE_RT_AVX2_COPY
// The same source again, compiled for AVX2, is kernels_avx2.cpp (namespace vae_rt::avx2).

// CPUID leaf 7 EBX bit 5 (AVX2), and the OS saves YMM state (OSXSAVE, XCR0 bits 1-2).
bool cpu_has_avx2() {
  uint32_t a, b, c, d;
  __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0u), "c"(0u));
  if (a < 7) return false;
  __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1u), "c"(0u));
  const bool osxsave = (c >> 27) & 1u, avx = (c >> 28) & 1u;
  if (!osxsave || !avx) return false;
  uint32_t xlo, xhi;
  __asm__("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0u));
  if ((xlo & 6u) != 6u) return false;
  __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7u), "c"(0u));
  return (b >> 5) & 1u;
}

// 0 unknown, 1 baseline, 2 AVX2. Racing first calls compute the same value.
int g_isa = 0;
bool use_avx2() {
  int isa = __atomic_load_n(&g_isa, __ATOMIC_RELAXED);
  if (isa == 0) {
    isa = cpu_has_avx2() ? 2 : 1;
    __atomic_store_n(&g_isa, isa, __ATOMIC_RELAXED);
  }
  return isa == 2;
}
#endif  // VAE_RT_AVX2_COPY

#endif  // VAE_RT_SIMD

}  // namespace

// --- public entry points -----------------------------------------------------------------------

float dot_f32(const float* w, const float* x, size_t n) { return ref_dot(w, x, n); }
float dot_i8(const int8_t* w, const float* x, size_t n) { return ref_dot(w, x, n); }

void dense_f32(float* y, const float* w, const float* b, const float* x, size_t rows, size_t cols,
               bool relu) {
  ref_rows(w, nullptr, b, x, rows, cols, [&](size_t r, float v) { y[r] = relu_if(relu, v); });
}

void dense_i8(float* y, const int8_t* q, const float* scale, const float* b, const float* x,
              size_t rows, size_t cols, bool relu) {
  ref_rows(q, scale, b, x, rows, cols, [&](size_t r, float v) { y[r] = relu_if(relu, v); });
}

void dense_sigmoid_f32(float* out, const float* w, const int8_t* q, const float* scale,
                       const float* b, const float* x, size_t rows, size_t cols) {
  const auto emit = [&](size_t r, float v) { out[r] = rt_sigmoidf(v); };
  if (w) {
    ref_rows(w, nullptr, b, x, rows, cols, emit);
  } else {
    ref_rows(q, scale, b, x, rows, cols, emit);
  }
}

void dense_sigmoid_u8(uint8_t* out, const float* w, const int8_t* q, const float* scale,
                      const float* b, const float* x, size_t rows, size_t cols) {
  const auto emit = [&](size_t r, float v) { out[r] = pixel_u8(rt_sigmoidf(v)); };
  if (w) {
    ref_rows(w, nullptr, b, x, rows, cols, emit);
  } else {
    ref_rows(q, scale, b, x, rows, cols, emit);
  }
}

void dense_batch(float* y, const DenseView& l, const float* x, size_t n, bool relu) {
#if VAE_RT_AVX2_COPY
  if (use_avx2()) return avx2::dense_batch(y, l, x, n, relu);
#endif
#if VAE_RT_SIMD
  base::dense_batch(y, l, x, n, relu);
#else
  for (size_t j = 0; j < n; ++j) {
    if (l.w) {
      dense_f32(y + j * l.rows, l.w, l.b, x + j * l.cols, l.rows, l.cols, relu);
    } else {
      dense_i8(y + j * l.rows, l.q, l.scale, l.b, x + j * l.cols, l.rows, l.cols, relu);
    }
  }
#endif
}

void dense_sigmoid_batch_f32(float* out, const DenseView& l, const float* x, size_t n) {
#if VAE_RT_AVX2_COPY
  if (use_avx2()) return avx2::sigmoid_f32(out, l, x, n);
#endif
#if VAE_RT_SIMD
  base::sigmoid_f32(out, l, x, n);
#else
  for (size_t j = 0; j < n; ++j) {
    dense_sigmoid_f32(out + j * l.rows, l.w, l.q, l.scale, l.b, x + j * l.cols, l.rows, l.cols);
  }
#endif
}

void dense_sigmoid_batch_u8(uint8_t* out, const DenseView& l, const float* x, size_t n) {
#if VAE_RT_AVX2_COPY
  if (use_avx2()) return avx2::sigmoid_u8(out, l, x, n);
#endif
#if VAE_RT_SIMD
  base::sigmoid_u8(out, l, x, n);
#else
  for (size_t j = 0; j < n; ++j) {
    dense_sigmoid_u8(out + j * l.rows, l.w, l.q, l.scale, l.b, x + j * l.cols, l.rows, l.cols);
  }
#endif
}

const char* kernel_isa() {
#if VAE_RT_AVX2_COPY
  return use_avx2() ? "avx2" : "sse2";
#elif VAE_RT_SIMD && defined(__AVX2__)
  return "avx2";
#elif VAE_RT_SIMD
  return "sse2";
#else
  return "scalar";
#endif
}

const char* kernel_allow_dispatch(bool allow) {
#if VAE_RT_AVX2_COPY
  __atomic_store_n(&g_isa, allow ? 0 : 1, __ATOMIC_RELAXED);
#else
  (void)allow;
#endif
  return kernel_isa();
}

}  // namespace vae_rt
