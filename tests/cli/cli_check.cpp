// cli_check.cpp - the independent side of the vae_gen / vae_export command-line tests
// (tests/cli/cli.cmake): makes a weight file and a latent file, and checks the apps' outputs
// with the training library (vae::read_idx_images, vae::load_weights and its Decoder), which
// vae_gen itself never links.
//   cli_check make WEIGHTS LATENT         784-400-20 model (seed 7) and 7 latents (raw f32 LE)
//   cli_check idx FILE N                  FILE is a valid IDX3 of N 28x28 images
//   cli_check latent WEIGHTS LATENT IDX   IDX holds exactly the runtime's decode of LATENT, and
//                                         the training decoder agrees within 1 grey level
//   cli_check prior IN OUT                OUT = IN plus a hand-made 3-component mixture prior
//   cli_check gmm WEIGHTS SEED IDX        IDX holds the digits of vae::gmm_sample's draws from
//                                         WEIGHTS' prior (seed SEED, stream 0) decoded by the
//                                         training decoder, within 1 grey level
// Exit 0 when the check holds, 1 with a one-line reason otherwise.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "vae/files/atomic_file.hpp"
#include "vae/gmm.hpp"
#include "vae/idx.hpp"
#include "vae/vae.hpp"
#include "vae/weights.hpp"
#include "vae_rt/decoder.h"

namespace {

using Model = vae::Vae784_400_20;
constexpr std::size_t Z = 20, D = 784;

int fail(const std::string& why) {
  std::fprintf(stderr, "cli_check: %s\n", why.c_str());
  return 1;
}

int make(const std::string& weights, const std::string& latent) {
  Model m(8);
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 7, 0);
  m.init_params(rng);
  vae::save_weights(m, weights, vae::SaveOptions{false, false, "cli_check make (random init)"});
  std::vector<float> z(7 * Z);
  vae_rt::rng_fill_normal(&rng, z.data(), z.size());
  for (float& v : z) v *= 1.5f;
  vae::write_file_atomic(latent, z.data(), z.size() * sizeof(float));
  return 0;
}

int idx(const std::string& path, std::size_t n) {
  const vae::ImageSet s = vae::read_idx_images(path);
  if (s.shape(0) != n || s.shape(1) != 28 || s.shape(2) != 28) {
    return fail(path + ": " + std::to_string(s.shape(0)) + " images of " + std::to_string(s.shape(1)) +
                "x" + std::to_string(s.shape(2)) + "; expected " + std::to_string(n) + " of 28x28");
  }
  return 0;
}

// latent_f32 W L F32: vae_gen --out F32 holds the runtime's decode() of each latent of L, bit for
// bit, and rounding those floats gives the runtime's uint8 pixels.
int latent_f32(const std::string& weights, const std::string& latent_path, const std::string& f32_path) {
  const std::vector<std::uint8_t> lat = vae::read_file(latent_path);
  const std::size_t n = lat.size() / (4 * Z);
  std::vector<float> z(n * Z);
  std::memcpy(z.data(), lat.data(), lat.size());
  const std::vector<std::uint8_t> got = vae::read_file(f32_path);
  if (got.size() != n * D * sizeof(float)) {
    return fail(f32_path + " has " + std::to_string(got.size()) + " bytes; " + std::to_string(n) +
                " digits of float32 pixels are " + std::to_string(n * D * sizeof(float)));
  }
  const std::vector<std::uint8_t> file = vae::read_file(weights);
  alignas(16) static std::uint8_t arena[vae_rt::Decoder<20, 400, 784>::arena_bytes];
  vae_rt::Decoder<20, 400, 784> dec;
  if (dec.init(file.data(), file.size(), arena, sizeof arena) != vae_rt::Status::ok) return fail("init");
  std::vector<float> p(D);
  std::vector<std::uint8_t> px(D);
  for (std::size_t i = 0; i < n; ++i) {
    dec.decode(z.data() + i * Z, p.data());
    dec.decode_u8(z.data() + i * Z, px.data());
    if (std::memcmp(p.data(), got.data() + i * D * sizeof(float), D * sizeof(float)) != 0) {
      return fail("digit " + std::to_string(i) + " of " + f32_path + " differs from the runtime's decode");
    }
    for (std::size_t k = 0; k < D; ++k) {
      if (vae_rt::pixel_u8(p[k]) != px[k]) return fail("pixel_u8 of the floats is not decode_u8");
    }
  }
  std::printf("float32 probabilities equal decode()\n");
  return 0;
}

