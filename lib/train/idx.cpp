// idx.cpp - IDX file reading and validation, and batch staging (see include/vae/idx.hpp).
//
// Files are read whole with fopen/fread into a byte vector and then parsed from memory, so the
// file path and the fuzzer's buffer go through the same checks. Every check happens before any
// pixel is copied; sizes are multiplied with __builtin_mul_overflow, never trusted.
//
// This file is not a data pipeline: no decompression, no mmap, no shuffling, no float copy of
// the data set (stage_batch converts one batch at a time).
#include "vae/idx.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>

#include <xtensor/xview.hpp>

#include "vae/error.hpp"
#include "vae/parallel.hpp"
#include "huge_pages.h"
#include "vector_clones.h"

namespace vae {
namespace {

std::uint32_t read_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

std::string hex32(std::uint32_t v) {
  char buf[11];
  std::snprintf(buf, sizeof buf, "0x%08x", static_cast<unsigned>(v));
  return buf;
}

// What one kind of IDX file looks like: its magic and how many u32 dimensions follow it.
struct IdxKind {
  std::uint32_t magic;
  std::size_t ndims;
  const char* what;   // "images" or "labels", for messages
};
constexpr IdxKind images_kind{idx_images_magic, 3, "images"};
constexpr IdxKind labels_kind{idx_labels_magic, 1, "labels"};

// Checks everything up to and including the dimensions; returns the header size in bytes.
// dims receives kind.ndims values.
std::size_t parse_header(const std::uint8_t* data, std::size_t size, const std::string& name,
                         const IdxKind& kind, std::uint32_t* dims) {
  const std::size_t header_bytes = 4 + 4 * kind.ndims;
  const std::string expected_magic =
      std::to_string(kind.magic) + " (" + hex32(kind.magic) + ": IDX " + kind.what + ")";
  if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
    throw Error(name + ": looks gzip-compressed (starts with 1f 8b), expected a raw IDX " +
                kind.what + " file with magic " + expected_magic + "; decompress it with gzip -d");
  }
  if (size < 4) {
    throw Error(name + ": file too short for an IDX " + kind.what + " header: " +
                std::to_string(size) + " bytes, expected at least " +
                std::to_string(header_bytes));
  }
  const std::uint32_t magic = read_be32(data);
  if (magic != kind.magic) {
    std::string found = hex32(magic);
    if (magic == idx_images_magic) found += ": an IDX images file";
    if (magic == idx_labels_magic) found += ": an IDX labels file";
    throw Error(name + ": bad magic " + std::to_string(magic) + " (" + found + "), expected " +
                expected_magic);
  }
  if (size < header_bytes) {
    throw Error(name + ": file too short for an IDX " + kind.what + " header: " +
                std::to_string(size) + " bytes, expected at least " +
                std::to_string(header_bytes));
  }
  for (std::size_t d = 0; d < kind.ndims; ++d) dims[d] = read_be32(data + 4 + 4 * d);
  return header_bytes;
}

// The data after a header of header_bytes must be exactly data_bytes long.
void check_data_size(std::size_t size, std::size_t header_bytes, std::size_t data_bytes,
                     const std::string& name, const std::string& shape) {
  const std::size_t present = size - header_bytes;
  if (present < data_bytes) {
    throw Error(name + ": truncated: header says " + shape + " = " + std::to_string(data_bytes) +
                " data bytes, file holds " + std::to_string(present) + " (" +
                std::to_string(data_bytes - present) + " missing)");
  }
  if (present > data_bytes) {
    throw Error(name + ": " + std::to_string(present - data_bytes) +
                " trailing bytes after the " + std::to_string(data_bytes) + " data bytes of " +
                shape + ", expected the file to end there");
  }
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

std::vector<std::uint8_t> read_whole_file(const std::string& path) {
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::status(path, ec);
  if (std::filesystem::is_directory(st)) {
    throw Error(path + ": is a directory, expected an IDX file");
  }
  errno = 0;
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  if (!f) {
    const int err = errno;
    throw Error(path + ": cannot open: " + (err ? std::strerror(err) : "unknown error") +
                ", expected a readable IDX file");
  }
  // Size hint + 1 so that a regular file is read by one fread, and the next one sees EOF.
  std::size_t capacity = 1 << 16;
  if (std::filesystem::is_regular_file(st)) {
    const std::uintmax_t n = std::filesystem::file_size(path, ec);
    if (!ec && n < SIZE_MAX) capacity = static_cast<std::size_t>(n) + 1;
  }
  std::vector<std::uint8_t> bytes(capacity);
  std::size_t used = 0;
  for (;;) {
    if (used == bytes.size()) bytes.resize(bytes.size() * 2);
    used += std::fread(bytes.data() + used, 1, bytes.size() - used, f.get());
    if (std::ferror(f.get())) {
      throw Error(path + ": read error after " + std::to_string(used) + " bytes: " +
                  std::strerror(errno));
    }
    if (std::feof(f.get())) break;
  }
  bytes.resize(used);
  return bytes;
}

}  // namespace

ImageSet parse_idx_images(const std::uint8_t* data, std::size_t size, const std::string& name) {
  std::uint32_t dims[3];  // count, rows, cols
  const std::size_t header_bytes = parse_header(data, size, name, images_kind, dims);
  const std::size_t count = dims[0], rows = dims[1], cols = dims[2];
  const std::string shape = std::to_string(count) + " images of " + std::to_string(rows) + "x" +
                            std::to_string(cols);
  if (rows == 0 || cols == 0) {
    throw Error(name + ": zero image size in header (" + shape +
                "), expected rows and cols > 0");
  }
  // The sizes must fit in std::ptrdiff_t, not only size_t: xtensor computes the strides of
  // (count, rows, cols) in a signed type, so rows * cols above PTRDIFF_MAX overflows there even
  // with count 0 and no data (found by fuzz_idx: 0 images of 4294923392x4075572960).
  std::ptrdiff_t per_image = 0, data_bytes = 0;
  if (__builtin_mul_overflow(rows, cols, &per_image) ||
      __builtin_mul_overflow(count, per_image, &data_bytes)) {
    throw Error(name + ": header sizes overflow (" + shape +
                " does not fit in ptrdiff_t), expected a plausible image count and size");
  }
  check_data_size(size, header_bytes, static_cast<std::size_t>(data_bytes), name, shape);

  ImageSet set = ImageSet::from_shape({count, rows, cols});  // (count, rows, cols)
  // Each shuffled batch reads its images from all over the set: huge pages spare the TLB misses
  // (huge_pages.h). Advised before the copy below first writes the pages.
  detail::advise_huge_pages(set.data(), static_cast<std::size_t>(data_bytes));
  if (data_bytes) std::memcpy(set.data(), data + header_bytes, static_cast<std::size_t>(data_bytes));
  return set;
}

Labels parse_idx_labels(const std::uint8_t* data, std::size_t size, const std::string& name) {
  std::uint32_t dims[1];  // count
  const std::size_t header_bytes = parse_header(data, size, name, labels_kind, dims);
  const std::size_t count = dims[0];
  check_data_size(size, header_bytes, count, name, std::to_string(count) + " labels");
  Labels labels = Labels::from_shape({count});  // (count)
  if (count) std::memcpy(labels.data(), data + header_bytes, count);
  return labels;
}

ImageSet read_idx_images(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_whole_file(path);
  return parse_idx_images(bytes.data(), bytes.size(), path);
}

Labels read_idx_labels(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_whole_file(path);
  return parse_idx_labels(bytes.data(), bytes.size(), path);
}

Dataset load_idx_dataset(const std::string& images_path, const std::string& labels_path) {
  Dataset ds;
  ds.images = read_idx_images(images_path);
  ds.labels = read_idx_labels(labels_path);
  if (ds.labels.size() != image_count(ds.images)) {
    throw Error(images_path + ": count mismatch: " + std::to_string(image_count(ds.images)) +
                " images but " + labels_path + " has " + std::to_string(ds.labels.size()) +
                " labels, expected the same count");
  }
  return ds;
}

Dataset load_mnist(const std::string& dir, Split split) {
  const std::string prefix = dir + "/" + (split == Split::train ? "train" : "t10k");
  const std::string images_path = prefix + "-images-idx3-ubyte";
  const std::string labels_path = prefix + "-labels-idx1-ubyte";
  for (const std::string& path : {images_path, labels_path}) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      throw Error(path + ": missing, expected an MNIST IDX file; run scripts/fetch-mnist --data " +
                  dir + " to download it");
    }
  }
  return load_idx_dataset(images_path, labels_path);
}

