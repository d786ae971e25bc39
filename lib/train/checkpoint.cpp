// checkpoint.cpp - serialize, parse and atomically write training checkpoints (vae/checkpoint.hpp).
//
// Fields are copied with memcpy at fixed offsets (the file is little-endian, as the host must
// be); the parser never trusts a size before checking it against the bytes it has, and checks
// the CRC only after the sizes, so a truncated file says "truncated" rather than "CRC mismatch".
#include "vae/checkpoint.hpp"


#include "vae/files/atomic_file.hpp"
#include "vae_rt/crc32.h"

namespace vae {
namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the checkpoint is little-endian");

// Header offsets (see the table in vae/checkpoint.hpp).
constexpr std::size_t off_version = 8, off_header_bytes = 12, off_dims = 16, off_epochs = 28,
                      off_num_params = 32, off_adam_t = 40, off_rng = 48, off_rows = 64,
                      off_cols = 68, off_settings = 72, off_file_bytes = 80;

template <class T>
void put(std::vector<std::uint8_t>& out, std::size_t offset, T value) {
  std::memcpy(out.data() + offset, &value, sizeof(T));
}
template <class T>
T get(const std::uint8_t* data, std::size_t offset) {
  T value;
  std::memcpy(&value, data + offset, sizeof(T));
  return value;
}

}  // namespace

std::vector<std::uint8_t> serialize_checkpoint(const Checkpoint& ck) {
  const std::size_t P = ck.params.size();
  if (ck.adam_m.size() != P || ck.adam_v.size() != P) {
    throw Error("serialize_checkpoint: params, adam_m and adam_v have " + std::to_string(P) + ", " +
                std::to_string(ck.adam_m.size()) + " and " + std::to_string(ck.adam_v.size()) +
                " values, expected equal");
  }
  if (ck.history.size() != ck.epochs_done) {
    throw Error("serialize_checkpoint: " + std::to_string(ck.history.size()) +
                " history rows for " + std::to_string(ck.epochs_done) + " epochs, expected equal");
  }
  const std::size_t body = 3 * P * sizeof(float) + ck.history.size() * sizeof(EpochRecord) +
                           ck.settings.size();
  const std::size_t total = checkpoint_header_bytes + body + 4;
  std::vector<std::uint8_t> out(total, 0);
  std::memcpy(out.data(), checkpoint_magic, sizeof checkpoint_magic);
  put<std::uint32_t>(out, off_version, checkpoint_version);
  put<std::uint32_t>(out, off_header_bytes, static_cast<std::uint32_t>(checkpoint_header_bytes));
  put<std::uint32_t>(out, off_dims, ck.dim_x);
  put<std::uint32_t>(out, off_dims + 4, ck.dim_h);
  put<std::uint32_t>(out, off_dims + 8, ck.dim_z);
  put<std::uint32_t>(out, off_epochs, ck.epochs_done);
  put<std::uint64_t>(out, off_num_params, P);
  put<std::int64_t>(out, off_adam_t, ck.adam_t);
  put<std::uint64_t>(out, off_rng, ck.rng.state);
  put<std::uint64_t>(out, off_rng + 8, ck.rng.inc);
  put<std::uint32_t>(out, off_rows, static_cast<std::uint32_t>(ck.history.size()));
  put<std::uint32_t>(out, off_cols, static_cast<std::uint32_t>(epoch_record_fields));
  put<std::uint64_t>(out, off_settings, ck.settings.size());
  put<std::uint64_t>(out, off_file_bytes, total);
  std::uint8_t* p = out.data() + checkpoint_header_bytes;
  for (const std::vector<float>* v : {&ck.params, &ck.adam_m, &ck.adam_v}) {
    if (P) std::memcpy(p, v->data(), P * sizeof(float));
    p += P * sizeof(float);
  }
  if (!ck.history.empty()) std::memcpy(p, ck.history.data(), ck.history.size() * sizeof(EpochRecord));
  p += ck.history.size() * sizeof(EpochRecord);
  if (!ck.settings.empty()) std::memcpy(p, ck.settings.data(), ck.settings.size());
  put<std::uint32_t>(out, total - 4, vae_rt::crc32(out.data(), total - 4));
  return out;
}

