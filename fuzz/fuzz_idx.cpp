// fuzz_idx - the MNIST IDX reader (vae::parse_idx_images, vae::parse_idx_labels, vae/idx.hpp)
// and stage_batch over the images it accepts: a user's data file, untrusted.
//
// Properties checked, beyond "no crash, no leak, no sanitizer report":
//  - both parsers fail only with vae::Error whose message names the buffer;
//  - at most one of them accepts a given input (the magics differ);
//  - IDX has exactly one encoding, so an accepted input IS its re-encoding: the big-endian
//    header of the parsed dims followed by the parsed bytes equals the input byte for byte;
//  - stage_batch of the first and last image gives pixel / 255 exactly, and an index = count
//    throws vae::Error before anything is written.
#include <cstring>
#include <string>
#include <vector>

#include "fuzz.hpp"
#include "vae/error.hpp"
#include "vae/idx.hpp"

namespace {

void put_be32(std::vector<std::uint8_t>& out, std::uint64_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}

bool error_names_buffer(const vae::Error& e) { return std::strncmp(e.what(), "fuzz: ", 6) == 0; }

void check_images(const vae::ImageSet& set, const std::uint8_t* data, std::size_t size) {
  const std::size_t count = vae::image_count(set), rows = set.shape(1), cols = set.shape(2);
  FUZZ_CHECK(rows > 0 && cols > 0);
  FUZZ_CHECK(set.size() == count * rows * cols);
  std::vector<std::uint8_t> enc;
  put_be32(enc, vae::idx_images_magic);
  put_be32(enc, count);
  put_be32(enc, rows);
  put_be32(enc, cols);
  enc.insert(enc.end(), set.begin(), set.end());
  FUZZ_CHECK(enc.size() == size && std::memcmp(enc.data(), data, size) == 0);

  // Zero images may claim any rows x cols (up to 2^64 pixels each): stage nothing then but the
  // out-of-range index, into a 1-float buffer (it must throw before writing; ASan sees a write).
  const std::size_t n = count ? vae::pixels_per_image(set) : 0;   // <= size when count > 0
  std::vector<float> x(count ? 2 * n : 1, -1.0f);                  // (2, rows*cols)
  const std::uint32_t beyond = static_cast<std::uint32_t>(count);
  try {
    vae::stage_batch(x.data(), set, &beyond, 1);
    FUZZ_CHECK(false);   // index count is out of range
  } catch (const vae::Error&) {
  }
  FUZZ_CHECK(x[0] == -1.0f);   // nothing written
  if (count == 0) return;
  const std::uint32_t idx[2] = {0, static_cast<std::uint32_t>(count - 1)};
  vae::stage_batch(x.data(), set, idx, 2);
  for (std::size_t b = 0; b < 2; ++b) {
    for (std::size_t p = 0; p < n; ++p) {
      FUZZ_CHECK(x[b * n + p] == static_cast<float>(vae::image_data(set, idx[b])[p]) / 255.0f);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bool images_ok = false, labels_ok = false;
  try {
    const vae::ImageSet set = vae::parse_idx_images(data, size, "fuzz");
    images_ok = true;
    check_images(set, data, size);
  } catch (const vae::Error& e) {
    FUZZ_CHECK(!images_ok && error_names_buffer(e));
  }
  try {
    const vae::Labels labels = vae::parse_idx_labels(data, size, "fuzz");
    labels_ok = true;
    std::vector<std::uint8_t> enc;
    put_be32(enc, vae::idx_labels_magic);
    put_be32(enc, labels.size());
    enc.insert(enc.end(), labels.begin(), labels.end());
    FUZZ_CHECK(enc.size() == size && std::memcmp(enc.data(), data, size) == 0);
  } catch (const vae::Error& e) {
    FUZZ_CHECK(!labels_ok && error_names_buffer(e));
  }
  FUZZ_CHECK(!(images_ok && labels_ok));
  vae_fuzz::accepted = images_ok || labels_ok;
  return 0;
}
