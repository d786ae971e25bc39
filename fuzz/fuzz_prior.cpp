// fuzz_prior - the mixture prior's parser (vae_rt::prior_bind, lib/runtime/prior.cpp) and its
// draw (prior_component, prior_sample): the optional prior_* tensors of a weight file a device
// receives, untrusted.
//
// The input is a weight file; its CRC field is recomputed first (mutations rarely keep a CRC,
// and the CRC check itself is fuzz_format's business), then it is parsed with the runtime's
// parser and, when that accepts it, the prior is bound for the file's dim_z and for the latent
// size its prior_mu claims. The verdict (vae_fuzz::accepted, what replay_main.cpp checks against
// "valid-"/"bad-" names) is: parsed and prior_bind(dim_z) == ok.
//
// Properties checked on every input, beyond "no crash, no leak, no sanitizer report":
//  - prior_bind's verdict is recomputed here from the records alone, independently of
//    prior.cpp: no prior_* tensor and no flag is missing_tensor; some but not all three tensors
//    is missing_tensor; all three without flag bit 2 is bad_header; then float32 (bad_dtype),
//    shapes (K), (K, Z), (K, Z) (bad_shape), every value finite and |logvar| <= 80 (bad_value);
//    the output is untouched unless ok, and the Diag line is NUL-terminated;
//  - a bound prior points into the file, in place, and its normalizer is the sum of
//    exp(logit - max) in k order, >= 1 and finite;
//  - prior_component is non-decreasing in u over a sweep of [0, 1), always < K, and only picks
//    components of positive weight; u = 0 picks the first of positive weight;
//  - prior_sample takes exactly one uniform and ceil(Z / 2) normal pairs from the stream (the
//    Rng after a draw equals one advanced by hand), and its z is mu_k + exp(logvar_k / 2) * eps
//    recomputed here bit for bit from prior_component and rng_fill_normal;
//  - prior_init over the same arrays agrees with prior_bind, and refuses misaligned arrays and
//    K = 0 or Z = 0.
#include <cmath>
#include <cstring>
#include <memory>

#include "fuzz.hpp"
#include "vae_rt/format.h"
#include "vae_rt/math.h"
#include "vae_rt/prior.h"
#include "vae_rt/rng.h"

