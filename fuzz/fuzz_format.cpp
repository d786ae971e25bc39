// fuzz_format - the runtime's weight-file parser (vae_rt/format.h) and the decoder that binds
// what it accepts (vae_rt/decoder.h): the bytes a device receives, untrusted.
//
// Properties checked on every input, beyond "no crash, no leak, no sanitizer report":
//  - the CRC is checked after the size fields and before the structure and nothing else depends
//    on it: a copy with the CRC field recomputed gets exactly the status that the original gets
//    with verify_crc = false, and an original accepted with the CRC check is accepted without;
//  - the Diag line is NUL-terminated inside its fixed buffer;
//  - an accepted file keeps the format's promises, re-checked here independently of the parser:
//    every tensor lies after the table and inside the file, 64-aligned, its size is its dims
//    times its dtype size, it overlaps neither the note nor any other tensor, its name is 1..31
//    characters of [a-z0-9_.] and unique (find_tensor finds that very record), and the int8 flag
//    says whether an int8 tensor exists;
//  - a decoder bound to an accepted file (dims up to 64, so that it stays fast) decodes: pixels
//    are in [0, 1] or NaN (weights may be NaN), the uint8 pixels are pixel_u8 of the float ones,
//    batch 3 gives the bits of batch 1 (the decoder.h promise), and binding with another latent
//    size is dims_mismatch;
//  - a mixture prior (vae_rt/prior.h) bound from an accepted file keeps its promises: the
//    tensors are float32 (K), (K, Z), (K, Z) and every value finite with |logvar| <= 80 (re-checked
//    here), the normalizer is finite and >= 1, every u in [0, 1) picks a component < K, and
//    draws are finite; binding for Z and Z + 1 do not both succeed; the decoder decodes its
//    draws.
// Mutations rarely keep a CRC valid, so the structural checks below run on the CRC-fixed copy;
// the original still exercises the CRC check itself.
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <memory>

#include "fuzz.hpp"
#include "vae_rt/decoder.h"
#include "vae_rt/format.h"
#include "vae_rt/kernels.h"
#include "vae_rt/prior.h"
#include "vae_rt/rng.h"

