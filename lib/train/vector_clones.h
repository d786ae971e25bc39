// lib/train/vector_clones.h - VAE_VECTOR_CLONES: build a hot elementwise loop once per x86 vector
// width (AVX-512, AVX2 and the SSE2 baseline) and let the dynamic loader pick the widest this CPU
// has (function multiversioning through an ifunc, GCC >= 6 and clang >= 14).
//
// Why: the release build targets baseline x86-64 so that its binaries run on any x86-64, which
// leaves loops at 4 floats a vector. The step's elementwise passes (sigmoid + loss, Adam) are
// memory- and exp-bound and run 2-4x faster at 16 floats; the matrix products need none of this
// (OpenBLAS dispatches on the CPU itself).
//
// Reproducibility: no clone enables FMA, and -ffp-contract=off holds, so every clone performs the
// same IEEE operations in the same order on every element: parameters, gradients and activations
// are bit-identical whichever clone runs. Only the order in which a reduction adds its partial
// sums (one per vector lane) depends on the width, i.e. the reported loss sums may differ in the
// last bits between CPUs, never between two runs on one machine.
#pragma once

#if defined(__x86_64__) && defined(__gnu_linux__) && !defined(VAE_NO_VECTOR_CLONES)
#define VAE_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VAE_VECTOR_CLONES
#endif
