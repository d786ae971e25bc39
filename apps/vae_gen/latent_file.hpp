// latent_file.hpp - the `--latent` file of vae_gen: raw little-endian float32, n rows of z values,
// nothing else (n = size / (4 z)). Parsing is split from main.cpp so that vae_gen and the fuzz
// target fuzz/fuzz_latent.cpp run the same code.
//
// Not a general tensor reader: no header, no dims in the file (z is the weight file's latent
// size), no other dtype.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vae_gen {

// As many latents as --count allows: the pixels of that many digits are 784 MB already.
inline constexpr std::size_t max_latents = 1000000;

// The latents (n, z), n = size / (4 z), from the bytes of a --latent file. Throws vae::Error
// naming `name` when the file is empty, is not a whole number of latents, holds more than
// max_latents, or holds a value that is not finite (NaN decodes to a blank digit and infinity to
// a saturated one, without a word). data may be null when size is 0; z must be positive.
std::vector<float> parse_latents(const std::uint8_t* data, std::size_t size, std::size_t z,
                                 const std::string& name);

}  // namespace vae_gen
