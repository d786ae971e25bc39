// vae_rt/format.h - THE weight file format (".vaew"), version 1: constants, field offsets, and
// the parser that both the training library's writer/reader and the freestanding runtime use.
//
// docs/weights-format.md describes the same bytes in prose, complete enough for a reader in
// another language. In short (all integers little-endian u32, offsets from the file's first byte):
//
//   [0, 64)            header: magic "VAEW", version, header size, flags, dims D H Z H2,
//                      tensor count, table offset, note offset/size, file size, CRC32, reserved
//   [64, 64 + 64 n)    tensor table: n records of 64 bytes (name[32], dtype, rank, dim0, dim1,
//                      offset, size, reserved)
//   then               an optional UTF-8 note (free text: training settings, commit), no NUL
//   then               tensor data, each tensor at a multiple of 64, zero padding between
//
//   CRC32 (zlib's) over the whole file with the 4 bytes of the CRC field taken as zero.
//   int8 tensors are symmetric, per output row: W[r][c] = q[r][c] * scale[r], and the scales are
//   a companion float32 tensor named "<name>.scale" of shape (rows).
//
// This header is freestanding (no heap, no exceptions, no libm); the parser lives in
// lib/runtime/format.cpp. It is not a writer: the hosted writer is vae/weights.hpp. It does not
// interpret the model (which tensors a decoder needs is vae_rt/decoder.h's business); it only
// proves that the file is well formed, so that every later pointer into it is in bounds.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "vae_rt/status.h"

namespace vae_rt {
namespace format {

// --- constants of version 1 ---------------------------------------------------------------
inline constexpr uint8_t magic[4] = {'V', 'A', 'E', 'W'};
inline constexpr uint32_t version = 1;
inline constexpr uint32_t header_size = 64;
inline constexpr uint32_t record_size = 64;
inline constexpr uint32_t data_alignment = 64;   // every tensor's offset is a multiple of this
inline constexpr uint32_t name_capacity = 32;    // bytes of a record's name field, NUL included
inline constexpr uint32_t max_tensors = 256;     // a sanity bound for readers with fixed tables
inline constexpr const char* file_extension = ".vaew";
inline constexpr const char* scale_suffix = ".scale";

// Byte offsets of the header fields (each a little-endian u32).
enum HeaderOffset : uint32_t {
  hdr_magic = 0,          // 4 bytes "VAEW"
  hdr_version = 4,        // = version
  hdr_header_size = 8,    // = header_size
  hdr_flags = 12,         // Flag bits below
  hdr_dim_x = 16,         // D, pixels per image
  hdr_dim_h = 20,         // H, hidden units (encoder and first decoder layer)
  hdr_dim_z = 24,         // Z, latent dimensions
  hdr_dim_h2 = 28,        // H2, second decoder hidden layer; 0 unless flag_dec_hidden2
  hdr_tensor_count = 32,  // n, records in the table
  hdr_table_offset = 36,  // = header_size
  hdr_note_offset = 40,   // where the note starts (0 when note_size is 0)
  hdr_note_size = 44,     // bytes of note text
  hdr_file_size = 48,     // the whole file, in bytes
  hdr_crc32 = 52,         // CRC32 of the file with these 4 bytes as zero
  hdr_reserved = 56,      // 8 bytes, zero
};

// Byte offsets inside one tensor record.
enum RecordOffset : uint32_t {
  rec_name = 0,       // 32 bytes: ASCII [a-z0-9_.], 1..31 chars, NUL-padded
  rec_dtype = 32,     // Dtype
  rec_rank = 36,      // 1 or 2
  rec_dim0 = 40,      // rows (or length for rank 1)
  rec_dim1 = 44,      // columns; 1 for rank 1
  rec_offset = 48,    // from the start of the file, a multiple of data_alignment
  rec_size = 52,      // bytes = dim0 * dim1 * dtype_size(dtype)
  rec_reserved = 56,  // 8 bytes, zero
};

// Header flags. Bits not listed are reserved: a version-1 reader rejects a file that sets them.
enum Flag : uint32_t {
  flag_encoder = 1u << 0,         // the encoder's tensors are present (a full model)
  flag_int8 = 1u << 1,            // at least one tensor is int8 (must agree with the table)
  flag_mixture_prior = 1u << 2,   // reserved for the Gaussian-mixture prior tensors (issue 9)
  flag_dec_hidden2 = 1u << 3,     // the decoder has a second hidden layer dec_fc2 (H2 units)
};
inline constexpr uint32_t known_flags =
    flag_encoder | flag_int8 | flag_mixture_prior | flag_dec_hidden2;

enum class Dtype : uint32_t {
  float32 = 1,   // IEEE 754 binary32, little-endian
  int8 = 2,      // two's complement, symmetric per row, scales in "<name>.scale"
};
inline constexpr uint32_t dtype_size(Dtype d) { return d == Dtype::float32 ? 4u : 1u; }
inline constexpr bool dtype_known(uint32_t d) { return d == 1u || d == 2u; }
inline constexpr const char* dtype_name(Dtype d) {
  return d == Dtype::float32 ? "float32" : d == Dtype::int8 ? "int8" : "unknown";
}

// --- tensor names, model order ------------------------------------------------------------
// Layer "<layer>" stores "<layer>_w" (Out, In) row-major and "<layer>_b" (Out), float32 or, for
// weights only, int8 with "<layer>_w.scale" (Out). Readers look tensors up by name and ignore
// names they do not know, so later optional tensors do not break them:
//   dec_fc2_w (H2, H), dec_fc2_b (H2)     with flag_dec_hidden2 (then dec_out_w is (D, H2))
//   prior_logits (K), prior_mu (K, Z), prior_logvar (K, Z)   with flag_mixture_prior
inline constexpr const char* enc_fc_w = "enc_fc_w";           // (H, D)
inline constexpr const char* enc_fc_b = "enc_fc_b";           // (H)
inline constexpr const char* enc_mu_w = "enc_mu_w";           // (Z, H)
inline constexpr const char* enc_mu_b = "enc_mu_b";           // (Z)
inline constexpr const char* enc_logvar_w = "enc_logvar_w";   // (Z, H)
inline constexpr const char* enc_logvar_b = "enc_logvar_b";   // (Z)
inline constexpr const char* dec_fc_w = "dec_fc_w";           // (H, Z)
inline constexpr const char* dec_fc_b = "dec_fc_b";           // (H)
inline constexpr const char* dec_out_w = "dec_out_w";         // (D, H)
inline constexpr const char* dec_out_b = "dec_out_b";         // (D)

// --- little-endian access, independent of the host's byte order --------------------------
inline uint32_t load_u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}
inline void store_u32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
  p[3] = static_cast<uint8_t>(v >> 24);
}

