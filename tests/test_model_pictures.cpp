// test_model_pictures.cpp - the data behind the apps' model pictures (apps/common/
// model_pictures.hpp) against independent references: the manifold's grid against the normal
// CDF in closed form (erfc) and its textbook quantiles, interpolation latents that start and end
// exactly at the two means, decoded ends against the model's own z = mu reconstructions
// (eval_step, a separate path through the model), the midpoint against a decode of the averaged
// means, latent means against one-image-at-a-time encodes, and the pairs'
// rules. Models are freshly initialized (PyTorch's init from a seed, scaled up where the pictures
// must differ): the checks are identities of the code paths, which hold for any weights.
#include "model_pictures.hpp"

#include <gtest/gtest.h>
#include <xtensor/xbuilder.hpp>

#include <cmath>
#include <memory>
#include <set>
#include <vector>

#include "vae/vae.hpp"

namespace test_model_pictures {

namespace {

using Model2 = vae::Vae784_400_2;
using Model20 = vae::Vae784_400_20;

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

// n images of 28x28 with blobs of different sizes, so that every image has its own mu.
vae::ImageSet blob_images(std::size_t n) {
  vae::ImageSet set = xt::zeros<std::uint8_t>({n, std::size_t{28}, std::size_t{28}});   // (n, 28, 28)
  for (std::size_t i = 0; i < n; ++i) {
    const int r = 3 + static_cast<int>(i % 9), cx = 8 + static_cast<int>(i % 13), cy = 10 + static_cast<int>(i % 7);
    for (int y = 0; y < 28; ++y) {
      for (int x = 0; x < 28; ++x) {
        if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r) {
          set(i, y, x) = static_cast<std::uint8_t>(120 + (i * 37) % 136);
        }
      }
    }
  }
  return set;
}

// PyTorch's init scaled by `gain`: freshly initialized decoders give nearly 0.5 everywhere, so a
// gain > 1 makes images differ enough for the comparisons below to mean something.
template <class Model>
std::unique_ptr<Model> fresh_model(std::size_t max_batch, std::uint64_t seed, float gain = 1.0f) {
  auto m = std::make_unique<Model>(max_batch);
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, seed, 0);
  m->init_params(rng);
  for (std::size_t i = 0; i < Model::num_params; ++i) m->params[i] *= gain;
  return m;
}

// The z = mu reconstruction of image i by eval_step: (784) bytes.
template <class Model>
std::vector<std::uint8_t> reconstruction(Model& m, const vae::ImageSet& set, std::uint32_t i) {
  vae::stage_batch(m.x.data(), set, &i, 1);
  m.eval_step(1, vae::LossSpec{}, nullptr);
  std::vector<std::uint8_t> out(784);
  for (std::size_t p = 0; p < 784; ++p) out[p] = vae_apps::to_byte(m.dec.xhat[p]);
  return out;
}

std::vector<std::uint8_t> tile(const std::vector<std::uint8_t>& tiles, std::size_t k) {
  return {tiles.begin() + static_cast<std::ptrdiff_t>(k * 784),
          tiles.begin() + static_cast<std::ptrdiff_t>((k + 1) * 784)};
}

TEST(Manifold, GridPointsAreNormalQuantilesOfEvenProbabilities) {
  const int n = 20;
  const std::vector<float> z = vae_apps::manifold_latents(n);
  ASSERT_EQ(z.size(), static_cast<std::size_t>(n * n * 2));
  for (int row = 0; row < n; ++row) {
    for (int col = 0; col < n; ++col) {
      const float* p = &z[(static_cast<std::size_t>(row) * n + col) * 2];
      // Phi(z1) = 0.05 + 0.9 col / 19 to the right, Phi(z2) = 0.95 - 0.9 row / 19 downwards.
      EXPECT_NEAR(normal_cdf(p[0]), 0.05 + 0.9 * col / (n - 1), 2e-7) << row << "," << col;
      EXPECT_NEAR(normal_cdf(p[1]), 0.95 - 0.9 * row / (n - 1), 2e-7) << row << "," << col;
      EXPECT_EQ(p[0], z[(static_cast<std::size_t>(0) * n + col) * 2]) << "z1 depends on the column only";
      EXPECT_EQ(p[1], z[(static_cast<std::size_t>(row) * n + 0) * 2 + 1]) << "z2 depends on the row only";
    }
  }
  // Textbook quantiles: Phi^-1(0.95) = 1.6448536..., and the grid is symmetric about 0.
  EXPECT_NEAR(z[0], -1.6448536269514722, 1e-6);          // top left: z1 = Phi^-1(0.05)
  EXPECT_NEAR(z[1], 1.6448536269514722, 1e-6);           //           z2 = Phi^-1(0.95)
  EXPECT_NEAR(z[(n * n - 1) * 2], 1.6448536269514722, 1e-6);
  for (int col = 0; col < n; ++col) EXPECT_NEAR(z[col * 2], -z[(n - 1 - col) * 2], 1e-6);
  // n = 3: the middle is the median, exactly 0.
  EXPECT_NEAR(vae_apps::manifold_latents(3)[4 * 2], 0.0, 1e-9);
}

