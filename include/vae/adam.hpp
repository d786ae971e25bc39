// vae/adam.hpp - Adam over one contiguous parameter block, as torch.optim.Adam computes it.
//
// Defaults are PyTorch's (lr 1e-3, betas (0.9, 0.999), eps 1e-8, no weight decay, no amsgrad).
// One loop over all parameters of the model: m and v are slices of the same arena, laid out as
// the parameters are.
#pragma once

#include <cstddef>
#include <cstdint>

namespace vae {

// What a trainer (vae/trainer.hpp, vae/classifier.hpp) does to a model's parameters and their
// Adam state when it is built: draw them from its seed, or keep them as they are (weights just
// loaded, a checkpoint about to be restored). Always said by the caller, never implied.
enum class ParamInit { from_seed, keep };

struct AdamConfig {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
};

// One update at step t (t = 1 for the first call). For each parameter:
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
//   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// which is PyTorch 1.13's single-tensor formula, bias corrections included.
void adam_step(float* params, const float* grads, float* m, float* v, std::size_t n,
               const AdamConfig& cfg, std::int64_t t);

// The memory traffic of adam_step alone, as its bandwidth bound (bench_train prints the two side
// by side): one pass over the same n values that reads params, grads, m and v and writes params,
// m and v, split across the pool as adam_step is, with no arithmetic to speak of. Every value is
// written back unchanged when zero_mask is 0 (each is XORed with it; pass a value the compiler
// cannot see, so that the loads and stores stay). Not part of training.
void adam_stream_bound(float* params, const float* grads, float* m, float* v, std::size_t n,
                       std::uint32_t zero_mask);

}  // namespace vae
