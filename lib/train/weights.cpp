// weights.cpp - the hosted writer and reader of ".vaew" weight files (vae/weights.hpp).
//
// Serialization lays the file out as docs/weights-format.md says: header, table, note, then each
// tensor at the next multiple of 64, zero padding, CRC last. Parsing delegates every check to the
// runtime's vae_rt::format::parse, then copies the tensors out (the hosted side owns its copy;
// only the runtime uses bytes in place).
#include "vae/weights.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "vae/files/atomic_file.hpp"

namespace vae {
namespace fmt = vae_rt::format;

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void check_name(const std::string& name) {
  bool ok = !name.empty() && name.size() < fmt::name_capacity;
  for (char c : name) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.');
  }
  if (!ok) {
    throw Error("tensor name \"" + name + "\" must be 1.." +
                std::to_string(fmt::name_capacity - 1) + " characters of [a-z0-9_.]");
  }
}

std::uint64_t align_up(std::uint64_t v) {
  return (v + fmt::data_alignment - 1) / fmt::data_alignment * fmt::data_alignment;
}

}  // namespace

const WeightTensor* WeightsFile::find(const std::string& name) const {
  for (const WeightTensor& t : tensors) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::string WeightsFile::weights_dtype() const {
  bool any_f32 = false, any_i8 = false;
  for (const WeightTensor& t : tensors) {
    // Layer weights only: a mixture prior's (K, Z) tensors are rank 2 but always float32.
    if (t.rank != 2 || !ends_with(t.name, "_w")) continue;
    (t.dtype == fmt::Dtype::int8 ? any_i8 : any_f32) = true;
  }
  return any_i8 && any_f32 ? "mixed" : any_i8 ? "int8" : "float32";
}

WeightTensor float_tensor(const std::string& name, std::uint32_t dim0, std::uint32_t dim1,
                          const float* values) {
  WeightTensor t;
  t.name = name;
  t.dtype = fmt::Dtype::float32;
  t.rank = dim1 == 0 ? 1 : 2;
  t.dim0 = dim0;
  t.dim1 = dim1 == 0 ? 1 : dim1;
  t.data.resize(t.count() * sizeof(float));
  if (!t.data.empty()) std::memcpy(t.data.data(), values, t.data.size());
  return t;
}

std::vector<float> tensor_floats(const WeightsFile& wf, const std::string& name,
                                 const std::string& file_name) {
  const WeightTensor* t = wf.find(name);
  if (!t) throw Error(file_name + ": tensor " + name + " is missing");
  std::vector<float> out(t->count());
  if (t->dtype == fmt::Dtype::float32) {
    if (!out.empty()) std::memcpy(out.data(), t->data.data(), out.size() * sizeof(float));
    return out;
  }
  const std::string scale_name = name + fmt::scale_suffix;
  const WeightTensor* s = wf.find(scale_name);
  if (!s) throw Error(file_name + ": int8 tensor " + name + " has no " + scale_name);
  if (s->dtype != fmt::Dtype::float32 || s->rank != 1 || s->dim0 != t->dim0) {
    throw Error(file_name + ": " + scale_name + " must be float32 of shape (" +
                std::to_string(t->dim0) + ")");
  }
  std::vector<float> scale(s->dim0);
  std::memcpy(scale.data(), s->data.data(), scale.size() * sizeof(float));
  for (std::size_t r = 0; r < t->dim0; ++r) {
    for (std::size_t c = 0; c < t->dim1; ++c) {
      const std::size_t i = r * t->dim1 + c;
      out[i] = static_cast<float>(static_cast<std::int8_t>(t->data[i])) * scale[r];
    }
  }
  return out;
}

WeightsFile quantize_int8(const WeightsFile& wf) {
  WeightsFile q = wf;
  q.tensors.clear();
  for (const WeightTensor& t : wf.tensors) {
    if (t.dtype != fmt::Dtype::float32 || t.rank != 2 || !ends_with(t.name, "_w")) {
      q.tensors.push_back(t);
      continue;
    }
    std::vector<float> w(t.count());
    std::memcpy(w.data(), t.data.data(), w.size() * sizeof(float));
    WeightTensor qt = t;
    qt.dtype = fmt::Dtype::int8;
    qt.data.assign(t.count(), 0);
    std::vector<float> scale(t.dim0);
    for (std::size_t r = 0; r < t.dim0; ++r) {
      const float* row = w.data() + r * t.dim1;
      float amax = 0.0f;
      for (std::size_t c = 0; c < t.dim1; ++c) {
        // A NaN or infinite weight has no int8 value (and converting it is undefined behaviour).
        if (!std::isfinite(row[c])) {
          throw Error("tensor " + t.name + ": weight (" + std::to_string(r) + ", " +
                      std::to_string(c) + ") is " + (std::isnan(row[c]) ? "NaN" : "infinite") +
                      "; int8 quantization needs finite weights");
        }
        amax = std::max(amax, std::fabs(row[c]));
      }
      // Symmetric: s = max|w| / 127 so that the largest weight maps to +-127; an all-zero row
      // keeps s = 0 and q = 0.
      const float s = amax / 127.0f;
      scale[r] = s;
      for (std::size_t c = 0; c < t.dim1; ++c) {
        const float v = s > 0.0f ? std::nearbyint(row[c] / s) : 0.0f;
        qt.data[r * t.dim1 + c] =
            static_cast<std::uint8_t>(static_cast<std::int8_t>(std::clamp(v, -127.0f, 127.0f)));
      }
    }
    q.tensors.push_back(std::move(qt));
    q.tensors.push_back(float_tensor(t.name + fmt::scale_suffix, t.dim0, 0, scale.data()));
    q.flags |= fmt::flag_int8;   // only when a tensor is int8: the flag must agree with the table
  }
  return q;
}

WeightsFile decoder_only(const WeightsFile& wf) {
  WeightsFile d = wf;
  d.tensors.clear();
  bool any_int8 = false;
  for (const WeightTensor& t : wf.tensors) {
    if (t.name.compare(0, 4, "enc_") != 0) {
      d.tensors.push_back(t);
      any_int8 = any_int8 || t.dtype == fmt::Dtype::int8;
    }
  }
  d.flags &= ~static_cast<std::uint32_t>(fmt::flag_encoder);
  if (!any_int8) d.flags &= ~static_cast<std::uint32_t>(fmt::flag_int8);   // agree with the table
  return d;
}

std::vector<std::uint8_t> serialize_weights(const WeightsFile& wf) {
  const std::size_t n = wf.tensors.size();
  if (n == 0 || n > fmt::max_tensors) {
    throw Error("a weight file holds 1.." + std::to_string(fmt::max_tensors) + " tensors, not " +
                std::to_string(n));
  }
  bool any_int8 = false;
  for (std::size_t i = 0; i < n; ++i) {
    const WeightTensor& t = wf.tensors[i];
    check_name(t.name);
    for (std::size_t j = 0; j < i; ++j) {
      if (wf.tensors[j].name == t.name) throw Error("tensor " + t.name + " appears twice");
    }
    if (t.data.size() != t.count() * fmt::dtype_size(t.dtype)) {
      throw Error("tensor " + t.name + " holds " + std::to_string(t.data.size()) +
                  " bytes; its shape needs " + std::to_string(t.count() * fmt::dtype_size(t.dtype)));
    }
    any_int8 = any_int8 || t.dtype == fmt::Dtype::int8;
  }
  const std::uint64_t table_end = fmt::header_size + std::uint64_t{n} * fmt::record_size;
  const std::uint64_t note_offset = wf.note.empty() ? 0 : table_end;
  std::uint64_t pos = align_up(table_end + wf.note.size());
  std::vector<std::uint64_t> offsets(n);
  for (std::size_t i = 0; i < n; ++i) {
    offsets[i] = pos;
    pos = align_up(pos + wf.tensors[i].data.size());
  }
  // The file ends right after the last tensor (no trailing padding).
  const std::uint64_t file_size = offsets[n - 1] + wf.tensors[n - 1].data.size();
  if (file_size > UINT32_MAX) throw Error("weight file would exceed 4 GiB");

  std::vector<std::uint8_t> f(file_size, 0);
  std::memcpy(f.data() + fmt::hdr_magic, fmt::magic, 4);
  const std::uint32_t flags =
      (wf.flags & ~static_cast<std::uint32_t>(fmt::flag_int8)) | (any_int8 ? fmt::flag_int8 : 0u);
  const auto u32 = [](std::uint64_t v) { return static_cast<std::uint32_t>(v); };
  fmt::store_u32(f.data() + fmt::hdr_version, fmt::version);
  fmt::store_u32(f.data() + fmt::hdr_header_size, fmt::header_size);
  fmt::store_u32(f.data() + fmt::hdr_flags, flags);
  fmt::store_u32(f.data() + fmt::hdr_dim_x, wf.dim_x);
  fmt::store_u32(f.data() + fmt::hdr_dim_h, wf.dim_h);
  fmt::store_u32(f.data() + fmt::hdr_dim_z, wf.dim_z);
  fmt::store_u32(f.data() + fmt::hdr_dim_h2, wf.dim_h2);
  fmt::store_u32(f.data() + fmt::hdr_tensor_count, u32(n));
  fmt::store_u32(f.data() + fmt::hdr_table_offset, fmt::header_size);
  fmt::store_u32(f.data() + fmt::hdr_note_offset, u32(note_offset));
  fmt::store_u32(f.data() + fmt::hdr_note_size, u32(wf.note.size()));
  fmt::store_u32(f.data() + fmt::hdr_file_size, u32(file_size));
  for (std::size_t i = 0; i < n; ++i) {
    const WeightTensor& t = wf.tensors[i];
    std::uint8_t* r = f.data() + fmt::header_size + i * fmt::record_size;
    std::memcpy(r + fmt::rec_name, t.name.data(), t.name.size());
    fmt::store_u32(r + fmt::rec_dtype, static_cast<std::uint32_t>(t.dtype));
    fmt::store_u32(r + fmt::rec_rank, t.rank);
    fmt::store_u32(r + fmt::rec_dim0, t.dim0);
    fmt::store_u32(r + fmt::rec_dim1, t.dim1);
    fmt::store_u32(r + fmt::rec_offset, u32(offsets[i]));
    fmt::store_u32(r + fmt::rec_size, u32(t.data.size()));
    if (!t.data.empty()) std::memcpy(f.data() + offsets[i], t.data.data(), t.data.size());
  }
  if (!wf.note.empty()) std::memcpy(f.data() + note_offset, wf.note.data(), wf.note.size());
  fmt::store_u32(f.data() + fmt::hdr_crc32, fmt::file_crc32(f.data(), f.size()));
  return f;
}

WeightsFile parse_weights(const std::uint8_t* data, std::size_t size, const std::string& name) {
  // The parser needs 4-byte alignment for in-place use; a std::vector's buffer has it, but a
  // caller's arbitrary pointer may not: copy to an aligned buffer then.
  std::vector<std::uint32_t> aligned;
  const std::uint8_t* p = data;
  if (reinterpret_cast<std::uintptr_t>(data) % 4 != 0) {
    aligned.resize((size + 3) / 4);
    std::memcpy(aligned.data(), data, size);
    p = reinterpret_cast<const std::uint8_t*>(aligned.data());
  }
  static const std::uint32_t empty = 0;
  if (!p) p = reinterpret_cast<const std::uint8_t*>(&empty);   // size 0: report "truncated"
  fmt::File file;
  fmt::Diag diag;
  const vae_rt::Status s = fmt::parse(p, size, &file, true, &diag);
  if (s != vae_rt::Status::ok) {
    throw Error(name + ": " + vae_rt::status_str(s) + ": " + diag.text);
  }
  WeightsFile wf;
  wf.flags = file.header.flags;
  wf.dim_x = file.header.dim_x;
  wf.dim_h = file.header.dim_h;
  wf.dim_z = file.header.dim_z;
  wf.dim_h2 = file.header.dim_h2;
  if (file.note) wf.note.assign(reinterpret_cast<const char*>(file.note), file.header.note_size);
  for (std::uint32_t i = 0; i < file.header.tensor_count; ++i) {
    const fmt::Tensor t = fmt::tensor_at(file, i);
    WeightTensor w;
    w.name = t.name;
    w.dtype = t.dtype;
    w.rank = t.rank;
    w.dim0 = t.dim0;
    w.dim1 = t.dim1;
    w.data.assign(t.data, t.data + t.size);
    wf.tensors.push_back(std::move(w));
  }
  return wf;
}

WeightsFile read_weights(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_file(path);
  return parse_weights(bytes.data(), bytes.size(), path);
}

void write_weights(const std::string& path, const WeightsFile& wf) {
  write_file_atomic(path, serialize_weights(wf));
}

}  // namespace vae
