// format.cpp - the weight-file parser of vae_rt/format.h: validates every byte that a later
// pointer could depend on, and names the first problem in a Status and a Diag line.
//
// Freestanding: no heap, no exceptions, no libc beyond the compiler's builtins. Sizes are
// compared in 64-bit arithmetic so that no sum of u32 fields can wrap. Not a writer and not a
// model check (dims against a decoder's sizes are checked in decoder.cpp).
#include "vae_rt/format.h"

#include "text.h"
#include "vae_rt/crc32.h"

namespace vae_rt {
namespace format {
namespace {

using detail::Text;

// Start a diagnostic line (or a throwaway one when diag is null).
struct Msg {
  char scratch[4];
  Text t;
  explicit Msg(Diag* d) : t(d ? d->text : scratch, d ? sizeof d->text : sizeof scratch) {}
};

bool name_char_ok(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

bool names_equal(const char* a, const char* b) {
  while (*a && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}

bool ranges_overlap(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1) {
  return a0 < b1 && b0 < a1 && a0 < a1 && b0 < b1;   // empty ranges overlap nothing
}

}  // namespace

uint32_t file_crc32(const uint8_t* file, size_t size) {
  static const uint8_t zero[4] = {0, 0, 0, 0};
  uint32_t crc = crc32_update(0, file, hdr_crc32);
  crc = crc32_update(crc, zero, 4);
  return crc32_update(crc, file + hdr_crc32 + 4, size - (hdr_crc32 + 4));
}

Tensor tensor_at(const File& file, uint32_t i) {
  const uint8_t* r = file.bytes + file.header.table_offset + static_cast<size_t>(i) * record_size;
  Tensor t;
  for (uint32_t k = 0; k < name_capacity; ++k) t.name[k] = static_cast<char>(r[rec_name + k]);
  t.name[name_capacity - 1] = '\0';
  t.dtype = static_cast<Dtype>(load_u32(r + rec_dtype));
  t.rank = load_u32(r + rec_rank);
  t.dim0 = load_u32(r + rec_dim0);
  t.dim1 = load_u32(r + rec_dim1);
  t.offset = load_u32(r + rec_offset);
  t.size = load_u32(r + rec_size);
  t.data = file.bytes + t.offset;
  return t;
}

Status find_tensor(const File& file, const char* name, Tensor* out) {
  for (uint32_t i = 0; i < file.header.tensor_count; ++i) {
    const Tensor t = tensor_at(file, i);
    if (names_equal(t.name, name)) {
      *out = t;
      return Status::ok;
    }
  }
  return Status::missing_tensor;
}

Status parse(const void* bytes_in, size_t size, File* out, bool verify_crc, Diag* diag) {
  Msg m(diag);
  Text& t = m.t;
  if (size < header_size && out) {   // before the null check: an empty file may have no pointer
    t.s("file has ").u(size).s(" bytes; the header alone needs ").u(header_size);
    return Status::truncated;
  }
  if (!bytes_in || !out) {
    t.s("null file or output pointer");
    return Status::null_argument;
  }
  const uint8_t* p = static_cast<const uint8_t*>(bytes_in);
  if (reinterpret_cast<uintptr_t>(p) % 4 != 0) {
    t.s("file bytes are not 4-byte aligned (float32 tensors are used in place)");
    return Status::misaligned;
  }
  if (size < header_size) {
    t.s("file has ").u(size).s(" bytes; the header alone needs ").u(header_size);
    return Status::truncated;
  }
  for (uint32_t k = 0; k < 4; ++k) {
    if (p[k] != magic[k]) {
      t.s("file does not start with \"VAEW\"");
      return Status::bad_magic;
    }
  }
  Header h;
  h.version = load_u32(p + hdr_version);
  h.header_size = load_u32(p + hdr_header_size);
  h.flags = load_u32(p + hdr_flags);
  h.dim_x = load_u32(p + hdr_dim_x);
  h.dim_h = load_u32(p + hdr_dim_h);
  h.dim_z = load_u32(p + hdr_dim_z);
  h.dim_h2 = load_u32(p + hdr_dim_h2);
  h.tensor_count = load_u32(p + hdr_tensor_count);
  h.table_offset = load_u32(p + hdr_table_offset);
  h.note_offset = load_u32(p + hdr_note_offset);
  h.note_size = load_u32(p + hdr_note_size);
  h.file_size = load_u32(p + hdr_file_size);
  h.crc32 = load_u32(p + hdr_crc32);
  if (h.version != version) {
    t.s("format version ").u(h.version).s("; this reader reads version ").u(version);
    return Status::bad_version;
  }
  if (h.header_size != header_size) {
    t.s("header size field is ").u(h.header_size).s("; version 1 has ").u(header_size);
    return Status::bad_header;
  }
  if (size < h.file_size) {
    t.s("file has ").u(size).s(" bytes; its header says ").u(h.file_size);
    return Status::truncated;
  }
  if (size > h.file_size) {
    t.s("file has ").u(size).s(" bytes; its header says only ").u(h.file_size);
    return Status::trailing_bytes;
  }
  if (verify_crc) {
    const uint32_t crc = file_crc32(p, size);
    if (crc != h.crc32) {
      t.s("CRC32 of the file is ").u(crc).s("; the header says ").u(h.crc32);
      return Status::bad_crc;
    }
  }
  if (h.flags & ~known_flags) {
    t.s("header flags ").u(h.flags).s(" set bits unknown to version 1");
    return Status::unsupported_feature;
  }
  if (load_u32(p + hdr_reserved) != 0 || load_u32(p + hdr_reserved + 4) != 0) {
    t.s("reserved header bytes 56..63 are not zero");
    return Status::bad_header;
  }
  if (h.dim_x == 0 || h.dim_h == 0 || h.dim_z == 0) {
    t.s("model dims D ").u(h.dim_x).s(", H ").u(h.dim_h).s(", Z ").u(h.dim_z).s(" must be positive");
    return Status::bad_header;
  }
  if ((h.dim_h2 != 0) != ((h.flags & flag_dec_hidden2) != 0)) {
    t.s("dim H2 is ").u(h.dim_h2).s(" but the dec_hidden2 flag is ")
        .s(h.flags & flag_dec_hidden2 ? "set" : "clear");
    return Status::bad_header;
  }
  if (h.tensor_count == 0 || h.tensor_count > max_tensors) {
    t.s("tensor count ").u(h.tensor_count).s(" is outside 1..").u(max_tensors);
    return Status::bad_header;
  }
  if (h.table_offset != header_size) {
    t.s("tensor table offset is ").u(h.table_offset).s("; version 1 puts it at ").u(header_size);
    return Status::bad_header;
  }
  const uint64_t table_end = uint64_t{h.table_offset} + uint64_t{h.tensor_count} * record_size;
  if (table_end > h.file_size) {
    t.s("tensor table of ").u(h.tensor_count).s(" records ends at byte ").u(table_end)
        .s(", past the end of the file (").u(h.file_size).s(" bytes)");
    return Status::bad_offset;
  }
  const uint64_t note_end = uint64_t{h.note_offset} + h.note_size;
  if (h.note_size == 0 ? h.note_offset != 0
                       : (h.note_offset < table_end || note_end > h.file_size)) {
    t.s("note at ").u(h.note_offset).s(" of ").u(h.note_size)
        .s(" bytes is not between the table's end (").u(table_end).s(") and the file's end (")
        .u(h.file_size).s(")");
    return Status::bad_offset;
  }

  File f;
  f.bytes = p;
  f.header = h;
  f.note = h.note_size ? p + h.note_offset : nullptr;

  for (uint32_t i = 0; i < h.tensor_count; ++i) {
    const uint8_t* r = p + h.table_offset + static_cast<size_t>(i) * record_size;
    // The name: 1..31 allowed characters, then NULs to the end of the field.
    uint32_t len = 0;
    while (len < name_capacity && r[len] != 0) ++len;
    bool name_ok = len > 0 && len < name_capacity;
    for (uint32_t k = 0; k < len && name_ok; ++k) name_ok = name_char_ok(static_cast<char>(r[k]));
    for (uint32_t k = len; k < name_capacity && name_ok; ++k) name_ok = r[k] == 0;
    if (!name_ok) {
      t.s("tensor record ").u(i).s(": name is empty, unterminated, not NUL-padded, or uses "
                                   "characters outside [a-z0-9_.]");
      return Status::bad_name;
    }
    const Tensor ti = tensor_at(f, i);
    for (uint32_t j = 0; j < i; ++j) {
      if (names_equal(tensor_at(f, j).name, ti.name)) {
        t.s("tensor ").s(ti.name).s(" appears twice (records ").u(j).s(" and ").u(i).s(")");
        return Status::duplicate_tensor;
      }
    }
    const uint32_t dtype = load_u32(r + rec_dtype);
    if (!dtype_known(dtype)) {
      t.s("tensor ").s(ti.name).s(": dtype ").u(dtype).s(" is not 1 (float32) or 2 (int8)");
      return Status::bad_dtype;
    }
    if (!(ti.rank == 1 || ti.rank == 2) || ti.dim0 == 0 || ti.dim1 == 0 ||
        (ti.rank == 1 && ti.dim1 != 1)) {
      t.s("tensor ").s(ti.name).s(": rank ").u(ti.rank).s(" shape (").u(ti.dim0).s(", ")
          .u(ti.dim1).s(") is not rank 1 (n, 1) or rank 2 (rows, cols) with positive dims");
      return Status::bad_shape;
    }
    const uint64_t want = uint64_t{ti.dim0} * ti.dim1 * dtype_size(ti.dtype);
    if (want != ti.size) {
      t.s("tensor ").s(ti.name).s(": size ").u(ti.size).s(" bytes; its shape and dtype need ")
          .u(want);
      return Status::bad_size;
    }
    if (ti.offset % data_alignment != 0) {
      t.s("tensor ").s(ti.name).s(": offset ").u(ti.offset).s(" is not a multiple of ")
          .u(data_alignment);
      return Status::bad_alignment;
    }
    const uint64_t end = uint64_t{ti.offset} + ti.size;
    if (ti.offset < table_end || end > h.file_size) {
      t.s("tensor ").s(ti.name).s(": bytes ").u(ti.offset).s("..").u(end)
          .s(" are not between the table's end (").u(table_end).s(") and the file's end (")
          .u(h.file_size).s(")");
      return Status::bad_offset;
    }
    if (ranges_overlap(ti.offset, end, h.note_offset, note_end)) {
      t.s("tensor ").s(ti.name).s(" overlaps the note");
      return Status::overlap;
    }
    for (uint32_t j = 0; j < i; ++j) {
      const Tensor tj = tensor_at(f, j);
      if (ranges_overlap(ti.offset, end, tj.offset, uint64_t{tj.offset} + tj.size)) {
        t.s("tensors ").s(tj.name).s(" and ").s(ti.name).s(" overlap");
        return Status::overlap;
      }
    }
    if (load_u32(r + rec_reserved) != 0 || load_u32(r + rec_reserved + 4) != 0) {
      t.s("tensor ").s(ti.name).s(": reserved bytes 56..63 of its record are not zero");
      return Status::bad_header;
    }
  }
  if (((h.flags & flag_int8) != 0) != [&] {
        for (uint32_t i = 0; i < h.tensor_count; ++i)
          if (tensor_at(f, i).dtype == Dtype::int8) return true;
        return false;
      }()) {
    t.s("the int8 flag ").s(h.flags & flag_int8 ? "is set but no tensor is int8"
                                                : "is clear but a tensor is int8");
    return Status::bad_header;
  }
  *out = f;
  return Status::ok;
}

}  // namespace format
}  // namespace vae_rt
