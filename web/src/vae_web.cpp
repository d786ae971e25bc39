// vae_web.cpp - the thin C API of the WebAssembly module (vae_web.wasm) that web/ runs in the
// browser and web/test/node_test.mjs runs in Node: vae::runtime, unchanged, behind a few extern
// "C" functions over static buffers.
//
//   JS (web/vae.js)                          here
//   copy the file into weights_buffer()  ->  vae_web_init(size): parse + bind decoder and prior
//   seed, prior, n                        ->  vae_web_generate: n latents from PCG32(seed, 0),
//                                             decoded into pixels() (n, 784) uint8
//   latents() (n, Z) float32              ->  vae_web_decode(n)
//   a, b = latents() rows 0 and 1, n      ->  vae_web_interpolate(n): rows 0..n-1 of the line
//   vae_web_dim_x/h/z, vae_web_dtype, vae_web_prior_k, vae_web_prior_means, vae_web_message
//
// The arithmetic is the runtime's and the sampling is vae_gen's (docs/sampling.md): one
// generator rng_seed(seed, stream 0), N latents drawn in order (Z normals, or one mixture draw),
// then decoded; the interpolation is ((1 - t) * a) + (t * b) with t = f32(i) / f32(n - 1). So
// the pixels equal `vae_gen --out x.pgm` for the same file, seed and prior, byte for byte.
//
// Memory: everything is static (no heap, no libc): a weight buffer of weights_capacity bytes,
// the decoder's arena, the latents (max_digits, max_z) and the pixels (max_digits, 784). The
// dims are the file's (D must be 784, the 28 x 28 page; H <= max_h, Z <= max_z), read at init,
// so one module serves the 784-400-20 and 784-400-2 files. Single-threaded.
//
// Not here: drawing, timing, file choice (web/vae.js and web/app.js), or any code of the runtime.
#include <stddef.h>
#include <stdint.h>

#include "vae_rt/decoder.h"
#include "vae_rt/format.h"
#include "vae_rt/prior.h"
#include "vae_rt/rng.h"
#include "vae_rt/status.h"

#define VAE_WEB_EXPORT(name) extern "C" __attribute__((export_name(#name), visibility("default")))

