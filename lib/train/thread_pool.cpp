// thread_pool.cpp - the library's thread pool and parallel_for (see vae/parallel.hpp).
//
// One small persistent pool shared by sgemm (lib/train/blas.cpp) and every elementwise loop of the
// training step. What it is not: a general task system (one job at a time, issued by one thread).
#include "vae/parallel.hpp"

#include "vae/blas.hpp"   // set_flush_denormals

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
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

// One loop split into parts: [0, n) in blocks that are multiples of 16 elements.
struct Job {
  RangeFn fn;
  void* ctx;
  std::size_t n;
  std::size_t parts;
  unsigned fp_mode;   // the caller's MXCSR, so workers flush denormals when the caller does

  void run(std::size_t p) const {
    write_fp_mode(fp_mode);
    std::size_t lo, hi;
    parallel_range(n, parts, p, lo, hi);
    if (lo < hi) fn(ctx, p, lo, hi);
  }
};

// A fixed set of workers that share each job's parts with the caller. Parts are claimed from an
// atomic counter, so whoever is free takes the next one: when the machine is oversubscribed and a
// worker is slow to wake, the caller runs that worker's part itself instead of waiting a scheduler
// quantum for it (with a fixed part per thread, a step slowed from 2.1 s to 23 s an epoch when two
// compilers shared the two cores). Which thread runs a part never changes its result: each part
// writes its own slice and its own partial sum, combined in part order by the caller.
// Workers spin briefly on a generation counter (a step issues its loops back to back), then sleep
// on a condition variable. Nothing here allocates after the workers are started.
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
    // Each worker starts from the generation current now, so a job posted before the thread
    // first runs is still seen as new.
    const std::uint64_t start = generation_.load();
    for (int i = 1; i < threads; ++i) {
      workers_.emplace_back([this, start] { work(start); });
    }
  }

  void run(const Job& job) {
    if (job.parts <= 1) {
      job.run(0);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &job;
      next_part_.store(0, std::memory_order_relaxed);
      parts_done_.store(0, std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    claim_and_run(job);
    // Every part is claimed; wait for those a worker is still running.
    wait_until([&] { return parts_done_.load(std::memory_order_acquire) == job.parts; });
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = nullptr;   // a worker waking late finds no job and cannot touch this one...
    }
    // ...and one that entered it has left before `job` goes out of scope.
    wait_until([&] { return active_.load(std::memory_order_acquire) == 0; });
  }

 private:
  static void pause() {
#if defined(__SSE__)
    _mm_pause();
#endif
  }

  // Spin ~10 us, then yield the core: under oversubscription the thread we wait for may need it.
  template <class Done>
  static void wait_until(Done done) {
    for (int spin = 0; !done(); ++spin) {
      if (spin < 2000) {
        pause();
      } else {
        std::this_thread::yield();
      }
    }
  }

  void claim_and_run(const Job& job) {
    for (std::size_t p; (p = next_part_.fetch_add(1, std::memory_order_relaxed)) < job.parts;) {
      job.run(p);
      parts_done_.fetch_add(1, std::memory_order_release);
    }
  }

  void work(std::uint64_t seen) {
    for (;;) {
      // Spin up to ~50 us for the next job, then sleep.
      for (int spin = 0; spin < 20000 && generation_.load(std::memory_order_acquire) == seen; ++spin) {
        pause();
      }
      const Job* job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return generation_.load() != seen; });
        seen = generation_.load();
        if (stop_) return;
        job = job_;
        if (!job) continue;   // that job was finished without us
        active_.fetch_add(1, std::memory_order_relaxed);
      }
      claim_and_run(*job);
      active_.fetch_sub(1, std::memory_order_release);
    }
  }

  int threads_ = 1;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<std::size_t> next_part_{0};    // the next part to claim
  std::atomic<std::size_t> parts_done_{0};   // parts finished
  std::atomic<int> active_{0};               // workers inside the current job
  const Job* job_ = nullptr;                 // the current job; null once the caller has it done
  bool stop_ = false;
};

Pool& pool() {
  static Pool p;
  return p;
}

}  // namespace

std::size_t parallel_parts() { return static_cast<std::size_t>(pool().threads()); }

std::size_t parallel_plan(std::size_t n, std::size_t grain) {
  const std::size_t threads = parallel_parts();
  const std::size_t parts = grain ? std::min(threads, n / grain) : threads;
  return std::max<std::size_t>(1, std::min(parts, n / 16));
}

std::size_t parallel_run(std::size_t n, std::size_t grain, RangeFn fn, void* ctx) {
  const std::size_t parts = parallel_plan(n, grain);
  const Job job{fn, ctx, n, parts, read_fp_mode()};
  pool().run(job);
  return parts;
}

void set_pool_threads(int threads) { pool().resize(threads < 1 ? 1 : threads); }

void set_flush_denormals() {
#if defined(__SSE__)
  _mm_setcsr(_mm_getcsr() | 0x8040u);   // FTZ (bit 15) | DAZ (bit 6)
#endif
}

}  // namespace vae