int latent(const std::string& weights, const std::string& latent_path, const std::string& idx_path) {
  const std::vector<std::uint8_t> lat = vae::read_file(latent_path);
  const std::size_t n = lat.size() / (4 * Z);
  std::vector<float> z(n * Z);
  std::memcpy(z.data(), lat.data(), lat.size());
  const vae::ImageSet got = vae::read_idx_images(idx_path);
  if (vae::image_count(got) != n) return fail("IDX has " + std::to_string(vae::image_count(got)) + " images, latents " + std::to_string(n));

  const std::vector<std::uint8_t> file = vae::read_file(weights);
  alignas(16) static std::uint8_t arena[vae_rt::Decoder<20, 400, 784>::arena_bytes];
  vae_rt::Decoder<20, 400, 784> dec;
  if (dec.init(file.data(), file.size(), arena, sizeof arena) != vae_rt::Status::ok) return fail("init");
  Model m(8);
  vae::load_weights(m, weights);
  std::vector<std::uint8_t> px(D);
  for (std::size_t i = 0; i < n; ++i) {
    dec.decode_u8(z.data() + i * Z, px.data());
    if (std::memcmp(px.data(), vae::image_data(got, i), D) != 0) {
      return fail("image " + std::to_string(i) + " differs from the runtime's decode of its latent");
    }
  }
  for (std::size_t first = 0; first < n; first += 8) {
    const std::size_t B = std::min<std::size_t>(8, n - first);
    std::memcpy(m.z.data(), z.data() + first * Z, B * Z * sizeof(float));
    m.decode(B);
    for (std::size_t k = 0; k < B * D; ++k) {
      const int want = vae_rt::pixel_u8(m.dec.xhat[k]);
      if (std::abs(want - int(vae::image_data(got, first)[k])) > 1) {
        return fail("pixel " + std::to_string(k) + " of batch at " + std::to_string(first) +
                    " is more than 1 grey level from the training decoder");
      }
    }
  }
  std::printf("cli_check: %zu latents decoded exactly\n", n);
  return 0;
}

// A mixture with well-separated components, so a wrong component choice shows in the pixels.
int prior(const std::string& in, const std::string& out) {
  vae::Gmm g;
  g.K = 3;
  g.Z = Z;
  g.logits = {0.0f, -0.7f, 0.4f};
  for (std::size_t k = 0; k < g.K; ++k) {
    for (std::size_t j = 0; j < Z; ++j) {
      g.mu.push_back(static_cast<float>(k) * 2.0f - 2.0f + 0.1f * static_cast<float>(j % 5));
      g.logvar.push_back(-2.0f - static_cast<float>(k));
    }
  }
  vae::write_weights(out, vae::with_prior(vae::read_weights(in), g));
  return 0;
}

int gmm(const std::string& weights, std::uint64_t seed, const std::string& idx_path) {
  const vae::WeightsFile wf = vae::read_weights(weights);
  const vae::Gmm g = vae::prior_from_weights(wf, weights);
  if (g.K == 0) return fail(weights + ": no mixture prior");
  const vae::ImageSet got = vae::read_idx_images(idx_path);
  const std::size_t n = vae::image_count(got);
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, seed, 0);
  const xt::xtensor<float, 2> z = vae::gmm_sample(g, rng, n);   // (n, Z)
  Model m(8);
  vae::load_weights(m, weights);
  for (std::size_t first = 0; first < n; first += 8) {
    const std::size_t B = std::min<std::size_t>(8, n - first);
    std::memcpy(m.z.data(), z.data() + first * Z, B * Z * sizeof(float));
    m.decode(B);
    for (std::size_t k = 0; k < B * D; ++k) {
      const int want = vae_rt::pixel_u8(m.dec.xhat[k]);
      if (std::abs(want - int(vae::image_data(got, first)[k])) > 1) {
        return fail("pixel " + std::to_string(k) + " of batch at " + std::to_string(first) +
                    " is more than 1 grey level from the training decoder's digit of the mixture draw");
      }
    }
  }
  std::printf("cli_check: %zu mixture draws decoded as the training library does\n", n);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "make" && argc == 4) return make(argv[2], argv[3]);
    if (mode == "idx" && argc == 4) return idx(argv[2], std::strtoul(argv[3], nullptr, 10));
    if (mode == "latent" && argc == 5) return latent(argv[2], argv[3], argv[4]);
    if (mode == "latent_f32" && argc == 5) return latent_f32(argv[2], argv[3], argv[4]);
    if (mode == "prior" && argc == 4) return prior(argv[2], argv[3]);
    if (mode == "gmm" && argc == 5) return gmm(argv[2], std::strtoull(argv[3], nullptr, 10), argv[4]);
    std::fprintf(stderr, "usage: cli_check make W L | idx FILE N | latent W L IDX | latent_f32 W L F32 | prior IN OUT | gmm W SEED IDX\n");
    return 2;
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}
