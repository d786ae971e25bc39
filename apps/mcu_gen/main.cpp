// mcu_gen - firmware that generates digits with the int8 decoder and prints them.
//
// The int8 decoder-only weights are linked in as a const byte array (generated at build time by
// `vae_export --c-source mcu_weights` from weights/mnist_vae_decoder_int8.vaew). The decoder's
// arena is a static, alignas(16) array sized by the compile-time constant. For each fixed seed it
// draws z ~ N(0, I) with the library's portable sampler, decodes a 28x28 digit, prints it as ASCII
// art and prints the FNV-1a checksum of its uint8 pixels; when the weights carry a mixture prior
// (vae_rt/prior.h, read in place from flash like the weights) it does the same once more with z
// drawn from the mixture. Then it reports memory use and exits.
// The same source builds for the host (platform_host.cpp) for debugging, and its output must be
// identical there, on the Cortex-M4 under QEMU, and from `vae_gen --ascii` with the same seeds.
//
// The decoder's shape is a compile-time one: the firmware's, VAE_MCU_H and VAE_MCU_Z, is read from
// the embedded file's header at configure time (apps/mcu_gen/CMakeLists.txt), so the arena is
// exactly that decoder's. The host build (VAE_MCU_HOST) has one decoder per shape of VAE_MODELS
// (apps/common/vae_models.hpp) and picks the file's: the embedded one, or a file given on its
// command line (`mcu_gen_host FILE.vaew`, an int8 export of any compiled shape).
//
// Where the platform has a clock (platform.h), each digit's cost (drawing z and decoding) is
// printed in instructions, exact under qemu -icount shift=0 (scripts/instructions-per-digit).
// No heap, no stdio, no exceptions: numbers are formatted by hand below.
#include <stddef.h>
#include <stdint.h>

#include "mcu_weights.h"
#include "platform.h"
#include "vae_rt/ascii.h"
#include "vae_rt/decoder.h"
#include "vae_rt/prior.h"
#include "vae_rt/rng.h"
#ifdef VAE_MCU_HOST
#include "vae_rt/format.h"
#include "vae_models.def"   // VAE_MODEL(D, H, Z) per compiled shape
#endif

