// vae_rt/decoder.h - the freestanding decoder: latent z -> 28x28 digit, weights used in place.
//
//   using Dec = vae_rt::Decoder<20, 400, 784, 3>;      // 3 digits per pass over the weights
//   alignas(16) static uint8_t arena[Dec::arena_bytes];   // 5,040 bytes
//   Dec dec;
//   vae_rt::format::Diag diag;
//   if (dec.init(weights, weights_size, arena, sizeof arena, &diag) != vae_rt::Status::ok) {
//     vae_rt::log(diag.text);  // e.g. "file has latent 2; this runtime was built for 20"
//   }
//   vae_rt::Rng rng; vae_rt::rng_seed(&rng, seed, 0);
//   uint8_t pixels[100][784];
//   dec.generate_batch(&rng, 100, pixels[0]);   // = 100 x dec.generate(&rng, pixels[i])
//
// The network is the training library's Decoder: h (H) = relu(dec_fc_w z + dec_fc_b), then
// pixels (D) = sigmoid(dec_out_w h + dec_out_b), with the kernels of vae_rt/kernels.h (their
// summation order is fixed and documented there) and vae_rt::rt_sigmoidf, so outputs are the
// same bits on every IEEE platform without FMA contraction.
//
// Batching: Batch digits share one pass over the weights (each weight row is loaded once for all
// of them), which is what makes generation fast: W2 (D, H) is 1.25 MB float32 for 784-400-20 and
// streams from L3 on every pass. Batch changes only the arena size and the speed, never a pixel:
// decode_batch / generate_batch give exactly the bits of decode / generate digit by digit, and
// generate_batch(rng, n, out) draws the same z stream as n calls of generate (consecutive blocks
// of Z values of rng_fill_normal). Batch = 1 (the default) is the smallest arena (1,680 bytes for
// 784-400-20, what a microcontroller wants); Batch = 3 is the fastest that fits 5 KB (5,040).
//
// Memory, and who owns it:
//   weights   the caller's bytes of a .vaew file (flash, mmap, a static array), >= 4-byte
//             aligned, read in place and never copied; they must outlive the Decoder.
//   arena     the caller's, 16-byte aligned, arena_bytes long: h (Batch, H floats) then
//             z (Batch, Z floats). arena_used() reports the bytes really used. Nothing else: the
//             output layer writes straight into the caller's (n, D) pixel buffer.
//   Decoder   a few pointers and sizes (this object), no heap anywhere.
//
// init() validates the whole file (vae_rt/format.h), then what this decoder needs: dims equal to
// Z, H, D (dims_mismatch), no second hidden layer (unsupported_feature), the four dec_* tensors
// (missing_tensor) with their shapes (bad_shape), float32 biases and float32 or int8 weights
// (bad_dtype), and for int8 the "<name>.scale" tensors (missing_tensor / bad_shape / bad_dtype).
// Full and decoder-only files both work. Decoding before a successful init() calls vae_rt::fatal.
//
// Not here: encoding, training, threads (a caller may run one Decoder, with its own arena, per
// thread over the same weights).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "vae_rt/format.h"
#include "vae_rt/kernels.h"
#include "vae_rt/prior.h"
#include "vae_rt/rng.h"
#include "vae_rt/status.h"

namespace vae_rt {

// The size-independent part of a decoder; Decoder<Z, H, D, Batch> wraps it with compile-time
// sizes.
struct DecoderCore {
  format::File file;
  DenseView fc;     // dec_fc  (H, Z)
  DenseView out;    // dec_out (D, H)
  float* h = nullptr;   // (batch, H) arena: the hidden activations of one pass
  float* z = nullptr;   // (batch, Z) arena: the latents of generate() / generate_batch()
  size_t batch = 1;     // digits per pass over the weights
  size_t used = 0;      // arena bytes in use
  bool ready = false;
};

// The arena bytes of a decoder of sizes (z, h) decoding `batch` digits per pass.
constexpr size_t decoder_arena_bytes(size_t z, size_t h, size_t batch) {
  return (batch * (h + z) * sizeof(float) + 15) / 16 * 16;
}

// Bind a decoder of sizes (z, h, d) to a weight file and an arena; see Decoder::init.
Status decoder_init(DecoderCore* core, size_t z, size_t h, size_t d, size_t batch,
                    const void* weights, size_t weights_size, void* arena, size_t arena_size,
                    format::Diag* diag, bool verify_crc);
// pixels (n, D) in [0, 1] or as uint8 (pixel_u8) for the latents z (n, Z), in passes of
// core.batch digits. out must not alias z; z may be the arena's z block when n <= core.batch
// (as generate_batch does).
void decoder_decode_batch(const DecoderCore& core, const float* z, size_t n, float* out);
void decoder_decode_batch_u8(const DecoderCore& core, const float* z, size_t n, uint8_t* out);
// "float32", "int8" or "mixed" (per-layer dtypes differ).
const char* decoder_dtype_name(const DecoderCore& core);

template <size_t Z, size_t H, size_t D, size_t Batch = 1>
class Decoder {
 public:
  static_assert(Z > 0 && H > 0 && D > 0, "positive sizes");
  static_assert(Batch > 0, "at least one digit per pass");
  static constexpr size_t dim_z = Z, dim_h = H, dim_x = D, batch = Batch;
  static constexpr size_t arena_alignment = 16;
  // h (Batch, H floats) then z (Batch, Z floats), rounded up to the alignment.
  static constexpr size_t arena_bytes = decoder_arena_bytes(Z, H, Batch);

