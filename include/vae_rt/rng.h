// vae_rt/rng.h - the project's one random number generator, shared by training and the runtime.
//
// PCG32 (M. O'Neill, "PCG: A family of simple fast space-efficient statistically good algorithms
// for random number generation", 2014): 64-bit LCG state, XSH-RR output permutation, 32-bit
// outputs. Gaussians come from the Box-Muller transform on vae_rt's own log, sqrt and sin/cos, so
// a seed gives bit-identical draws on every platform. Used for parameter initialization,
// shuffling and the reparameterization noise; freestanding (no heap, no libm, no exceptions).
//
// The generator's whole state is the two 64-bit words below: a checkpoint saves them verbatim.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "vae_rt/math.h"

namespace vae_rt {

struct Rng {
  uint64_t state = 0;
  uint64_t inc = 1;   // stream selector, always odd
};

// The LCG's multiplier: each draw steps the state to state * rng_multiplier + inc.
constexpr uint64_t rng_multiplier = 6364136223846793005ull;

// PCG32's reference seeding: distinct `stream`s give independent sequences for the same seed.
inline void rng_seed(Rng* r, uint64_t seed, uint64_t stream = 0) {
  r->state = 0;
  r->inc = (stream << 1u) | 1u;
  r->state = r->state * rng_multiplier + r->inc;
  r->state += seed;
  r->state = r->state * rng_multiplier + r->inc;
}

// PCG32's output: the permutation (XSH RR) of the state before the step.
inline uint32_t rng_output(uint64_t old) {
  const uint32_t xorshifted = static_cast<uint32_t>(((old >> 18u) ^ old) >> 27u);
  const uint32_t rot = static_cast<uint32_t>(old >> 59u);
  return (xorshifted >> rot) | (xorshifted << ((32u - rot) & 31u));
}

inline uint32_t rng_u32(Rng* r) {
  const uint64_t old = r->state;
  r->state = old * rng_multiplier + r->inc;
  return rng_output(old);
}

// A draw's top 24 bits as a float on the 2^-24 grid (every value exact): in [0, 1), and in
// (0, 1] (never 0, for a log).
inline float rng_unit(uint32_t bits) { return static_cast<float>(bits >> 8) * (1.0f / 16777216.0f); }
inline float rng_unit_nonzero(uint32_t bits) {
  return static_cast<float>((bits >> 8) + 1u) * (1.0f / 16777216.0f);
}

// Uniform in [0, 1) on the 2^-24 grid: every value is exact in float.
inline float rng_uniform(Rng* r) { return rng_unit(rng_u32(r)); }

// Uniform in [lo, hi).
inline float rng_uniform(Rng* r, float lo, float hi) { return lo + (hi - lo) * rng_uniform(r); }

// Uniform integer in [0, n), n > 0, without modulo bias (rejection of the short last bucket).
inline uint32_t rng_below(Rng* r, uint32_t n) {
  const uint32_t threshold = (0u - n) % n;   // 2^32 mod n
  for (;;) {
    const uint32_t x = rng_u32(r);
    if (x >= threshold) return x % n;
  }
}

// n draws from N(0, 1), written to out[0..n). Box-Muller: u1 in (0, 1] (never 0, so the log is
// finite), u2 in [0, 1); r = sqrt(-2 ln u1); the pair is (r cos 2 pi u2, r sin 2 pi u2). Draws
// are made in pairs; an odd n drops the last pair's second value, so the stream position depends
// only on ceil(n / 2).
inline void rng_fill_normal(Rng* r, float* out, size_t n) {
  for (size_t i = 0; i < n; i += 2) {
    const float u1 = rng_unit_nonzero(rng_u32(r));
    const float u2 = rng_uniform(r);
    const float radius = rt_sqrtf(-2.0f * rt_logf(u1));
    float s, c;
    rt_sincos_2pi(u2, &s, &c);
    out[i] = radius * c;
    if (i + 1 < n) out[i + 1] = radius * s;
  }
}

}  // namespace vae_rt