// CRC32 of a whole file of `size` >= header_size bytes with the CRC field read as zero.
uint32_t file_crc32(const uint8_t* file, size_t size);

// --- the parsed, validated view --------------------------------------------------------------
struct Header {
  uint32_t version, header_size, flags;
  uint32_t dim_x, dim_h, dim_z, dim_h2;
  uint32_t tensor_count, table_offset, note_offset, note_size, file_size, crc32;
};

struct Tensor {
  char name[name_capacity];   // NUL-terminated copy of the record's name
  Dtype dtype;
  uint32_t rank, dim0, dim1;
  uint32_t offset, size;      // bytes, from the start of the file
  const uint8_t* data;        // file + offset: a pointer into the caller's bytes, never a copy
};

// What went wrong, in words, beyond the Status: names the field or tensor and the numbers.
// Fixed storage so that the runtime needs no heap; always NUL-terminated.
struct Diag {
  char text[160] = {0};
};

// A file that passed parse(): every record is well formed, inside the file, aligned and
// disjoint from the header, the table, the note and every other tensor.
struct File {
  const uint8_t* bytes = nullptr;   // the caller's bytes (flash, mmap, a static array)
  Header header{};
  const uint8_t* note = nullptr;    // (note_size) UTF-8, not NUL-terminated
};

// Validate `size` bytes as a weight file, in this order: size >= header (truncated), magic
// (bad_magic), version (bad_version), header size (bad_header), file size field against `size`
// (truncated / trailing_bytes), CRC (bad_crc, skipped when !verify_crc), flags
// (unsupported_feature), dims and counts (bad_header), the table and note in bounds (bad_offset),
// then each record: name (bad_name), duplicates (duplicate_tensor), dtype (bad_dtype), rank and
// dims (bad_shape), size (bad_size), alignment (bad_alignment), bounds (bad_offset), overlap
// (overlap), reserved bytes (bad_header). `bytes` must be 4-byte aligned (misaligned) so float32
// tensors can be used in place. diag may be null.
Status parse(const void* bytes, size_t size, File* out, bool verify_crc, Diag* diag);

// The i-th record (i < tensor_count) of a parsed file.
Tensor tensor_at(const File& file, uint32_t i);

// Look a tensor up by name: ok, or missing_tensor (out untouched).
Status find_tensor(const File& file, const char* name, Tensor* out);

}  // namespace format
}  // namespace vae_rt
