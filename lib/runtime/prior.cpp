// prior.cpp - binding and sampling the optional Gaussian-mixture prior (vae_rt/prior.h).
// Pointers into the caller's weight bytes only; no heap, no copies, no libm.
#include "vae_rt/prior.h"

#include "text.h"
#include "vae_rt/math.h"

namespace vae_rt {
namespace {

using detail::Text;
namespace fmt = format;

struct Msg {
  char scratch[4];
  Text t;
  explicit Msg(fmt::Diag* d) : t(d ? d->text : scratch, d ? sizeof d->text : sizeof scratch) {}
};

bool finite(float x) { return (float_bits(x) & 0x7f800000u) != 0x7f800000u; }

// The first non-finite value of a (n) array, or n.
size_t first_non_finite(const float* a, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (!finite(a[i])) return i;
  }
  return n;
}

}  // namespace

bool prior_present(const fmt::File& file) {
  fmt::Tensor t;
  return (file.header.flags & fmt::flag_mixture_prior) ||
         fmt::find_tensor(file, prior_logits_name, &t) == Status::ok ||
         fmt::find_tensor(file, prior_mu_name, &t) == Status::ok ||
         fmt::find_tensor(file, prior_logvar_name, &t) == Status::ok;
}

Status prior_init(MixturePrior* out, size_t k, size_t z, const float* logits, const float* mu,
                  const float* logvar, fmt::Diag* diag) {
  Msg m(diag);
  Text& t = m.t;
  if (!out || !logits || !mu || !logvar) {
    t.s("prior: a null pointer");
    return Status::null_argument;
  }
  if (k == 0 || z == 0 || static_cast<uint32_t>(k) != k || static_cast<uint32_t>(z) != z) {
    t.s("prior: K = ").u(k).s(" components of Z = ").u(z).s(" dims; both must be positive");
    return Status::bad_shape;
  }
  const auto aligned = [](const float* p) { return reinterpret_cast<uintptr_t>(p) % 4 == 0; };
  if (!aligned(logits) || !aligned(mu) || !aligned(logvar)) {
    t.s("prior: tensors must be 4-byte aligned");
    return Status::misaligned;
  }
  size_t i = first_non_finite(logits, k);
  if (i < k) {
    t.s("tensor ").s(prior_logits_name).s(" value ").u(i).s(" is not finite");
    return Status::bad_value;
  }
  i = first_non_finite(mu, k * z);
  if (i < k * z) {
    t.s("tensor ").s(prior_mu_name).s(" value ").u(i).s(" is not finite");
    return Status::bad_value;
  }
  for (i = 0; i < k * z; ++i) {
    // Written so that NaN fails too.
    if (!(logvar[i] >= -prior_logvar_limit && logvar[i] <= prior_logvar_limit)) {
      t.s("tensor ").s(prior_logvar_name).s(" value ").u(i)
          .s(" is not a finite log variance within +-80");
      return Status::bad_value;
    }
  }
  // The softmax normalizer in k order, exactly as prior_component sums it, so that the last
  // cumulative weight there equals this total bit for bit.
  float mx = logits[0];
  for (i = 1; i < k; ++i) mx = logits[i] > mx ? logits[i] : mx;
  float total = 0.0f;
  for (i = 0; i < k; ++i) total += rt_expf(logits[i] - mx);
  MixturePrior p;
  p.logits = logits;
  p.mu = mu;
  p.logvar = logvar;
  p.k = static_cast<uint32_t>(k);
  p.z = static_cast<uint32_t>(z);
  p.logit_max = mx;
  p.weight_total = total;   // >= 1: the largest logit contributes exp(0) = 1
  *out = p;
  return Status::ok;
}

Status prior_bind(const fmt::File& file, size_t z, MixturePrior* out, fmt::Diag* diag) {
  Msg m(diag);
  Text& t = m.t;
  if (!out) {
    t.s("prior: null output");
    return Status::null_argument;
  }
  if (!prior_present(file)) {
    t.s("the file carries no mixture prior (no prior_* tensors, flag bit 2 clear)");
    return Status::missing_tensor;
  }
  const char* names[3] = {prior_logits_name, prior_mu_name, prior_logvar_name};
  fmt::Tensor ts[3];
  for (int j = 0; j < 3; ++j) {
    if (fmt::find_tensor(file, names[j], &ts[j]) != Status::ok) {
      t.s("the mixture prior's tensor ").s(names[j]).s(" is missing");
      return Status::missing_tensor;
    }
  }
  if (!(file.header.flags & fmt::flag_mixture_prior)) {
    t.s("file has the prior_* tensors but flag bit 2 (mixture_prior) is clear");
    return Status::bad_header;
  }
  for (int j = 0; j < 3; ++j) {
    if (ts[j].dtype != fmt::Dtype::float32) {
      t.s("tensor ").s(names[j]).s(" is ").s(fmt::dtype_name(ts[j].dtype))
          .s("; the prior is float32");
      return Status::bad_dtype;
    }
  }
  const uint32_t k = ts[0].dim0;
  if (ts[0].rank != 1) {
    t.s("tensor ").s(prior_logits_name).s(" has rank ").u(ts[0].rank).s("; expected (K)");
    return Status::bad_shape;
  }
  for (int j = 1; j < 3; ++j) {
    if (ts[j].rank != 2 || ts[j].dim0 != k || ts[j].dim1 != z) {
      t.s("tensor ").s(names[j]).s(" has shape (").u(ts[j].dim0).s(", ").u(ts[j].dim1)
          .s("); the prior needs (K, Z) = (").u(k).s(", ").u(z).s(")");
      return Status::bad_shape;
    }
  }
  return prior_init(out, k, z, reinterpret_cast<const float*>(ts[0].data),
                    reinterpret_cast<const float*>(ts[1].data),
                    reinterpret_cast<const float*>(ts[2].data), diag);
}

uint32_t prior_component(const MixturePrior& p, float u) {
  // target < total for u < 1 except by rounding (u * total can round up to total), hence the
  // fallback to the last component of positive weight. A component whose weight underflows to
  // 0 never adds to cum and is never picked.
  const float target = u * p.weight_total;
  float cum = 0.0f;
  uint32_t last = 0;
  for (uint32_t k = 0; k < p.k; ++k) {
    const float w = rt_expf(p.logits[k] - p.logit_max);
    cum += w;
    if (w > 0.0f) {
      last = k;
      if (target < cum) return k;
    }
  }
  return last;
}

void prior_sample(const MixturePrior& p, Rng* rng, float* z) {
  if (p.k == 0 || !p.mu) fatal("vae_rt::prior_sample on a prior that was not bound");
  const uint32_t k = prior_component(p, rng_uniform(rng));
  rng_fill_normal(rng, z, p.z);
  const float* mu = p.mu + static_cast<size_t>(k) * p.z;
  const float* lv = p.logvar + static_cast<size_t>(k) * p.z;
  for (uint32_t j = 0; j < p.z; ++j) z[j] = mu[j] + rt_expf(0.5f * lv[j]) * z[j];
}

}  // namespace vae_rt
