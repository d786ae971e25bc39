// vae_rt/math.h - portable float math for the runtime and the training library.
//
// exp, log and sin/cos(2*pi*u) written out in float arithmetic, so that a seed gives the same
// Gaussian draws and the same sigmoid outputs, bit for bit, on x86-64 and on a Cortex-M4. They do
// not call the platform's libm. Two conditions make the results bit-identical across platforms:
// IEEE single precision without FMA contraction (-ffp-contract=off, which vae::runtime adds to its
// consumers' flags), and sqrt from the hardware (correctly rounded by IEEE 754).
//
// Accuracy: exp and log within 2 ulp over their normal range; sin/cos within 2e-7 absolute.
// Not a general libm: no errno, no long double, no special care for signalling NaNs.
#pragma once

#include <stdint.h>

namespace vae_rt {

inline uint32_t float_bits(float x) { uint32_t u; __builtin_memcpy(&u, &x, 4); return u; }
inline float bits_float(uint32_t u) { float x; __builtin_memcpy(&x, &u, 4); return x; }

// exp(x). Cody-Waite reduction x = k*ln2 + r with |r| <= ln2/2, then a degree-7 Taylor polynomial
// (remainder r^8/8! < 4e-9 relative), then scaling by 2^k in two steps so that results in the
// subnormal range are still right. Branch-free (selects only), so loops over it vectorize;
// k is rounded to nearest-even by the 1.5 * 2^23 trick, exact in IEEE single precision.
inline float rt_expf(float x) {
  const float xc = x > 88.72283f ? 88.72283f : (x < -103.97208f ? -103.97208f : (x == x ? x : 0.0f));
  const float magic = 12582912.0f;                              // 1.5 * 2^23
  const float kf = (xc * 1.44269504f + magic) - magic;          // round(x / ln2)
  const float r = (xc - kf * 0.693145751953125f) - kf * 1.42860677e-06f;  // ln2 split hi + lo
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  // 2^k may not be representable by itself (k = 128, or k < -126): scale by 2^k1 * 2^k2, with
  // k1 = k >> 1 in [-75, 64] and k2 = k - k1 in [-75, 64], both normal powers of two.
  const int k = static_cast<int>(kf);
  const int k1 = k >> 1, k2 = k - k1;
  const float result = p * bits_float(static_cast<uint32_t>(k1 + 127) << 23) *
                       bits_float(static_cast<uint32_t>(k2 + 127) << 23);
  return x > 88.72283f ? bits_float(0x7f800000u)
                       : (x < -103.97208f ? 0.0f : (x == x ? result : x));
}

// log(x) for x > 0. x = m * 2^e with m in [sqrt(1/2), sqrt(2)); log(m) = 2 atanh(s) with
// s = (m-1)/(m+1), |s| <= 0.1716, summed to s^11 (remainder < 3e-10). Branch-free for
// vectorization: subnormal inputs are pre-scaled by 2^24 under a select; 0, negatives, inf and
// NaN are patched in at the end.
inline float rt_logf(float x) {
  const bool sub = x < 1.17549435e-38f;                        // subnormal (or <= 0)
  const float xs = sub ? x * 16777216.0f : x;                  // * 2^24
  const uint32_t u = float_bits(xs);
  int e = static_cast<int>((u >> 23) & 0xffu) - 127 - (sub ? 24 : 0);
  float m = bits_float((u & 0x007fffffu) | 0x3f800000u);      // [1, 2)
  const bool big = m > 1.41421356f;
  m = big ? m * 0.5f : m;
  e += big ? 1 : 0;
  const float s = (m - 1.0f) / (m + 1.0f);
  const float s2 = s * s;
  float p = 1.0f / 11.0f;
  p = p * s2 + 1.0f / 9.0f;
  p = p * s2 + 1.0f / 7.0f;
  p = p * s2 + 1.0f / 5.0f;
  p = p * s2 + 1.0f / 3.0f;
  p = p * s2 + 1.0f;
  const float ef = static_cast<float>(e);
  const float result = (ef * 1.42860677e-06f + 2.0f * s * p) + ef * 0.693145751953125f;
  const float inf = bits_float(0x7f800000u);
  return x == 0.0f ? -inf : (x < 0.0f || x != x ? bits_float(0x7fc00000u) : (x == inf ? inf : result));
}

// sin(2*pi*u) and cos(2*pi*u) for u in [0, 1]. u is split exactly into a quarter turn q and a
// remainder f in [-1/8, 1/8]; the remainder's angle a = 2*pi*f lies in [-pi/4, pi/4], where
// Taylor polynomials to a^9 (sin) and a^10 (cos) are good to 2e-9.
inline void rt_sincos_2pi(float u, float* s, float* c) {
  const int q = static_cast<int>(u * 4.0f + 0.5f);      // nearest quarter turn, 0..4
  const float f = u - static_cast<float>(q) * 0.25f;    // exact
  const float a = f * 6.28318530717958647692f;
  const float a2 = a * a;
  float sp = 1.0f / 362880.0f;
  sp = sp * a2 - 1.0f / 5040.0f;
  sp = sp * a2 + 1.0f / 120.0f;
  sp = sp * a2 - 1.0f / 6.0f;
  sp = sp * a2 + 1.0f;
  const float sa = a * sp;
  float cp = -1.0f / 3628800.0f;
  cp = cp * a2 + 1.0f / 40320.0f;
  cp = cp * a2 - 1.0f / 720.0f;
  cp = cp * a2 + 1.0f / 24.0f;
  cp = cp * a2 - 0.5f;
  const float ca = cp * a2 + 1.0f;
  switch (q & 3) {
    case 0: *s = sa; *c = ca; break;
    case 1: *s = ca; *c = -sa; break;
    case 2: *s = -sa; *c = -ca; break;
    default: *s = -ca; *c = sa; break;
  }
}

// sqrt from the hardware instruction: IEEE 754 requires it to be correctly rounded.
inline float rt_sqrtf(float x) { return __builtin_sqrtf(x); }

// The logistic sigmoid 1 / (1 + e^-x). Saturates to exactly 0 and 1 for |x| > ~88 and ~17.
inline float rt_sigmoidf(float x) { return 1.0f / (1.0f + rt_expf(-x)); }

}  // namespace vae_rt
