// consumer.cpp - a program that uses vae::runtime with no C++ standard library at all.
//
// tests/freestanding/check.cmake compiles the runtime's sources and this file with -ffreestanding
// -fno-exceptions -fno-rtti -nostdinc++ and links with -nodefaultlibs -lc -lgcc (no libstdc++,
// no libm), which proves the runtime needs nothing beyond freestanding headers. It writes a tiny
// weight file for Decoder<3, 8, 16> by hand from the byte layout of docs/weights-format.md (an
// independent writer, using only the CRC and the format constants), decodes it, checks the
// loader's failures, and prints a CRC of the generated pixels. libc's puts/printf are the
// "platform" here (a UART on a board); the runtime itself never calls them.
#include <stdio.h>

#include "vae_rt/crc32.h"
#include "vae_rt/decoder.h"

namespace {

namespace fmt = vae_rt::format;

// Header, four records, then the tensors each at a multiple of 64.
alignas(64) uint8_t g_file[2048];
alignas(16) uint8_t g_arena[vae_rt::Decoder<3, 8, 16>::arena_bytes];

void put_u32(uint32_t at, uint32_t v) { fmt::store_u32(g_file + at, v); }

uint32_t add_tensor(uint32_t index, const char* name, uint32_t rows, uint32_t cols, uint32_t rank,
                    uint32_t offset, vae_rt::Rng* rng) {
  const uint32_t r = 64 + 64 * index;
  for (uint32_t k = 0; name[k]; ++k) g_file[r + k] = static_cast<uint8_t>(name[k]);
  put_u32(r + 32, 1);   // float32
  put_u32(r + 36, rank);
  put_u32(r + 40, rows);
  put_u32(r + 44, cols);
  put_u32(r + 48, offset);
  put_u32(r + 52, rows * cols * 4);
  for (uint32_t i = 0; i < rows * cols; ++i) {
    const float v = vae_rt::rng_uniform(rng, -1.0f, 1.0f);
    __builtin_memcpy(g_file + offset + 4 * i, &v, 4);
  }
  return offset + (rows * cols * 4 + 63) / 64 * 64;
}

uint32_t build_file() {
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 42, 0);
  uint32_t off = 64 + 4 * 64;   // data after the table, already a multiple of 64
  off = add_tensor(0, "dec_fc_w", 8, 3, 2, off, &rng);
  off = add_tensor(1, "dec_fc_b", 8, 1, 1, off, &rng);
  off = add_tensor(2, "dec_out_w", 16, 8, 2, off, &rng);
  const uint32_t size = off + 16 * 4;   // dec_out_b is last: no trailing padding
  add_tensor(3, "dec_out_b", 16, 1, 1, off, &rng);
  g_file[0] = 'V'; g_file[1] = 'A'; g_file[2] = 'E'; g_file[3] = 'W';
  put_u32(4, 1);          // version
  put_u32(8, 64);         // header size
  put_u32(12, 0);         // flags: decoder only, float32
  put_u32(16, 16);        // D
  put_u32(20, 8);         // H
  put_u32(24, 3);         // Z
  put_u32(32, 4);         // tensors
  put_u32(36, 64);        // table offset
  put_u32(48, size);      // file size
  put_u32(52, 0);
  put_u32(52, vae_rt::crc32(g_file, size));   // CRC with its own field zero
  return size;
}

int failures = 0;
void expect(bool ok, const char* what) {
  if (!ok) {
    printf("FAIL: %s\n", what);
    ++failures;
  }
}

}  // namespace

int main() {
  const uint32_t size = build_file();
  vae_rt::Decoder<3, 8, 16> dec;
  fmt::Diag diag;
  const vae_rt::Status s = dec.init(g_file, size, g_arena, sizeof g_arena, &diag);
  printf("init: %s %s\n", vae_rt::status_str(s), diag.text);
  expect(s == vae_rt::Status::ok, "a hand-written file loads");
  expect(dec.arena_used() == (8 + 3) * 4 + 4, "arena: h (8) and z (3) floats, 16-byte rounded");

  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 1, 0);
  uint8_t pixels[16 * 10];
  for (int i = 0; i < 10; ++i) dec.generate(&rng, pixels + 16 * i);
  printf("pixels crc32 %08x\n", static_cast<unsigned>(vae_rt::crc32(pixels, sizeof pixels)));

  g_file[200] ^= 1;   // a flipped bit in the table
  expect(dec.init(g_file, size, g_arena, sizeof g_arena, &diag) == vae_rt::Status::bad_crc,
         "a flipped byte is a CRC error");
  g_file[200] ^= 1;
  expect(dec.init(g_file, size - 1, g_arena, sizeof g_arena, &diag) == vae_rt::Status::truncated,
         "a short file is truncated");
  vae_rt::Decoder<2, 8, 16> wrong;
  expect(wrong.init(g_file, size, g_arena, sizeof g_arena, &diag) == vae_rt::Status::dims_mismatch,
         "other dims are a dims mismatch");
  printf("%s\n", failures ? "FAILED" : "freestanding consumer OK");
  return failures ? 1 : 0;
}