TEST(Manifold, PictureIsTheDecoderOnTheGrid) {
  auto m = fresh_model<Model2>(64, 5);
  const int n = 6;
  const vae_apps::GrayPicture pic = vae_apps::manifold(*m, n);
  ASSERT_EQ(pic.width, 28 * n);
  ASSERT_EQ(pic.height, 28 * n);
  // Tile (row 2, col 3) is the decode of grid point 2 * n + 3.
  const std::vector<float> z = vae_apps::manifold_latents(n);
  const std::vector<std::uint8_t> one = vae_apps::decode_bytes(*m, {z[(2 * n + 3) * 2], z[(2 * n + 3) * 2 + 1]}, 1);
  for (int y = 0; y < 28; ++y) {
    for (int x = 0; x < 28; ++x) {
      ASSERT_EQ(pic.pixels[static_cast<std::size_t>(2 * 28 + y) * pic.width + 3 * 28 + x], one[y * 28 + x]);
    }
  }
}

TEST(Interpolation, LatentsStartAndEndExactlyAtTheMeans) {
  // Two pairs in Z = 3, with values whose products by t are inexact (0.1, 1/3, ...).
  const std::vector<float> mu{0.1f, -1.0f / 3, 7.25f,   2.0f, 0.3f, -5.5f,      // pair 0: a, b
                              -0.7f, 1e-3f, 123.4f,     0.9f, -2.2f, 1.0f / 7};  // pair 1: a, b
  const int steps = 7;
  const std::vector<float> z = vae_apps::interpolation_latents(mu, 3, steps);
  ASSERT_EQ(z.size(), 2u * steps * 3);
  for (std::size_t k = 0; k < 2; ++k) {
    for (std::size_t j = 0; j < 3; ++j) {
      EXPECT_EQ(z[(k * steps + 0) * 3 + j], mu[(2 * k) * 3 + j]) << "t = 0 is mu_a, bit for bit";
      EXPECT_EQ(z[(k * steps + steps - 1) * 3 + j], mu[(2 * k + 1) * 3 + j]) << "t = 1 is mu_b";
      for (int i = 0; i < steps; ++i) {   // on the segment, at t = i / 6, within float rounding
        const double t = i / 6.0, a = mu[(2 * k) * 3 + j], b = mu[(2 * k + 1) * 3 + j];
        EXPECT_NEAR(z[(k * steps + i) * 3 + j], (1 - t) * a + t * b, 1e-5 * (1 + std::fabs(a) + std::fabs(b)));
      }
    }
  }
}

