// vae_rt/ascii.h - digits as text, and a checksum of their pixels; shared by vae_gen (host) and
// the mcu_gen firmware so that their outputs can be compared character for character.
// Freestanding: no stdio, the caller prints the buffer.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace vae_rt {

// The ramp from dark to light: pixel p (0..255) maps to ascii_ramp[p * 10 / 256].
inline constexpr char ascii_ramp[] = " .:-=+*#%@";

// Write an image of rows x cols uint8 pixels as rows lines of cols characters, each line ended
// by '\n'. out must hold rows * (cols + 1) chars; no NUL is written. Returns the chars written.
inline size_t ascii_art(const uint8_t* pixels, size_t rows, size_t cols, char* out) {
  size_t n = 0;
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols; ++c) out[n++] = ascii_ramp[pixels[r * cols + c] * 10u / 256u];
    out[n++] = '\n';
  }
  return n;
}

// FNV-1a, 32-bit, over n bytes: the pixel checksum printed by vae_gen --ascii and mcu_gen.
inline uint32_t fnv1a32(const uint8_t* bytes, size_t n, uint32_t h = 0x811c9dc5u) {
  for (size_t i = 0; i < n; ++i) h = (h ^ bytes[i]) * 0x01000193u;
  return h;
}

}  // namespace vae_rt
