// kernels_isa.h - which copies of the batched kernels (kernels_batch.inc) this build carries, for
// kernels.cpp (the reference loops, the baseline copy, the dispatch) and kernels_avx2.cpp (the
// AVX2 copy). Private to lib/runtime; not part of vae_rt/kernels.h's interface.
//
// The AVX2 copy is a translation unit of its own so that the two copies compile side by side: in
// one file they were the build's longest step (docs/performance.md, "Build time").
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "vae_rt/kernels.h"

#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>   // the AVX2 int8 widening (kernels_batch.inc); inline functions only
#endif

#if (defined(__GNUC__) || defined(__clang__)) && defined(__SSE2__)
#define VAE_RT_SIMD 1
#else
#define VAE_RT_SIMD 0
#endif
// x86-64 built for a baseline below AVX2: carry an AVX2 copy of the batched kernels too.
#if VAE_RT_SIMD && defined(__x86_64__) && !defined(__AVX2__) && defined(__GNUC__) && \
    !defined(__clang__)
#define VAE_RT_AVX2_COPY 1
#else
#define VAE_RT_AVX2_COPY 0
#endif

#define VAE_RT_INLINE inline __attribute__((always_inline))

#if VAE_RT_AVX2_COPY
namespace vae_rt {
// The entry points of the AVX2 copy (kernels_avx2.cpp): call them only where use_avx2() says the
// CPU and the OS support AVX2 (kernels.cpp).
namespace avx2 {
void dense_batch(float* y, const DenseView& l, const float* x, size_t n, bool relu);
void sigmoid_f32(float* out, const DenseView& l, const float* x, size_t n);
void sigmoid_u8(uint8_t* out, const DenseView& l, const float* x, size_t n);
}  // namespace avx2
}  // namespace vae_rt
#endif
