// latent_file.cpp - parse a vae_gen --latent file (latent_file.hpp). Every size check comes
// before the copy; the values are copied as bytes (the file is little-endian, as the host must
// be) and then checked one by one.
#include "latent_file.hpp"

#include <cmath>
#include <cstring>

#include "vae/error.hpp"

namespace vae_gen {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "--latent files are little-endian");

std::vector<float> parse_latents(const std::uint8_t* data, std::size_t size, std::size_t z,
                                 const std::string& name) {
  if (z == 0) throw vae::Error(name + ": latent size 0, expected a positive Z");
  const std::size_t row_bytes = 4 * z;
  if (size == 0 || size % row_bytes != 0) {
    throw vae::Error(name + ": " + std::to_string(size) +
                     " bytes is not a whole number of latents of " + std::to_string(z) +
                     " float32 (" + std::to_string(row_bytes) + " bytes each)");
  }
  const std::size_t n = size / row_bytes;
  if (n > max_latents) {
    throw vae::Error(name + ": " + std::to_string(n) + " latents, expected at most " +
                     std::to_string(max_latents));
  }
  std::vector<float> out(n * z);   // (n, z)
  std::memcpy(out.data(), data, size);
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (!std::isfinite(out[i])) {
      throw vae::Error(name + ": latent " + std::to_string(i / z) + " value " +
                       std::to_string(i % z) + " is " + (std::isnan(out[i]) ? "NaN" : "infinite") +
                       ", expected finite float32 values");
    }
  }
  return out;
}

}  // namespace vae_gen
