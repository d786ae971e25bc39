// blas.cpp - sgemm over OpenBLAS's CBLAS, split across the library's own thread pool.
#include "vae/blas.hpp"

#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace vae {
namespace {

unsigned read_fp_mode() {
#if defined(__SSE__)
  return _mm_getcsr();
#else
  return 0;
#endif
}
void write_fp_mode(unsigned mode) {
#if defined(__SSE__)
  if (_mm_getcsr() != mode) _mm_setcsr(mode);
#else
  (void)mode;
#endif
}

void sgemm_1(Trans ta, Trans tb, std::size_t M, std::size_t N, std::size_t K, float alpha,
             const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta, float* C,
             std::size_t ldc) {
  cblas_sgemm(CblasRowMajor, ta == Trans::yes ? CblasTrans : CblasNoTrans,
              tb == Trans::yes ? CblasTrans : CblasNoTrans, static_cast<blasint>(M),
              static_cast<blasint>(N), static_cast<blasint>(K), alpha, A, static_cast<blasint>(lda),
              B, static_cast<blasint>(ldb), beta, C, static_cast<blasint>(ldc));
}

// One sgemm to be split: part p of `parts` computes a block of C's rows or columns.
struct GemmJob {
  Trans ta, tb;
  std::size_t M, N, K;
  float alpha;
  const float* A;
  std::size_t lda;
  const float* B;
  std::size_t ldb;
  float beta;
  float* C;
  std::size_t ldc;
  bool split_rows;   // else columns
  int parts;
  unsigned fp_mode;

  void run(int p) const {
    write_fp_mode(fp_mode);
    const std::size_t extent = split_rows ? M : N;
    // Blocks are multiples of 16 so that every thread's kernel sees whole vector tiles.
    const std::size_t step = (extent / 16 + static_cast<std::size_t>(parts) - 1) / static_cast<std::size_t>(parts) * 16;
    const std::size_t lo = std::min(extent, step * static_cast<std::size_t>(p));
    const std::size_t hi = p + 1 == parts ? extent : std::min(extent, lo + step);
    if (lo >= hi) return;
    if (split_rows) {
      const float* a = ta == Trans::yes ? A + lo : A + lo * lda;
      sgemm_1(ta, tb, hi - lo, N, K, alpha, a, lda, B, ldb, beta, C + lo * ldc, ldc);
    } else {
      const float* b = tb == Trans::yes ? B + lo * ldb : B + lo;
      sgemm_1(ta, tb, M, hi - lo, K, alpha, A, lda, b, ldb, beta, C + lo, ldc);
    }
  }
};

// A fixed set of workers that run parts 1..n-1 of a job while the caller runs part 0. Workers
// spin briefly on a generation counter (a step issues GEMMs back to back), then sleep on a
// condition variable. Nothing here allocates after the workers are started.
class Pool {
 public:
  ~Pool() { resize(1); }

  int threads() const { return threads_; }

  void resize(int threads) {
    if (threads == threads_) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
      generation_.fetch_add(1);
    }
    wake_.notify_all();
    for (std::thread& t : workers_) t.join();
    workers_.clear();
    stop_ = false;
    threads_ = threads;
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { work(i); });
  }

  void run(const GemmJob& job) {
    if (job.parts <= 1) {
      job.run(0);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &job;
      pending_.store(job.parts - 1);
      generation_.fetch_add(1);
    }
    wake_.notify_all();
    job.run(0);
    while (pending_.load(std::memory_order_acquire) != 0) {
#if defined(__SSE__)
      _mm_pause();
#endif
    }
  }

 private:
  void work(int index) {
    std::uint64_t seen = generation_.load();
    for (;;) {
      // Spin up to ~50 us for the next job, then sleep.
      for (int spin = 0; spin < 20000 && generation_.load(std::memory_order_acquire) == seen; ++spin) {
#if defined(__SSE__)
        _mm_pause();
#endif
      }
      const GemmJob* job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return generation_.load() != seen; });
        seen = generation_.load();
        if (stop_) return;
        job = job_;
      }
      if (index < job->parts) job->run(index);
      pending_.fetch_sub(1, std::memory_order_release);
    }
  }

  int threads_ = 1;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  const GemmJob* job_ = nullptr;
  bool stop_ = false;
};

Pool& pool() {
  static Pool p;
  return p;
}

// OpenBLAS must stay single-threaded: our pool is the parallelism.
const bool g_openblas_single = [] {
  openblas_set_num_threads(1);
  return true;
}();

}  // namespace

void sgemm(Trans trans_a, Trans trans_b, std::size_t M, std::size_t N, std::size_t K, float alpha,
           const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta, float* C,
           std::size_t ldc) {
  GemmJob job{trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, false, 1, read_fp_mode()};
  const int threads = pool().threads();
  // Splitting pays only for products of a few MFLOP; small ones (the latent heads) run whole.
  const double flops = 2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
  if (threads > 1 && flops >= 4e6) {
    job.split_rows = M > N;
    const std::size_t extent = job.split_rows ? M : N;
    job.parts = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(threads), extent / 16));
  }
  pool().run(job);
}

void set_blas_threads(int threads) {
  (void)g_openblas_single;
  openblas_set_num_threads(1);
  pool().resize(threads < 1 ? 1 : threads);
}

int blas_threads() { return pool().threads(); }

void set_flush_denormals() {
#if defined(__SSE__)
  _mm_setcsr(_mm_getcsr() | 0x8040u);   // FTZ (bit 15) | DAZ (bit 6)
#endif
}

}  // namespace vae
