// vae/parallel.hpp - split a loop across the library's thread pool (the one sgemm uses);
// the pool itself is lib/train/thread_pool.cpp.
//
// parallel_for(n, grain, f) calls f(lo, hi) on disjoint ranges that cover [0, n), one range per
// thread, the calling thread included. Ranges are multiples of 16 elements (whole cache lines of
// floats) and depend only on n and the thread count, so a loop that writes by index, or reduces
// per range and combines the ranges in order, repeats bit for bit for a given thread count.
// Loops shorter than `grain` elements per thread run whole on the caller. Nothing allocates.
#pragma once

#include <cstddef>
#include <type_traits>

namespace vae {

using RangeFn = void (*)(void* ctx, std::size_t part, std::size_t lo, std::size_t hi);

// The most parts parallel_for will use (the pool's thread count).
std::size_t parallel_parts();

// Threads (>= 1; less is 1) of the pool, the calling thread included. Starts or stops workers,
// so call it outside the training loop. set_blas_threads (vae/blas.hpp) is the public door.
void set_pool_threads(int threads);

// The number of parts parallel_run(n, grain, ...) will use, known before it runs.
std::size_t parallel_plan(std::size_t n, std::size_t grain);

// Part p of `parts` of [0, n), as parallel_run gives it: [lo, hi), lo a multiple of 16 (empty when
// lo == hi). For a loop that splits a second range the same way in one dispatch.
inline void parallel_range(std::size_t n, std::size_t parts, std::size_t p, std::size_t& lo, std::size_t& hi) {
  const std::size_t step = (n / 16 + parts - 1) / parts * 16;
  lo = step * p < n ? step * p : n;
  hi = p + 1 == parts ? n : (lo + step < n ? lo + step : n);
}

// Run fn(ctx, part, lo, hi) for each part of [0, n); returns the number of parts used.
std::size_t parallel_run(std::size_t n, std::size_t grain, RangeFn fn, void* ctx);

// f(part, lo, hi) for each part; returns the number of parts.
template <class F>
std::size_t parallel_for(std::size_t n, std::size_t grain, F&& f) {
  using Fn = std::remove_reference_t<F>;
  return parallel_run(
      n, grain,
      [](void* ctx, std::size_t part, std::size_t lo, std::size_t hi) {
        (*static_cast<Fn*>(ctx))(part, lo, hi);
      },
      const_cast<void*>(static_cast<const void*>(&f)));
}

// f(part, parts) for every part parallel_for(n, grain, ...) would make, an empty one included
// (parallel_for skips those): for a dispatch that splits two ranges alike with parallel_range,
// where a part may have nothing of one and something of the other. Dispatched as `parts` ranges
// of 16, which the pool splits into exactly `parts` parts.
template <class F>
void parallel_for_parts(std::size_t n, std::size_t grain, F&& f) {
  const std::size_t parts = parallel_plan(n, grain);
  parallel_for(parts * 16, 16, [&](std::size_t p, std::size_t, std::size_t) { f(p, parts); });
}

}  // namespace vae
