// classifier.cpp - the softmax cross-entropy of vae/classifier.hpp (see there for the math).
//
// One row at a time, in double for the log-sum-exp (C is 10: the cost is nothing next to the
// matrix products), with std::exp/std::log: the classifier is a hosted judge, not part of the
// runtime's bit-exact decode path.
#include "vae/classifier.hpp"

#include <cmath>

namespace vae {

void log_softmax(float* out, const float* logits, std::size_t C) {
  float m = logits[0];
  for (std::size_t c = 1; c < C; ++c) m = std::max(m, logits[c]);
  double sum = 0.0;   // >= 1: the max term is e^0
  for (std::size_t c = 0; c < C; ++c) sum += std::exp(static_cast<double>(logits[c] - m));
  const double lse = static_cast<double>(m) + std::log(sum);
  for (std::size_t c = 0; c < C; ++c) out[c] = static_cast<float>(static_cast<double>(logits[c]) - lse);
}

double softmax_cross_entropy(float* probs, float* d_logits, const float* logits,
                             const std::uint8_t* labels, std::size_t B, std::size_t C,
                             std::size_t* correct) {
  double total = 0.0;
  std::size_t right = 0;
  for (std::size_t i = 0; i < B; ++i) {
    const float* a = logits + i * C;
    const std::size_t y = labels[i];
    std::size_t arg = 0;
    for (std::size_t c = 1; c < C; ++c) arg = a[c] > a[arg] ? c : arg;
    const double m = static_cast<double>(a[arg]);
    double sum = 0.0;
    for (std::size_t c = 0; c < C; ++c) sum += std::exp(static_cast<double>(a[c]) - m);
    const double lse = m + std::log(sum);
    total += lse - static_cast<double>(a[y]);
    right += arg == y ? 1 : 0;
    if (probs || d_logits) {
      for (std::size_t c = 0; c < C; ++c) {
        const double p = std::exp(static_cast<double>(a[c]) - lse);
        if (probs) probs[i * C + c] = static_cast<float>(p);
        if (d_logits) d_logits[i * C + c] = static_cast<float>(p - (c == y ? 1.0 : 0.0));
      }
    }
  }
  if (correct) *correct = right;
  return total;
}

}  // namespace vae