namespace {

namespace fmt = vae_rt::format;

constexpr size_t weights_capacity = 8u << 20;   // bytes; the shipped full VAE is 2.6 MB
constexpr size_t max_digits = 256;              // per call
constexpr size_t max_z = 64;
constexpr size_t max_h = 1024;
constexpr size_t dim_x = 784;                   // 28 x 28: the page draws MNIST-sized digits
constexpr size_t batch = 3;                     // digits per pass over the weights (as vae_gen)

alignas(64) uint8_t g_weights[weights_capacity];   // (size) the file's bytes, copied in by JS
alignas(16) uint8_t g_arena[vae_rt::decoder_arena_bytes(max_z, max_h, batch)];
alignas(16) float g_latents[max_digits * max_z];   // (n, Z)
alignas(16) uint8_t g_pixels[max_digits * dim_x];  // (n, 784)
char g_message[256];

vae_rt::DecoderCore g_dec;
vae_rt::MixturePrior g_prior;
bool g_has_prior = false;

// Status codes of this API beyond vae_rt::Status (negative, so they never collide).
enum WebStatus : int {
  web_not_ready = -1,      // no weight file loaded successfully
  web_too_many = -2,       // n is 0 or above max_digits
  web_no_prior = -3,       // the mixture prior was asked for and the file has none
  web_too_big = -4,        // the file is larger than weights_capacity
  web_unsupported = -5,    // dims this module does not decode (D != 784, H or Z too large)
};

// A tiny appender into g_message (always NUL-terminated, cut at capacity).
struct Msg {
  size_t len = 0;
  Msg() { g_message[0] = '\0'; }
  Msg& s(const char* str) {
    for (; str && *str && len + 1 < sizeof g_message; ++str) g_message[len++] = *str;
    g_message[len] = '\0';
    return *this;
  }
  Msg& u(uint64_t v) {
    char d[24];
    int n = 0;
    do {
      d[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v);
    while (n > 0 && len + 1 < sizeof g_message) g_message[len++] = d[--n];
    g_message[len] = '\0';
    return *this;
  }
};

int fail(vae_rt::Status s, const fmt::Diag& diag) {
  Msg().s(vae_rt::status_str(s)).s(": ").s(diag.text);
  return static_cast<int>(s);
}

// The latent of one draw: a mixture draw, or Z standard normals (vae_gen's `draw`).
void draw(vae_rt::Rng* rng, bool mixture, float* z) {
  if (mixture) {
    vae_rt::prior_sample(g_prior, rng, z);
  } else {
    vae_rt::rng_fill_normal(rng, z, g_dec.file.header.dim_z);
  }
}

int check_call(uint32_t n, int prior) {
  if (!g_dec.ready) {
    Msg().s("no weight file is loaded");
    return web_not_ready;
  }
  if (n == 0 || n > max_digits) {
    Msg().s("the digit count must be 1..").u(max_digits).s(", not ").u(n);
    return web_too_many;
  }
  if (prior && !g_has_prior) {
    Msg().s("this file carries no mixture prior; choose N(0, I)");
    return web_no_prior;
  }
  return 0;
}

[[noreturn]] void on_fatal(const char*) { __builtin_trap(); }   // a bug: trap, JS sees it

}  // namespace

// The runtime may emit calls to memcpy and memset for struct copies and zeroing; there is no
// libc here. (Built with -fno-builtin so that these loops are not turned back into calls.)
extern "C" void* memcpy(void* dst, const void* src, size_t n) {
  auto* d = static_cast<uint8_t*>(dst);
  const auto* s = static_cast<const uint8_t*>(src);
  for (size_t i = 0; i < n; ++i) d[i] = s[i];
  return dst;
}
extern "C" void* memset(void* dst, int v, size_t n) {
  auto* d = static_cast<uint8_t*>(dst);
  for (size_t i = 0; i < n; ++i) d[i] = static_cast<uint8_t>(v);
  return dst;
}

VAE_WEB_EXPORT(vae_web_weights_buffer) uint8_t* vae_web_weights_buffer() { return g_weights; }
VAE_WEB_EXPORT(vae_web_weights_capacity) uint32_t vae_web_weights_capacity() {
  return weights_capacity;
}
VAE_WEB_EXPORT(vae_web_latents) float* vae_web_latents() { return g_latents; }
VAE_WEB_EXPORT(vae_web_pixels) uint8_t* vae_web_pixels() { return g_pixels; }
VAE_WEB_EXPORT(vae_web_max_digits) uint32_t vae_web_max_digits() { return max_digits; }
VAE_WEB_EXPORT(vae_web_message) const char* vae_web_message() { return g_message; }

// Bind the `size` bytes at weights_buffer(): the whole file is validated (CRC included), then
// the decoder's tensors and, when present, the mixture prior. 0 on success; otherwise a status
// (vae_rt::Status, or a WebStatus) with the reason in vae_web_message(). A failure leaves no
// model loaded.
VAE_WEB_EXPORT(vae_web_init) int vae_web_init(uint32_t size) {
  vae_rt::set_abort_hook(on_fatal);
  g_dec = vae_rt::DecoderCore{};
  g_prior = vae_rt::MixturePrior{};
  g_has_prior = false;
  if (size > weights_capacity) {
    Msg().s("the file has ").u(size).s(" bytes; this page reads at most ").u(weights_capacity);
    return web_too_big;
  }
  fmt::Diag diag;
  fmt::File file;
  vae_rt::Status s = fmt::parse(g_weights, size, &file, true, &diag);
  if (s != vae_rt::Status::ok) return fail(s, diag);
  const fmt::Header& h = file.header;
  fmt::Tensor t;
  if (fmt::find_tensor(file, "cls_fc_w", &t) == vae_rt::Status::ok) {
    Msg().s("a digit classifier file; the page needs a VAE or autoencoder file with dec_* tensors");
    return web_unsupported;
  }
  if (h.dim_x != dim_x || h.dim_h == 0 || h.dim_h > max_h || h.dim_z == 0 || h.dim_z > max_z) {
    Msg().s("dims D ").u(h.dim_x).s(", H ").u(h.dim_h).s(", Z ").u(h.dim_z)
        .s(" are not decoded here (D must be 784, H at most ").u(max_h).s(", Z at most ")
        .u(max_z).s(")");
    return web_unsupported;
  }
  vae_rt::DecoderCore core;
  s = vae_rt::decoder_init(&core, h.dim_z, h.dim_h, dim_x, batch, g_weights, size, g_arena,
                           sizeof g_arena, &diag, true);
  if (s != vae_rt::Status::ok) return fail(s, diag);
  vae_rt::MixturePrior prior;
  const bool has_prior = vae_rt::prior_present(core.file);
  if (has_prior) {
    s = vae_rt::prior_bind(core.file, h.dim_z, &prior, &diag);
    if (s != vae_rt::Status::ok) return fail(s, diag);
  }
  g_dec = core;
  g_prior = prior;
  g_has_prior = has_prior;
  Msg().s("ok");
  return 0;
}

VAE_WEB_EXPORT(vae_web_dim_x) uint32_t vae_web_dim_x() { return g_dec.ready ? dim_x : 0; }
VAE_WEB_EXPORT(vae_web_dim_h) uint32_t vae_web_dim_h() { return g_dec.ready ? g_dec.fc.rows : 0; }
VAE_WEB_EXPORT(vae_web_dim_z) uint32_t vae_web_dim_z() { return g_dec.ready ? g_dec.fc.cols : 0; }
// "float32", "int8" or "mixed"; "" before a successful init.
VAE_WEB_EXPORT(vae_web_dtype) const char* vae_web_dtype() {
  return g_dec.ready ? vae_rt::decoder_dtype_name(g_dec) : "";
}
// The mixture prior's K, 0 when the file has none, and its means (K, Z) in the file's bytes.
VAE_WEB_EXPORT(vae_web_prior_k) uint32_t vae_web_prior_k() { return g_has_prior ? g_prior.k : 0; }
VAE_WEB_EXPORT(vae_web_prior_means) const float* vae_web_prior_means() {
  return g_has_prior ? g_prior.mu : nullptr;
}

// n digits of seed (seed_hi << 32 | seed_lo), prior 1 = the file's mixture, 0 = N(0, I): the
// latents into latents() (n, Z), the pixels into pixels() (n, 784). 0 or a status.
VAE_WEB_EXPORT(vae_web_generate) int vae_web_generate(uint32_t seed_lo, uint32_t seed_hi,
                                                      int prior, uint32_t n) {
  if (const int rc = check_call(n, prior)) return rc;
  const size_t Z = g_dec.file.header.dim_z;
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, uint64_t{seed_hi} << 32 | seed_lo, 0);
  for (size_t i = 0; i < n; ++i) draw(&rng, prior != 0, g_latents + i * Z);
  vae_rt::decoder_decode_batch_u8(g_dec, g_latents, n, g_pixels);
  return 0;
}

