// vae/idx.hpp - read MNIST-style IDX files (images IDX3, labels IDX1) into memory.
//
// An IDX file is a big-endian u32 magic (0x00000803 = 2051 for images, 0x00000801 = 2049 for
// labels), then one big-endian u32 per dimension (count, rows, cols for images; count for
// labels), then exactly count*rows*cols (or count) unsigned bytes, nothing after them.
//
// The loader keeps the pixels as the file's uint8 bytes (47 MB for MNIST's training set rather
// than 188 MB of floats); floats appear only in stage_batch, which fills one batch buffer.
// Every malformed input (missing, short, gzip-compressed, wrong magic, zero or overflowing
// sizes, truncated, trailing bytes, images/labels count mismatch) throws a vae::Error whose
// what() is one line naming the file and what was expected.
//
// This is not a general IDX reader: only the unsigned-byte type code (0x08) and the two MNIST
// shapes are accepted. It does not decompress .gz files (scripts/fetch-mnist stores them raw),
// it does not memory-map, and it does not shuffle or batch (the trainer owns the index order).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <xtensor/xtensor.hpp>

namespace vae {

// Images of an IDX3 file (magic 2051), kept as the file's uint8 bytes: shape (count, rows, cols),
// row-major. A plain xtensor container, so xt::view, xt::sum, ... apply; the helpers below
// name its dimensions.
using ImageSet = xt::xtensor<std::uint8_t, 3>;
// Labels of an IDX1 file (magic 2049): shape (count).
using Labels = xt::xtensor<std::uint8_t, 1>;

inline std::size_t image_count(const ImageSet& s) { return s.shape(0); }
inline std::size_t pixels_per_image(const ImageSet& s) { return s.shape(1) * s.shape(2); }
// The rows*cols pixels of image i (row-major); i < image_count(s) is the caller's to check.
inline const std::uint8_t* image_data(const ImageSet& s, std::size_t i) {
  return s.data() + i * pixels_per_image(s);
}

struct Dataset {   // images with their labels, the same count
  ImageSet images;  // (count, rows, cols)
  Labels labels;    // (count)
  std::size_t size() const { return image_count(images); }
};

// The first min(n, count) images (and labels) as a new container; n = 0 means all of them.
ImageSet head(const ImageSet& s, std::size_t n);
Dataset head(const Dataset& d, std::size_t n);

inline constexpr std::uint32_t idx_images_magic = 0x00000803;  // 2051: u8 data, 3 dims
inline constexpr std::uint32_t idx_labels_magic = 0x00000801;  // 2049: u8 data, 1 dim

// Parse from memory (used by the fuzzer); `name` appears in error messages. data may be null
// when size is 0. The whole buffer must be one IDX file: trailing bytes are an error.
ImageSet parse_idx_images(const std::uint8_t* data, std::size_t size, const std::string& name);
Labels parse_idx_labels(const std::uint8_t* data, std::size_t size, const std::string& name);

// Read a whole file (binary std::ifstream) and parse it; errors name `path`.
ImageSet read_idx_images(const std::string& path);
Labels read_idx_labels(const std::string& path);

// Images and labels of one split; a count mismatch between the two files is an error.
Dataset load_idx_dataset(const std::string& images_path, const std::string& labels_path);

// dir holds train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
// t10k-labels-idx1-ubyte (scripts/fetch-mnist puts them in data/mnist).
enum class Split { train, test };
Dataset load_mnist(const std::string& dir, Split split);

// Stage a batch: x (B, rows*cols) floats in [0,1] = pixel / 255, for images idx[0..B).
// No allocation; an idx[b] >= image_count(images), or a null idx, throws vae::Error before
// anything is written.
void stage_batch(float* x, const ImageSet& images, const std::uint32_t* idx, std::size_t batch);
// stage_batch's check alone: throws vae::Error naming the first idx[b] >= image_count(images), or
// for no indices (idx null) at all.
void check_batch_indices(const ImageSet& images, const std::uint32_t* idx, std::size_t batch);

// A batch named but not staged yet: images[idx[b]] for b < B. A training step can stage it into
// x while it runs (Vae::train_step with a next batch, which the Trainer's epochs use).
struct PendingBatch {
  const ImageSet* images = nullptr;
  const std::uint32_t* idx = nullptr;
  std::size_t B = 0;
};
// stage_batch on the calling thread alone, with no pool dispatch (for work already inside one) and
// no check: the caller has run check_batch_indices on the same batch. The same bits as stage_batch.
void stage_batch_serial(float* x, const PendingBatch& batch) noexcept;
// Asks the memory system for the images idx[0..batch) (prefetches into L2; no effect on results):
// the Trainer calls it for the next batch before a step that does not stage that batch itself
// (the Classifier's), so that a shuffled batch's images, scattered over the training set and long
// out of every cache, arrive during the step.
void prefetch_images(const ImageSet& images, const std::uint32_t* idx, std::size_t batch);

}  // namespace vae