namespace {

namespace fmt = vae_rt::format;
using vae_rt::Status;

constexpr std::size_t max_dim = 64;    // decode only models up to 64-64-64
constexpr std::size_t n_digits = 4;    // one full pass of 3 and a tail of 1

bool diag_terminated(const fmt::Diag& d) {
  return std::memchr(d.text, 0, sizeof d.text) != nullptr;
}

bool name_ok(const char* name) {
  const std::size_t len = strnlen(name, fmt::name_capacity);
  if (len == 0 || len >= fmt::name_capacity) return false;
  for (std::size_t k = 0; k < len; ++k) {
    const char c = name[k];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.')) return false;
  }
  return true;
}

// The promises of an accepted file, checked from the Tensor records alone.
void check_file(const fmt::File& f, const std::uint8_t* bytes, std::size_t size) {
  const fmt::Header& h = f.header;
  FUZZ_CHECK(f.bytes == bytes);
  FUZZ_CHECK(h.file_size == size);
  FUZZ_CHECK(h.tensor_count >= 1 && h.tensor_count <= fmt::max_tensors);
  FUZZ_CHECK((h.flags & ~fmt::known_flags) == 0);
  FUZZ_CHECK(h.dim_x > 0 && h.dim_h > 0 && h.dim_z > 0);
  const std::uint64_t table_end = std::uint64_t{fmt::header_size} + h.tensor_count * fmt::record_size;
  FUZZ_CHECK(table_end <= size);
  const std::uint64_t note_begin = h.note_offset, note_end = note_begin + h.note_size;
  if (h.note_size) {
    FUZZ_CHECK(f.note == bytes + h.note_offset);
    FUZZ_CHECK(note_begin >= table_end && note_end <= size);
  } else {
    FUZZ_CHECK(f.note == nullptr);
  }
  bool any_int8 = false;
  for (std::uint32_t i = 0; i < h.tensor_count; ++i) {
    const fmt::Tensor t = fmt::tensor_at(f, i);
    FUZZ_CHECK(name_ok(t.name));
    FUZZ_CHECK(t.dtype == fmt::Dtype::float32 || t.dtype == fmt::Dtype::int8);
    any_int8 = any_int8 || t.dtype == fmt::Dtype::int8;
    FUZZ_CHECK(t.rank == 1 || t.rank == 2);
    FUZZ_CHECK(t.dim0 > 0 && t.dim1 > 0 && (t.rank == 2 || t.dim1 == 1));
    FUZZ_CHECK(std::uint64_t{t.dim0} * t.dim1 * fmt::dtype_size(t.dtype) == t.size);
    FUZZ_CHECK(t.offset % fmt::data_alignment == 0);
    const std::uint64_t begin = t.offset, end = begin + t.size;
    FUZZ_CHECK(begin >= table_end && end <= size);
    FUZZ_CHECK(t.data == bytes + t.offset);
    FUZZ_CHECK(h.note_size == 0 || end <= note_begin || begin >= note_end);
    for (std::uint32_t j = 0; j < i; ++j) {
      const fmt::Tensor u = fmt::tensor_at(f, j);
      FUZZ_CHECK(std::strcmp(u.name, t.name) != 0);
      FUZZ_CHECK(end <= u.offset || begin >= std::uint64_t{u.offset} + u.size);
    }
    fmt::Tensor found;
    FUZZ_CHECK(fmt::find_tensor(f, t.name, &found) == Status::ok);
    FUZZ_CHECK(found.offset == t.offset && found.data == t.data);
  }
  FUZZ_CHECK(any_int8 == ((h.flags & fmt::flag_int8) != 0));
  fmt::Tensor none;
  FUZZ_CHECK(fmt::find_tensor(f, "no_such_tensor_name", &none) == Status::missing_tensor);
}

// Bind decoders of batch 3 and batch 1 to the file (dims from its header) and decode.
void check_decoder(const fmt::File& f, const std::uint8_t* bytes, std::size_t size) {
  const std::size_t z = f.header.dim_z, h = f.header.dim_h, d = f.header.dim_x;
  if (z > max_dim || h > max_dim || d > max_dim) return;
  alignas(16) static std::uint8_t arena3[vae_rt::decoder_arena_bytes(max_dim + 1, max_dim, 3)];
  alignas(16) static std::uint8_t arena1[vae_rt::decoder_arena_bytes(max_dim, max_dim, 1)];
  vae_rt::DecoderCore c3, c1;
  fmt::Diag diag;
  const Status s3 = vae_rt::decoder_init(&c3, z, h, d, 3, bytes, size, arena3, sizeof arena3,
                                         &diag, true);
  FUZZ_CHECK(diag_terminated(diag));
  const Status s1 = vae_rt::decoder_init(&c1, z, h, d, 1, bytes, size, arena1, sizeof arena1,
                                         nullptr, true);
  FUZZ_CHECK(s3 == s1);   // the batch changes the arena, never what is accepted
  vae_rt::DecoderCore other;
  FUZZ_CHECK(vae_rt::decoder_init(&other, z + 1, h, d, 3, bytes, size, arena3, sizeof arena3,
                                  nullptr, true) == Status::dims_mismatch);
  if (s3 != Status::ok) {
    FUZZ_CHECK(!c3.ready && !c1.ready);
    return;
  }
  FUZZ_CHECK(c3.ready && c1.ready);
  FUZZ_CHECK(c3.used == vae_rt::decoder_arena_bytes(z, h, 3));

  // Latents (n_digits, z): N(0, 1) draws, and one extreme row to push exp and the ReLU.
  float lat[n_digits * max_dim];
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, size, 0);
  vae_rt::rng_fill_normal(&rng, lat, (n_digits - 1) * z);
  for (std::size_t k = 0; k < z; ++k) lat[(n_digits - 1) * z + k] = k % 2 ? -1e30f : 1e30f;

  // With a valid prior, the last row is one of its draws instead (check_prior).
  vae_rt::MixturePrior prior;
  if (vae_rt::prior_present(f) && vae_rt::prior_bind(f, z, &prior, nullptr) == Status::ok) {
    vae_rt::prior_sample(prior, &rng, lat + (n_digits - 1) * z);
  }

  float px3[n_digits * max_dim], px1[n_digits * max_dim];
  std::uint8_t u8[n_digits * max_dim];
  vae_rt::decoder_decode_batch(c3, lat, n_digits, px3);
  vae_rt::decoder_decode_batch(c1, lat, n_digits, px1);
  vae_rt::decoder_decode_batch_u8(c3, lat, n_digits, u8);
  FUZZ_CHECK(vae_fuzz::same_bits(px3, px1, n_digits * d));
  for (std::size_t i = 0; i < n_digits * d; ++i) {
    FUZZ_CHECK(std::isnan(px3[i]) || (px3[i] >= 0.0f && px3[i] <= 1.0f));
    FUZZ_CHECK(u8[i] == vae_rt::pixel_u8(px3[i]));
  }
}