// Decode the n latents at latents() (n, Z) into pixels() (n, 784).
VAE_WEB_EXPORT(vae_web_decode) int vae_web_decode(uint32_t n) {
  if (const int rc = check_call(n, 0)) return rc;
  vae_rt::decoder_decode_batch_u8(g_dec, g_latents, n, g_pixels);
  return 0;
}

// The n points of the line from a = latents() row 0 to b = row 1, as vae_gen --interpolate
// makes them (t = i / (n - 1), z = ((1 - t) * a) + (t * b)), into latents() rows 0..n-1, and
// their pixels into pixels().
VAE_WEB_EXPORT(vae_web_interpolate) int vae_web_interpolate(uint32_t n) {
  if (const int rc = check_call(n, 0)) return rc;
  const size_t Z = g_dec.file.header.dim_z;
  float a[max_z], b[max_z];
  for (size_t k = 0; k < Z; ++k) {
    a[k] = g_latents[k];
    b[k] = g_latents[Z + k];
  }
  for (size_t i = 0; i < n; ++i) {
    const float t = n == 1 ? 0.0f : static_cast<float>(i) / static_cast<float>(n - 1);
    for (size_t k = 0; k < Z; ++k) g_latents[i * Z + k] = (1.0f - t) * a[k] + t * b[k];
  }
  vae_rt::decoder_decode_batch_u8(g_dec, g_latents, n, g_pixels);
  return 0;
}
