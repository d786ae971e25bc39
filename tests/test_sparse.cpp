// test_sparse.cpp - the sparse-aware first layer (lib/train/sparse.cpp, vae/sparse.hpp): its
// kernels against a double-precision dense reference, on random sparse batches of awkward sizes,
// in both kernel variants (AVX-512 where the CPU has it, portable); one training step's gradients
// on MNIST against the dense path; exact zeros in dW for pixels zero in the whole batch; and the
// path choice from the data's density.
#include "vae/sparse.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "mnist_fixture.hpp"
#include "vae/blas.hpp"
#include "vae/trainer.hpp"
#include "vae/vae.hpp"
#include "vae_rt/rng.h"

namespace test_sparse {

namespace {

using vae::FirstLayerPath;
using vae_test::mnist;

// max |a - ref| / max |ref| over n values (the error relative to the tensor's scale).
double rel_error(const float* a, const double* ref, std::size_t n) {
  double diff = 0.0, scale = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    diff = std::max(diff, std::fabs(static_cast<double>(a[i]) - ref[i]));
    scale = std::max(scale, std::fabs(ref[i]));
  }
  return scale > 0.0 ? diff / scale : diff;
}

struct Case {
  std::size_t D, H, B, max_batch;
  float density;
};

// y = act(bias + x W^T) and dW = dy^T x, by each sparse-aware path, against double sums; dy has
// whole zero columns (units whose dW rows the sparse kernel skips).
// The sparse kernels' instruction sets, each at most (a CPU without one runs the next below it).
constexpr vae::SparseIsa kIsas[] = {vae::SparseIsa::avx512, vae::SparseIsa::avx2, vae::SparseIsa::portable};

void check_kernels(const Case& c, FirstLayerPath path, vae::SparseIsa isa, bool relu) {
  vae::set_sparse_isa(isa);
  SCOPED_TRACE("D " + std::to_string(c.D) + " H " + std::to_string(c.H) + " B " + std::to_string(c.B) +
               " density " + std::to_string(c.density) + " " + vae::first_layer_name(path) + " " +
               vae::sparse_isa_name(vae::sparse_isa()) + (relu ? " relu" : ""));
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 11, 0);
  std::vector<float> x(c.B * c.D, 0.0f), w(c.H * c.D), dy(c.B * c.H), y(c.B * c.H, 5.0f), dw(c.H * c.D, 7.0f),
      bias(c.H);
  // Sparse x with whole zero columns: every third column is zero in the whole batch.
  for (std::size_t r = 0; r < c.B; ++r) {
    for (std::size_t j = 0; j < c.D; ++j) {
      const float u = vae_rt::rng_uniform(&rng, 0.0f, 1.0f);
      if (j % 3 != 1 && u < c.density) x[r * c.D + j] = static_cast<float>(1 + (r * 7 + j) % 255) / 255.0f;
    }
  }
  for (float& v : w) v = vae_rt::rng_uniform(&rng, -0.05f, 0.05f);
  // Units 0, 5, 10, ... have a zero dy column (a ReLU unit dead for the whole batch); the others
  // have a zero now and then.
  for (std::size_t i = 0; i < dy.size(); ++i) {
    const float v = vae_rt::rng_uniform(&rng, -1.0f, 1.0f);
    dy[i] = i % c.H % 5 == 0 || v > 0.7f ? 0.0f : v;
  }
  for (std::size_t o = 0; o < c.H; ++o) bias[o] = 0.01f * static_cast<float>(o % 7) - 0.02f;

  std::vector<double> y_ref(y.size()), dw_ref(dw.size(), 0.0);
  for (std::size_t r = 0; r < c.B; ++r) {
    for (std::size_t o = 0; o < c.H; ++o) {
      double s = bias[o];
      for (std::size_t j = 0; j < c.D; ++j) s += static_cast<double>(x[r * c.D + j]) * w[o * c.D + j];
      y_ref[r * c.H + o] = relu && !(s > 0.0) ? 0.0 : s;
    }
  }
  for (std::size_t o = 0; o < c.H; ++o) {
    for (std::size_t j = 0; j < c.D; ++j) {
      double s = 0.0;
      for (std::size_t r = 0; r < c.B; ++r) s += static_cast<double>(dy[r * c.H + o]) * x[r * c.D + j];
      dw_ref[o * c.D + j] = s;
    }
  }

