// text.h - a tiny freestanding text builder for the runtime's diagnostics (Diag messages).
//
// Appends strings and unsigned integers into a fixed char buffer, always NUL-terminated, silently
// cut at capacity. Not printf: no floats, no widths, no locale; private to lib/runtime.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace vae_rt {
namespace detail {

struct Text {
  char* buf;     // (cap) the caller's storage
  size_t cap;    // > 0
  size_t len = 0;

  Text(char* b, size_t c) : buf(b), cap(c) { buf[0] = '\0'; }
  Text& s(const char* str) {
    for (; str && *str && len + 1 < cap; ++str) buf[len++] = *str;
    buf[len] = '\0';
    return *this;
  }
  Text& u(uint64_t v) {
    char digits[24];
    int n = 0;
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v);
    while (n > 0 && len + 1 < cap) buf[len++] = digits[--n];
    buf[len] = '\0';
    return *this;
  }
};

}  // namespace detail
}  // namespace vae_rt
