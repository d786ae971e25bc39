// fuzz_latent - the --latent file reader of vae_gen (vae_gen::parse_latents,
// apps/vae_gen/latent_file.hpp), for the two latent sizes vae_gen is compiled for (20 and 2).
//
// Properties checked, beyond "no crash, no leak, no sanitizer report":
//  - it fails only with vae::Error whose message names the file;
//  - it accepts exactly the non-empty inputs that are a whole number of rows of Z float32, at
//    most max_latents rows, all finite (computed here independently);
//  - what it returns is the input's bytes, (n, Z) floats, bit for bit.
#include <cmath>
#include <cstring>
#include <vector>

#include "fuzz.hpp"
#include "latent_file.hpp"
#include "vae/error.hpp"

namespace {

bool expect_ok(const std::uint8_t* data, std::size_t size, std::size_t z) {
  if (size == 0 || size % (4 * z) != 0 || size / (4 * z) > vae_gen::max_latents) return false;
  for (std::size_t i = 0; i < size; i += 4) {
    float v;
    std::memcpy(&v, data + i, 4);
    if (!std::isfinite(v)) return false;
  }
  return true;
}

bool check(const std::uint8_t* data, std::size_t size, std::size_t z) {
  const bool want = expect_ok(data, size, z);
  std::vector<float> got;
  try {
    got = vae_gen::parse_latents(data, size, z, "fuzz");
  } catch (const vae::Error& e) {
    FUZZ_CHECK(!want);
    FUZZ_CHECK(std::strncmp(e.what(), "fuzz: ", 6) == 0);
    return false;
  }
  FUZZ_CHECK(want);
  FUZZ_CHECK(got.size() * 4 == size && got.size() % z == 0);
  FUZZ_CHECK(std::memcmp(got.data(), data, size) == 0);
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const bool ok20 = check(data, size, 20);
  const bool ok2 = check(data, size, 2);
  FUZZ_CHECK(!ok20 || ok2);   // 20 floats per row are 10 rows of 2
  vae_fuzz::accepted = ok20 || ok2;
  return 0;
}
