// vae_models.hpp - the D-H-Z shapes compiled into this build (the configure option VAE_MODELS,
// cmake/VaeModels.cmake) and the one lookup every app dispatches with: (D, H, Z) -> the code
// compiled for that shape.
//
//   return vae_apps::with_model(f.dim_x, f.dim_h, f.dim_z, f.path + ": ", [&](auto shape) {
//     using S = decltype(shape);                          // S::x, S::h, S::z: compile-time sizes
//     return evaluate<vae::Vae<S::x, S::h, S::z>>(...);   // explicitly instantiated per shape
//   });
//
// Nothing here is a runtime size: each shape of the generated vae_models.def (VAE_MODEL(D, H, Z)
// lines) is one branch calling one template instantiation. The apps instantiate their model code
// in one generated translation unit per shape (vae_add_model_sources), so that main.cpp only
// declares it (extern template) and the shapes compile in parallel. A shape not in the list is
// refused with one line naming the option to rebuild with (not_compiled_message).
// Header-only, free of CLI11 and of the libraries: vae_gen and mcu_gen_host use it too.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

#include "vae_models.def"   // generated: VAE_MODELS_LIST, VAE_MODELS_TEXT

namespace vae_apps {

// One compiled shape as a type: the argument of with_model's callback.
template <std::size_t X, std::size_t H, std::size_t Z>
struct ModelShape {
  static constexpr std::size_t x = X, h = H, z = Z;
};

inline std::string shape_name(std::size_t x, std::size_t h, std::size_t z) {
  return std::to_string(x) + "-" + std::to_string(h) + "-" + std::to_string(z);
}

inline bool model_compiled(std::size_t x, std::size_t h, std::size_t z) {
#define VAE_MODEL(X, H, Z) \
  if (x == (X) && h == (H) && z == (Z)) return true;
#include "vae_models.def"
#undef VAE_MODEL
  return false;
}

// "784-256-10 is not compiled into this build (it has 784-400-20, 784-400-2); reconfigure with
// -DVAE_MODELS="784-400-20;784-400-2;784-256-10""
inline std::string not_compiled_message(std::size_t x, std::size_t h, std::size_t z) {
  const std::string name = shape_name(x, h, z);
  return name + " is not compiled into this build (it has " VAE_MODELS_TEXT
                "); reconfigure with -DVAE_MODELS=\"" VAE_MODELS_LIST ";" +
         name + "\"";
}

// Calls f(ModelShape<D, H, Z>{}) for the compiled shape (x, h, z) and returns its result; throws
// std::runtime_error(context + not_compiled_message(...)) (exit status 1) for any other shape.
template <class F>
decltype(auto) with_model(std::size_t x, std::size_t h, std::size_t z, const std::string& context, F&& f) {
#define VAE_MODEL(X, H, Z) \
  if (x == (X) && h == (H) && z == (Z)) return f(ModelShape<X, H, Z>{});
#include "vae_models.def"
#undef VAE_MODEL
  throw std::runtime_error(context + not_compiled_message(x, h, z));
}

}  // namespace vae_apps
