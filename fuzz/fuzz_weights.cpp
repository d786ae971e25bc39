// fuzz_weights - the training library's weight-file reader (vae::parse_weights, vae/weights.hpp)
// and what the apps do with a file it accepts: fill a model, dequantize, quantize, re-write.
//
// Properties checked, beyond "no crash, no leak, no sanitizer report":
//  - parse_weights fails only with vae::Error (any other exception escapes and is a finding);
//  - it accepts exactly what the runtime's parser accepts (it delegates to it), and its tensors
//    hold the very bytes the runtime sees in place;
//  - round trip: an accepted file re-serializes (serialize_weights must not throw) to bytes that
//    parse to an equal WeightsFile, and serializing that again gives the same bytes;
//  - tensor_floats is the float32 bytes as they are, or int8 times the row's scale;
//  - weights_to_model into a 4-3-2 Vae either throws vae::Error or fills every layer with exactly
//    tensor_floats of its tensors; into the apps' 784-400-20 Vae it throws vae::Error or fills;
//  - quantize_int8 and decoder_only of an accepted file are refused with vae::Error or
//    round-trip like the file itself;
//  - prior_from_weights (vae/gmm.hpp) accepts exactly the files without a prior and those whose
//    prior the runtime's prior_bind accepts, returns the runtime's values bit for bit, and
//    with_prior of what it returned round-trips and reads back the same mixture.
// As in fuzz_format, the deep checks run on a copy whose CRC is recomputed.
#include <cstring>
#include <string>
#include <vector>

#include "fuzz.hpp"
#include "vae/error.hpp"
#include "vae/gmm.hpp"
#include "vae/vae.hpp"
#include "vae/weights.hpp"
#include "vae_rt/format.h"
#include "vae_rt/prior.h"

