// vae/param_block.hpp - ParamBlock<P>: the parameters of a model, their gradients, Adam's m and
// v and its step count, as one scaffolding shared by every model (Vae, Classifier).
//
// A model derives from ParamBlock<P> (so model.params, model.grads, model.adam_m, model.adam_v and
// model.adam_t keep their names), which also holds the model's Arena (ModelArena below), and, in
// its own carve(), calls:
//   carve_params()           params, grads, adam_m, adam_v (P) each, the first bytes of the arena
//   bind_layers(bind)        slices each layer's W and b, in order, from params and grads
//   check_carve(n)           the arena used exactly arena_bytes() (n), all of P bound
// param_bytes() is ParamBlock's part of the model's constexpr arena_bytes(). init() draws every
// layer with PyTorch's nn.Linear scheme (init_uniform_fan_in, vae/layers.hpp) and resets Adam;
// adam_update() is one Adam step over the whole block. Layout of the block: the layers' W then b,
// in the order the model's for_each_layer visits them.
//
// What it is not: an owner of memory (the model's Arena owns it) or a layer registry.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "vae/adam.hpp"
#include "vae/arena.hpp"
#include "vae/error.hpp"
#include "vae/layers.hpp"
#include "vae/tensor.hpp"
#include "vae_rt/rng.h"

namespace vae {

// (B, N) rows carved from an arena for up to B images; `what` names the buffer in errors.
template <std::size_t N>
Rows<N> carve_rows(Arena& arena, std::size_t B, const char* what) {
  return Rows<N>(arena.carve_floats(B * N, what), B);
}

// A model built for 1..max_batch images refuses B outside that range, naming `model`.
inline void check_batch_size(std::size_t B, std::size_t max_batch, const char* model) {
  if (B == 0 || B > max_batch) {
    throw Error("batch of " + std::to_string(B) + " images: the " + std::string(model) +
                " was built for 1.." + std::to_string(max_batch));
  }
}

// The memory every model lives in: one Arena (owned, or the caller's buffer) and the largest batch
// it was carved for. A model's constructor passes arena_bytes(max_batch), then carves.
class ModelArena {
 public:
  std::size_t max_batch() const { return max_batch_; }
  std::size_t arena_used() const { return arena_.used(); }
  std::size_t arena_capacity() const { return arena_.capacity(); }

 protected:
  ModelArena(std::size_t max_batch, std::size_t bytes) : arena_(bytes), max_batch_(max_batch) {}
  ModelArena(std::size_t max_batch, void* buffer, std::size_t bytes)
      : arena_(buffer, bytes), max_batch_(max_batch) {}
  ModelArena(const ModelArena&) = delete;
  ModelArena& operator=(const ModelArena&) = delete;

  Arena arena_;
  std::size_t max_batch_;
};

template <std::size_t P>
class ParamBlock : public ModelArena {
 public:
  static_assert(P > 0, "a model needs parameters");
  static constexpr std::size_t num_params = P;

  // Bytes of the four blocks, ParamBlock's part of the model's arena_bytes().
  static constexpr std::size_t param_bytes() { return 4 * floats_bytes(P); }

  Vec<P> params;           // (P)
  Vec<P> grads;            // (P)  ASSIGNED by each backward (see vae/layers.hpp)
  Vec<P> adam_m;           // (P)
  Vec<P> adam_v;           // (P)
  std::int64_t adam_t = 0; // Adam steps taken

  // Adam state reset (m = v = 0, no step taken).
  void reset_adam() {
    std::fill_n(adam_m.data(), P, 0.0f);
    std::fill_n(adam_v.data(), P, 0.0f);
    adam_t = 0;
  }

 protected:
  using ModelArena::ModelArena;

  void carve_params() {
    params = Vec<P>(arena_.carve_floats(P, "params"));
    grads = Vec<P>(arena_.carve_floats(P, "grads"));
    adam_m = Vec<P>(arena_.carve_floats(P, "adam_m"));
    adam_v = Vec<P>(arena_.carve_floats(P, "adam_v"));
  }

  // bind(p, g) binds every layer in parameter order, advancing the cursors p and g (each layer's
  // Dense::bind does), which start at params and grads.
  template <class Bind>
  void bind_layers(Bind&& bind) {
    float* p = params.data();
    float* g = grads.data();
    bind(p, g);
    bound_ = static_cast<std::size_t>(p - params.data());
  }

  // The arena agreement: carve() used exactly arena_bytes() and bound every parameter.
  void check_carve(std::size_t arena_bytes) const {
    if (arena_.used() != arena_bytes || bound_ != P) {
      throw Error("internal: carve() and arena_bytes() disagree (" + std::to_string(arena_.used()) +
                  " vs " + std::to_string(arena_bytes) + " bytes, " + std::to_string(bound_) +
                  " of " + std::to_string(P) + " parameters bound)");
    }
  }

  // PyTorch nn.Linear initialization of every layer, in parameter order; Adam state reset.
  template <class ForEachLayer>
  void init(ForEachLayer&& for_each_layer, vae_rt::Rng& rng) {
    for_each_layer([&](auto& layer) { init_uniform_fan_in(layer, rng); });
    reset_adam();
  }

  // One Adam step over the block with the gradients of the last backward.
  void adam_update(const AdamConfig& cfg) {
    adam_step(params.data(), grads.data(), adam_m.data(), adam_v.data(), P, cfg, ++adam_t);
  }

 private:
  std::size_t bound_ = 0;
};

}  // namespace vae
