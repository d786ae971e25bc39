// gradcheck.hpp - finite-difference gradient checking for float32 layers.
//
// check_gradient() perturbs each value of a float buffer by +-h, re-evaluates a scalar loss
// (accumulated in double by the caller), and compares the central difference with the analytic
// gradient. Why the tolerance below is right for float32: the loss is computed from float
// activations, so each evaluation carries a relative rounding error of about n_terms * 2^-24;
// divided by 2h, that is ~1e-4 of the loss scale for h = 1e-2 and losses of O(1..100).
// The truncation error of the central difference is h^2/6 |f'''|, ~1e-5 for smooth layers.
// So |fd - analytic| <= atol + rtol * |analytic| with atol ~ 2e-3 and rtol ~ 1e-2 separates a
// right gradient from a wrong one (a wrong factor or sign fails by O(1)). ReLU kinks are
// avoided by the callers (inputs kept away from 0 by more than h).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <functional>
#include <string>

namespace vae_test {

struct GradcheckResult {
  std::size_t checked = 0;
  std::size_t failed = 0;
  double max_abs_err = 0.0;
};

inline GradcheckResult check_gradient(const std::string& what, float* values, const float* analytic,
                                      std::size_t n, const std::function<double()>& loss,
                                      float h = 1e-2f, double atol = 2e-3, double rtol = 1e-2,
                                      std::size_t stride = 1) {
  GradcheckResult r;
  for (std::size_t i = 0; i < n; i += stride) {
    const float saved = values[i];
    values[i] = saved + h;
    const double up = loss();
    values[i] = saved - h;
    const double down = loss();
    values[i] = saved;
    const double fd = (up - down) / (2.0 * static_cast<double>(h));
    const double an = static_cast<double>(analytic[i]);
    const double err = std::fabs(fd - an);
    r.max_abs_err = std::max(r.max_abs_err, err);
    ++r.checked;
    if (err > atol + rtol * std::fabs(an)) {
      if (r.failed < 5) {
        ADD_FAILURE() << what << "[" << i << "]: finite difference " << fd << " vs analytic " << an;
      }
      ++r.failed;
    }
  }
  return r;
}

}  // namespace vae_test