ImageSet head(const ImageSet& s, std::size_t n) {
  if (n == 0 || n >= image_count(s)) return s;
  return xt::view(s, xt::range(0, n));  // (n, rows, cols)
}

Dataset head(const Dataset& d, std::size_t n) {
  if (n == 0 || n >= d.size()) return d;
  Dataset h;
  h.images = head(d.images, n);
  h.labels = xt::view(d.labels, xt::range(0, n));  // (n)
  return h;
}

namespace {
// dst[p] = src[p] / 255 (a division, not a multiplication by 1/255: the same bits as ever), at
// the widest vector width the CPU has: the baseline's 4-wide divisions took half of a shuffled
// batch's staging time.
VAE_VECTOR_CLONES
void bytes_to_unit(float* __restrict dst, const std::uint8_t* __restrict src, std::size_t n) {
#pragma omp simd
  for (std::size_t p = 0; p < n; ++p) dst[p] = static_cast<float>(src[p]) / 255.0f;
}

// Every cache line of the n bytes at p, into the cache level `Locality` names (__builtin_prefetch:
// 3 all levels, 2 L2 and beyond).
template <int Locality>
void prefetch_image(const std::uint8_t* image, std::size_t n) {
  const char* p = reinterpret_cast<const char*>(image);
  for (std::size_t o = 0; o < n; o += 64) __builtin_prefetch(p + o, 0, Locality);
  if (n > 0) __builtin_prefetch(p + n - 1, 0, Locality);   // the last line when n is not a multiple
}

// Images [lo, hi) of the batch, each converted whole, prefetching kStageAhead images ahead (see
// stage_batch).
constexpr std::size_t kStageAhead = 2;
void stage_rows(float* x, const ImageSet& images, const std::uint32_t* idx, std::size_t lo, std::size_t hi) {
  const std::size_t n = pixels_per_image(images);
  auto prefetch = [&](std::size_t b) { prefetch_image<3>(image_data(images, idx[b]), n); };
  for (std::size_t b = lo; b < hi && b < lo + kStageAhead; ++b) prefetch(b);
  for (std::size_t b = lo; b < hi; ++b) {
    if (b + kStageAhead < hi) prefetch(b + kStageAhead);
    const std::uint8_t* src = image_data(images, idx[b]);  // (rows*cols)
    float* dst = x + b * n;                                // (rows*cols) row b of x (B, rows*cols)
    bytes_to_unit(dst, src, n);
  }
}
}  // namespace

