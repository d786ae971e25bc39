// fuzz_checkpoint - the training checkpoint reader (vae::parse_checkpoint, vae/checkpoint.hpp)
// and restore_checkpoint, which copies what it accepts into a model.
//
// Properties checked, beyond "no crash, no leak, no sanitizer report":
//  - parse_checkpoint fails only with vae::Error whose message names the file;
//  - an accepted file is consistent: params, adam_m and adam_v have one length P, there is one
//    history row per epoch done, the RNG increment is odd and the Adam step count >= 0;
//  - round trip: serialize_checkpoint of it (which must not throw) has the input's size and
//    bytes, except the 8 reserved header bytes (written as zero) and hence the CRC, and parses
//    back to equal fields;
//  - restore_checkpoint into a 4-3-2 Vae throws vae::Error unless dims and P match, and then
//    the model holds the parameters and Adam state bit for bit; into the apps' 784-400-20 Vae it
//    throws vae::Error or restores the same way.
// Mutations rarely keep the CRC (the file's last 4 bytes) valid, so the deep checks run on a
// copy whose CRC is recomputed; the original still exercises the CRC check.
#include <cstring>
#include <string>
#include <vector>

#include "fuzz.hpp"
#include "vae/checkpoint.hpp"
#include "vae/error.hpp"
#include "vae/vae.hpp"
#include "vae_rt/crc32.h"

namespace {

using Tiny = vae::Vae<4, 3, 2>;   // the seeds' model (fuzz/make_seeds.cpp)
constexpr std::size_t reserved_begin = 88, reserved_end = 96;   // the header's zero bytes

bool try_parse(const std::uint8_t* data, std::size_t size, vae::Checkpoint* out) {
  try {
    *out = vae::parse_checkpoint(data, size, "fuzz");
    return true;
  } catch (const vae::Error& e) {
    FUZZ_CHECK(std::strncmp(e.what(), "fuzz: ", 6) == 0);
    return false;
  }
}

bool equal(const vae::Checkpoint& a, const vae::Checkpoint& b) {
  return a.dim_x == b.dim_x && a.dim_h == b.dim_h && a.dim_z == b.dim_z &&
         a.epochs_done == b.epochs_done && a.adam_t == b.adam_t && a.rng.state == b.rng.state &&
         a.rng.inc == b.rng.inc && a.params.size() == b.params.size() &&
         vae_fuzz::same_bits(a.params.data(), b.params.data(), a.params.size()) &&
         a.adam_m.size() == b.adam_m.size() &&
         vae_fuzz::same_bits(a.adam_m.data(), b.adam_m.data(), a.adam_m.size()) &&
         a.adam_v.size() == b.adam_v.size() &&
         vae_fuzz::same_bits(a.adam_v.data(), b.adam_v.data(), a.adam_v.size()) &&
         a.history.size() == b.history.size() &&
         vae_fuzz::same_bits(a.history.data(), b.history.data(), a.history.size()) &&
         a.settings == b.settings;
}

template <class Model>
void check_restore(const vae::Checkpoint& ck, Model& model) {
  try {
    vae::restore_checkpoint(ck, model, "fuzz");
  } catch (const vae::Error&) {
    FUZZ_CHECK(ck.dim_x != Model::dim_x || ck.dim_h != Model::dim_h || ck.dim_z != Model::dim_z ||
               ck.params.size() != Model::num_params);
    return;
  }
  FUZZ_CHECK(ck.params.size() == Model::num_params);
  FUZZ_CHECK(vae_fuzz::same_bits(model.params.data(), ck.params.data(), Model::num_params));
  FUZZ_CHECK(vae_fuzz::same_bits(model.adam_m.data(), ck.adam_m.data(), Model::num_params));
  FUZZ_CHECK(vae_fuzz::same_bits(model.adam_v.data(), ck.adam_v.data(), Model::num_params));
  FUZZ_CHECK(model.adam_t == ck.adam_t);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Tiny tiny(1);
  static vae::Vae784_400_20 full(1);

  vae::Checkpoint ck;
  vae_fuzz::accepted = try_parse(data, size, &ck);
  if (size < 4) return 0;

  std::vector<std::uint8_t> fixed(data, data + size);
  const std::uint32_t crc = vae_rt::crc32(fixed.data(), size - 4);
  std::memcpy(fixed.data() + size - 4, &crc, 4);
  if (!try_parse(fixed.data(), size, &ck)) return 0;

  const std::size_t P = ck.params.size();
  FUZZ_CHECK(ck.adam_m.size() == P && ck.adam_v.size() == P);
  FUZZ_CHECK(ck.history.size() == ck.epochs_done);
  FUZZ_CHECK((ck.rng.inc & 1u) == 1 && ck.adam_t >= 0);
  FUZZ_CHECK(vae::checkpoint_header_bytes + 12 * P + ck.history.size() * sizeof(vae::EpochRecord) +
                 ck.settings.size() + 4 == size);

  const std::vector<std::uint8_t> y = vae::serialize_checkpoint(ck);
  FUZZ_CHECK(y.size() == size);
  FUZZ_CHECK(std::memcmp(y.data(), fixed.data(), reserved_begin) == 0);
  FUZZ_CHECK(std::memcmp(y.data() + reserved_end, fixed.data() + reserved_end,
                         size - 4 - reserved_end) == 0);
  vae::Checkpoint back;
  FUZZ_CHECK(try_parse(y.data(), y.size(), &back));
  FUZZ_CHECK(equal(ck, back));

  check_restore(ck, tiny);
  check_restore(ck, full);
  return 0;
}