  vae::Arena arena(vae::SparseBatch::bytes(c.D, c.H, c.max_batch));
  vae::SparseBatch s;
  s.carve(arena, c.D, c.H, c.max_batch);
  EXPECT_EQ(arena.used(), vae::SparseBatch::bytes(c.D, c.H, c.max_batch));
  if (path == FirstLayerPath::packed) {
    vae::packed_index(s, x.data(), c.B);
    vae::packed_xwt(y.data(), w.data(), bias.data(), relu, s);
    vae::packed_dytx(dw.data(), dy.data(), s);
  } else {
    vae::sparse_index(s, x.data(), c.B);
    vae::sparse_xwt(y.data(), w.data(), bias.data(), relu, s);
    vae::sparse_dytx(dw.data(), dy.data(), s);
  }
  EXPECT_LE(rel_error(y.data(), y_ref.data(), y.size()), 5e-6);
  EXPECT_LE(rel_error(dw.data(), dw_ref.data(), dw.size()), 5e-6);
  // Columns zero in the whole batch: exactly zero in dW (and every other zero column too).
  std::size_t zero_cols = 0;
  for (std::size_t j = 0; j < c.D; ++j) {
    bool any = false;
    for (std::size_t r = 0; r < c.B; ++r) any = any || x[r * c.D + j] != 0.0f;
    if (any) continue;
    ++zero_cols;
    for (std::size_t o = 0; o < c.H; ++o) {
      ASSERT_EQ(dw[o * c.D + j], 0.0f) << "dW[" << o << ", " << j << "]";
      ASSERT_FALSE(std::signbit(dw[o * c.D + j])) << "dW[" << o << ", " << j << "] is -0";
    }
  }
  EXPECT_GE(zero_cols, c.D / 3);
  EXPECT_EQ(s.K, c.D - zero_cols);
  // Units with a zero dy column: exactly zero rows of dW.
  for (std::size_t o = 0; o < c.H; o += 5) {
    for (std::size_t j = 0; j < c.D; ++j) {
      ASSERT_EQ(dw[o * c.D + j], 0.0f) << "dW[" << o << ", " << j << "]";
      ASSERT_FALSE(std::signbit(dw[o * c.D + j])) << "dW[" << o << ", " << j << "] is -0";
    }
  }
  if (relu) {
    for (float v : y) {
      ASSERT_GE(v, 0.0f);
      ASSERT_FALSE(std::signbit(v)) << "ReLU gave -0";
    }
  }
  vae::set_sparse_simd(true);
}

TEST(SparseFirstLayer, KernelsMatchADoubleReferenceOnAwkwardShapes) {
  const Case cases[] = {
      {784, 400, 128, 128, 0.2f},   // the model's shape
      {784, 400, 37, 128, 0.2f},    // a partial last batch
      {50, 23, 5, 8, 0.5f},         // H not a multiple of 16, D not of 16
      {33, 200, 17, 20, 0.9f},      // nearly dense; 200 = 128 + 4 x 16 + 8
      {40, 600, 9, 9, 0.3f},        // H wider than two chunks at one thread
      {16, 16, 1, 1, 0.0f},         // an all-zero batch
  };
  // 4 threads, 80 images: the AVX-512 index splits the rows as 32 + 32 + 16 + none and the columns
  // in 4 parts; the part without rows still indexes its columns. (Without AVX-512 the portable
  // loops run this case, which split rows and columns in dispatches of their own.)
  vae::set_blas_threads(4);
  for (bool relu : {false, true}) {
    for (vae::SparseIsa isa : kIsas) check_kernels({300, 40, 80, 80, 0.3f}, FirstLayerPath::sparse, isa, relu);
  }
  for (int threads : {1, 2}) {
    vae::set_blas_threads(threads);
    for (const Case& c : cases) {
      for (FirstLayerPath p : {FirstLayerPath::sparse, FirstLayerPath::packed}) {
        for (bool relu : {false, true}) {
          for (vae::SparseIsa isa : kIsas) check_kernels(c, p, isa, relu);
        }
      }
    }
  }
}

