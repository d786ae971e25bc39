// test_kernels.cpp - the batched kernels of vae_rt/kernels.h against the reference kernels (the
// plain loops, the test oracle), bit for bit: float32 and int8 weights, batch sizes 0-5, 7, 9
// (1..4 are the kernel's own blocks, larger ones are split into groups of four), odd shapes that
// exercise every column tail (cols % 8) and row tail (rows % block), values that
// saturate the sigmoid, ReLU zeros, and -128 in int8. Each case runs on every code path this
// machine has (e.g. the SSE2 baseline and the AVX2 copy of an x86-64 build), so a mismatch names
// the path. Also: the reference dot against the documented order written out independently.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "vae_rt/kernels.h"
#include "vae_rt/rng.h"

namespace test_kernels {

namespace {

// The documented order, written again from the header's prose with no shared code.
float documented_dot(const float* w, const float* x, std::size_t n) {
  float a[8] = {};
  for (std::size_t i = 0; i < n; ++i) a[i % 8] = a[i % 8] + w[i] * x[i];
  const float s0 = a[0] + a[4], s1 = a[1] + a[5], s2 = a[2] + a[6], s3 = a[3] + a[7];
  return (s0 + s2) + (s1 + s3);
}

// A random layer (rows, cols) in the layout of a weight file, float32 or int8.
struct Layer {
  std::vector<float> w, scale, b;
  std::vector<std::int8_t> q;
  vae_rt::DenseView view(bool int8) const {
    vae_rt::DenseView v;
    v.dtype = int8 ? vae_rt::format::Dtype::int8 : vae_rt::format::Dtype::float32;
    v.w = int8 ? nullptr : w.data();
    v.q = int8 ? q.data() : nullptr;
    v.scale = int8 ? scale.data() : nullptr;
    v.b = b.data();
    v.rows = static_cast<std::uint32_t>(b.size());
    v.cols = static_cast<std::uint32_t>(b.empty() ? 0 : w.size() / b.size());
    return v;
  }
};

// gain scales the weights: 1 keeps pre-activations around +-1, 40 pushes many past the
// sigmoid's saturation (exactly 0 and 1) and past pixel 0 / 255.
Layer make_layer(std::size_t rows, std::size_t cols, float gain, vae_rt::Rng* rng) {
  Layer l;
  l.w.resize(rows * cols);
  l.q.resize(rows * cols);
  l.scale.resize(rows);
  l.b.resize(rows);
  for (std::size_t i = 0; i < rows * cols; ++i) {
    l.w[i] = gain * vae_rt::rng_uniform(rng, -1, 1);
    l.q[i] = static_cast<std::int8_t>(int(vae_rt::rng_below(rng, 256)) - 128);   // -128 too
  }
  for (std::size_t r = 0; r < rows; ++r) {
    l.scale[r] = gain * vae_rt::rng_uniform(rng, 0, 0.02f);
    l.b[r] = vae_rt::rng_uniform(rng, -1, 1);
  }
  if (rows > 2) l.scale[1] = 0.0f;   // an all-zero int8 row has scale 0
  return l;
}

// Inputs (n, cols): a quarter of them exactly zero, like ReLU outputs.
std::vector<float> make_inputs(std::size_t n, std::size_t cols, vae_rt::Rng* rng) {
  std::vector<float> x(n * cols);
  for (float& v : x) v = vae_rt::rng_below(rng, 4) == 0 ? 0.0f : vae_rt::rng_uniform(rng, -1, 1);
  return x;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

// The code paths of this build on this machine: the baseline, and the dispatched one if it
// differs. Restores dispatch afterwards.
std::vector<bool> paths() {
  const std::string base = vae_rt::kernel_allow_dispatch(false);
  const std::string best = vae_rt::kernel_allow_dispatch(true);
  return base == best ? std::vector<bool>{true} : std::vector<bool>{false, true};
}

TEST(Kernels, ReferenceDotFollowsTheDocumentedOrderBitForBit) {
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 7, 0);
  for (std::size_t n : {1u, 3u, 7u, 8u, 9u, 15u, 16u, 17u, 20u, 33u, 400u, 401u}) {
    std::vector<float> w(n), x(n), qf(n);
    std::vector<std::int8_t> q(n);
    for (std::size_t i = 0; i < n; ++i) {
      w[i] = vae_rt::rng_uniform(&rng, -1, 1);
      x[i] = vae_rt::rng_uniform(&rng, -1, 1);
      q[i] = static_cast<std::int8_t>(int(vae_rt::rng_below(&rng, 256)) - 128);
      qf[i] = q[i];
    }
    EXPECT_EQ(vae_rt::dot_f32(w.data(), x.data(), n), documented_dot(w.data(), x.data(), n)) << n;
    EXPECT_EQ(vae_rt::dot_i8(q.data(), x.data(), n), documented_dot(qf.data(), x.data(), n)) << n;
  }
}

TEST(Kernels, IsaIsNamed) {
  const std::string isa = vae_rt::kernel_isa();
  EXPECT_TRUE(isa == "avx2" || isa == "sse2" || isa == "scalar") << isa;
  std::printf("batched kernels on this machine: %s (build baseline %s)\n", isa.c_str(),
              vae_rt::kernel_allow_dispatch(false));
  vae_rt::kernel_allow_dispatch(true);
}

// Every layer kind, every batch size, every path: batched == reference, bit for bit.
TEST(Kernels, BatchedEqualsReferenceBitForBit) {
  struct Shape {
    std::size_t rows, cols;
  };
  // 784x400 and 400x20 are the decoder's; the others hit every column tail (cols % 8 = 0..7,
  // with and without whole groups of 8) and row counts that leave a partial block and a
  // partial chunk of rows.
  const Shape shapes[] = {{784, 400}, {400, 20}, {1, 1},   {3, 7},   {11, 13}, {7, 8},
                          {9, 16},    {5, 17},   {33, 31}, {70, 24}, {13, 40}, {37, 3},
                          {19, 10},   {8, 22},   {5, 6},   {41, 2}};
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 21, 0);
  std::size_t cases = 0;
  for (const Shape& sh : shapes) {
    for (float gain : {1.0f, 40.0f}) {
      const Layer layer = make_layer(sh.rows, sh.cols, gain, &rng);
      for (std::size_t n : {0u, 1u, 2u, 3u, 4u, 5u, 7u, 9u}) {
        if (sh.rows * sh.cols > 10000 && n > 5) continue;   // the big layer: up to 5 is enough
        const std::vector<float> x = make_inputs(n, sh.cols, &rng);
        for (bool int8 : {false, true}) {
          const vae_rt::DenseView v = layer.view(int8);
          // The reference, vector by vector.
          std::vector<float> ref_lin(n * sh.rows), ref_relu(n * sh.rows), ref_sig(n * sh.rows);
          std::vector<std::uint8_t> ref_px(n * sh.rows);
          for (std::size_t j = 0; j < n; ++j) {
            const float* xj = x.data() + j * sh.cols;
            float* yl = ref_lin.data() + j * sh.rows;
            float* yr = ref_relu.data() + j * sh.rows;
            if (int8) {
              vae_rt::dense_i8(yl, v.q, v.scale, v.b, xj, sh.rows, sh.cols, false);
              vae_rt::dense_i8(yr, v.q, v.scale, v.b, xj, sh.rows, sh.cols, true);
            } else {
              vae_rt::dense_f32(yl, v.w, v.b, xj, sh.rows, sh.cols, false);
              vae_rt::dense_f32(yr, v.w, v.b, xj, sh.rows, sh.cols, true);
            }
            vae_rt::dense_sigmoid_f32(ref_sig.data() + j * sh.rows, v.w, v.q, v.scale, v.b, xj,
                                      sh.rows, sh.cols);
            vae_rt::dense_sigmoid_u8(ref_px.data() + j * sh.rows, v.w, v.q, v.scale, v.b, xj,
                                     sh.rows, sh.cols);
          }
          for (bool dispatch : paths()) {
            const std::string isa = vae_rt::kernel_allow_dispatch(dispatch);
            const std::string what = isa + (int8 ? " int8 " : " float32 ") +
                                     std::to_string(sh.rows) + "x" + std::to_string(sh.cols) +
                                     " n " + std::to_string(n) + " gain " + std::to_string(gain);
            std::vector<float> lin(n * sh.rows, -7.0f), relu(n * sh.rows, -7.0f),
                sig(n * sh.rows, -7.0f);
            std::vector<std::uint8_t> px(n * sh.rows, 77);
            vae_rt::dense_batch(lin.data(), v, x.data(), n, false);
            vae_rt::dense_batch(relu.data(), v, x.data(), n, true);
            vae_rt::dense_sigmoid_batch_f32(sig.data(), v, x.data(), n);
            vae_rt::dense_sigmoid_batch_u8(px.data(), v, x.data(), n);
            EXPECT_TRUE(same_bits(lin, ref_lin)) << what;
            EXPECT_TRUE(same_bits(relu, ref_relu)) << what;
            EXPECT_TRUE(same_bits(sig, ref_sig)) << what;
            EXPECT_EQ(px, ref_px) << what;
            ++cases;
          }
          vae_rt::kernel_allow_dispatch(true);
        }
      }
    }
  }
  std::printf("%zu cases, each of 4 kernels, bit-identical to the reference\n", cases);
}

// A column tail reads eight weights and masks the ones past the row: what lies there (here the
// next row's first weights, made infinite) must not leak into the row's sum.
TEST(Kernels, ColumnTailIgnoresTheNextRow) {
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 23, 0);
  const std::size_t rows = 24, cols = 13;   // tails of 5: 3 weights of the next row are read
  Layer layer = make_layer(rows, cols, 1.0f, &rng);
  const float inf = std::numeric_limits<float>::infinity();
  for (std::size_t r = 1; r < rows; r += 2) layer.w[r * cols] = inf;
  const std::vector<float> x = make_inputs(3, cols, &rng);
  for (bool dispatch : paths()) {
    const std::string isa = vae_rt::kernel_allow_dispatch(dispatch);
    std::vector<float> y(3 * rows);
    vae_rt::dense_batch(y.data(), layer.view(false), x.data(), 3, false);
    for (std::size_t j = 0; j < 3; ++j) {
      for (std::size_t r = 0; r < rows; r += 2) {   // even rows are finite
        float ref;
        vae_rt::dense_f32(&ref, layer.w.data() + r * cols, layer.b.data() + r,
                          x.data() + j * cols, 1, cols, false);
        EXPECT_EQ(y[j * rows + r], ref) << isa << " row " << r << " vector " << j;
      }
    }
  }
  vae_rt::kernel_allow_dispatch(true);
}

