// A user's Cortex-M4F firmware that links vae::runtime: the whole of it, startup included, in one
// file, as a firmware engineer would write it around our library. It embeds an int8 decoder
// (VAE_WEIGHTS_FILE, through .incbin), generates the digit of seed 1 from N(0, I) and prints its
// FNV-1a checksum through ARM semihosting, then exits. Built by the consumer tests with only
// the cross compiler: -nostartfiles, no -lm, no syscalls (nothing provides _sbrk or _write).
// Its flags are the user's own (the toolchain file's), not ours: no -fno-math-errno.
#include <stddef.h>
#include <stdint.h>

#include "vae_rt/ascii.h"
#include "vae_rt/decoder.h"
#include "vae_rt/rng.h"

#ifndef VAE_WEIGHTS_FILE
#error "define VAE_WEIGHTS_FILE: the path of an int8 decoder .vaew to embed"
#endif

// The weight file, linked in as const data (flash), 64-byte aligned as the format prefers.
extern "C" const uint8_t vae_weights[], vae_weights_end[];
__asm__(".section .rodata.vae_weights,\"a\"\n"
        ".balign 64\n"
        ".global vae_weights\n"
        "vae_weights:\n"
        ".incbin \"" VAE_WEIGHTS_FILE "\"\n"
        ".global vae_weights_end\n"
        "vae_weights_end:\n"
        ".previous\n");

extern "C" {
extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
void Reset_Handler();
}

namespace {

using Decoder = vae_rt::Decoder<20, 400, 784>;
alignas(16) uint8_t g_arena[Decoder::arena_bytes];
uint8_t g_pixels[784];

int semihost(int op, const void* arg) {
  register int r0 __asm__("r0") = op;
  register const void* r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}
void print(const char* s) { semihost(0x04, s); }   // SYS_WRITE0
[[noreturn]] void exit_with(bool ok) {
  // SYS_EXIT: ADP_Stopped_ApplicationExit (QEMU exits 0) or RunTimeErrorUnknown (exits 1).
  semihost(0x18, reinterpret_cast<const void*>(ok ? 0x20026u : 0x20023u));
  for (;;) {
  }
}

int run() {
  Decoder decoder;
  vae_rt::format::Diag diag;
  const size_t size = static_cast<size_t>(vae_weights_end - vae_weights);
  if (decoder.init(vae_weights, size, g_arena, sizeof g_arena, &diag) != vae_rt::Status::ok) {
    print("consumer: cannot load the weights: ");
    print(diag.text);
    print("\n");
    return 1;
  }
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 1, 0);
  decoder.generate(&rng, g_pixels);
  const uint32_t h = vae_rt::fnv1a32(g_pixels, sizeof g_pixels);
  char line[] = "consumer: seed 1 prior normal fnv1a 0x00000000\n";
  char* hex = line + sizeof line - 10;   // the 8 zeros before "\n" and the NUL
  for (int i = 0; i < 8; ++i) hex[i] = "0123456789abcdef"[(h >> (28 - 4 * i)) & 15u];
  print(line);
  return 0;
}

}  // namespace

extern "C" void Reset_Handler() {
  volatile uint32_t* cpacr = reinterpret_cast<volatile uint32_t*>(0xE000ED88u);
  *cpacr |= 0xFu << 20;   // the FPU, before any floating-point instruction
  __asm__ volatile("dsb\n\tisb" ::: "memory");
  for (uint32_t *src = &_sidata, *dst = &_sdata; dst < &_edata;) *dst++ = *src++;
  for (uint32_t* dst = &_sbss; dst < &_ebss;) *dst++ = 0;
  exit_with(run() == 0);
}

__attribute__((section(".isr_vector"), used)) void (*const g_vectors[2])() = {
    reinterpret_cast<void (*)()>(&_estack), Reset_Handler};