  // verify_crc = false skips the CRC pass (e.g. weights in flash already checked at boot); every
  // structural check still runs.
  Status init(const void* weights, size_t weights_size, void* arena, size_t arena_size,
              format::Diag* diag = nullptr, bool verify_crc = true) {
    last_z_ = nullptr;
    const Status s = decoder_init(&core_, Z, H, D, Batch, weights, weights_size, arena, arena_size,
                                  diag, verify_crc);
    if (s == Status::ok) last_z_ = core_.z;
    return s;
  }

  // pixels (D) for latent z (Z): probabilities, or uint8 pixels.
  void decode(const float* z, float* out) const { decoder_decode_batch(core_, z, 1, out); }
  void decode_u8(const float* z, uint8_t* out) const { decoder_decode_batch_u8(core_, z, 1, out); }
  // pixels (n, D) for latents (n, Z), Batch digits per pass; digit i equals decode(z + i Z).
  void decode_batch(const float* z, size_t n, float* out) const {
    decoder_decode_batch(core_, z, n, out);
  }
  void decode_batch_u8(const float* z, size_t n, uint8_t* out) const {
    decoder_decode_batch_u8(core_, z, n, out);
  }

  // Draw z (Z) ~ N(0, I) with rng_fill_normal (into the arena, readable via latent()) and
  // decode it. Digit after digit from one Rng gives consecutive blocks of the stream.
  void generate(Rng* rng, uint8_t* out) { generate_impl(rng, 1, out, nullptr); }
  void generate(Rng* rng, float* out) { generate_impl(rng, 1, out, nullptr); }
  // n digits (n, D): exactly n calls of generate(rng, out + i D) (the same z stream, the same
  // pixels), Batch digits per pass over the weights.
  void generate_batch(Rng* rng, size_t n, uint8_t* out) { generate_impl(rng, n, out, nullptr); }
  void generate_batch(Rng* rng, size_t n, float* out) { generate_impl(rng, n, out, nullptr); }
  // The same with z drawn from a mixture prior (vae_rt/prior.h: prior_sample, one block of the
  // stream per digit); a null prior is N(0, I). The prior's z must equal Z.
  void generate(Rng* rng, uint8_t* out, const MixturePrior* prior) {
    generate_impl(rng, 1, out, prior);
  }
  void generate_batch(Rng* rng, size_t n, uint8_t* out, const MixturePrior* prior) {
    generate_impl(rng, n, out, prior);
  }
  void generate_batch(Rng* rng, size_t n, float* out, const MixturePrior* prior) {
    generate_impl(rng, n, out, prior);
  }

  const float* latent() const { return last_z_; }   // (Z) of the last digit generated
  size_t arena_used() const { return core_.used; }
  bool ready() const { return core_.ready; }
  const char* dtype_name() const { return decoder_dtype_name(core_); }
  const format::File& file() const { return core_.file; }
  // Bytes of weights this decoder reads (the four dec_* tensors and their scales).
  size_t weight_bytes() const {
    const auto layer = [](const DenseView& l) {
      const size_t n = size_t{l.rows} * l.cols;
      return (l.q ? n + l.rows * sizeof(float) : n * sizeof(float)) + l.rows * sizeof(float);
    };
    return core_.ready ? layer(core_.fc) + layer(core_.out) : 0;
  }

 private:
  void decode_pass(const float* z, size_t m, float* out) const {
    decoder_decode_batch(core_, z, m, out);
  }
  void decode_pass(const float* z, size_t m, uint8_t* out) const {
    decoder_decode_batch_u8(core_, z, m, out);
  }
  template <class Out>
  void generate_impl(Rng* rng, size_t n, Out* out, const MixturePrior* prior) {
    if (!core_.ready) fatal("vae_rt::Decoder used before a successful init()");
    if (prior && prior->z != Z) fatal("vae_rt::Decoder: the prior's latent size differs from Z");
    for (size_t i = 0; i < n; i += Batch) {
      const size_t m = n - i < Batch ? n - i : Batch;
      for (size_t j = 0; j < m; ++j) {
        if (prior) {
          prior_sample(*prior, rng, core_.z + j * Z);
        } else {
          rng_fill_normal(rng, core_.z + j * Z, Z);
        }
      }
      decode_pass(core_.z, m, out + i * D);
      last_z_ = core_.z + (m - 1) * Z;
    }
  }

  DecoderCore core_;
  const float* last_z_ = nullptr;
};

}  // namespace vae_rt
