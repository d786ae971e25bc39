// arena.cpp - the bump allocator behind every model (see vae/arena.hpp).
#include "vae/arena.hpp"

#include <cstdlib>
#include <cstring>
#include <string>

#include "vae/error.hpp"
#include "huge_pages.h"

namespace vae {

Arena::Arena(std::size_t capacity) : capacity_(align_up(capacity)), owned_(true) {
  // An arena of a huge page or more (a training model's: 784-400-20 at batch 128 is ~25 MB) is
  // allocated in whole 2 MiB pages, aligned to them, and advised huge before the carves first
  // write it (huge_pages.h). Smaller arenas take the cache-line alignment they always had.
  if (capacity_ >= detail::huge_page_bytes) {
    const std::size_t bytes = align_up(capacity_, detail::huge_page_bytes);
    base_ = static_cast<std::uint8_t*>(std::aligned_alloc(detail::huge_page_bytes, bytes));
    if (base_) detail::advise_huge_pages(base_, bytes);
  } else {
    base_ = static_cast<std::uint8_t*>(std::aligned_alloc(arena_alignment, capacity_ ? capacity_ : arena_alignment));
  }
  if (!base_) {
    throw Error("arena: cannot allocate " + std::to_string(capacity_) + " bytes");
  }
}

Arena::Arena(void* buffer, std::size_t capacity)
    : base_(static_cast<std::uint8_t*>(buffer)), capacity_(capacity), owned_(false) {
  if (!buffer) throw Error("arena: the caller's buffer is null");
  if (reinterpret_cast<std::uintptr_t>(buffer) % arena_alignment != 0) {
    throw Error("arena: the caller's buffer must be aligned to " +
                std::to_string(arena_alignment) + " bytes");
  }
}

Arena::~Arena() {
  if (owned_) std::free(base_);
}

void* Arena::carve_bytes(std::size_t bytes, const char* what) {
  const std::size_t need = align_up(bytes);
  if (need > capacity_ - used_) {
    throw Error("arena overflow carving '" + std::string(what) + "' (" + std::to_string(need) +
                " bytes): short by " + std::to_string(need - (capacity_ - used_)) +
                " bytes (capacity " + std::to_string(capacity_) + ", used " +
                std::to_string(used_) + ")");
  }
  std::uint8_t* p = base_ + used_;
  std::memset(p, 0, need);
  used_ += need;
  return p;
}

float* Arena::carve_floats(std::size_t count, const char* what) {
  return static_cast<float*>(carve_bytes(count * sizeof(float), what));
}

}  // namespace vae
