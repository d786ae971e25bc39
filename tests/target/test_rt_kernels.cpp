// test_rt_kernels.cpp - the reference kernels (vae_rt/kernels.h), float32 and int8: the host's
// bits for a (5, 19) layer (two blocks of 8 and a tail), close to the exact double result, and
// the batched kernels equal to the reference ones; on the host and on the target.
#include "tables.h"
#include "vae_rt/kernels.h"
#include "vae_rt/math.h"
#include "vtest.h"

namespace {
constexpr size_t R = tt_rows, C = tt_cols;
}

TEST(RtKernels, DenseF32MatchesHost) {
  float y[R];
  vae_rt::dense_f32(y, tt_k_w, tt_k_b, tt_k_x, R, C, false);
  for (size_t r = 0; r < R; ++r) {
    EXPECT_EQ(vae_rt::float_bits(y[r]), tt_k_dense_f32_bits[r]);
    EXPECT_NEAR(y[r], tt_k_dense_f32_exact[r], 1e-5);
  }
  vae_rt::dense_f32(y, tt_k_w, tt_k_b, tt_k_x, R, C, true);
  for (size_t r = 0; r < R; ++r) {
    EXPECT_EQ(vae_rt::float_bits(y[r]), tt_k_dense_f32_relu_bits[r]);
    EXPECT_GE(y[r], 0.0f);
  }
}

TEST(RtKernels, DenseI8MatchesHost) {
  float y[R];
  vae_rt::dense_i8(y, tt_k_q, tt_k_scale, tt_k_b, tt_k_x, R, C, false);
  for (size_t r = 0; r < R; ++r) {
    EXPECT_EQ(vae_rt::float_bits(y[r]), tt_k_dense_i8_bits[r]);
    EXPECT_NEAR(y[r], tt_k_dense_i8_exact[r], 1e-5);
  }
}

TEST(RtKernels, DotIsTheDocumentedOrder) {
  // dot of a row with itself through dot_f32 and dot_i8 against the kernels' dense outputs.
  float y[R];
  vae_rt::dense_f32(y, tt_k_w, tt_k_b, tt_k_x, R, C, false);
  for (size_t r = 0; r < R; ++r) {
    EXPECT_EQ(vae_rt::float_bits(vae_rt::dot_f32(tt_k_w + r * C, tt_k_x, C) + tt_k_b[r]),
              vae_rt::float_bits(y[r]));
  }
  const float ones[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  const int8_t q[8] = {-128, 127, 1, -1, 2, -2, 3, 0};
  EXPECT_EQ(vae_rt::dot_i8(q, ones, 8), 2.0f);
  EXPECT_EQ(vae_rt::dot_f32(ones, ones, 0), 0.0f);
}

TEST(RtKernels, SigmoidU8MatchesHost) {
  uint8_t u8[R];
  vae_rt::dense_sigmoid_u8(u8, tt_k_w, nullptr, nullptr, tt_k_b, tt_k_x, R, C);
  for (size_t r = 0; r < R; ++r) EXPECT_EQ(u8[r], tt_k_sigmoid_u8_f32[r]);
  vae_rt::dense_sigmoid_u8(u8, nullptr, tt_k_q, tt_k_scale, tt_k_b, tt_k_x, R, C);
  for (size_t r = 0; r < R; ++r) EXPECT_EQ(u8[r], tt_k_sigmoid_u8_i8[r]);
  float p[R];
  vae_rt::dense_sigmoid_f32(p, tt_k_w, nullptr, nullptr, tt_k_b, tt_k_x, R, C);
  for (size_t r = 0; r < R; ++r) EXPECT_EQ(vae_rt::pixel_u8(p[r]), tt_k_sigmoid_u8_f32[r]);
}

TEST(RtKernels, PixelRounding) {
  EXPECT_EQ(vae_rt::pixel_u8(0.0f), 0);
  EXPECT_EQ(vae_rt::pixel_u8(1.0f), 255);
  EXPECT_EQ(vae_rt::pixel_u8(0.5f), 128);   // 127.5 + 0.5
  EXPECT_EQ(vae_rt::pixel_u8(-3.0f), 0);
  EXPECT_EQ(vae_rt::pixel_u8(7.0f), 255);
  EXPECT_EQ(vae_rt::pixel_u8(vae_rt::bits_float(0x7fc00000u)), 0);   // NaN
}

TEST(RtKernels, BatchedEqualsReference) {
  vae_rt::DenseView f32;
  f32.w = tt_k_w;
  f32.b = tt_k_b;
  f32.rows = R;
  f32.cols = C;
  vae_rt::DenseView i8 = f32;
  i8.dtype = vae_rt::format::Dtype::int8;
  i8.w = nullptr;
  i8.q = tt_k_q;
  i8.scale = tt_k_scale;
  // Five input vectors: one full group of batch_kernel_max and a tail.
  float x[5 * C];
  for (size_t j = 0; j < 5; ++j) {
    for (size_t c = 0; c < C; ++c) x[j * C + c] = tt_k_x[c] * static_cast<float>(j + 1) - 0.25f * static_cast<float>(j);
  }
  float yb[5 * R], yr[R];
  uint8_t ub[5 * R], ur[R];
  const vae_rt::DenseView* layers[2] = {&f32, &i8};
  for (const vae_rt::DenseView* l : layers) {
    vae_rt::dense_batch(yb, *l, x, 5, true);
    vae_rt::dense_sigmoid_batch_u8(ub, *l, x, 5);
    for (size_t j = 0; j < 5; ++j) {
      if (l->q) {
        vae_rt::dense_i8(yr, l->q, l->scale, l->b, x + j * C, R, C, true);
      } else {
        vae_rt::dense_f32(yr, l->w, l->b, x + j * C, R, C, true);
      }
      vae_rt::dense_sigmoid_u8(ur, l->w, l->q, l->scale, l->b, x + j * C, R, C);
      for (size_t r = 0; r < R; ++r) {
        EXPECT_EQ(vae_rt::float_bits(yb[j * R + r]), vae_rt::float_bits(yr[r]));
        EXPECT_EQ(ub[j * R + r], ur[r]);
      }
    }
  }
}
