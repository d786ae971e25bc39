// model_pictures.hpp - the pictures a trained model makes: reconstructions, decoded samples of
// z ~ N(0, I), the decoder's manifold over the latent plane, and the data behind vae_figures'
// pictures (latent means of a data set, interpolations between two images' means); shared by
// vae_train, vae_report and vae_figures.
//
// Each function runs the model through the xtensor inference API (vae/inference.hpp: encode,
// decode, reconstruct, sample), which uses the model's arena buffers, so it must not be called in
// the middle of a training step; it leaves parameters, Adam state and the trainer's RNG untouched. The results are gray bitmaps (uint8, 0 = black): a tile grid (vae/image/image.hpp)
// enlarged 2x, owned by the returned vector, with its width and height in the struct.
// Not a plotting library and not part of the training library: apps only.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <xtensor/xadapt.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>

#include "vae/error.hpp"
#include "vae/idx.hpp"
#include "vae/image/image.hpp"
#include "vae/inference.hpp"
#include "vae_rt/rng.h"

namespace vae_apps {

struct GrayPicture {
  int width = 0, height = 0;
  std::vector<std::uint8_t> pixels;   // (height, width)
};

// Digits of 28x28 (or any rows x cols) as a padded grid, enlarged `scale` times.
inline GrayPicture grid_picture(const std::vector<std::uint8_t>& images, int count, int rows,
                                int cols, int grid_cols, int scale = 2) {
  const int pad = 1;
  const std::vector<std::uint8_t> grid =
      vae::tile_grid(images.data(), count, rows, cols, grid_cols, pad, 96);
  const int w = vae::tile_grid_width(cols, grid_cols, pad);
  const int h = vae::tile_grid_height(rows, count, grid_cols, pad);
  return {w * scale, h * scale, vae::upscale(grid.data(), w, h, 1, scale)};
}

inline std::uint8_t to_byte(float v) {
  return static_cast<std::uint8_t>(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f));
}

// Probabilities p (n, D) as bytes (n * D), row-major.
inline std::vector<std::uint8_t> to_bytes(const xt::xtensor<float, 2>& p) {
  std::vector<std::uint8_t> out(p.size());
  std::transform(p.begin(), p.end(), out.begin(), to_byte);
  return out;
}

// Decode n latent vectors z (n, Z) (vae::decode): (n, D) bytes.
template <class Model>
std::vector<std::uint8_t> decode_bytes(Model& model, const std::vector<float>& z, std::size_t n) {
  const auto zs = xt::adapt(z.data(), n * Model::dim_z, xt::no_ownership(),
                            std::array<std::size_t, 2>{n, Model::dim_z});   // (n, Z) over z
  return to_bytes(vae::decode(model, zs));
}

// The first `per_row * row_pairs` images of `set`, each row of originals above its row of
// reconstructions (vae::reconstruct: z = mu, the encoder's mean).
template <class Model>
GrayPicture reconstructions(Model& model, const vae::ImageSet& set, int per_row, int row_pairs) {
  const std::size_t n = static_cast<std::size_t>(per_row) * row_pairs, D = Model::dim_x;
  if (vae::image_count(set) < n) {
    throw vae::Error("reconstructions: " + std::to_string(n) + " images asked, the set has " +
                     std::to_string(vae::image_count(set)));
  }
  const std::vector<std::uint8_t> recon = to_bytes(vae::reconstruct(model, vae::head(set, n)));   // (n, D)
  std::vector<std::uint8_t> tiles;
  for (int r = 0; r < row_pairs; ++r) {
    const std::size_t a = static_cast<std::size_t>(r) * per_row * D, b = a + per_row * D;
    tiles.insert(tiles.end(), vae::image_data(set, 0) + a, vae::image_data(set, 0) + b);
    tiles.insert(tiles.end(), recon.begin() + static_cast<std::ptrdiff_t>(a), recon.begin() + static_cast<std::ptrdiff_t>(b));
  }
  return grid_picture(tiles, 2 * per_row * row_pairs, static_cast<int>(set.shape(1)),
                      static_cast<int>(set.shape(2)), per_row);
}

// vae::sample's `count` decodes of z ~ N(0, I): its z stream depends on (seed, count) only, so
// two models with the same latent size can be compared draw by draw.
template <class Model>
GrayPicture samples(Model& model, std::uint64_t seed, int count = 64, int grid_cols = 8) {
  return grid_picture(to_bytes(vae::sample(model, static_cast<std::size_t>(count), seed)), count, 28, 28,
                      grid_cols);
}