// The decoded rows against a separate path through the model: eval_step with z = mu on one image.
// Batches of different sizes may round a float differently (OpenBLAS picks its kernels by
// shape), so a byte may differ by one gray level, never more.
template <class Model>
void check_interpolation_round_trip() {
  const vae::ImageSet set = blob_images(12);
  auto m = fresh_model<Model>(8, 11, 4.0f);
  const std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs{{0, 5}, {7, 2}, {11, 3}};
  const int steps = 5;
  const std::vector<std::uint8_t> tiles = vae_apps::interpolation_decodes(*m, set, pairs, steps);
  ASSERT_EQ(tiles.size(), pairs.size() * steps * 784);
  auto max_diff = [](const std::vector<std::uint8_t>& x, const std::vector<std::uint8_t>& y) {
    int d = 0;
    for (std::size_t p = 0; p < x.size(); ++p) d = std::max(d, std::abs(int{x[p]} - int{y[p]}));
    return d;
  };
  for (std::size_t k = 0; k < pairs.size(); ++k) {
    EXPECT_LE(max_diff(tile(tiles, k * steps), reconstruction(*m, set, pairs[k].first)), 1) << "pair " << k << " t = 0";
    EXPECT_LE(max_diff(tile(tiles, k * steps + steps - 1), reconstruction(*m, set, pairs[k].second)), 1)
        << "pair " << k << " t = 1";
    // t = 1/2: the decode of (mu_a + mu_b) / 2, from two separate encodes.
    constexpr std::size_t Z = Model::dim_z;
    std::vector<float> mid(Z);
    std::uint32_t i = pairs[k].first;
    vae::stage_batch(m->x.data(), set, &i, 1);
    m->encode(1);
    std::vector<float> mu_a(m->enc.mu.data(), m->enc.mu.data() + Z);
    i = pairs[k].second;
    vae::stage_batch(m->x.data(), set, &i, 1);
    m->encode(1);
    for (std::size_t j = 0; j < Z; ++j) mid[j] = 0.5f * mu_a[j] + 0.5f * m->enc.mu[j];
    EXPECT_LE(max_diff(tile(tiles, k * steps + 2), vae_apps::decode_bytes(*m, mid, 1)), 1) << "pair " << k << " t = 1/2";
  }
  // The ends of a row differ by much more than that (different images): the test is not vacuous.
  EXPECT_GT(max_diff(tile(tiles, 0), tile(tiles, steps - 1)), 10);
}

TEST(Interpolation, EndsAreTheReconstructionsOfTheTwoImagesLatent2) { check_interpolation_round_trip<Model2>(); }
TEST(Interpolation, EndsAreTheReconstructionsOfTheTwoImagesLatent20) { check_interpolation_round_trip<Model20>(); }

TEST(LatentMeans, BatchedEqualsOneImageAtATime) {
  const vae::ImageSet set = blob_images(21);   // 21 = 2 full batches of 8 and a partial one
  auto m = fresh_model<Model20>(8, 3);
  const std::vector<float> mu = vae_apps::latent_means(*m, set);
  ASSERT_EQ(mu.size(), 21u * 20);
  for (std::uint32_t i = 0; i < 21; ++i) {
    vae::stage_batch(m->x.data(), set, &i, 1);
    m->encode(1);
    // Batch of 8 against batch of 1: float rounding only (see check_interpolation_round_trip).
    for (std::size_t j = 0; j < 20; ++j) EXPECT_NEAR(mu[i * 20 + j], m->enc.mu[j], 1e-5) << i << "," << j;
  }
}

TEST(InterpolationPairs, DifferentLabelsNoReuseDeterministic) {
  vae::Labels labels = vae::Labels::from_shape({200});   // (200)
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<std::uint8_t>((i * 7) % 10);
  const auto p = vae_apps::interpolation_pairs(labels, 8, 1);
  ASSERT_EQ(p.size(), 8u);
  std::set<std::uint32_t> seen;
  for (const auto& [a, b] : p) {
    EXPECT_NE(labels[a], labels[b]);
    EXPECT_TRUE(seen.insert(a).second && seen.insert(b).second) << "image used twice";
  }
  EXPECT_EQ(vae_apps::interpolation_pairs(labels, 8, 1), p);
  EXPECT_NE(vae_apps::interpolation_pairs(labels, 8, 2), p);
  // Impossible requests end with fewer pairs, not a hang: one label only, or too few images.
  vae::Labels threes = vae::Labels::from_shape({50});   // (50)
  threes.fill(3);
  EXPECT_TRUE(vae_apps::interpolation_pairs(threes, 4, 1).empty());
  EXPECT_EQ(vae_apps::interpolation_pairs(vae::Labels{1, 2, 3}, 4, 1).size(), 1u);
}

}  // namespace

}  // namespace test_model_pictures
