// avx512.h - what the AVX-512 kernels of the training library share (sparse.cpp, latent.cpp):
// the target attribute, lane masks and the 16 x 16 register transpose. Private to lib/train.
//
// The release build targets baseline x86-64, so each kernel is compiled for AVX-512 under a
// target attribute and chosen at run time by CPUID (cpu_has_avx512); VAE_NO_SPARSE_SIMD leaves
// the AVX-512 code out, and then only the portable paths exist.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(VAE_NO_SPARSE_SIMD)
#define VAE_SPARSE_AVX512 1
#include <immintrin.h>
#endif

namespace vae {

// Whether this CPU runs AVX-512F (false in a build without the AVX-512 code).
inline bool cpu_has_avx512() {
#if defined(VAE_SPARSE_AVX512)
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
#else
  return false;
#endif
}

#if defined(VAE_SPARSE_AVX512)
#define VAE_AVX512 __attribute__((target("avx512f")))
// GCC 12's intrinsics start some results from _mm512_undefined_ps(), which -Wuninitialized
// reports at -O3 (a false positive: every lane is written). BEGIN/END bracket a file's kernels.
#if defined(__clang__)
#define VAE_AVX512_BEGIN _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wuninitialized\"")
#else
#define VAE_AVX512_BEGIN                                     \
  _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wuninitialized\"") \
      _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"")
#endif
#define VAE_AVX512_END _Pragma("GCC diagnostic pop")

// A target region: every function defined between BEGIN(t) and END is compiled for target t, as
// if each had __attribute__((target(t))), templates included. sparse.cpp includes one set of
// kernel templates (sparse_kernels.inc) in two such regions, for AVX-512 and for AVX2 + FMA.
#define VAE_PRAGMA(x) _Pragma(#x)
#if defined(__clang__)
#define VAE_TARGET_BEGIN(t) VAE_PRAGMA(clang attribute push(__attribute__((target(t))), apply_to = function))
#define VAE_TARGET_END VAE_PRAGMA(clang attribute pop)
#else
#define VAE_TARGET_BEGIN(t) VAE_PRAGMA(GCC push_options) VAE_PRAGMA(GCC target(t))
#define VAE_TARGET_END VAE_PRAGMA(GCC pop_options)
#endif

namespace simd {
VAE_AVX512_BEGIN

VAE_AVX512 inline __mmask16 lanes(std::size_t n) {
  return static_cast<__mmask16>(n >= 16 ? 0xffffu : (1u << n) - 1u);
}

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

// The transpose of src (nr <= 16 rows at stride lds, nc <= 16 lanes read; rows with a zero bit in
// `live` read as zeros) into nc rows of nr lanes: row i at dst + i * ldd, or, given `rows`, at
// dst + rows[i] * ldd.
VAE_AVX512 inline void transpose_block(float* dst, std::size_t ldd, const std::uint16_t* rows, const float* src,
                                       std::size_t lds, std::size_t nr, std::size_t nc, std::uint32_t live) {
  __m512 r[16];
  const __mmask16 cm = lanes(nc);
  for (std::size_t i = 0; i < 16; ++i) {
    r[i] = i < nr && (live >> i & 1u) ? _mm512_maskz_loadu_ps(cm, src + i * lds) : _mm512_setzero_ps();
  }
  transpose16(r);
  const __mmask16 rm = lanes(nr);
  for (std::size_t i = 0; i < nc; ++i) _mm512_mask_storeu_ps(dst + (rows ? rows[i] : i) * ldd, rm, r[i]);
}


VAE_AVX512_END
}  // namespace simd
#endif

}  // namespace vae
