// vae/weights.hpp - save and load the model's parameters as a ".vaew" weight file.
//
// The format is defined once, in the freestanding header vae_rt/format.h (and in prose in
// docs/weights-format.md); this is the hosted side: it builds a file in memory (WeightsFile),
// serializes it with 64-byte-aligned tensors and the CRC, writes it atomically
// (vae/files/atomic_file.hpp), and reads one back through the runtime's own parser, so the writer and
// the device can never disagree about what a valid file is.
//
//   vae::save_weights(model, "weights/mnist_vae.vaew");              // full model, float32
//   vae::save_weights(model, path, {.int8 = true, .decoder_only = true, .note = "..."});
//   vae::load_weights(model, path);   // throws vae::Error("path: file has latent 2, ...")
//
// Tensors are named after the layers (Dense::name): "<layer>_w" (Out, In) and "<layer>_b" (Out).
// int8 applies to weights (rank 2) only: symmetric per row, q = round(w / s) in [-127, 127] with
// s = max|w_row| / 127, and the scales (Out) go in the float32 tensor "<layer>_w.scale".
//
// Not a checkpoint: no gradients, no Adam moments, no RNG state (the trainer's checkpoints keep
// those). Not a general tensor container: dims D, H, Z describe this project's models.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "vae/error.hpp"
#include "vae_rt/format.h"

namespace vae {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the weight file is little-endian and tensors are copied as bytes");

struct WeightTensor {
  std::string name;                                   // 1..31 chars of [a-z0-9_.]
  vae_rt::format::Dtype dtype = vae_rt::format::Dtype::float32;
  std::uint32_t rank = 2;                             // 1 or 2
  std::uint32_t dim0 = 0, dim1 = 1;                   // (rows, cols); cols = 1 for rank 1
  std::vector<std::uint8_t> data;                     // (dim0 * dim1 * dtype size) LE bytes, owned

  std::size_t count() const { return std::size_t{dim0} * dim1; }
};

// A weight file in memory, before serialization or after parsing. Owns its tensors' bytes.
struct WeightsFile {
  std::uint32_t flags = 0;                            // vae_rt::format::Flag bits
  std::uint32_t dim_x = 0, dim_h = 0, dim_z = 0, dim_h2 = 0;
  std::string note;                                   // free text (settings, commit); may be empty
  std::vector<WeightTensor> tensors;                  // in file (table) order

