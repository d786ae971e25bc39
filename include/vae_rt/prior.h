// vae_rt/prior.h - the Gaussian-mixture prior a weight file may carry, sampled in place.
//
// A plain VAE samples z ~ N(0, I), but the codes its encoder produces do not fill that ball, and
// an autoencoder's codes do not resemble it at all. `vae_eval --fit-prior gmm:K --save-prior`
// fits a K-component diagonal mixture to the encoder's mu over the training set (vae/gmm.hpp)
// and stores it in the weight file (docs/weights-format.md, "The mixture prior"):
//
//   prior_logits (K)      float32   log pi_k up to a constant: pi = softmax(prior_logits)
//   prior_mu     (K, Z)   float32   component means
//   prior_logvar (K, Z)   float32   component log variances (diagonal)
//   flag bit 2 (format::flag_mixture_prior) set
//
//   vae_rt::MixturePrior prior;
//   if (vae_rt::prior_present(dec.file()) &&
//       vae_rt::prior_bind(dec.file(), 20, &prior, &diag) == vae_rt::Status::ok) {
//     dec.generate(&rng, pixels, &prior);      // z from the mixture instead of N(0, I)
//   }
//
// One draw takes, from the caller's Rng and in this order: one rng_uniform u that picks the
// component (the first k whose cumulative weight exceeds u times the total; the weights
// exp(logit_k - max logit) summed in float, k = 0, 1, ...), then Z values eps of rng_fill_normal,
// and z = mu_k + exp(logvar_k / 2) * eps, elementwise, with the runtime's own rt_expf. So a seed
// gives the same z on every platform, and digit i of a seed uses the i-th such block of the
// stream, as N(0, I) sampling uses the i-th block of Z normals.
//
// Memory: the three tensors are read in place from the caller's weight bytes (flash), never
// copied; a MixturePrior is a few pointers and two floats. No heap, no exceptions, no libm.
// Not here: fitting the mixture (hosted, vae/gmm.hpp), writing it (vae/weights.hpp).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "vae_rt/format.h"
#include "vae_rt/rng.h"
#include "vae_rt/status.h"

namespace vae_rt {

inline constexpr const char* prior_logits_name = "prior_logits";   // (K)
inline constexpr const char* prior_mu_name = "prior_mu";           // (K, Z)
inline constexpr const char* prior_logvar_name = "prior_logvar";   // (K, Z)
// Bounds on the stored values that keep a draw finite: every value finite, and the log
// variances within +-logvar_limit (standard deviations from 4e-18 to 2e17).
inline constexpr float prior_logvar_limit = 80.0f;

struct MixturePrior {
  const float* logits = nullptr;   // (k)    log pi_k up to a constant
  const float* mu = nullptr;       // (k, z) row-major
  const float* logvar = nullptr;   // (k, z)
  uint32_t k = 0, z = 0;
  float logit_max = 0.0f;          // max_k logits[k]
  float weight_total = 0.0f;       // sum_k exp(logits[k] - logit_max), in k order; >= 1
};

// Does the file carry a mixture prior: flag bit 2 set, or any of the three tensors present? (A
// file with only some of them, or without the flag, is then rejected by prior_bind.)
bool prior_present(const format::File& file);

// Bind the file's prior for latent size z. Checks, in order: flag bit 2 set and each tensor
// present (missing_tensor; a file with tensors but no flag is bad_header), float32
// (bad_dtype), shapes (K), (K, z), (K, z) with the same K (bad_shape), values (bad_value, see
// prior_init). out is untouched unless ok. diag may be null.
Status prior_bind(const format::File& file, size_t z, MixturePrior* out, format::Diag* diag);

// A prior over the caller's arrays (k), (k, z), (k, z), which must outlive it. Checks k, z > 0
// (bad_shape), 4-byte alignment (misaligned), every value finite and |logvar| <= the limit
// (bad_value), and computes the softmax normalizer.
Status prior_init(MixturePrior* out, size_t k, size_t z, const float* logits, const float* mu,
                  const float* logvar, format::Diag* diag);

// The component that u in [0, 1) picks (see the file comment); always one of positive weight.
uint32_t prior_component(const MixturePrior& p, float u);

// One draw z (p.z floats) from the mixture, from rng as the file comment says. p must come from
// a successful prior_bind / prior_init (a default-constructed prior calls vae_rt::fatal).
void prior_sample(const MixturePrior& p, Rng* rng, float* z);

}  // namespace vae_rt