namespace {

namespace fmt = vae_rt::format;
using Tiny = vae::Vae<4, 3, 2>;   // the seeds' model (fuzz/make_seeds.cpp)

bool equal(const vae::WeightsFile& a, const vae::WeightsFile& b) {
  if (a.flags != b.flags || a.dim_x != b.dim_x || a.dim_h != b.dim_h || a.dim_z != b.dim_z ||
      a.dim_h2 != b.dim_h2 || a.note != b.note || a.tensors.size() != b.tensors.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.tensors.size(); ++i) {
    const vae::WeightTensor &s = a.tensors[i], &t = b.tensors[i];
    if (s.name != t.name || s.dtype != t.dtype || s.rank != t.rank || s.dim0 != t.dim0 ||
        s.dim1 != t.dim1 || s.data != t.data) {
      return false;
    }
  }
  return true;
}

// parse_weights, or false on vae::Error (the only exception it may throw).
bool try_parse(const std::uint8_t* data, std::size_t size, vae::WeightsFile* out) {
  try {
    *out = vae::parse_weights(data, size, "fuzz");
    return true;
  } catch (const vae::Error& e) {
    FUZZ_CHECK(std::strncmp(e.what(), "fuzz: ", 6) == 0);   // errors name the file
    return false;
  }
}

void check_round_trip(const vae::WeightsFile& wf) {
  const std::vector<std::uint8_t> y = vae::serialize_weights(wf);
  vae::WeightsFile back;
  FUZZ_CHECK(try_parse(y.data(), y.size(), &back));
  FUZZ_CHECK(equal(wf, back));
  FUZZ_CHECK(vae::serialize_weights(back) == y);
}

// What vae_export writes from an accepted file: it may be refused with a vae::Error (a NaN or
// infinite weight to quantize, no tensor left, a "<name>.scale" that exists already or would be
// over 31 characters, over 256 tensors), but if written, it round-trips.
template <class Derive>
void check_derived(Derive derive) {
  vae::WeightsFile wf;
  try {
    wf = derive();
    (void)vae::serialize_weights(wf);
  } catch (const vae::Error&) {
    return;
  }
  check_round_trip(wf);
}

void check_tensor_floats(const vae::WeightsFile& wf) {
  for (const vae::WeightTensor& t : wf.tensors) {
    std::vector<float> v;
    try {
      v = vae::tensor_floats(wf, t.name, "fuzz");
    } catch (const vae::Error&) {
      FUZZ_CHECK(t.dtype == fmt::Dtype::int8);   // only a missing or malformed scale throws
      continue;
    }
    FUZZ_CHECK(v.size() == t.count());
    if (t.dtype == fmt::Dtype::float32) {
      FUZZ_CHECK(vae_fuzz::same_bits(v.data(), reinterpret_cast<const float*>(t.data.data()),
                                     v.size()));
      continue;
    }
    const vae::WeightTensor* s = wf.find(t.name + fmt::scale_suffix);
    FUZZ_CHECK(s != nullptr && s->dim0 == t.dim0);
    for (std::size_t r = 0; r < t.dim0; ++r) {
      float scale;
      std::memcpy(&scale, s->data.data() + 4 * r, 4);
      for (std::size_t c = 0; c < t.dim1; ++c) {
        const float want = static_cast<float>(static_cast<std::int8_t>(t.data[r * t.dim1 + c])) * scale;
        FUZZ_CHECK(vae_fuzz::same_bits(&want, &v[r * t.dim1 + c], 1));
      }
    }
  }
}

template <class Model>
void check_model(const vae::WeightsFile& wf, Model& model) {
  try {
    vae::weights_to_model(wf, model, "fuzz");
  } catch (const vae::Error&) {
    return;
  }
  FUZZ_CHECK(wf.dim_x == Model::dim_x && wf.dim_h == Model::dim_h && wf.dim_z == Model::dim_z);
  model.for_each_layer([&](auto& layer) {
    using L = std::decay_t<decltype(layer)>;
    const std::string name = layer.name;
    const std::vector<float> w = vae::tensor_floats(wf, name + "_w", "fuzz");
    const std::vector<float> b = vae::tensor_floats(wf, name + "_b", "fuzz");
    FUZZ_CHECK(w.size() == L::out * L::in && b.size() == L::out);
    FUZZ_CHECK(vae_fuzz::same_bits(layer.w.data(), w.data(), w.size()));
    FUZZ_CHECK(vae_fuzz::same_bits(layer.b.data(), b.data(), b.size()));
  });
}

bool try_prior(const vae::WeightsFile& wf, vae::Gmm* out) {
  try {
    *out = vae::prior_from_weights(wf, "fuzz");
    return true;
  } catch (const vae::Error& e) {
    FUZZ_CHECK(std::strncmp(e.what(), "fuzz: ", 6) == 0);
    return false;
  }
}

bool equal(const vae::Gmm& a, const vae::Gmm& b) {
  return a.K == b.K && a.Z == b.Z && a.logits.size() == a.K && b.logits.size() == b.K &&
         a.mu.size() == a.K * a.Z && b.mu.size() == b.K * b.Z && a.logvar.size() == a.mu.size() &&
         b.logvar.size() == b.mu.size() && vae_fuzz::same_bits(a.logits.data(), b.logits.data(), a.K) &&
         vae_fuzz::same_bits(a.mu.data(), b.mu.data(), a.mu.size()) &&
         vae_fuzz::same_bits(a.logvar.data(), b.logvar.data(), a.logvar.size());
}

void check_prior(const vae::WeightsFile& wf, const fmt::File& f) {
  vae::Gmm g;
  const bool ok = try_prior(wf, &g);
  const bool present = vae_rt::prior_present(f);
  vae_rt::MixturePrior p;
  const bool bound = present && vae_rt::prior_bind(f, wf.dim_z, &p, nullptr) == vae_rt::Status::ok;
  FUZZ_CHECK(ok == (!present || bound));
  if (!ok) return;
  if (!present) {
    FUZZ_CHECK(g.K == 0);
    return;
  }
  FUZZ_CHECK(g.K == p.k && g.Z == p.z && g.Z == wf.dim_z);
  FUZZ_CHECK(g.logits.size() == g.K && g.mu.size() == g.K * g.Z && g.logvar.size() == g.mu.size());
  FUZZ_CHECK(vae_fuzz::same_bits(g.logits.data(), p.logits, g.K));
  FUZZ_CHECK(vae_fuzz::same_bits(g.mu.data(), p.mu, g.mu.size()));
  FUZZ_CHECK(vae_fuzz::same_bits(g.logvar.data(), p.logvar, g.logvar.size()));
  const vae::WeightsFile again = vae::with_prior(wf, g);
  check_derived([&] { return again; });
  vae::Gmm back;
  FUZZ_CHECK(try_prior(again, &back));
  FUZZ_CHECK(equal(g, back));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Tiny tiny(1);
  static vae::Vae784_400_20 full(1);

  vae::WeightsFile wf;
  vae_fuzz::accepted = try_parse(data, size, &wf);
  if (size < fmt::header_size) return 0;

  // The CRC-fixed copy, in a vector (its buffer is aligned, so parse_weights reads it in place).
  std::vector<std::uint8_t> fixed(data, data + size);
  fmt::store_u32(fixed.data() + fmt::hdr_crc32, fmt::file_crc32(fixed.data(), size));
  if (!try_parse(fixed.data(), size, &wf)) {
    fmt::File f;
    FUZZ_CHECK(fmt::parse(fixed.data(), size, &f, true, nullptr) != vae_rt::Status::ok);
    return 0;
  }
  fmt::File f;
  FUZZ_CHECK(fmt::parse(fixed.data(), size, &f, true, nullptr) == vae_rt::Status::ok);
  FUZZ_CHECK(f.header.tensor_count == wf.tensors.size());
  for (std::uint32_t i = 0; i < f.header.tensor_count; ++i) {
    const fmt::Tensor t = fmt::tensor_at(f, i);
    const vae::WeightTensor& w = wf.tensors[i];
    FUZZ_CHECK(w.name == t.name && w.data.size() == t.size);
    FUZZ_CHECK(vae_fuzz::same_bits(w.data.data(), t.data, t.size));
  }

  check_round_trip(wf);
  check_prior(wf, f);
  check_tensor_floats(wf);
  check_model(wf, tiny);
  check_model(wf, full);
  check_derived([&] { return vae::decoder_only(wf); });
  check_derived([&] { return vae::quantize_int8(wf); });
  return 0;
}