// The kernels' results do not depend on the thread count (each output element is computed by one
// part, in an order fixed by the data): y and dW bit for bit at 1, 2, 3 and 4 threads.
TEST(SparseFirstLayer, ResultsDoNotDependOnTheThreadCount) {
  const std::size_t D = 300, H = 200, B = 70;
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 17, 0);
  std::vector<float> x(B * D, 0.0f), w(H * D), dy(B * H), bias(H);
  for (float& v : x) v = vae_rt::rng_uniform(&rng, 0.0f, 1.0f) < 0.2f ? vae_rt::rng_uniform(&rng, 0.0f, 1.0f) : 0.0f;
  for (float& v : w) v = vae_rt::rng_uniform(&rng, -0.05f, 0.05f);
  for (std::size_t i = 0; i < dy.size(); ++i) dy[i] = i % H % 3 == 0 ? 0.0f : vae_rt::rng_uniform(&rng, -1.0f, 1.0f);
  for (float& v : bias) v = vae_rt::rng_uniform(&rng, -0.1f, 0.1f);
  vae::Arena arena(vae::SparseBatch::bytes(D, H, B));
  vae::SparseBatch s;
  s.carve(arena, D, H, B);
  std::vector<float> y_first, dw_first;
  for (vae::SparseIsa isa : kIsas) {
    vae::set_sparse_isa(isa);
    for (int threads : {1, 2, 3, 4}) {
      SCOPED_TRACE(std::string(vae::sparse_isa_name(vae::sparse_isa())) + ", threads " + std::to_string(threads));
      vae::set_blas_threads(threads);
      std::vector<float> y(B * H), dw(H * D);
      vae::sparse_index(s, x.data(), B);
      vae::sparse_xwt(y.data(), w.data(), bias.data(), true, s);
      vae::sparse_dytx(dw.data(), dy.data(), s);
      if (threads == 1) {
        y_first = y;
        dw_first = dw;
        continue;
      }
      EXPECT_EQ(std::memcmp(y.data(), y_first.data(), y.size() * sizeof(float)), 0);
      EXPECT_EQ(std::memcmp(dw.data(), dw_first.data(), dw.size() * sizeof(float)), 0);
    }
  }
  vae::set_sparse_simd(true);
  vae::set_blas_threads(2);
}

// The AVX2 kernels take every sum in the AVX-512 kernels' order with the same fused multiply-adds:
// the index, y and dW are the same bit for bit, on shapes whose parts end mid-vector (H 200 at 3
// threads: 80 + 64 + 56, a masked tail of 8 lanes; D 300: the last block of 16 columns half used).
TEST(SparseFirstLayer, Avx2KernelsGiveTheAvx512KernelsBits) {
  vae::set_sparse_isa(vae::SparseIsa::avx512);
  const bool both = vae::sparse_isa() == vae::SparseIsa::avx512;
  vae::set_sparse_isa(vae::SparseIsa::avx2);
  const bool avx2 = vae::sparse_isa() == vae::SparseIsa::avx2;
  vae::set_sparse_simd(true);
  if (!both) GTEST_SKIP() << "this CPU has no AVX-512 to compare the AVX2 kernels with (AVX2 "
                          << (avx2 ? "runs" : "does not run") << " here; KernelsMatchADoubleReference... checks it)";
  for (std::size_t H : {std::size_t{200}, std::size_t{400}, std::size_t{23}}) {
    const std::size_t D = H == 23 ? 50 : 300, B = 70;
    vae_rt::Rng rng;
    vae_rt::rng_seed(&rng, 23, 0);
    std::vector<float> x(B * D, 0.0f), w(H * D), dy(B * H), bias(H);
    for (float& v : x) v = vae_rt::rng_uniform(&rng, 0.0f, 1.0f) < 0.25f ? vae_rt::rng_uniform(&rng, -1.0f, 1.0f) : 0.0f;
    for (float& v : w) v = vae_rt::rng_uniform(&rng, -0.05f, 0.05f);
    for (std::size_t i = 0; i < dy.size(); ++i) dy[i] = i % H % 3 == 0 ? 0.0f : vae_rt::rng_uniform(&rng, -1.0f, 1.0f);
    for (float& v : bias) v = vae_rt::rng_uniform(&rng, -0.1f, 0.1f);
    vae::Arena arena(2 * vae::SparseBatch::bytes(D, H, B));
    vae::SparseBatch s[2];
    std::vector<float> y[2], dw[2];
    for (int k = 0; k < 2; ++k) {
      SCOPED_TRACE("H " + std::to_string(H) + (k == 0 ? " AVX-512" : " AVX2"));
      vae::set_sparse_isa(k == 0 ? vae::SparseIsa::avx512 : vae::SparseIsa::avx2);
      vae::set_blas_threads(3);
      s[k].carve(arena, D, H, B);
      y[k].assign(B * H, 5.0f);
      dw[k].assign(H * D, 7.0f);
      vae::sparse_index(s[k], x.data(), B);
      vae::sparse_xwt(y[k].data(), w.data(), bias.data(), /*relu=*/k == 0 || H != 23, s[k]);
      vae::sparse_dytx(dw[k].data(), dy.data(), s[k]);
    }
    ASSERT_EQ(s[0].nnz, s[1].nnz);
    ASSERT_EQ(s[0].K, s[1].K);
    EXPECT_GT(s[0].nnz, B * D / 5);
    for (std::size_t r = 0; r < B; ++r) {
      ASSERT_EQ(s[0].row_nnz[r], s[1].row_nnz[r]);
      for (std::size_t b = 0; b <= s[0].col_blocks; ++b) {
        ASSERT_EQ(s[0].row_blocks[r * (s[0].col_blocks + 1) + b], s[1].row_blocks[r * (s[1].col_blocks + 1) + b]);
      }
      EXPECT_EQ(std::memcmp(s[0].xcol + r * s[0].row_stride, s[1].xcol + r * s[1].row_stride, s[0].row_nnz[r] * 2), 0);
      EXPECT_EQ(std::memcmp(s[0].xval + r * s[0].row_stride, s[1].xval + r * s[1].row_stride, s[0].row_nnz[r] * 4), 0);
    }
    for (std::size_t j = 0; j < D; ++j) {
      ASSERT_EQ(s[0].col_nnz[j], s[1].col_nnz[j]) << "column " << j;
      EXPECT_EQ(std::memcmp(s[0].crow + j * B, s[1].crow + j * B, s[0].col_nnz[j] * 2), 0) << "column " << j;
      EXPECT_EQ(std::memcmp(s[0].cval + j * B, s[1].cval + j * B, s[0].col_nnz[j] * 4), 0) << "column " << j;
    }
    if (H == 23) {
      // Without ReLU on one side: the sums before it are the same too (ReLU only clamps).
      for (float& v : y[1]) v = v > 0.0f ? v : 0.0f;
    }
    EXPECT_EQ(std::memcmp(y[0].data(), y[1].data(), y[0].size() * sizeof(float)), 0) << "H " << H;
    EXPECT_EQ(std::memcmp(dw[0].data(), dw[1].data(), dw[0].size() * sizeof(float)), 0) << "H " << H;
  }
  vae::set_sparse_simd(true);
  vae::set_blas_threads(2);
}

