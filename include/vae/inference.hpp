// vae/inference.hpp - the library's public inference API over xtensor: encode, decode,
// reconstruct and sample a trained model (vae/vae.hpp) on any number of rows.
//
//   vae::Vae784_400_20 model(128);                 // max batch 128
//   vae::load_weights(model, "vae.vaew");
//   const vae::ImageSet test = vae::read_idx_images("data/mnist/t10k-images-idx3-ubyte");
//   vae::Encoding e = vae::encode(model, test);    // e.mu, e.logvar: (10000, 20)
//   xt::xtensor<float, 2> p = vae::decode(model, e.mu);   // (10000, 784) probabilities
//   xt::xtensor<float, 2> s = vae::sample(model, 64, 7);  // (64, 784) from z ~ N(0, I)
//
// Inputs are xtensor expressions of shape (N, D) floats in [0, 1] (or (N, Z) latents), or the
// uint8 images of the IDX loader (N, rows, cols) with rows * cols = D, read as pixel / 255
// exactly as stage_batch does. Rows are processed in chunks of the model's max batch through its
// arena passes (model.encode / model.decode on model.x, model.z, enc.mu, enc.logvar, dec.xhat), so
// every result equals those passes on the same chunks bit for bit. The returned containers are
// the only allocations; staging goes through adaptors over the arena.
//
// The functions use the model's arena buffers: do not call them in the middle of a training step.
// Parameters, Adam state and any trainer's RNG are left untouched. Not thread-safe on one model.
// A wrong shape throws a vae::Error naming the function, the shape given and the one expected.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include <xtensor/xadapt.hpp>
#include <xtensor/xnoalias.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>

#include "vae/error.hpp"
#include "vae/idx.hpp"
#include "vae_rt/rng.h"