Checkpoint parse_checkpoint(const std::uint8_t* data, std::size_t size, const std::string& name) {
  auto fail = [&](const std::string& what) -> Error { return Error(name + ": " + what); };
  if (size < sizeof checkpoint_magic || std::memcmp(data, checkpoint_magic, sizeof checkpoint_magic) != 0) {
    throw fail("not a vae_train checkpoint (expected the magic \"VAECKPT\" at offset 0)");
  }
  if (size < checkpoint_header_bytes) {
    throw fail("truncated: " + std::to_string(size) + " bytes, the header alone is " +
               std::to_string(checkpoint_header_bytes));
  }
  const auto version = get<std::uint32_t>(data, off_version);
  if (version != checkpoint_version) {
    throw fail("version " + std::to_string(version) + ", this build reads version " +
               std::to_string(checkpoint_version) +
               " (continue it with the vae_train that wrote it, or start a new run)");
  }
  const auto header_bytes = get<std::uint32_t>(data, off_header_bytes);
  const auto cols = get<std::uint32_t>(data, off_cols);
  if (header_bytes != checkpoint_header_bytes || cols != epoch_record_fields) {
    throw fail("header size " + std::to_string(header_bytes) + " and history columns " +
               std::to_string(cols) + ", expected " + std::to_string(checkpoint_header_bytes) +
               " and " + std::to_string(epoch_record_fields));
  }
  const auto file_bytes = get<std::uint64_t>(data, off_file_bytes);
  if (file_bytes != size) {
    throw fail((file_bytes > size ? "truncated: header says " : "trailing bytes: header says ") +
               std::to_string(file_bytes) + " bytes, file has " + std::to_string(size));
  }
  const auto P = get<std::uint64_t>(data, off_num_params);
  const auto rows = get<std::uint32_t>(data, off_rows);
  const auto settings_bytes = get<std::uint64_t>(data, off_settings);
  // Every count is bounded by the (already checked) file size before any multiplication.
  const std::uint64_t limit = size;
  if (P > limit / 12 || settings_bytes > limit ||
      checkpoint_header_bytes + 12 * P + std::uint64_t{rows} * sizeof(EpochRecord) + settings_bytes +
              4 != size) {
    throw fail("sizes disagree: " + std::to_string(P) + " parameters, " + std::to_string(rows) +
               " history rows and " + std::to_string(settings_bytes) +
               " settings bytes do not add up to the file's " + std::to_string(size) + " bytes");
  }
  const std::uint32_t stored_crc = get<std::uint32_t>(data, size - 4);
  const std::uint32_t crc = vae_rt::crc32(data, size - 4);
  if (stored_crc != crc) {
    throw fail("CRC mismatch (stored " + std::to_string(stored_crc) + ", computed " +
               std::to_string(crc) + "): the file is corrupted");
  }
  Checkpoint ck;
  ck.dim_x = get<std::uint32_t>(data, off_dims);
  ck.dim_h = get<std::uint32_t>(data, off_dims + 4);
  ck.dim_z = get<std::uint32_t>(data, off_dims + 8);
  ck.epochs_done = get<std::uint32_t>(data, off_epochs);
  ck.adam_t = get<std::int64_t>(data, off_adam_t);
  ck.rng.state = get<std::uint64_t>(data, off_rng);
  ck.rng.inc = get<std::uint64_t>(data, off_rng + 8);
  if (rows != ck.epochs_done) {
    throw fail(std::to_string(rows) + " history rows for " + std::to_string(ck.epochs_done) +
               " epochs done, expected equal");
  }
  if ((ck.rng.inc & 1u) == 0 || ck.adam_t < 0) {
    throw fail("invalid RNG stream (even increment) or negative Adam step count");
  }
  const std::uint8_t* p = data + checkpoint_header_bytes;
  for (std::vector<float>* v : {&ck.params, &ck.adam_m, &ck.adam_v}) {
    v->resize(P);
    if (P) std::memcpy(v->data(), p, P * sizeof(float));
    p += P * sizeof(float);
  }
  ck.history.resize(rows);
  if (rows) std::memcpy(ck.history.data(), p, rows * sizeof(EpochRecord));
  p += rows * sizeof(EpochRecord);
  ck.settings.assign(reinterpret_cast<const char*>(p), settings_bytes);
  return ck;
}

void write_checkpoint(const std::string& path, const Checkpoint& ck) {
  write_file_atomic(path, serialize_checkpoint(ck));
}

Checkpoint read_checkpoint(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_file(path);
  return parse_checkpoint(bytes.data(), bytes.size(), path);
}

}  // namespace vae