// The gradients of one step on a real MNIST batch: every parameter block of the sparse (and the
// packed) path against the dense path, at 1e-5 of the block's largest gradient.
TEST(SparseFirstLayer, OneStepGradientsMatchTheDensePath) {
  vae::set_blas_threads(2);
  using Model = vae::Vae784_400_20;
  const vae::ImageSet& images = mnist(vae::Split::train).images;
  std::vector<std::uint32_t> idx(128);
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<std::uint32_t>(i * 37 + 5);
  auto grads_of = [&](FirstLayerPath path, std::vector<float>& h) {
    auto m = std::make_unique<Model>(128);
    vae_rt::Rng rng;
    vae_rt::rng_seed(&rng, 3, 0);
    m->init_params(rng);
    m->enc.first_layer = path;
    vae::stage_batch(m->x.data(), images, idx.data(), 128);
    vae_rt::rng_fill_normal(&rng, m->eps.data(), 128 * 20);
    const vae::LossSpec spec{vae::Recon::bce, 1.0f};
    m->train_step_given_eps(128, spec, vae::AdamConfig{});
    h.assign(m->enc.h.data(), m->enc.h.data() + 128 * 400);
    return std::vector<float>(m->grads.data(), m->grads.data() + Model::num_params);
  };
  std::vector<float> h_dense, h_sparse, h_packed;
  const std::vector<float> dense = grads_of(FirstLayerPath::dense, h_dense);
  const std::vector<float> sparse = grads_of(FirstLayerPath::sparse, h_sparse);
  const std::vector<float> packed = grads_of(FirstLayerPath::packed, h_packed);
  struct Block { const char* name; std::size_t size; };
  const Block blocks[] = {{"enc_fc_w", 400 * 784}, {"enc_fc_b", 400},    {"enc_mu_w", 20 * 400},
                          {"enc_mu_b", 20},        {"enc_logvar_w", 20 * 400}, {"enc_logvar_b", 20},
                          {"dec_fc_w", 400 * 20},  {"dec_fc_b", 400},    {"dec_out_w", 784 * 400},
                          {"dec_out_b", 784}};
  std::size_t at = 0;
  for (const Block& b : blocks) {
    std::vector<double> ref(dense.begin() + at, dense.begin() + at + b.size);
    const double es = rel_error(sparse.data() + at, ref.data(), b.size);
    const double ep = rel_error(packed.data() + at, ref.data(), b.size);
    std::printf("%-13s sparse %.2e packed %.2e (max |a - dense| / max |dense|)\n", b.name, es, ep);
    EXPECT_LE(es, 1e-5) << b.name;
    EXPECT_LE(ep, 1e-5) << b.name;
    at += b.size;
  }
  EXPECT_EQ(at, Model::num_params);
  const std::vector<double> h_ref(h_dense.begin(), h_dense.end());
  EXPECT_LE(rel_error(h_sparse.data(), h_ref.data(), h_ref.size()), 1e-6);
  // Pixels zero in the whole batch: their enc_fc_w gradient columns are exactly zero.
  std::size_t zero_cols = 0;
  for (std::size_t j = 0; j < 784; ++j) {
    bool any = false;
    for (std::uint32_t i : idx) any = any || vae::image_data(images, i)[j] != 0;
    if (any) continue;
    ++zero_cols;
    for (std::size_t o = 0; o < 400; ++o) {
      ASSERT_EQ(sparse[o * 784 + j], 0.0f);
      ASSERT_EQ(packed[o * 784 + j], 0.0f);
    }
  }
  EXPECT_GT(zero_cols, 100u);   // MNIST: ~250 of 784 in a batch of 128
}