namespace vae {

// The encoder's output for N rows: the mean and log-variance of q(z | x).
struct Encoding {
  xt::xtensor<float, 2> mu;       // (N, Z)
  xt::xtensor<float, 2> logvar;   // (N, Z)
};

namespace inference_detail {

// The model's buffers are float* today; an adaptor with .data() works the same.
inline float* data_of(float* p) { return p; }
template <class A>
auto data_of(A& a) -> decltype(a.data()) { return a.data(); }

// A (rows, cols) adaptor over arena (or any caller) memory: no copy, no allocation.
inline auto rows_of(float* p, std::size_t rows, std::size_t cols) {
  return xt::adapt(p, rows * cols, xt::no_ownership(), std::array<std::size_t, 2>{rows, cols});
}

template <class E>
std::string shape_text(const E& e) {
  std::string s = "(";
  for (std::size_t i = 0; i < e.dimension(); ++i) s += (i ? ", " : "") + std::to_string(e.shape()[i]);
  return s + ")";
}

template <class E>
void check_rows(const E& e, std::size_t cols, const char* fn, const char* what) {
  if (e.dimension() != 2 || e.shape()[1] != cols) {
    throw Error(std::string("vae::") + fn + ": " + what + " has shape " + shape_text(e) +
                ", expected (N, " + std::to_string(cols) + ")");
  }
}

// The images as (N, D) floats pixel / 255 (the same arithmetic as stage_batch): a lazy
// expression over the images' bytes, nothing copied.
inline auto image_rows(const ImageSet& images, std::size_t D, const char* fn) {
  if (pixels_per_image(images) != D) {
    throw Error(std::string("vae::") + fn + ": images of " + std::to_string(images.shape(1)) + "x" +
                std::to_string(images.shape(2)) + " = " + std::to_string(pixels_per_image(images)) +
                " pixels, the model takes " + std::to_string(D));
  }
  const std::size_t n = image_count(images);
  auto bytes = xt::adapt(images.data(), n * D, xt::no_ownership(), std::array<std::size_t, 2>{n, D});
  return xt::cast<float>(std::move(bytes)) / 255.0f;   // the expression owns the adaptor
}

// f(first, B) for consecutive chunks [first, first + B) of n rows, B <= the model's max batch.
template <class Model, class F>
void for_each_chunk(const Model& model, std::size_t n, F&& f) {
  for (std::size_t first = 0; first < n; first += model.max_batch()) {
    f(first, std::min(model.max_batch(), n - first));
  }
}

inline auto chunk(std::size_t first, std::size_t B) { return xt::range(first, first + B); }

}  // namespace inference_detail

// mu and logvar (N, Z) of x (N, D), any xtensor expression of floats in [0, 1].
template <class Model, class E>
Encoding encode(Model& model, const xt::xexpression<E>& x_expr) {
  namespace d = inference_detail;
  constexpr std::size_t D = Model::dim_x, Z = Model::dim_z;
  const E& x = x_expr.derived_cast();
  d::check_rows(x, D, "encode", "x");
  const std::size_t n = x.shape()[0];
  Encoding out{xt::xtensor<float, 2>::from_shape({n, Z}), xt::xtensor<float, 2>::from_shape({n, Z})};
  d::for_each_chunk(model, n, [&](std::size_t first, std::size_t B) {
    auto xb = d::rows_of(d::data_of(model.x), B, D);   // (B, D) arena staging
    xt::noalias(xb) = xt::view(x, d::chunk(first, B), xt::all());
    model.encode(B);
    xt::noalias(xt::view(out.mu, d::chunk(first, B), xt::all())) = d::rows_of(d::data_of(model.enc.mu), B, Z);
    xt::noalias(xt::view(out.logvar, d::chunk(first, B), xt::all())) =
        d::rows_of(d::data_of(model.enc.logvar), B, Z);
  });
  return out;
}

// ... of the IDX loader's uint8 images (N, rows, cols), read as pixel / 255.
template <class Model>
Encoding encode(Model& model, const ImageSet& images) {
  return encode(model, inference_detail::image_rows(images, Model::dim_x, "encode"));
}

// The decoder's probabilities xhat (N, D) of latents z (N, Z).
template <class Model, class E>
xt::xtensor<float, 2> decode(Model& model, const xt::xexpression<E>& z_expr) {
  namespace d = inference_detail;
  constexpr std::size_t D = Model::dim_x, Z = Model::dim_z;
  const E& z = z_expr.derived_cast();
  d::check_rows(z, Z, "decode", "z");
  const std::size_t n = z.shape()[0];
  auto out = xt::xtensor<float, 2>::from_shape({n, D});
  d::for_each_chunk(model, n, [&](std::size_t first, std::size_t B) {
    auto zb = d::rows_of(d::data_of(model.z), B, Z);   // (B, Z) arena staging
    xt::noalias(zb) = xt::view(z, d::chunk(first, B), xt::all());
    model.decode(B);
    xt::noalias(xt::view(out, d::chunk(first, B), xt::all())) = d::rows_of(d::data_of(model.dec.xhat), B, D);
  });
  return out;
}

// decode(encode(x).mu) chunk by chunk (z = mu, no sampling): (N, D) probabilities. The same
// arithmetic as Model::eval_step with a null RNG.
template <class Model, class E>
xt::xtensor<float, 2> reconstruct(Model& model, const xt::xexpression<E>& x_expr) {
  namespace d = inference_detail;
  constexpr std::size_t D = Model::dim_x, Z = Model::dim_z;
  const E& x = x_expr.derived_cast();
  d::check_rows(x, D, "reconstruct", "x");
  const std::size_t n = x.shape()[0];
  auto out = xt::xtensor<float, 2>::from_shape({n, D});
  d::for_each_chunk(model, n, [&](std::size_t first, std::size_t B) {
    auto xb = d::rows_of(d::data_of(model.x), B, D);   // (B, D) arena staging
    xt::noalias(xb) = xt::view(x, d::chunk(first, B), xt::all());
    model.encode(B);
    auto zb = d::rows_of(d::data_of(model.z), B, Z);   // (B, Z) = mu
    xt::noalias(zb) = d::rows_of(d::data_of(model.enc.mu), B, Z);
    model.decode(B);
    xt::noalias(xt::view(out, d::chunk(first, B), xt::all())) = d::rows_of(d::data_of(model.dec.xhat), B, D);
  });
  return out;
}

template <class Model>
xt::xtensor<float, 2> reconstruct(Model& model, const ImageSet& images) {
  return reconstruct(model, inference_detail::image_rows(images, Model::dim_x, "reconstruct"));
}

// n samples (n, D) of the model: the decoder's probabilities of z ~ N(0, I), where z (n, Z) is,
// row-major, the first n * Z values of vae_rt::rng_fill_normal on PCG32 stream 2 seeded with
// `seed` (vae_rt::rng_seed(&rng, seed, 2)), as one fill: the same z for every model with the same
// latent size, whatever its max batch. The stream is drawn chunk by chunk into model.z; an odd
// chunk keeps the second value of its last Box-Muller pair for the next chunk.
template <class Model>
xt::xtensor<float, 2> sample(Model& model, std::size_t n, std::uint64_t seed) {
  namespace d = inference_detail;
  constexpr std::size_t D = Model::dim_x, Z = Model::dim_z;
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, seed, 2);
  float pair[2];            // (2) one Box-Muller pair, when a chunk ends inside it
  bool have_spare = false;  // pair[1] is the next value of the stream
  auto out = xt::xtensor<float, 2>::from_shape({n, D});
  d::for_each_chunk(model, n, [&](std::size_t first, std::size_t B) {
    float* z = d::data_of(model.z);   // (B, Z)
    std::size_t k = 0;
    const std::size_t m = B * Z;
    if (have_spare && m > 0) {
      z[k++] = pair[1];
      have_spare = false;
    }
    const std::size_t even = (m - k) / 2 * 2;
    vae_rt::rng_fill_normal(&rng, z + k, even);
    k += even;
    if (k < m) {                        // one value left in this chunk
      if (first + B < n) {              // the stream goes on: draw the whole pair
        vae_rt::rng_fill_normal(&rng, pair, 2);
        z[k] = pair[0];
        have_spare = true;
      } else {
        vae_rt::rng_fill_normal(&rng, z + k, 1);   // the end of the stream: as one fill does
      }
    }
    model.decode(B);
    xt::noalias(xt::view(out, d::chunk(first, B), xt::all())) = d::rows_of(d::data_of(model.dec.xhat), B, D);
  });
  return out;
}

}  // namespace vae