void prefetch_images(const ImageSet& images, const std::uint32_t* idx, std::size_t batch) {
  const std::size_t n = pixels_per_image(images), count = image_count(images);
  for (std::size_t b = 0; b < batch; ++b) {
    if (idx[b] < count) prefetch_image<2>(image_data(images, idx[b]), n);   // else stage_batch reports it
  }
}

void check_batch_indices(const ImageSet& images, const std::uint32_t* idx, std::size_t batch) {
  if (!idx && batch > 0) throw Error("stage_batch: no image indices for a batch of " + std::to_string(batch));
  for (std::size_t b = 0; b < batch; ++b) {
    if (idx[b] >= image_count(images)) {
      throw Error("stage_batch: index " + std::to_string(idx[b]) + " at batch row " +
                  std::to_string(b) + " out of range, expected < " +
                  std::to_string(image_count(images)) + " images");
    }
  }
}

void stage_batch_serial(float* x, const PendingBatch& batch) noexcept {
  stage_rows(x, *batch.images, batch.idx, 0, batch.B);
}

void stage_batch(float* x, const ImageSet& images, const std::uint32_t* idx, std::size_t batch) {
  check_batch_indices(images, idx, batch);
  // A shuffled batch reads 128 images scattered over the 47 MB set: one cache miss after another,
  // which the conversion (a division per pixel) did not hide. Issue 19 measured an epoch step
  // 0.06 ms slower than the same step staged from consecutive images (0.09 ms against 0.03 ms
  // to stage). So the images are split across the pool (each image is converted whole by one
  // thread, the same bits) and each thread prefetches the image kStageAhead rows ahead of the
  // one it converts: 0.054 ms for a shuffled batch at 2 threads, 0.019 ms from consecutive
  // images, measured between real steps (docs/performance.md, issue 19). With the conversion at
  // the widest vector width and the Trainer's prefetch of the next batch (prefetch_images), a
  // shuffled batch took 41-45 us in the epoch; a Vae's step now stages the next batch itself,
  // on one core in time it would wait (stage_batch_serial, Vae::train_step).
  parallel_for(batch, 16, [&](std::size_t, std::size_t lo, std::size_t hi) { stage_rows(x, images, idx, lo, hi); });
}

}  // namespace vae