bool all_finite(const float* v, std::size_t n, float limit) {
  for (std::size_t i = 0; i < n; ++i) {
    if (!(std::fabs(v[i]) <= limit)) return false;   // NaN fails too
  }
  return true;
}

void check_prior(const fmt::File& f) {
  const std::size_t z = f.header.dim_z;
  vae_rt::MixturePrior p;
  fmt::Diag diag;
  const Status s = vae_rt::prior_bind(f, z, &p, &diag);
  FUZZ_CHECK(diag_terminated(diag));
  if (!vae_rt::prior_present(f)) {
    FUZZ_CHECK(s != Status::ok);
    return;
  }
  // The tensors' (K, Z) fix Z: binding for Z and for Z + 1 cannot both succeed (the file's
  // dim_z need not be the prior's Z; then binding for dim_z fails).
  vae_rt::MixturePrior other;
  const Status s_other = vae_rt::prior_bind(f, z + 1, &other, nullptr);
  FUZZ_CHECK(s != Status::ok || s_other != Status::ok);
  if (s != Status::ok) return;
  FUZZ_CHECK(f.header.flags & fmt::flag_mixture_prior);
  FUZZ_CHECK(p.k > 0 && p.z == z);
  fmt::Tensor logits, mu, logvar;
  FUZZ_CHECK(fmt::find_tensor(f, vae_rt::prior_logits_name, &logits) == Status::ok);
  FUZZ_CHECK(fmt::find_tensor(f, vae_rt::prior_mu_name, &mu) == Status::ok);
  FUZZ_CHECK(fmt::find_tensor(f, vae_rt::prior_logvar_name, &logvar) == Status::ok);
  for (const fmt::Tensor* t : {&logits, &mu, &logvar}) FUZZ_CHECK(t->dtype == fmt::Dtype::float32);
  FUZZ_CHECK(logits.dim0 == p.k && logits.dim1 == 1);
  FUZZ_CHECK(mu.dim0 == p.k && mu.dim1 == z && logvar.dim0 == p.k && logvar.dim1 == z);
  FUZZ_CHECK(p.logits == reinterpret_cast<const float*>(logits.data));
  FUZZ_CHECK(p.mu == reinterpret_cast<const float*>(mu.data));
  FUZZ_CHECK(p.logvar == reinterpret_cast<const float*>(logvar.data));
  FUZZ_CHECK(all_finite(p.logits, p.k, 3.4028235e38f) && all_finite(p.mu, p.k * z, 3.4028235e38f));
  FUZZ_CHECK(all_finite(p.logvar, p.k * z, vae_rt::prior_logvar_limit));
  FUZZ_CHECK(std::isfinite(p.weight_total) && p.weight_total >= 1.0f);
  for (const float u : {0.0f, 0.25f, 0.5f, 0.999f, 0.99999994f}) {
    FUZZ_CHECK(vae_rt::prior_component(p, u) < p.k);
  }
  if (z > 4 * max_dim) return;   // draws of very long latents take long; the checks above hold
  float draw[4 * max_dim];
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, p.k, 1);
  for (int i = 0; i < 3; ++i) {
    vae_rt::prior_sample(p, &rng, draw);
    for (std::size_t k = 0; k < z; ++k) FUZZ_CHECK(std::isfinite(draw[k]));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // An exact-size copy (new[] is 16-byte aligned, and ASan sees a read one byte past the end).
  std::unique_ptr<std::uint8_t[]> copy(new std::uint8_t[size ? size : 1]);
  if (size) std::memcpy(copy.get(), data, size);
  std::uint8_t* p = copy.get();

  fmt::File f;
  fmt::Diag diag;
  const Status raw = fmt::parse(p, size, &f, true, &diag);
  FUZZ_CHECK(diag_terminated(diag));
  const Status no_crc = fmt::parse(p, size, &f, false, nullptr);
  if (raw != Status::bad_crc) FUZZ_CHECK(raw == no_crc);
  vae_fuzz::accepted = raw == Status::ok;

  if (size < fmt::header_size) return 0;
  fmt::store_u32(p + fmt::hdr_crc32, fmt::file_crc32(p, size));
  fmt::Diag fixed_diag;
  const Status fixed = fmt::parse(p, size, &f, true, &fixed_diag);
  FUZZ_CHECK(diag_terminated(fixed_diag));
  FUZZ_CHECK(fixed == no_crc);
  if (fixed != Status::ok) return 0;
  check_file(f, p, size);
  check_prior(f);
  check_decoder(f, p, size);
  return 0;
}
