// vae_rt/decoder.h - the freestanding decoder: latent z -> 28x28 digit, weights used in place.
//
//   alignas(16) static uint8_t arena[vae_rt::Decoder<20, 400, 784>::arena_bytes];
//   vae_rt::Decoder<20, 400, 784> dec;
//   vae_rt::format::Diag diag;
//   if (dec.init(weights, weights_size, arena, sizeof arena, &diag) != vae_rt::Status::ok) {
//     vae_rt::log(diag.text);  // e.g. "file has latent 2; this runtime was built for 20"
//   }
//   vae_rt::Rng rng; vae_rt::rng_seed(&rng, seed, 0);
//   uint8_t pixels[784];
//   dec.generate(&rng, pixels);   // z ~ N(0, I) from rng, then decode
//
// The network is the training library's Decoder: h (H) = relu(dec_fc_w z + dec_fc_b), then
// pixels (D) = sigmoid(dec_out_w h + dec_out_b), with the kernels of vae_rt/kernels.h (their
// summation order is fixed and documented there) and vae_rt::rt_sigmoidf, so outputs are the
// same bits on every IEEE platform without FMA contraction.
//
// Memory, and who owns it:
//   weights   the caller's bytes of a .vaew file (flash, mmap, a static array), >= 4-byte
//             aligned, read in place and never copied; they must outlive the Decoder.
//   arena     the caller's, 16-byte aligned, arena_bytes long: h (H floats) then z (Z floats).
//             arena_used() reports the bytes really used. Nothing else: the output layer writes
//             straight into the caller's (D) pixel buffer, one row at a time.
//   Decoder   a few pointers and sizes (this object), no heap anywhere.
//
// init() validates the whole file (vae_rt/format.h), then what this decoder needs: dims equal to
// Z, H, D (dims_mismatch), no second hidden layer (unsupported_feature), the four dec_* tensors
// (missing_tensor) with their shapes (bad_shape), float32 biases and float32 or int8 weights
// (bad_dtype), and for int8 the "<name>.scale" tensors (missing_tensor / bad_shape / bad_dtype).
// Full and decoder-only files both work. Decoding before a successful init() calls vae_rt::fatal.
//
// Not here: encoding, training, batching several digits per call (a later performance step).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "vae_rt/format.h"
#include "vae_rt/kernels.h"
#include "vae_rt/rng.h"
#include "vae_rt/status.h"

namespace vae_rt {

// One bound dense layer: pointers into the weight file.
struct DenseView {
  format::Dtype dtype = format::Dtype::float32;
  const float* w = nullptr;       // (rows, cols) when float32, else null
  const int8_t* q = nullptr;      // (rows, cols) when int8, else null
  const float* scale = nullptr;   // (rows) when int8, else null
  const float* b = nullptr;       // (rows)
  uint32_t rows = 0, cols = 0;
};

// The size-independent part of a decoder; Decoder<Z, H, D> wraps it with compile-time sizes.
struct DecoderCore {
  format::File file;
  DenseView fc;     // dec_fc  (H, Z)
  DenseView out;    // dec_out (D, H)
  float* h = nullptr;   // (H) arena: the hidden activations
  float* z = nullptr;   // (Z) arena: the latent of generate()
  size_t used = 0;      // arena bytes in use
  bool ready = false;
};

// Bind a decoder of sizes (z, h, d) to a weight file and an arena; see Decoder::init.
Status decoder_init(DecoderCore* core, size_t z, size_t h, size_t d, const void* weights,
                    size_t weights_size, void* arena, size_t arena_size, format::Diag* diag,
                    bool verify_crc);
// pixels (D) in [0, 1] or as uint8 (pixel_u8) for a latent z (Z). out must not alias z.
void decoder_decode(const DecoderCore& core, const float* z, float* out);
void decoder_decode_u8(const DecoderCore& core, const float* z, uint8_t* out);
// "float32", "int8" or "mixed" (per-layer dtypes differ).
const char* decoder_dtype_name(const DecoderCore& core);

template <size_t Z, size_t H, size_t D>
class Decoder {
 public:
  static_assert(Z > 0 && H > 0 && D > 0, "positive sizes");
  static constexpr size_t dim_z = Z, dim_h = H, dim_x = D;
  static constexpr size_t arena_alignment = 16;
  // h (H floats) then z (Z floats), rounded up to the alignment.
  static constexpr size_t arena_bytes =
      ((H + Z) * sizeof(float) + arena_alignment - 1) / arena_alignment * arena_alignment;

  // verify_crc = false skips the CRC pass (e.g. weights in flash already checked at boot); every
  // structural check still runs.
  Status init(const void* weights, size_t weights_size, void* arena, size_t arena_size,
              format::Diag* diag = nullptr, bool verify_crc = true) {
    return decoder_init(&core_, Z, H, D, weights, weights_size, arena, arena_size, diag,
                        verify_crc);
  }

  // pixels (D) for latent z (Z): probabilities, or uint8 pixels.
  void decode(const float* z, float* out) const { decoder_decode(core_, z, out); }
  void decode_u8(const float* z, uint8_t* out) const { decoder_decode_u8(core_, z, out); }

  // Draw z (Z) ~ N(0, I) with rng_fill_normal (into the arena, readable via latent()) and
  // decode it. Digit after digit from one Rng gives consecutive blocks of the stream.
  void generate(Rng* rng, uint8_t* out) {
    if (!core_.ready) fatal("vae_rt::Decoder used before a successful init()");
    rng_fill_normal(rng, core_.z, Z);
    decoder_decode_u8(core_, core_.z, out);
  }
  void generate(Rng* rng, float* out) {
    if (!core_.ready) fatal("vae_rt::Decoder used before a successful init()");
    rng_fill_normal(rng, core_.z, Z);
    decoder_decode(core_, core_.z, out);
  }

  const float* latent() const { return core_.z; }   // (Z) of the last generate()
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
  DecoderCore core_;
};

}  // namespace vae_rt
