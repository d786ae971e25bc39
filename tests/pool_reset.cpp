// pool_reset.cpp - every test starts from the process's first pool size and kernel choice, as it
// does under ctest, which runs each test in a process of its own. Run whole (`vae_tests`), the
// tests share one process: a test that changes set_blas_threads or set_sparse_simd and fails (or
// forgets) before putting them back would change the tests after it. A listener puts both back
// before each test.
#include <gtest/gtest.h>

#include "vae/blas.hpp"
#include "vae/sparse.hpp"

namespace {

class RestorePoolAndKernels : public ::testing::EmptyTestEventListener {
 public:
  void OnTestStart(const ::testing::TestInfo&) override {
    if (vae::blas_threads() != threads_) vae::set_blas_threads(threads_);
    vae::set_sparse_simd(true);   // the process's default: the best this CPU has
  }

 private:
  const int threads_ = vae::blas_threads();   // as the process started
};

// Registered before main() runs the tests; GoogleTest owns and deletes the listener.
const bool registered = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new RestorePoolAndKernels);
  return true;
}();

}  // namespace
