// simd.h - what the SIMD kernels of the training library share (sparse.cpp, latent.cpp): the
// CPU probes, target regions, and the vector operations each kernel file builds on, once for
// AVX-512 (simd::Avx512, 16 lanes) and once for AVX2 + FMA (simd::Avx2, 8 lanes). Private to
// lib/train.
//
// The release build targets baseline x86-64, so each kernel is compiled in a target region of
// its instruction set and chosen at run time by CPUID (cpu_has_avx512, cpu_has_avx2_fma). A kernel
// file writes its loops once, over a struct `Ops` derived from simd::Avx512 or simd::Avx2, in a
// .inc file that it includes in two target regions (sparse_kernels.inc, latent_kernels.inc).
// VAE_NO_SPARSE_SIMD leaves the SIMD code out, and then only the portable paths exist.
#pragma once

#include <cstddef>
#include <cstdint>

#include "vae/sparse.hpp"   // SparseIsa

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

// Whether this CPU runs AVX2 and FMA (false in a build without the SIMD code): the 8-lane kernels.
inline bool cpu_has_avx2_fma() {
#if defined(VAE_SPARSE_AVX512)
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
#else
  return false;
#endif
}

// The best kernel set this CPU runs, at most `most` (set_sparse_isa's and set_latent_isa's bound).
inline SparseIsa best_isa(SparseIsa most) {
  if (most >= SparseIsa::avx512 && cpu_has_avx512()) return SparseIsa::avx512;
  if (most >= SparseIsa::avx2 && cpu_has_avx2_fma()) return SparseIsa::avx2;
  return SparseIsa::portable;
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
// if each had __attribute__((target(t))), templates included.
#define VAE_PRAGMA(x) _Pragma(#x)
#if defined(__clang__)
#define VAE_TARGET_BEGIN(t) VAE_PRAGMA(clang attribute push(__attribute__((target(t))), apply_to = function))
#define VAE_TARGET_END VAE_PRAGMA(clang attribute pop)
#else
#define VAE_TARGET_BEGIN(t) VAE_PRAGMA(GCC push_options) VAE_PRAGMA(GCC target(t))
#define VAE_TARGET_END VAE_PRAGMA(GCC pop_options)
#endif

namespace simd {
VAE_TARGET_BEGIN("avx512f")
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

// --- the vector operations of the kernel files ---------------------------------------------------
//   L                       lanes per vector
//   V, M                    the vector, and a mask of lanes [0, n) (made by tail(n))
//   zero, load, load_tail, store, store_tail, add, max0, fmadd, broadcast (from memory)
//   iota()                  the lane numbers 0, 1, ..., L - 1 as 32-bit integers
//   where_positive(g, h)    g where h > 0, else 0 (ReLU')
//   nonzero_bits(v)         bit i: lane i is not zero
//   transpose(r), transpose_block(...)   L x L through registers (as transpose_block above)
// Loads and stores are unaligned; a tail load reads the lanes past the mask as zeros.
struct Avx512 {
  static constexpr std::size_t L = 16;
  using V = __m512;
  using M = __mmask16;
  static M tail(std::size_t n) { return lanes(n); }
  static V zero() { return _mm512_setzero_ps(); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static V load_tail(const float* p, M m) { return _mm512_maskz_loadu_ps(m, p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static void store_tail(float* p, M m, V v) { _mm512_mask_storeu_ps(p, m, v); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  // max(a, 0): +0 for negatives, -0 and NaN, as relu_forward's where(v > 0, v, 0).
  static V max0(V a) { return _mm512_max_ps(a, _mm512_setzero_ps()); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V broadcast(const float* p) { return _mm512_set1_ps(*p); }
  static __m512i iota() { return _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0); }
  static V where_positive(V g, V h) {
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(h, _mm512_setzero_ps(), _CMP_GT_OQ), g);
  }
  static std::uint32_t nonzero_bits(V v) { return _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_NEQ_UQ); }
  static void transpose(V r[16]) { transpose16(r); }
  static void transpose_block(float* dst, std::size_t ldd, const std::uint16_t* rows, const float* src,
                              std::size_t lds, std::size_t nr, std::size_t nc, std::uint32_t live) {
    simd::transpose_block(dst, ldd, rows, src, lds, nr, nc, live);
  }
};

VAE_AVX512_END
VAE_TARGET_END
VAE_TARGET_BEGIN("avx2,fma")
VAE_AVX512_BEGIN   // the same false positives as AVX-512's intrinsics

// The lane numbers 0..7 as 32-bit integers.
inline __m256i iota8() { return _mm256_set_epi32(7, 6, 5, 4, 3, 2, 1, 0); }

// Lanes [0, n) of 8, as maskload / maskstore's mask.
inline __m256i lanes8(std::size_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n >= 8 ? 8 : n)), iota8());
}

// 8 x 8 transpose in registers (r[i] row i in, column i out).
inline void transpose8(__m256 r[8]) {
  __m256 t[8];
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 2; ++i) {
    r[4 * i] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
    r[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
    r[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
    r[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
  }
  for (int i = 0; i < 4; ++i) {
    t[i] = _mm256_permute2f128_ps(r[i], r[4 + i], 0x20);       // columns 0-3 (rows 0-7)
    t[4 + i] = _mm256_permute2f128_ps(r[i], r[4 + i], 0x31);   // columns 4-7
  }
  for (int i = 0; i < 8; ++i) r[i] = t[i];
}

// Avx512's operations with 8 lanes. AVX2 has no mask registers: a tail is a lane mask for
// maskload / maskstore.
struct Avx2 {
  static constexpr std::size_t L = 8;
  using V = __m256;
  using M = __m256i;
  static M tail(std::size_t n) { return lanes8(n); }
  static V zero() { return _mm256_setzero_ps(); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static V load_tail(const float* p, M m) { return _mm256_maskload_ps(p, m); }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static void store_tail(float* p, M m, V v) { _mm256_maskstore_ps(p, m, v); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  // maxps gives its second operand for -0 and NaN: +0, as AVX-512's.
  static V max0(V a) { return _mm256_max_ps(a, _mm256_setzero_ps()); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V broadcast(const float* p) { return _mm256_broadcast_ss(p); }
  static __m256i iota() { return iota8(); }
  static V where_positive(V g, V h) { return _mm256_and_ps(_mm256_cmp_ps(h, _mm256_setzero_ps(), _CMP_GT_OQ), g); }
  static std::uint32_t nonzero_bits(V v) {
    return static_cast<std::uint32_t>(_mm256_movemask_ps(_mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_NEQ_UQ)));
  }
  static void transpose(V r[8]) { transpose8(r); }
  static void transpose_block(float* dst, std::size_t ldd, const std::uint16_t* rows, const float* src,
                              std::size_t lds, std::size_t nr, std::size_t nc, std::uint32_t live) {
    __m256 r[8];
    const __m256i cm = lanes8(nc);
    for (std::size_t i = 0; i < 8; ++i) {
      r[i] = i < nr && (live >> i & 1u) ? _mm256_maskload_ps(src + i * lds, cm) : _mm256_setzero_ps();
    }
    transpose8(r);
    const __m256i rm = lanes8(nr);
    for (std::size_t i = 0; i < nc; ++i) _mm256_maskstore_ps(dst + (rows ? rows[i] : i) * ldd, rm, r[i]);
  }
};

VAE_AVX512_END
VAE_TARGET_END
}  // namespace simd
#endif

}  // namespace vae
