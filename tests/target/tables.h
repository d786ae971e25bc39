// tests/target/tables.h - the expected values of the on-target tests, made on the host.
//
// make_tables.cpp (a host tool, built with the training library) writes target_tables.cpp at
// build time: small weight files written by the project's own writer, and what the host's
// runtime, or its libm in double precision, says about them. The firmware only compares against
// these: no expected value is ever computed on the target itself.
//
// The model is a 36-12-4 VAE (vae::Vae<36, 12, 4>, init_params from seed 1, a 6 x 6 "image")
// with a 3-component mixture prior; seeds are tt_seeds.
#pragma once

#include <stddef.h>
#include <stdint.h>

inline constexpr size_t tt_d = 36, tt_h = 12, tt_z = 4, tt_k = 3;
inline constexpr size_t tt_nseeds = 3;
inline constexpr uint32_t tt_seeds[tt_nseeds] = {1, 2, 3};

// Weight files: the full float32 model with its prior, and its int8 decoder-only export (what
// `vae_export --decoder-only --int8` writes), also with the prior. 16-byte aligned.
extern const uint8_t tt_weights_f32[];
extern const size_t tt_weights_f32_size;
extern const uint8_t tt_weights_i8[];
extern const size_t tt_weights_i8_size;
extern const uint32_t tt_weights_f32_crc;   // crc32 of tt_weights_f32 with the CRC field zeroed

// generate() of the host's runtime: [dtype: 0 float32, 1 int8][prior: 0 N(0, I), 1 mixture]
// [seed][pixel], uint8 pixels; and its float pixels (bits) for float32, N(0, I), seed 1.
extern const uint8_t tt_pixels[2][2][tt_nseeds][tt_d];
extern const uint32_t tt_pixels_f32_bits[tt_d];

// The prior: component picked by u = i / 16 (i = 0..16, the last 0.99999994), and three draws
// (bits) from rng_seed(5, 0).
extern const uint32_t tt_prior_component[17];
extern const uint32_t tt_prior_draw_bits[3][tt_z];
extern const uint32_t tt_prior_total_bits;   // the normalizer, sum of exp(logit - max)

// RNG: rng_u32 after rng_seed(42, 54) (PCG32's own demo seed), rng_fill_normal(rng_seed(7, 3))
// (bits), rng_below(rng_seed(9, 0), 10) x 16.
extern const uint32_t tt_rng_u32[8];
extern const uint32_t tt_rng_normal_bits[17];
extern const uint32_t tt_rng_below10[16];

// Math: inputs, the host runtime's results (bits: the target must agree exactly) and libm's in
// double precision rounded to float (the accuracy reference).
inline constexpr size_t tt_nmath = 24;
extern const float tt_exp_x[tt_nmath];
extern const uint32_t tt_exp_bits[tt_nmath];
extern const double tt_exp_libm[tt_nmath];
extern const float tt_log_x[tt_nmath];
extern const uint32_t tt_log_bits[tt_nmath];
extern const double tt_log_libm[tt_nmath];
extern const float tt_sincos_u[tt_nmath];
extern const uint32_t tt_sin_bits[tt_nmath];
extern const uint32_t tt_cos_bits[tt_nmath];
extern const double tt_sin_libm[tt_nmath];
extern const double tt_cos_libm[tt_nmath];
extern const float tt_sqrt_x[tt_nmath];
extern const uint32_t tt_sqrt_bits[tt_nmath];

// Kernels: a (5, 19) layer (19: two blocks of 8 and a tail) float32 and int8, and the host
// reference kernels' outputs (bits), and the exact results in double.
inline constexpr size_t tt_rows = 5, tt_cols = 19;
extern const float tt_k_w[tt_rows * tt_cols];
extern const int8_t tt_k_q[tt_rows * tt_cols];
extern const float tt_k_scale[tt_rows];
extern const float tt_k_b[tt_rows];
extern const float tt_k_x[tt_cols];
extern const uint32_t tt_k_dense_f32_bits[tt_rows];        // dense_f32, no ReLU
extern const uint32_t tt_k_dense_f32_relu_bits[tt_rows];   // dense_f32, ReLU
extern const uint32_t tt_k_dense_i8_bits[tt_rows];         // dense_i8, no ReLU
extern const uint8_t tt_k_sigmoid_u8_f32[tt_rows];         // dense_sigmoid_u8, float32 weights
extern const uint8_t tt_k_sigmoid_u8_i8[tt_rows];          // dense_sigmoid_u8, int8 weights
extern const double tt_k_dense_f32_exact[tt_rows];         // W x + b in double
extern const double tt_k_dense_i8_exact[tt_rows];          // (Q x) scale + b in double
