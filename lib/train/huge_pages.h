// lib/train/huge_pages.h - ask Linux to back a large buffer with 2 MiB pages (transparent huge
// pages), for the two buffers a training step walks at random or end to end: the model's arena
// (vae/arena.hpp) and the training images (vae/idx.hpp).
//
// Why: with 4 KiB pages, a step's ~25 MB of parameters, Adam state, gradients and activations span
// ~6,000 pages and a shuffled batch reads 128 images from 128 different pages of the 47 MB set:
// TLB misses, each a page walk (two-dimensional under a hypervisor). Alternated on the 2-vCPU
// host (issue 19, session 9, docs/performance.md): a 784-400-20 epoch 0.868 -> 0.850 s.
//
// It is advice, never a requirement: madvise(MADV_HUGEPAGE) only marks the range ("hg" in
// /proc/self/smaps); whether the kernel backs it with huge pages depends on
// /sys/kernel/mm/transparent_hugepage/enabled ("madvise" or "always") and on free memory. With
// THP off, or off Linux, nothing changes but the speed. A failing madvise is ignored.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace vae::detail {

inline constexpr std::size_t huge_page_bytes = std::size_t{2} << 20;

// Advise the whole 2 MiB pages inside [p, p + bytes): a buffer not aligned to 2 MiB keeps its
// partial pages at both ends as they are. Call it before the buffer is first written, so that the
// page faults allocate huge pages directly.
inline void advise_huge_pages(void* p, std::size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  const std::uintptr_t a = reinterpret_cast<std::uintptr_t>(p);
  const std::uintptr_t first = (a + huge_page_bytes - 1) / huge_page_bytes * huge_page_bytes;
  const std::uintptr_t last = (a + bytes) / huge_page_bytes * huge_page_bytes;
  if (last > first) (void)madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
#else
  (void)p, (void)bytes;
#endif
}

}  // namespace vae::detail