namespace {

constexpr uint32_t kSeeds[] = {1, 2, 3, 4};

uint8_t g_pixels[784];                                 // one digit, 28 x 28
char g_text[28 * 29];                                  // its ASCII art

void print(const char* s) {
  size_t n = 0;
  while (s[n]) ++n;
  platform_write(s, n);
}

void print_u32(uint32_t v) {
  char buf[10];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  char out[10];
  for (int i = 0; i < n; ++i) out[i] = buf[n - 1 - i];
  platform_write(out, static_cast<size_t>(n));
}

void print_hex32(uint32_t v) {
  char out[10] = {'0', 'x'};
  for (int i = 0; i < 8; ++i) out[2 + i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 15u];
  platform_write(out, 10);
}

void on_log(const char* message) {
  print("mcu_gen: ");
  print(message);
  print("\n");
}

[[noreturn]] void on_abort(const char* message) {
  on_log(message);
  platform_exit(1);
}

// The digits of the weights (size bytes) with the decoder Z-H-784.
template <size_t Z, size_t H>
int generate_digits(const uint8_t* weights, size_t size) {
  using Decoder = vae_rt::Decoder<Z, H, 784>;
  alignas(16) static uint8_t g_arena[Decoder::arena_bytes];   // the decoder's only working memory

  Decoder decoder;
  vae_rt::format::Diag diag;
  const vae_rt::Status status = decoder.init(weights, size, g_arena, sizeof g_arena, &diag);
  if (status != vae_rt::Status::ok) {
    print("mcu_gen: cannot load the weights: ");
    print(diag.text);
    print("\n");
    return 1;
  }
  print("mcu_gen: decoder ");
  print_u32(static_cast<uint32_t>(Z));
  print("-");
  print_u32(static_cast<uint32_t>(H));
  print("-784, ");
  print(decoder.dtype_name());
  print(" weights, ");
  print_u32(static_cast<uint32_t>(decoder.weight_bytes()));
  print(" weight bytes, arena ");
  print_u32(static_cast<uint32_t>(decoder.arena_used()));
  print(" of ");
  print_u32(static_cast<uint32_t>(sizeof g_arena));
  print(" bytes\n");

  // The mixture prior, if the weights carry one: a few pointers into them, nothing copied.
  vae_rt::MixturePrior prior;
  const bool has_prior = vae_rt::prior_present(decoder.file());
  if (has_prior) {
    if (vae_rt::prior_bind(decoder.file(), Decoder::dim_z, &prior, &diag) != vae_rt::Status::ok) {
      print("mcu_gen: cannot load the mixture prior: ");
      print(diag.text);
      print("\n");
      return 1;
    }
    print("mcu_gen: mixture prior of ");
    print_u32(prior.k);
    print(" components\n");
  } else {
    print("mcu_gen: no mixture prior in the weights\n");
  }

  // The same lines as `vae_gen --prior P --count 1 --seed S --ascii` on the host.
  for (uint32_t seed : kSeeds) {
    for (int use_prior = 0; use_prior <= (has_prior ? 1 : 0); ++use_prior) {
      vae_rt::Rng rng;
      vae_rt::rng_seed(&rng, seed, 0);
      const uint32_t t0 = platform_ticks();
      decoder.generate(&rng, g_pixels, use_prior ? &prior : nullptr);
      const uint64_t cost = platform_ticks_to_instructions(platform_ticks() - t0);
      print("seed ");
      print_u32(seed);
      print(use_prior ? " prior gmm" : " prior normal");
      print(" digit 0 fnv1a ");
      print_hex32(vae_rt::fnv1a32(g_pixels, sizeof g_pixels));
      print("\n");
      platform_write(g_text, vae_rt::ascii_art(g_pixels, 28, 28, g_text));
      if (cost != 0) {   // a board with a clock; exact instructions under qemu -icount shift=0
        print("mcu_gen: instructions per digit (");
        print(decoder.dtype_name());
        print(use_prior ? ", gmm): " : ", normal): ");
        print_u32(static_cast<uint32_t>(cost));
        print("\n");
      }
    }
  }
  if (platform_stack_size() != 0) {
    print("mcu_gen: stack used ");
    print_u32(static_cast<uint32_t>(platform_stack_used()));
    print(" of ");
    print_u32(static_cast<uint32_t>(platform_stack_size()));
    print(" bytes\n");
  }
  print("mcu_gen: done\n");
  return 0;
}

}  // namespace

#ifdef VAE_MCU_HOST
int app_main_weights(const uint8_t* weights, size_t size) {
  vae_rt::set_log_hook(on_log);
  vae_rt::set_abort_hook(on_abort);
  vae_rt::format::File file;
  vae_rt::format::Diag diag;
  if (vae_rt::format::parse(weights, size, &file, true, &diag) != vae_rt::Status::ok) {
    print("mcu_gen: cannot load the weights: ");
    print(diag.text);
    print("\n");
    return 1;
  }
  const vae_rt::format::Header& h = file.header;
#define VAE_MODEL(X, H, Z) \
  if (h.dim_x == (X) && h.dim_h == (H) && h.dim_z == (Z)) return generate_digits<Z, H>(weights, size);
#include "vae_models.def"
#undef VAE_MODEL
  print("mcu_gen: ");
  print_u32(h.dim_x);
  print("-");
  print_u32(h.dim_h);
  print("-");
  print_u32(h.dim_z);
  print(" is not compiled into this build (it has " VAE_MODELS_TEXT "); reconfigure with -DVAE_MODELS=\"" VAE_MODELS_LIST ";");
  print_u32(h.dim_x);
  print("-");
  print_u32(h.dim_h);
  print("-");
  print_u32(h.dim_z);
  print("\"\n");
  return 1;
}
int app_main() { return app_main_weights(mcu_weights, mcu_weights_size); }
#else
int app_main() {
  vae_rt::set_log_hook(on_log);
  vae_rt::set_abort_hook(on_abort);
  return generate_digits<VAE_MCU_Z, VAE_MCU_H>(mcu_weights, mcu_weights_size);
}
#endif
