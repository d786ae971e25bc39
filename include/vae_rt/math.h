// vae_rt/math.h - portable float math for the runtime and the training library.
//
// exp, log and sin/cos(2*pi*u) written out in float arithmetic, so that a seed gives the same
// Gaussian draws and the same sigmoid outputs, bit for bit, on x86-64 and on a Cortex-M4. They do
// not call the platform's libm, whatever flags the including translation unit is compiled with.
// Two conditions make the results bit-identical across platforms: IEEE single precision without
// FMA contraction (-ffp-contract=off, which vae::runtime adds to its consumers' flags), and a
// correctly rounded sqrt (rt_sqrtf: the hardware's where there is one, else an integer one).
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
// Taylor polynomials to a^9 (sin) and a^10 (cos) are good to 2e-9. The quarter turn is applied
// with selects, not a switch, so that a loop over it vectorizes (vae::fill_normal's Box-Muller);
// each case only swaps and negates, so the values are the same either way.
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
  const int quadrant = q & 3;   // 0: (sa, ca)  1: (ca, -sa)  2: (-sa, -ca)  3: (-ca, sa)
  const bool odd = (quadrant & 1) != 0;
  const float s_mag = odd ? ca : sa, c_mag = odd ? sa : ca;
  *s = quadrant >= 2 ? -s_mag : s_mag;
  *c = (quadrant == 1 || quadrant == 2) ? -c_mag : c_mag;
}

// sqrt(x), correctly rounded (as IEEE 754 requires of every sqrt), in integer arithmetic.
// x = M * 2^n with a 24-bit significand M and n even (M doubled when the exponent is odd);
// the integer square root of M * 2^38 is truncated to the 24 bits that a float keeps and rounds
// up when the part cut off exceeds half an ulp. An exact tie cannot happen: the
// square root of a float is never the midpoint of two floats. Subnormal x is normalized first;
// 0, -0 and +inf return themselves, negative x and NaN return NaN.
inline float rt_sqrtf_soft(float x) {
  const uint32_t u = float_bits(x);
  if ((u & 0x7fffffffu) == 0 || u == 0x7f800000u) return x;      // +-0, +inf
  if (u >= 0x7f800000u) return bits_float(0x7fc00000u);            // NaN, negative, -inf
  int e = static_cast<int>(u >> 23) - 127;
  uint32_t m = u & 0x007fffffu;
  if (e == -127) {                                                   // subnormal: normalize
    e = -126;
    while (!(m & 0x00800000u)) { m <<= 1; --e; }
  } else {
    m |= 0x00800000u;
  }
  // x = m * 2^(e - 23); make the power of two even, doubling m when it is odd.
  int n = e - 23;
  uint64_t big = m;
  if (n & 1) { big <<= 1; --n; }
  // big has at most 25 bits, so a = big * 2^38 < 2^63; r = floor(sqrt(a)), bit by bit, has 31
  // or 32 bits: 24 to keep and at least 7 below them to round with.
  const uint64_t a = big << 38;
  uint64_t r = 0, rem = 0;
  for (int i = 62; i >= 0; i -= 2) {
    rem = (rem << 2) | ((a >> i) & 3u);
    const uint64_t t = (r << 2) | 1u;
    r <<= 1;
    if (rem >= t) { rem -= t; r |= 1u; }
  }
  // sqrt(x) = sqrt(a) * 2^((n - 38) / 2), with r = floor(sqrt(a)) and rem = a - r^2.
  int shift = 0;                                   // cut r to 24 significant bits
  while ((r >> shift) >= (1u << 24)) ++shift;
  uint64_t q = r >> shift;
  const uint64_t cut = r - (q << shift);           // the dropped bits of r
  const uint64_t half = shift ? (uint64_t{1} << (shift - 1)) : 0;
  // Round up when sqrt(a) > (q + 1/2) * 2^shift: the dropped bits beat half, or equal it and a
  // is not a perfect square (sqrt(a) > r then).
  if (shift && (cut > half || (cut == half && rem != 0))) ++q;
  int exp2 = (n - 38) / 2 + shift;                 // sqrt(x) = q * 2^exp2
  if (q == (1u << 24)) { q >>= 1; ++exp2; }        // rounding carried into a new bit
  // q is in [2^23, 2^24): the float's exponent is exp2 + 23 (always normal for a float input).
  return bits_float((static_cast<uint32_t>(exp2 + 23 + 127) << 23) | (static_cast<uint32_t>(q) & 0x007fffffu));
}

// sqrt(x), correctly rounded. The hardware instruction where the target has one (x86-64's
// sqrtss, an FPU's vsqrt.f32, AArch64's fsqrt), written as inline assembly: __builtin_sqrtf
// would call libm's sqrtf for negative inputs (errno) in any translation unit compiled without
// -fno-math-errno, and this header compiles in the consumer's. Elsewhere (a Cortex-M0/M3,
// WebAssembly, ...) the integer version above. Both give the IEEE result, so the bits agree.
inline float rt_sqrtf(float x) {
#if defined(__x86_64__) || (defined(__i386__) && defined(__SSE__))
  float r;
  __asm__("sqrtss %1, %0" : "=x"(r) : "x"(x));
  return r;
#elif defined(__arm__) && defined(__ARM_FP) && (__ARM_FP & 4)
  float r;
  __asm__("vsqrt.f32 %0, %1" : "=t"(r) : "t"(x));
  return r;
#elif defined(__aarch64__)
  float r;
  __asm__("fsqrt %s0, %s1" : "=w"(r) : "w"(x));
  return r;
#else
  return rt_sqrtf_soft(x);
#endif
}

// The logistic sigmoid 1 / (1 + e^-x). Saturates to exactly 0 and 1 for |x| > ~88 and ~17.
inline float rt_sigmoidf(float x) { return 1.0f / (1.0f + rt_expf(-x)); }

}  // namespace vae_rt
