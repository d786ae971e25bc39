// kernels_avx2.cpp - the AVX2 copy of the batched kernels (kernels_batch.inc) for x86-64 builds
// below AVX2: the same source as kernels.cpp's baseline copy, compiled under
// #pragma GCC target("avx2") (no FMA: the target does not include it, and -ffp-contract=off
// forbids contraction anyway). kernels.cpp calls it when CPUID says AVX2 is there.
//
// A file of its own only for the build: its two copies compiled in one file made the build's
// longest step (kernels.cpp 29 s of a 115 s build); apart, they compile in parallel. Elsewhere
// (Cortex-M, wasm32, clang, or a baseline with AVX2 already) this file is empty.
#include "kernels_isa.h"

#if VAE_RT_AVX2_COPY
#include "vae_rt/math.h"

// The 8-lane vectors never cross a call boundary (everything taking one is always_inline), so
// GCC's note about the AVX calling convention of 32-byte vectors does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

// kernels_batch.inc's switches (see kernels.cpp): 8-float lanes, 16 vector registers.
#define VAE_RT_BATCH_AVX2 1
#define VAE_RT_BATCH_REGS32 0
#pragma GCC push_options
#pragma GCC target("avx2")
namespace vae_rt {
namespace avx2 {
#include "kernels_batch.inc"
}  // namespace avx2
}  // namespace vae_rt
#pragma GCC pop_options
#endif  // VAE_RT_AVX2_COPY
