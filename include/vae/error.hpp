// vae/error.hpp - the hosted library's one exception type.
//
// The training library and the apps fail fast: a vae::Error carries one line that names the file
// or the buffer concerned and what was expected. The freestanding runtime never throws; it
// returns vae_rt::Status values instead (include/vae_rt/).
#pragma once

#include <stdexcept>
#include <string>

namespace vae {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace vae