// Phi^-1(p), the standard normal quantile, by bisection on erfc (plenty for 20 grid points).
inline double normal_quantile(double p) {
  double lo = -10.0, hi = 10.0;
  for (int i = 0; i < 100; ++i) {
    const double mid = 0.5 * (lo + hi);
    (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

// The latent points of manifold(), (n * n, 2) in reading order (row by row, top row first): the
// normal quantiles of evenly spaced probabilities 0.05 .. 0.95 (as in Kingma & Welling's
// figure 4), so that equal areas of the prior get equal room; z1 grows to the right, z2 upwards.
// n >= 2.
inline std::vector<float> manifold_latents(int n) {
  std::vector<float> z;
  z.reserve(static_cast<std::size_t>(n) * n * 2);
  for (int row = 0; row < n; ++row) {
    for (int col = 0; col < n; ++col) {
      const double p1 = 0.05 + 0.9 * col / (n - 1), p2 = 0.95 - 0.9 * row / (n - 1);
      z.push_back(static_cast<float>(normal_quantile(p1)));
      z.push_back(static_cast<float>(normal_quantile(p2)));
    }
  }
  return z;
}

// Latent 2 only: the decoder over the n x n grid of manifold_latents(n), tiles touching.
template <class Model>
GrayPicture manifold(Model& model, int n = 20) {
  static_assert(Model::dim_z == 2, "the manifold picture is for a 2-d latent space");
  const std::vector<float> z = manifold_latents(n);
  const std::vector<std::uint8_t> digits = decode_bytes(model, z, static_cast<std::size_t>(n * n));
  const std::vector<std::uint8_t> grid = vae::tile_grid(digits.data(), n * n, 28, 28, n, 0);
  const int w = vae::tile_grid_width(28, n, 0), h = vae::tile_grid_height(28, n * n, n, 0);
  return {w, h, grid};
}

// The encoder's means mu (count, Z) of every image of `set`, in order (vae::encode), row-major.
template <class Model>
std::vector<float> latent_means(Model& model, const vae::ImageSet& set) {
  const xt::xtensor<float, 2> mu = vae::encode(model, set).mu;   // (count, Z)
  return {mu.begin(), mu.end()};
}

// ... of the images idx[0..count) of `set`: (count, Z).
template <class Model>
std::vector<float> latent_means(Model& model, const vae::ImageSet& set, const std::vector<std::uint32_t>& idx) {
  // xt::keep with uint32 indices crashes in xtensor 0.24 (size_t ones work): widen them first.
  const std::vector<std::size_t> rows(idx.begin(), idx.end());
  return latent_means(model, vae::ImageSet(xt::view(set, xt::keep(rows))));   // (count, rows, cols)
}

// n pairs of image indices whose two images have different labels, no image used twice, drawn
// from PCG32 stream 3 of `seed`: the same pairs for every model, so that the rows of two models'
// interpolations show the same images. Needs n * 2 <= labels.size() and two distinct labels.
inline std::vector<std::pair<std::uint32_t, std::uint32_t>> interpolation_pairs(
    const vae::Labels& labels, int n, std::uint64_t seed) {
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, seed, 3);
  const auto count = static_cast<std::uint32_t>(labels.size());
  std::vector<bool> used(labels.size(), false);
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs;
  // Bounded: with fewer usable images than asked, stop rather than loop forever.
  for (std::size_t tries = 0; static_cast<int>(pairs.size()) < n && tries < 1000u * (n + 1); ++tries) {
    const std::uint32_t a = vae_rt::rng_below(&rng, count), b = vae_rt::rng_below(&rng, count);
    if (used[a] || used[b] || labels[a] == labels[b]) continue;
    used[a] = used[b] = true;
    pairs.emplace_back(a, b);
  }
  return pairs;
}

// The latents of interpolation rows: for each pair k, `steps` points z = (1 - t) mu_a + t mu_b
// at t = i / (steps - 1), i = 0 .. steps - 1, where mu (2 * pairs, Z) holds mu_a, mu_b of pair 0,
// then of pair 1, ...: (pairs * steps, Z), pair by pair. At t = 0 and t = 1 the formula gives
// exactly mu_a and mu_b (1 * a + 0 * b), so each row starts and ends at the two means. steps >= 2.
inline std::vector<float> interpolation_latents(const std::vector<float>& mu, std::size_t Z, int steps) {
  const std::size_t pairs = mu.size() / (2 * Z), S = static_cast<std::size_t>(steps);
  std::vector<float> z(pairs * S * Z);
  for (std::size_t k = 0; k < pairs; ++k) {
    const float* a = mu.data() + 2 * k * Z;
    const float* b = a + Z;
    for (std::size_t i = 0; i < S; ++i) {
      const float t = static_cast<float>(i) / static_cast<float>(S - 1);
      float* out = z.data() + (k * S + i) * Z;
      for (std::size_t j = 0; j < Z; ++j) out[j] = (1.0f - t) * a[j] + t * b[j];
    }
  }
  return z;
}

// For each pair (a, b) of images of `set`, the decodes of interpolation_latents over their
// encoder means: (pairs * steps, D) bytes, pair by pair; each row starts with the
// reconstruction (z = mu) of image a and ends with that of image b.
template <class Model>
std::vector<std::uint8_t> interpolation_decodes(Model& model, const vae::ImageSet& set,
                                                const std::vector<std::pair<std::uint32_t, std::uint32_t>>& pairs,
                                                int steps) {
  std::vector<std::uint32_t> idx;
  for (const auto& p : pairs) {
    idx.push_back(p.first);
    idx.push_back(p.second);
  }
  const std::vector<float> mu = latent_means(model, set, idx);   // (2 * pairs, Z): a, b, a, b, ...
  return decode_bytes(model, interpolation_latents(mu, Model::dim_z, steps),
                      pairs.size() * static_cast<std::size_t>(steps));
}

}  // namespace vae_apps