  const WeightTensor* find(const std::string& name) const;
  bool has_encoder() const { return flags & vae_rt::format::flag_encoder; }
  // "float32", "int8" or "mixed": the dtype of the layers' weight tensors (rank 2, "<layer>_w").
  std::string weights_dtype() const;
};

// A float32 tensor from `count` floats; rank 1 when dim1 is 0.
WeightTensor float_tensor(const std::string& name, std::uint32_t dim0, std::uint32_t dim1,
                          const float* values);

// The tensor `name` as floats (int8 dequantized with its "<name>.scale"). Throws vae::Error
// naming `file_name` if missing or malformed.
std::vector<float> tensor_floats(const WeightsFile& wf, const std::string& name,
                                 const std::string& file_name);

// Every float32 rank-2 tensor whose name ends in "_w" becomes int8 plus "<name>.scale". Throws
// vae::Error naming the tensor and element if one of those weights is NaN or infinite.
WeightsFile quantize_int8(const WeightsFile& wf);
// Drop the encoder's tensors ("enc_*") and clear flag_encoder.
WeightsFile decoder_only(const WeightsFile& wf);

// The file's bytes: header, table, note, 64-byte-aligned tensors, CRC. Throws vae::Error on a
// bad name, a duplicate or a file over 4 GiB.
std::vector<std::uint8_t> serialize_weights(const WeightsFile& wf);
// Parse and fully validate (vae_rt::format::parse); errors read "<name>: <problem>".
WeightsFile parse_weights(const std::uint8_t* data, std::size_t size, const std::string& name);

WeightsFile read_weights(const std::string& path);
void write_weights(const std::string& path, const WeightsFile& wf);   // atomic

struct SaveOptions {
  bool int8 = false;           // quantize the weights (biases stay float32)
  bool decoder_only = false;   // only the dec_* tensors
  std::string note;            // free text stored in the file, e.g. the training command
};

// --- the model side: any Model with dim_x/dim_h/dim_z and for_each_layer over named Dense layers

// Append every Dense layer of `model` as float tensors <name>_w (out, in) and <name>_b (out), in
// parameter order. Shared by every model writer (the VAE's, the classifier's).
template <class Model>
void layers_to_weights(WeightsFile& wf, Model& model) {
  model.for_each_layer([&](auto& layer) {
    using L = std::decay_t<decltype(layer)>;
    const std::string name = layer.name;
    wf.tensors.push_back(float_tensor(name + "_w", static_cast<std::uint32_t>(L::out),
                                      static_cast<std::uint32_t>(L::in), layer.w.data()));
    wf.tensors.push_back(float_tensor(name + "_b", static_cast<std::uint32_t>(L::out), 0, layer.b.data()));
  });
}

template <class Model>
WeightsFile weights_from_model(Model& model, const SaveOptions& opt = {}) {
  WeightsFile wf;
  wf.flags = vae_rt::format::flag_encoder;
  wf.dim_x = static_cast<std::uint32_t>(Model::dim_x);
  wf.dim_h = static_cast<std::uint32_t>(Model::dim_h);
  wf.dim_z = static_cast<std::uint32_t>(Model::dim_z);
  wf.note = opt.note;
  layers_to_weights(wf, model);
  if (opt.decoder_only) wf = decoder_only(wf);
  if (opt.int8) wf = quantize_int8(wf);
  return wf;
}

template <class Model>
void save_weights(Model& model, const std::string& path, const SaveOptions& opt) {
  write_weights(path, weights_from_model(model, opt));
}
template <class Model>
void save_weights(Model& model, const std::string& path) {
  save_weights(model, path, SaveOptions{});
}

// Fill every Dense layer of `model` (its <name>_w and <name>_b) from the file, checking each
// tensor's presence and shape; int8 weights are dequantized. Shared by every model loader.
template <class Model>
void layers_from_weights(const WeightsFile& wf, Model& model, const std::string& path) {
  model.for_each_layer([&](auto& layer) {
    using L = std::decay_t<decltype(layer)>;
    const std::string name = layer.name;
    auto fill = [&](const std::string& tname, std::uint32_t rows, std::uint32_t cols, float* dst) {
      const WeightTensor* t = wf.find(tname);
      if (!t) throw Error(path + ": tensor " + tname + " is missing");
      if (t->dim0 != rows || t->dim1 != cols) {
        throw Error(path + ": tensor " + tname + " has shape (" + std::to_string(t->dim0) + ", " +
                    std::to_string(t->dim1) + "); this build expects (" + std::to_string(rows) +
                    ", " + std::to_string(cols) + ")");
      }
      const std::vector<float> v = tensor_floats(wf, tname, path);
      std::memcpy(dst, v.data(), v.size() * sizeof(float));
    };
    fill(name + "_w", static_cast<std::uint32_t>(L::out), static_cast<std::uint32_t>(L::in), layer.w.data());
    fill(name + "_b", static_cast<std::uint32_t>(L::out), 1, layer.b.data());
  });
}

// Dims and shapes must match the model; int8 weights are dequantized. A decoder-only file is
// an error (the model has an encoder to fill).
template <class Model>
void weights_to_model(const WeightsFile& wf, Model& model, const std::string& path) {
  auto check_dim = [&](const char* what, std::uint32_t file, std::size_t build) {
    if (file != build) {
      throw Error(path + ": file has " + what + " " + std::to_string(file) +
                  ", this build expects " + std::to_string(build));
    }
  };
  check_dim("image size", wf.dim_x, Model::dim_x);
  check_dim("hidden", wf.dim_h, Model::dim_h);
  check_dim("latent", wf.dim_z, Model::dim_z);
  if (wf.dim_h2 != 0) throw Error(path + ": file has a second decoder layer; this model has none");
  if (!wf.has_encoder()) {
    throw Error(path + ": decoder-only file; loading a full model needs the encoder too");
  }
  layers_from_weights(wf, model, path);
}

template <class Model>
void load_weights(Model& model, const std::string& path) {
  weights_to_model(read_weights(path), model, path);
}

}  // namespace vae