// The saturating inputs really reach the sigmoid's ends and the pixel clamps (so the vector
// sigmoid and the branch-free pixel rounding are tested at their edges).
TEST(Kernels, SaturationIsCovered) {
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 22, 0);
  const Layer layer = make_layer(784, 400, 40.0f, &rng);
  const std::vector<float> x = make_inputs(3, 400, &rng);
  std::vector<float> sig(3 * 784);
  std::vector<std::uint8_t> px(3 * 784);
  vae_rt::dense_sigmoid_batch_f32(sig.data(), layer.view(false), x.data(), 3);
  vae_rt::dense_sigmoid_batch_u8(px.data(), layer.view(false), x.data(), 3);
  std::size_t zeros = 0, ones = 0, px0 = 0, px255 = 0;
  for (std::size_t k = 0; k < sig.size(); ++k) {
    zeros += sig[k] == 0.0f;
    ones += sig[k] == 1.0f;
    px0 += px[k] == 0;
    px255 += px[k] == 255;
  }
  EXPECT_GT(zeros, 0u);
  EXPECT_GT(ones, 0u);
  EXPECT_GT(px0, 0u);
  EXPECT_GT(px255, 0u);
}

// pixel_u8 on the exact rounding boundaries and specials (the batched kernels use a
// select-only copy of it; BatchedEqualsReference compares the two on real sigmoid outputs).
TEST(Kernels, PixelRoundingIsHalfUpAndClamped) {
  EXPECT_EQ(vae_rt::pixel_u8(0.0f), 0);
  EXPECT_EQ(vae_rt::pixel_u8(1.0f), 255);
  EXPECT_EQ(vae_rt::pixel_u8(0.5f), 128);          // 127.5 rounds up
  EXPECT_EQ(vae_rt::pixel_u8(1.0f / 255.0f), 1);
  EXPECT_EQ(vae_rt::pixel_u8(0.49f / 255.0f), 0);
  EXPECT_EQ(vae_rt::pixel_u8(-1.0f), 0);
  EXPECT_EQ(vae_rt::pixel_u8(2.0f), 255);
  EXPECT_EQ(vae_rt::pixel_u8(std::nanf("")), 0);
  for (int v = 0; v <= 255; ++v) EXPECT_EQ(vae_rt::pixel_u8(v / 255.0f), v);
}

}  // namespace

}  // namespace test_kernels