TEST(SparseFirstLayer, TheTrainerChoosesByDensity) {
  vae::set_sparse_simd(true);   // the best this CPU has
  EXPECT_EQ(vae::choose_first_layer(FirstLayerPath::automatic, 0.191),
            vae::sparse_simd() ? FirstLayerPath::sparse : FirstLayerPath::dense);   // MNIST
  vae::set_sparse_isa(vae::SparseIsa::avx2);   // the AVX2 kernels win on MNIST too
  EXPECT_EQ(vae::choose_first_layer(FirstLayerPath::automatic, 0.191),
            vae::sparse_isa() == vae::SparseIsa::avx2 ? FirstLayerPath::sparse : FirstLayerPath::dense);
  vae::set_sparse_simd(false);   // the portable loops lose to dense sgemm: dense
  EXPECT_EQ(vae::choose_first_layer(FirstLayerPath::automatic, 0.191), FirstLayerPath::dense);
  vae::set_sparse_simd(true);
  EXPECT_EQ(vae::choose_first_layer(FirstLayerPath::automatic, 0.502), FirstLayerPath::dense);    // Fashion-MNIST
  EXPECT_EQ(vae::choose_first_layer(FirstLayerPath::packed, 0.9), FirstLayerPath::packed);
  EXPECT_EQ(vae::choose_first_layer(FirstLayerPath::dense, 0.1), FirstLayerPath::dense);

  const vae::ImageSet mnist_head = vae::head(mnist(vae::Split::train).images, 1000);
  const double d = vae::nonzero_fraction(mnist_head.data(), mnist_head.size());
  EXPECT_GT(d, 0.15);
  EXPECT_LT(d, 0.25);
  using Small = vae::Vae<784, 16, 2>;
  Small m(8);
  EXPECT_EQ(m.enc.first_layer, FirstLayerPath::dense);   // a model alone: dense
  vae::TrainOptions opt;
  opt.batch = 8;
  vae::Trainer<Small> sparse_trainer(m, mnist_head, opt, vae::ParamInit::from_seed);
  EXPECT_EQ(m.enc.first_layer, FirstLayerPath::sparse);
  // Dense data (60% non-zero): the dense path.
  vae::ImageSet dense_set = mnist_head;
  for (std::size_t i = 0; i < dense_set.size(); ++i) dense_set.data()[i] = static_cast<std::uint8_t>(i % 5 < 3 ? 200 : 0);
  vae::Trainer<Small> dense_trainer(m, dense_set, opt, vae::ParamInit::from_seed);
  EXPECT_EQ(m.enc.first_layer, FirstLayerPath::dense);
  opt.first_layer = FirstLayerPath::packed;
  vae::Trainer<Small> forced(m, dense_set, opt, vae::ParamInit::from_seed);
  EXPECT_EQ(m.enc.first_layer, FirstLayerPath::packed);
}

}  // namespace

}  // namespace test_sparse