namespace {

namespace fmt = vae_rt::format;
using vae_rt::Status;

constexpr std::size_t max_z = 256;   // draws of longer latents are skipped (slow, nothing new)

bool diag_terminated(const fmt::Diag& d) { return std::memchr(d.text, 0, sizeof d.text) != nullptr; }

bool same_prior(const vae_rt::MixturePrior& a, const vae_rt::MixturePrior& b) {
  return a.logits == b.logits && a.mu == b.mu && a.logvar == b.logvar && a.k == b.k &&
         a.z == b.z && vae_fuzz::same_bits(&a.logit_max, &b.logit_max, 1) &&
         vae_fuzz::same_bits(&a.weight_total, &b.weight_total, 1);
}

// What prior_bind must answer for latent size z, from the records alone.
Status expected_bind(const fmt::File& f, std::size_t z) {
  const char* names[3] = {vae_rt::prior_logits_name, vae_rt::prior_mu_name,
                          vae_rt::prior_logvar_name};
  fmt::Tensor t[3];
  int found = 0;
  for (int j = 0; j < 3; ++j) found += fmt::find_tensor(f, names[j], &t[j]) == Status::ok;
  const bool flag = (f.header.flags & fmt::flag_mixture_prior) != 0;
  if (found < 3) return Status::missing_tensor;
  if (!flag) return Status::bad_header;
  for (const fmt::Tensor& x : t) {
    if (x.dtype != fmt::Dtype::float32) return Status::bad_dtype;
  }
  const std::uint32_t k = t[0].dim0;
  if (t[0].rank != 1) return Status::bad_shape;
  for (int j = 1; j < 3; ++j) {
    if (t[j].rank != 2 || t[j].dim0 != k || t[j].dim1 != z) return Status::bad_shape;
  }
  if (k == 0 || z == 0) return Status::bad_shape;
  float v;
  for (std::size_t i = 0; i < k; ++i) {
    std::memcpy(&v, t[0].data + 4 * i, 4);
    if (!std::isfinite(v)) return Status::bad_value;
  }
  for (std::size_t i = 0; i < k * z; ++i) {
    std::memcpy(&v, t[1].data + 4 * i, 4);
    if (!std::isfinite(v)) return Status::bad_value;
  }
  for (std::size_t i = 0; i < k * z; ++i) {
    std::memcpy(&v, t[2].data + 4 * i, 4);
    if (!(std::fabs(v) <= vae_rt::prior_logvar_limit)) return Status::bad_value;
  }
  return Status::ok;
}

// Bind for latent size z and check the verdict and, when ok, every promise of a bound prior.
Status check_bind(const fmt::File& f, std::size_t z) {
  vae_rt::MixturePrior p, untouched;
  p.k = 12345;   // a marker: must survive a refusal
  untouched = p;
  fmt::Diag diag;
  const Status s = vae_rt::prior_bind(f, z, &p, &diag);
  FUZZ_CHECK(diag_terminated(diag));
  FUZZ_CHECK(s == expected_bind(f, z));
  if (s != Status::ok) {
    FUZZ_CHECK(same_prior(p, untouched));
    return s;
  }
  FUZZ_CHECK(vae_rt::prior_present(f));
  fmt::Tensor logits, mu, logvar;
  FUZZ_CHECK(fmt::find_tensor(f, vae_rt::prior_logits_name, &logits) == Status::ok);
  FUZZ_CHECK(fmt::find_tensor(f, vae_rt::prior_mu_name, &mu) == Status::ok);
  FUZZ_CHECK(fmt::find_tensor(f, vae_rt::prior_logvar_name, &logvar) == Status::ok);
  FUZZ_CHECK(p.logits == reinterpret_cast<const float*>(logits.data));
  FUZZ_CHECK(p.mu == reinterpret_cast<const float*>(mu.data));
  FUZZ_CHECK(p.logvar == reinterpret_cast<const float*>(logvar.data));
  FUZZ_CHECK(p.k == logits.dim0 && p.z == z);

  // The normalizer, recomputed.
  float mx = p.logits[0];
  for (std::uint32_t k = 1; k < p.k; ++k) mx = p.logits[k] > mx ? p.logits[k] : mx;
  float total = 0.0f;
  for (std::uint32_t k = 0; k < p.k; ++k) total += vae_rt::rt_expf(p.logits[k] - mx);
  FUZZ_CHECK(vae_fuzz::same_bits(&p.logit_max, &mx, 1));
  FUZZ_CHECK(vae_fuzz::same_bits(&p.weight_total, &total, 1));
  FUZZ_CHECK(std::isfinite(p.weight_total) && p.weight_total >= 1.0f);

  // prior_init over the same arrays: the same prior; and its own refusals.
  vae_rt::MixturePrior q;
  FUZZ_CHECK(vae_rt::prior_init(&q, p.k, z, p.logits, p.mu, p.logvar, nullptr) == Status::ok);
  FUZZ_CHECK(same_prior(p, q));
  FUZZ_CHECK(vae_rt::prior_init(&q, 0, z, p.logits, p.mu, p.logvar, nullptr) == Status::bad_shape);
  FUZZ_CHECK(vae_rt::prior_init(&q, p.k, 0, p.logits, p.mu, p.logvar, nullptr) == Status::bad_shape);
  const float* odd = reinterpret_cast<const float*>(reinterpret_cast<const std::uint8_t*>(p.mu) + 1);
  FUZZ_CHECK(vae_rt::prior_init(&q, p.k, z, p.logits, odd, p.logvar, nullptr) == Status::misaligned);

  // prior_component: monotone in u, < K, positive weight; u = 0 picks the first positive one.
  std::uint32_t first_positive = p.k;
  for (std::uint32_t k = 0; k < p.k && first_positive == p.k; ++k) {
    if (vae_rt::rt_expf(p.logits[k] - mx) > 0.0f) first_positive = k;
  }
  FUZZ_CHECK(first_positive < p.k);   // the largest logit has weight exp(0) = 1
  FUZZ_CHECK(vae_rt::prior_component(p, 0.0f) == first_positive);
  std::uint32_t prev = 0;
  for (int i = 0; i <= 64; ++i) {
    const float u = i == 64 ? 0.99999994f : static_cast<float>(i) / 64.0f;
    const std::uint32_t c = vae_rt::prior_component(p, u);
    FUZZ_CHECK(c < p.k && c >= prev);
    FUZZ_CHECK(vae_rt::rt_expf(p.logits[c] - mx) > 0.0f);
    prev = c;
  }

  // prior_sample: the stream it takes and the z it makes, recomputed.
  if (z > max_z) return s;
  float draw[max_z], eps[max_z];
  vae_rt::Rng rng, by_hand;
  vae_rt::rng_seed(&rng, p.k + z, 3);
  by_hand = rng;
  for (int n = 0; n < 3; ++n) {
    vae_rt::prior_sample(p, &rng, draw);
    const std::uint32_t c = vae_rt::prior_component(p, vae_rt::rng_uniform(&by_hand));
    vae_rt::rng_fill_normal(&by_hand, eps, z);
    FUZZ_CHECK(rng.state == by_hand.state && rng.inc == by_hand.inc);
    for (std::size_t j = 0; j < z; ++j) {
      const float want = p.mu[c * z + j] + vae_rt::rt_expf(0.5f * p.logvar[c * z + j]) * eps[j];
      FUZZ_CHECK(vae_fuzz::same_bits(&draw[j], &want, 1));
    }
  }
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  vae_fuzz::accepted = false;
  if (size < fmt::header_size) return 0;
  // An exact-size copy (new[] is 16-byte aligned, and ASan sees a read one byte past the end).
  std::unique_ptr<std::uint8_t[]> copy(new std::uint8_t[size]);
  std::memcpy(copy.get(), data, size);
  std::uint8_t* p = copy.get();
  fmt::store_u32(p + fmt::hdr_crc32, fmt::file_crc32(p, size));
  fmt::File f;
  if (fmt::parse(p, size, &f, true, nullptr) != Status::ok) return 0;

  const Status s = check_bind(f, f.header.dim_z);
  vae_fuzz::accepted = s == Status::ok;
  // The latent size the prior itself claims, when it differs from the header's.
  fmt::Tensor mu;
  if (fmt::find_tensor(f, vae_rt::prior_mu_name, &mu) == Status::ok && mu.dim1 != f.header.dim_z) {
    const Status other = check_bind(f, mu.dim1);
    FUZZ_CHECK(s != Status::ok || other != Status::ok);
  }
  return 0;
}
