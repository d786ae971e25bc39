// vae/checkpoint.hpp - the training checkpoint: everything needed to continue a run bit for bit.
//
// A checkpoint holds the parameters, Adam's moments and step count, the training RNG's state,
// the number of epochs done, the loss history of those epochs and the run's settings (JSON text
// that the app writes and reads; this module does not interpret it). Resuming from it with the
// same thread count gives exactly the bits of an uninterrupted run: the trainer's shuffle and
// noise come from the one RNG saved here, and evaluation uses its own stream seeded by
// (seed, epoch) (see vae/trainer.hpp).
//
// It is not the weight file (vae/weights.hpp): that one is for inference, is read by the
// microcontroller runtime, and has no optimizer state. The checkpoint is a private file of
// vae_train, read back only by the same format version.
//
// File layout, version 1, little-endian, no padding:
//   offset  size  field
//        0     8  magic "VAECKPT\0"
//        8     4  u32 version = 1
//       12     4  u32 header_bytes = 96
//       16    12  u32 dim_x, dim_h, dim_z
//       28     4  u32 epochs_done
//       32     8  u64 num_params (P)
//       40     8  i64 adam_t
//       48    16  u64 rng_state, rng_inc  (vae_rt::Rng verbatim)
//       64     4  u32 history_rows (= epochs_done)
//       68     4  u32 history_cols = 8
//       72     8  u64 settings_bytes (S)
//       80     8  u64 file_bytes: the whole file, CRC included
//       88     8  zero (reserved)
//       96  4P each  f32 params[P], adam_m[P], adam_v[P]
//           64 per row  f64 history[rows][8]: epoch, train loss, train recon, train KL,
//                       test loss, test recon, test KL, seconds (all per image, z sampled)
//           S     settings, UTF-8 JSON text, no terminator
//   end-4      4  u32 CRC-32 (vae_rt/crc32.h) of every byte before it
//
// Errors: parse_checkpoint checks magic, version, sizes (truncation), then the CRC, and throws a
// one-line vae::Error naming the file: "ck.vaeckpt: truncated: header says 2389 bytes, file has
// 1000", "ck.vaeckpt: version 2, this build reads version 1 (...)", "ck.vaeckpt: CRC mismatch".
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "vae/error.hpp"
#include "vae_rt/rng.h"

namespace vae {

inline constexpr char checkpoint_magic[8] = {'V', 'A', 'E', 'C', 'K', 'P', 'T', '\0'};
inline constexpr std::uint32_t checkpoint_version = 1;
inline constexpr std::size_t checkpoint_header_bytes = 96;

// One row of the loss history: figures per image, test figures with z sampled.
struct EpochRecord {
  double epoch = 0;
  double train_loss = 0, train_recon = 0, train_kl = 0;
  double test_loss = 0, test_recon = 0, test_kl = 0;
  double seconds = 0;   // wall time of the epoch: training and test evaluation
};
inline constexpr std::size_t epoch_record_fields = 8;
static_assert(sizeof(EpochRecord) == epoch_record_fields * sizeof(double), "no padding");

struct Checkpoint {
  std::uint32_t dim_x = 0, dim_h = 0, dim_z = 0;
  std::uint32_t epochs_done = 0;
  std::int64_t adam_t = 0;
  vae_rt::Rng rng;
  std::vector<float> params, adam_m, adam_v;   // (P) each, the model's parameter layout
  std::vector<EpochRecord> history;            // (epochs_done)
  std::string settings;                        // JSON text, written and read by the app
};

std::vector<std::uint8_t> serialize_checkpoint(const Checkpoint& ck);
// Parse and validate the bytes of a whole file; errors start with `name`.
Checkpoint parse_checkpoint(const std::uint8_t* data, std::size_t size, const std::string& name);

void write_checkpoint(const std::string& path, const Checkpoint& ck);   // atomic
Checkpoint read_checkpoint(const std::string& path);

// --- the model side: any Model with the Vae members (dims, num_params, params, adam_*) --------

template <class Model>
Checkpoint capture_checkpoint(const Model& model, std::uint32_t epochs_done, const vae_rt::Rng& rng,
                              std::vector<EpochRecord> history, std::string settings) {
  Checkpoint ck;
  ck.dim_x = static_cast<std::uint32_t>(Model::dim_x);
  ck.dim_h = static_cast<std::uint32_t>(Model::dim_h);
  ck.dim_z = static_cast<std::uint32_t>(Model::dim_z);
  ck.epochs_done = epochs_done;
  ck.adam_t = model.adam_t;
  ck.rng = rng;
  ck.params.assign(model.params.data(), model.params.data() + Model::num_params);
  ck.adam_m.assign(model.adam_m.data(), model.adam_m.data() + Model::num_params);
  ck.adam_v.assign(model.adam_v.data(), model.adam_v.data() + Model::num_params);
  ck.history = std::move(history);
  ck.settings = std::move(settings);
  return ck;
}

// Copy parameters and Adam state into the model; the caller restores the trainer's epoch and RNG
// (Trainer::restore). Dims and parameter count must match this build's Model.
template <class Model>
void restore_checkpoint(const Checkpoint& ck, Model& model, const std::string& name) {
  if (ck.dim_x != Model::dim_x || ck.dim_h != Model::dim_h || ck.dim_z != Model::dim_z ||
      ck.params.size() != Model::num_params) {
    throw Error(name + ": checkpoint is for a " + std::to_string(ck.dim_x) + "-" +
                std::to_string(ck.dim_h) + "-" + std::to_string(ck.dim_z) + " model with " +
                std::to_string(ck.params.size()) + " parameters; expected " +
                std::to_string(Model::dim_x) + "-" + std::to_string(Model::dim_h) + "-" +
                std::to_string(Model::dim_z) + " with " + std::to_string(Model::num_params));
  }
  std::memcpy(model.params.data(), ck.params.data(), Model::num_params * sizeof(float));
  std::memcpy(model.adam_m.data(), ck.adam_m.data(), Model::num_params * sizeof(float));
  std::memcpy(model.adam_v.data(), ck.adam_v.data(), Model::num_params * sizeof(float));
  model.adam_t = ck.adam_t;
}

}  // namespace vae
