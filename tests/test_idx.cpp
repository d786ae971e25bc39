// test_idx.cpp - tests of the IDX loader (lib/train/idx.cpp) and stage_batch.
//
// Three parts: the real MNIST files (headers, counts, labels, label histograms and pixel
// checksums computed independently with python3), Fashion-MNIST from the Debian package
// dataset-fashion-mnist (gzipped there, so decompressed with `gzip -dc` into a temp folder), and
// a matrix of malformed files that the test writes itself, each of which must throw a one-line
// vae::Error naming the file and the problem.
//
// MNIST comes from tests/mnist_fixture.hpp ($VAE_DATA, else <repo>/data/mnist). When it is missing
// the MNIST tests fail (they never skip) and say to run scripts/fetch-mnist. This file does not
// test training code, and it does not download anything.
#include <gtest/gtest.h>
#include <stdlib.h>  // mkdtemp
#include <unistd.h>  // geteuid

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "mnist_fixture.hpp"
#include "vae/blas.hpp"
#include "vae/error.hpp"
#include "vae/idx.hpp"
#include "vm_flags.hpp"

namespace test_idx {

namespace fs = std::filesystem;

namespace {

// ---------------------------------------------------------------------------------------------
// Helpers

using vae_test::mnist_dir;

constexpr const char* mnist_files[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                       "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

// FNV-1a, 32 bit, over n bytes: the checksum the expected values below were computed with.
std::uint32_t fnv1a32(const std::uint8_t* p, std::size_t n) {
  std::uint32_t h = 0x811c9dc5u;
  for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x01000193u;
  return h;
}

std::uint64_t pixel_sum(const std::uint8_t* p, std::size_t n) {
  std::uint64_t s = 0;
  for (std::size_t i = 0; i < n; ++i) s += p[i];
  return s;
}

std::array<std::size_t, 10> histogram(const vae::Labels& labels) {
  std::array<std::size_t, 10> h{};
  for (std::uint8_t l : labels) {
    if (l < 10) ++h[l];
  }
  return h;
}

// A fresh folder under the system temp dir, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "test_idx.XXXXXX").string();
    if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed for " + templ);
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

void write_file(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

void put_be32(std::vector<std::uint8_t>& v, std::uint32_t x) {
  v.push_back(static_cast<std::uint8_t>(x >> 24));
  v.push_back(static_cast<std::uint8_t>(x >> 16));
  v.push_back(static_cast<std::uint8_t>(x >> 8));
  v.push_back(static_cast<std::uint8_t>(x));
}

// An IDX images file: header (magic, count, rows, cols) then payload_bytes bytes i % 251.
std::vector<std::uint8_t> images_bytes(std::uint32_t count, std::uint32_t rows,
                                       std::uint32_t cols, std::size_t payload_bytes,
                                       std::uint32_t magic = 2051) {
  std::vector<std::uint8_t> v;
  put_be32(v, magic);
  put_be32(v, count);
  put_be32(v, rows);
  put_be32(v, cols);
  for (std::size_t i = 0; i < payload_bytes; ++i) v.push_back(static_cast<std::uint8_t>(i % 251));
  return v;
}

// An IDX labels file: header (magic, count) then payload_bytes labels i % 10.
std::vector<std::uint8_t> labels_bytes(std::uint32_t count, std::size_t payload_bytes,
                                       std::uint32_t magic = 2049) {
  std::vector<std::uint8_t> v;
  put_be32(v, magic);
  put_be32(v, count);
  for (std::size_t i = 0; i < payload_bytes; ++i) v.push_back(static_cast<std::uint8_t>(i % 10));
  return v;
}

std::vector<std::uint8_t> prefix(std::vector<std::uint8_t> v, std::size_t n) {
  v.resize(n);
  return v;
}

// Runs f, which must throw vae::Error; returns what() ("" and a failure otherwise).
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const vae::Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw a non-vae::Error exception: " << e.what();
    return "";
  }
  ADD_FAILURE() << "did not throw";
  return "";
}

// The message is one line and holds every one of `phrases`.
void expect_message(const std::string& msg, std::initializer_list<std::string> phrases) {
  EXPECT_EQ(msg.find('\n'), std::string::npos) << "message is not one line: " << msg;
  for (const std::string& p : phrases) {
    EXPECT_NE(msg.find(p), std::string::npos) << "message lacks \"" << p << "\": " << msg;
  }
}

// ---------------------------------------------------------------------------------------------
// Real MNIST, loaded once for the suite

class Mnist : public ::testing::Test {
 protected:
  void SetUp() override {   // tests/mnist_fixture.hpp loads each split once per binary
    try {
      train_ = &vae_test::mnist(vae::Split::train);
      test_ = &vae_test::mnist(vae::Split::test);
    } catch (const vae::Error& e) {
      FAIL() << e.what();
    }
  }

  const vae::Dataset* train_ = nullptr;
  const vae::Dataset* test_ = nullptr;
};

TEST_F(Mnist, HeadersAndCounts) {
  EXPECT_EQ(train_->size(), 60000u);
  EXPECT_EQ(vae::image_count(train_->images), 60000u);
  EXPECT_EQ(train_->images.shape(1), 28u);
  EXPECT_EQ(train_->images.shape(2), 28u);
  EXPECT_EQ(vae::pixels_per_image(train_->images), 784u);
  EXPECT_EQ(train_->images.size(), 60000u * 784u);
  EXPECT_EQ(train_->labels.size(), 60000u);

  EXPECT_EQ(test_->size(), 10000u);
  EXPECT_EQ(test_->images.shape(1), 28u);
  EXPECT_EQ(test_->images.shape(2), 28u);
  EXPECT_EQ(test_->images.size(), 10000u * 784u);
  EXPECT_EQ(test_->labels.size(), 10000u);
}

// Expected values computed independently with python3 over the raw files:
//   d = open('train-images-idx3-ubyte','rb').read(); img = d[16 + i*784 : 16 + (i+1)*784]
//   sum(img), and FNV-1a 32 (h = 0x811c9dc5; for x in img: h = ((h ^ x) * 0x01000193) & 0xffffffff)
TEST_F(Mnist, PixelChecksums) {
  const vae::ImageSet& tr = train_->images;
  EXPECT_EQ(pixel_sum(vae::image_data(tr, 0), 784), 27525u);
  EXPECT_EQ(fnv1a32(vae::image_data(tr, 0), 784), 0x9dfe5230u);
  EXPECT_EQ(vae::image_data(tr, 0)[152], 3u);             // first non-zero pixel of image 0 (row 5, col 12)
  EXPECT_EQ(vae::image_data(tr, 0)[14 * 28 + 14], 240u);  // centre pixel
  EXPECT_EQ(pixel_sum(vae::image_data(tr, 59999), 784), 20920u);
  EXPECT_EQ(fnv1a32(vae::image_data(tr, 59999), 784), 0x6d29042fu);
  EXPECT_EQ(pixel_sum(tr.data(), tr.size()), 1567298545u);  // sum(d[16:])

  const vae::ImageSet& te = test_->images;  // same recipe on t10k-images-idx3-ubyte
  EXPECT_EQ(pixel_sum(vae::image_data(te, 0), 784), 18454u);
  EXPECT_EQ(fnv1a32(vae::image_data(te, 0), 784), 0x599c52e7u);
}

TEST_F(Mnist, FirstLabels) {
  const std::vector<std::uint8_t> train10(train_->labels.begin(), train_->labels.begin() + 10);
  const std::vector<std::uint8_t> test10(test_->labels.begin(), test_->labels.begin() + 10);
  EXPECT_EQ(train10, (std::vector<std::uint8_t>{5, 0, 4, 1, 9, 2, 1, 3, 1, 4}));
  EXPECT_EQ(test10, (std::vector<std::uint8_t>{7, 2, 1, 0, 4, 1, 4, 9, 5, 9}));
}

TEST_F(Mnist, LabelHistograms) {
  for (const vae::Dataset* ds : {train_, test_}) {
    EXPECT_TRUE(std::all_of(ds->labels.begin(), ds->labels.end(), [](auto l) { return l < 10; }));
  }
  EXPECT_EQ(histogram(train_->labels), (std::array<std::size_t, 10>{5923, 6742, 5958, 6131, 5842,
                                                                    5421, 5918, 6265, 5851, 5949}));
  EXPECT_EQ(histogram(test_->labels), (std::array<std::size_t, 10>{980, 1135, 1032, 1010, 982, 892,
                                                                   958, 1028, 974, 1009}));
}

TEST_F(Mnist, ReadFunctionsAgreeWithLoadMnist) {
  const std::string dir = mnist_dir();
  const vae::ImageSet te = vae::read_idx_images(dir + "/t10k-images-idx3-ubyte");
  EXPECT_EQ(te, test_->images);
  EXPECT_EQ(vae::read_idx_labels(dir + "/t10k-labels-idx1-ubyte"), test_->labels);
  const vae::Dataset ds =
      vae::load_idx_dataset(dir + "/t10k-images-idx3-ubyte", dir + "/t10k-labels-idx1-ubyte");
  EXPECT_EQ(ds.size(), 10000u);
  EXPECT_EQ(ds.labels, test_->labels);
}

TEST_F(Mnist, RealFilesSwappedAreRejected) {
  const std::string dir = mnist_dir();
  const std::string labels = dir + "/t10k-labels-idx1-ubyte";
  const std::string images = dir + "/t10k-images-idx3-ubyte";
  expect_message(error_of([&] { vae::read_idx_images(labels); }),
                 {labels, "bad magic", "2049", "expected 2051", "labels file"});
  expect_message(error_of([&] { vae::read_idx_labels(images); }),
                 {images, "bad magic", "2051", "expected 2049", "images file"});
  // train images with test labels: both files are valid, the counts disagree
  const std::string train_images = dir + "/train-images-idx3-ubyte";
  expect_message(error_of([&] { vae::load_idx_dataset(train_images, labels); }),
                 {train_images, labels, "count mismatch", "60000", "10000"});
}

TEST_F(Mnist, StageBatch) {
  const vae::ImageSet& tr = train_->images;
  const std::uint32_t idx[] = {0, 59999, 12345, 1};
  constexpr std::size_t batch = 4, n = 784;
  std::vector<float> x(batch * n + 16, -7.0f);  // (B, 784) + a guard tail that must stay
  vae::stage_batch(x.data(), tr, idx, batch);

  for (std::size_t b = 0; b < batch; ++b) {
    const std::uint8_t* img = vae::image_data(tr, idx[b]);
    for (std::size_t p = 0; p < n; ++p) {
      const float v = x[b * n + p];
      ASSERT_EQ(v, static_cast<float>(img[p]) / 255.0f) << "row " << b << " pixel " << p;
      ASSERT_GE(v, 0.0f);
      ASSERT_LE(v, 1.0f);
    }
  }
  for (std::size_t i = batch * n; i < x.size(); ++i) EXPECT_EQ(x[i], -7.0f) << "wrote past B";

  // Row 0 is image 0: its pixel sum is 27525 (python3, see PixelChecksums), its max is 255.
  double sum0 = 0;
  for (std::size_t p = 0; p < n; ++p) sum0 += x[p];
  EXPECT_NEAR(sum0 * 255.0, 27525.0, 1e-2);
  EXPECT_EQ(*std::max_element(x.begin(), x.begin() + n), 1.0f);
  EXPECT_EQ(x[152], 3.0f / 255.0f);
  // Rows follow idx: row 1 is image 59999 (pixel sum 20920), row 3 is image 1 (sum 31095).
  double sum1 = 0, sum3 = 0;
  for (std::size_t p = 0; p < n; ++p) {
    sum1 += x[n + p];
    sum3 += x[3 * n + p];
  }
  EXPECT_NEAR(sum1 * 255.0, 20920.0, 1e-2);
  EXPECT_NEAR(sum3 * 255.0, 31095.0, 1e-2);
}

// ---------------------------------------------------------------------------------------------
// stage_batch on a tiny synthetic set

TEST(StageBatch, ExactValuesAndOrder) {
  const vae::ImageSet set = {{{0, 255}}, {{128, 1}}, {{254, 51}}};  // (3, 1, 2)
  const std::uint32_t idx[] = {2, 0, 2, 1};
  float x[4 * 2];  // (B=4, 2)
  vae::stage_batch(x, set, idx, 4);
  const float expected[] = {254 / 255.0f, 51 / 255.0f, 0.0f,        1.0f,
                            254 / 255.0f, 51 / 255.0f, 128 / 255.0f, 1 / 255.0f};
  for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(x[i], expected[i]) << i;
  EXPECT_EQ(x[1 * 2 + 1], 1.0f);
  EXPECT_EQ(x[3], 1.0f);
  EXPECT_FLOAT_EQ(x[5], 0.2f);  // 51 / 255

  vae::stage_batch(x, set, idx, 0);  // empty batch: nothing to do, no error
}

// A batch split across three threads (parts of 16 rows and a short one), images of an odd 15
// pixels: every row is its image, converted exactly, whatever part converted it.
TEST(StageBatch, SplitAcrossThreadsEqualsTheSingleThreadedRows) {
  const std::size_t count = 37, batch = 100, n = 15;
  vae::ImageSet set = vae::ImageSet::from_shape({count, 3, 5});
  for (std::size_t i = 0; i < count * n; ++i) set.data()[i] = static_cast<std::uint8_t>((i * 89 + 7) % 256);
  std::vector<std::uint32_t> idx(batch);
  for (std::size_t b = 0; b < batch; ++b) idx[b] = static_cast<std::uint32_t>((b * 13 + 5) % count);
  std::vector<float> x(batch * n, -1.0f);
  vae::set_blas_threads(3);
  vae::stage_batch(x.data(), set, idx.data(), batch);
  vae::set_blas_threads(1);
  for (std::size_t b = 0; b < batch; ++b) {
    for (std::size_t p = 0; p < n; ++p) {
      ASSERT_EQ(x[b * n + p], static_cast<float>(set.data()[idx[b] * n + p]) / 255.0f) << b << " " << p;
    }
  }
}

TEST(StageBatch, IndexOutOfRangeOrNoIndicesThrowsBeforeWriting) {
  vae::ImageSet set = vae::ImageSet::from_shape({2, 2, 2});  // (2, 2, 2)
  set.fill(9);
  const std::uint32_t idx[] = {1, 2};
  float x[2 * 4];
  std::fill(std::begin(x), std::end(x), -1.0f);
  expect_message(error_of([&] { vae::stage_batch(x, set, idx, 2); }),
                 {"stage_batch", "index 2", "expected < 2"});
  expect_message(error_of([&] { vae::stage_batch(x, set, nullptr, 2); }),
                 {"stage_batch", "no image indices", "batch of 2"});
  for (float v : x) EXPECT_EQ(v, -1.0f);
}

// ---------------------------------------------------------------------------------------------
// Fashion-MNIST from the Debian package (gzipped IDX files)

constexpr const char* fashion_dir = "/usr/share/datasets/fashion-mnist";

TEST(FashionMnist, LoadsFromDebianPackage) {
  for (const char* name : mnist_files) {
    const std::string gz = std::string(fashion_dir) + "/" + name + ".gz";
    ASSERT_TRUE(fs::exists(gz)) << gz << " is missing: run scripts/install-deps "
                                << "(it installs dataset-fashion-mnist)";
  }
  TempDir tmp;
  for (const char* name : mnist_files) {
    const std::string cmd = std::string("gzip -dc '") + fashion_dir + "/" + name + ".gz' > '" +
                            tmp.file(name) + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  const vae::Dataset train = vae::load_mnist(tmp.str(), vae::Split::train);
  const vae::Dataset test = vae::load_mnist(tmp.str(), vae::Split::test);
  EXPECT_EQ(train.size(), 60000u);
  EXPECT_EQ(test.size(), 10000u);
  for (const vae::Dataset* ds : {&train, &test}) {
    EXPECT_EQ(ds->images.shape(1), 28u);
    EXPECT_EQ(ds->images.shape(2), 28u);
    EXPECT_EQ(ds->labels.size(), ds->size());
  }
  std::array<std::size_t, 10> train_h, test_h;
  train_h.fill(6000);
  test_h.fill(1000);
  EXPECT_EQ(histogram(train.labels), train_h);
  EXPECT_EQ(histogram(test.labels), test_h);
  // python3: gzip.open(...).read(), same recipe as for MNIST above
  EXPECT_EQ(std::vector<std::uint8_t>(train.labels.begin(), train.labels.begin() + 10),
            (std::vector<std::uint8_t>{9, 0, 0, 3, 0, 2, 7, 2, 5, 5}));
  EXPECT_EQ(pixel_sum(vae::image_data(train.images, 0), 784), 76247u);
  EXPECT_EQ(fnv1a32(vae::image_data(train.images, 0), 784), 0xf365a098u);
  EXPECT_EQ(pixel_sum(vae::image_data(test.images, 0), 784), 33456u);
}

TEST(FashionMnist, GzippedFileIsRejectedWithHint) {
  const std::string gz = std::string(fashion_dir) + "/t10k-labels-idx1-ubyte.gz";
  ASSERT_TRUE(fs::exists(gz)) << gz << " is missing: run scripts/install-deps";
  expect_message(error_of([&] { vae::read_idx_labels(gz); }),
                 {gz, "looks gzip-compressed", "2049"});
  const std::string gz_images = std::string(fashion_dir) + "/t10k-images-idx3-ubyte.gz";
  expect_message(error_of([&] { vae::read_idx_images(gz_images); }),
                 {gz_images, "looks gzip-compressed", "2051"});
}

// ---------------------------------------------------------------------------------------------
// Well-formed synthetic files, from memory and from disk

TEST(ParseIdx, ImagesFromMemory) {
  const std::vector<std::uint8_t> bytes = images_bytes(2, 3, 4, 24);  // (2, 3, 4)
  const vae::ImageSet set = vae::parse_idx_images(bytes.data(), bytes.size(), "mem");
  EXPECT_EQ(vae::image_count(set), 2u);
  EXPECT_EQ(set.shape(1), 3u);
  EXPECT_EQ(set.shape(2), 4u);
  EXPECT_EQ(vae::pixels_per_image(set), 12u);
  ASSERT_EQ(set.size(), 24u);
  for (std::size_t i = 0; i < 24; ++i) EXPECT_EQ(set.data()[i], i % 251);
  EXPECT_EQ(vae::image_data(set, 1)[0], 12u);
  EXPECT_EQ(vae::image_data(set, 1)[11], 23u);
  EXPECT_EQ(set(1, 2, 3), 23u);   // image 1, row 2, col 3
}

TEST(ParseIdx, BigEndianDimensions) {
  // rows = 0x00000102 = 258 and cols = 1: a little-endian reader would see 0x02010000
  const std::vector<std::uint8_t> bytes = images_bytes(1, 258, 1, 258);
  const vae::ImageSet set = vae::parse_idx_images(bytes.data(), bytes.size(), "mem");
  EXPECT_EQ(set.shape(1), 258u);
  EXPECT_EQ(set.shape(2), 1u);
}

TEST(ParseIdx, LabelsFromMemory) {
  const std::vector<std::uint8_t> bytes = labels_bytes(13, 13);
  const vae::Labels labels = vae::parse_idx_labels(bytes.data(), bytes.size(), "m");
  ASSERT_EQ(labels.size(), 13u);
  for (std::size_t i = 0; i < 13; ++i) EXPECT_EQ(labels[i], i % 10);
}

TEST(ParseIdx, ZeroCountIsAnEmptySet) {
  const std::vector<std::uint8_t> img = images_bytes(0, 28, 28, 0);
  const vae::ImageSet set = vae::parse_idx_images(img.data(), img.size(), "mem");
  EXPECT_EQ(vae::image_count(set), 0u);
  EXPECT_EQ(set.size(), 0u);
  EXPECT_EQ(set.shape(1), 28u);
  const std::vector<std::uint8_t> lab = labels_bytes(0, 0);
  EXPECT_EQ(vae::parse_idx_labels(lab.data(), lab.size(), "mem").size(), 0u);
}

TEST(ParseIdx, NullEmptyBufferIsTooShort) {
  expect_message(error_of([] { vae::parse_idx_images(nullptr, 0, "fuzz-input"); }),
                 {"fuzz-input", "too short", "0 bytes", "16"});
  expect_message(error_of([] { vae::parse_idx_labels(nullptr, 0, "fuzz-input"); }),
                 {"fuzz-input", "too short", "0 bytes", "8"});
}

TEST(ReadIdx, SyntheticDatasetRoundTrip) {
  TempDir tmp;
  write_file(tmp.file("i"), images_bytes(5, 2, 3, 30));
  write_file(tmp.file("l"), labels_bytes(5, 5));
  const vae::Dataset ds = vae::load_idx_dataset(tmp.file("i"), tmp.file("l"));
  EXPECT_EQ(ds.size(), 5u);
  const std::vector<std::uint8_t> file = images_bytes(5, 2, 3, 30);
  EXPECT_EQ(std::vector<std::uint8_t>(ds.images.begin(), ds.images.end()),
            std::vector<std::uint8_t>(file.begin() + 16, file.end()));
  EXPECT_EQ(ds.labels, (vae::Labels{0, 1, 2, 3, 4}));
}

// A training set's images are read at random, a batch from all over the set: its whole 2 MiB pages
// are advised as huge pages (MADV_HUGEPAGE, "hg" in the mapping's VmFlags), and the bytes are the
// file's. 8,000 images of 28 x 28: 6.3 MB, as large as MNIST's test set.
TEST(ParseIdx, LargeImageSetIsAdvisedAsHugePages) {
  const std::uint32_t count = 8000;
  const std::vector<std::uint8_t> bytes = images_bytes(count, 28, 28, std::size_t{count} * 784);
  const vae::ImageSet set = vae::parse_idx_images(bytes.data(), bytes.size(), "mem");
  ASSERT_EQ(set.size(), std::size_t{count} * 784);
  EXPECT_TRUE(std::equal(set.begin(), set.end(), bytes.begin() + 16));
#if defined(__linux__)
  // The first 2 MiB boundary inside the images: its page was advised.
  const std::uintptr_t huge = std::uintptr_t{2} << 20;
  const std::uintptr_t inside = (reinterpret_cast<std::uintptr_t>(set.data()) + huge - 1) / huge * huge;
  const std::string flags = vae_test::vm_flags_of(reinterpret_cast<const void*>(inside));
  EXPECT_TRUE(vae_test::has_vm_flag(flags, "hg")) << "VmFlags:" << flags;
#endif
}

// ---------------------------------------------------------------------------------------------
// The malformed-file matrix: each case is written to a temp file and read with read_idx_*, and
// parsed from memory with parse_idx_*; both must throw a one-line vae::Error naming the file
// (resp. the buffer name) and holding the key phrases.

enum class Kind { images, labels };

struct BadCase {
  std::string name;  // test name and file name
  Kind kind;
  std::vector<std::uint8_t> bytes;
  std::vector<std::string> phrases;
};

std::string u64(std::uint64_t v) { return std::to_string(v); }

std::vector<BadCase> bad_cases() {
  std::vector<BadCase> c;
  const auto img = [&](std::string name, std::vector<std::uint8_t> b, std::vector<std::string> p) {
    c.push_back({std::move(name), Kind::images, std::move(b), std::move(p)});
  };
  const auto lab = [&](std::string name, std::vector<std::uint8_t> b, std::vector<std::string> p) {
    c.push_back({std::move(name), Kind::labels, std::move(b), std::move(p)});
  };
  const std::vector<std::uint8_t> good_img = images_bytes(2, 28, 28, 2 * 784);  // 1584 bytes
  const std::vector<std::uint8_t> good_lab = labels_bytes(7, 7);                // 15 bytes

  // bad magic
  img("images_bad_magic", images_bytes(2, 28, 28, 1568, 0x12345678),
      {"bad magic", "305419896", "0x12345678", "expected 2051"});
  img("images_labels_magic", images_bytes(2, 28, 28, 1568, 2049),
      {"bad magic", "2049", "expected 2051", "labels file"});
  img("images_float_type", images_bytes(2, 28, 28, 1568, 0x00000D03),
      {"bad magic", "3331", "expected 2051"});
  lab("labels_bad_magic", labels_bytes(7, 7, 0xDEADBEEF), {"bad magic", "expected 2049"});
  lab("labels_images_magic", labels_bytes(7, 7, 2051), {"bad magic", "expected 2049", "images file"});
  // gzip magic
  img("images_gzip", {0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9},
      {"looks gzip-compressed", "1f 8b", "2051"});
  img("images_gzip_two_bytes", {0x1f, 0x8b}, {"looks gzip-compressed"});
  lab("labels_gzip", {0x1f, 0x8b, 0x08, 0x08, 1, 2, 3, 4, 5, 6}, {"looks gzip-compressed", "2049"});
  // truncated header
  img("images_empty", {}, {"too short", "0 bytes", "at least 16"});
  img("images_header_3", prefix(good_img, 3), {"too short", "3 bytes", "at least 16"});
  img("images_header_4", prefix(good_img, 4), {"too short", "4 bytes", "at least 16"});
  img("images_header_15", prefix(good_img, 15), {"too short", "15 bytes", "at least 16"});
  lab("labels_empty", {}, {"too short", "0 bytes", "at least 8"});
  lab("labels_header_7", prefix(good_lab, 7), {"too short", "7 bytes", "at least 8"});
  // truncated data: 2 images of 28x28 = 1568 data bytes
  for (std::size_t have : {std::size_t{0}, std::size_t{1}, std::size_t{783}, std::size_t{784},
                           std::size_t{1567}}) {
    img("images_data_" + u64(have), prefix(good_img, 16 + have),
        {"truncated", "1568 data bytes", "holds " + u64(have), u64(1568 - have) + " missing"});
  }
  for (std::size_t have : {std::size_t{0}, std::size_t{6}}) {
    lab("labels_data_" + u64(have), prefix(good_lab, 8 + have),
        {"truncated", "7 data bytes", "holds " + u64(have)});
  }
  // trailing bytes
  {
    std::vector<std::uint8_t> b = good_img;
    b.push_back(0);
    img("images_trailing_1", b, {"1 trailing bytes", "1568 data bytes"});
    b.insert(b.end(), 99, 0xAA);
    img("images_trailing_100", b, {"100 trailing bytes"});
    std::vector<std::uint8_t> l = good_lab;
    l.insert(l.end(), 3, 1);
    lab("labels_trailing_3", l, {"3 trailing bytes", "7 data bytes"});
    // a second header glued after a complete file is trailing garbage too
    std::vector<std::uint8_t> twice = good_lab;
    twice.insert(twice.end(), good_lab.begin(), good_lab.end());
    lab("labels_concatenated", twice, {"15 trailing bytes"});
  }
  // overflowing sizes: count*rows*cols does not fit in 64 bits
  img("images_overflow_all_max", images_bytes(0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 16),
      {"overflow", "4294967295 images of 4294967295x4294967295"});
  img("images_overflow_count", images_bytes(0xFFFFFFFF, 0x10001, 0x10000, 16), {"overflow"});
  // no images, but rows * cols above PTRDIFF_MAX: xtensor's signed strides would overflow
  // (fuzz_idx found it)
  img("images_overflow_strides", images_bytes(0, 0xFFFF5480, 0xF2EC4EE0, 0),
      {"overflow", "0 images of 4294923392x4075572960"});
  // sizes more than the file holds, without overflow
  img("images_count_max", images_bytes(0xFFFFFFFF, 28, 28, 784),
      {"truncated", u64(0xFFFFFFFFull * 784), "holds 784"});
  // (the largest image below PTRDIFF_MAX bytes; 4294967295 x 4294967295 is an overflow, below)
  img("images_rows_cols_max", images_bytes(1, 0x7FFFFFFF, 0xFFFFFFFF, 8),
      {"truncated", u64(0x7FFFFFFFull * 0xFFFFFFFFull), "holds 8"});
  img("images_rows_cols_above_ptrdiff", images_bytes(1, 0xFFFFFFFF, 0xFFFFFFFF, 8),
      {"overflow", "does not fit in ptrdiff_t"});
  lab("labels_count_max", labels_bytes(0xFFFFFFFF, 10), {"truncated", "4294967295", "holds 10"});
  // zero dimensions
  img("images_zero_rows", images_bytes(2, 0, 28, 0), {"zero image size", "2 images of 0x28"});
  img("images_zero_cols", images_bytes(2, 28, 0, 0), {"zero image size", "2 images of 28x0"});
  img("images_zero_both", images_bytes(0, 0, 0, 0), {"zero image size"});
  return c;
}

class BadFile : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadFile, ReadThrowsNamingFile) {
  const BadCase& bc = GetParam();
  TempDir tmp;
  const std::string path = tmp.file(bc.name);
  write_file(path, bc.bytes);
  const std::string msg = error_of([&] {
    if (bc.kind == Kind::images) {
      vae::read_idx_images(path);
    } else {
      vae::read_idx_labels(path);
    }
  });
  expect_message(msg, {path});
  for (const std::string& p : bc.phrases) expect_message(msg, {p});
}

TEST_P(BadFile, ParseThrowsNamingBuffer) {
  const BadCase& bc = GetParam();
  const std::string name = "buffer:" + bc.name;
  // An exact-size heap copy, so that ASan catches any read past the end.
  const std::unique_ptr<std::uint8_t[]> copy(new std::uint8_t[bc.bytes.size() + 1]);
  std::copy(bc.bytes.begin(), bc.bytes.end(), copy.get());
  const std::uint8_t* data = bc.bytes.empty() ? nullptr : copy.get();
  const std::string msg = error_of([&] {
    if (bc.kind == Kind::images) {
      vae::parse_idx_images(data, bc.bytes.size(), name);
    } else {
      vae::parse_idx_labels(data, bc.bytes.size(), name);
    }
  });
  expect_message(msg, {name});
  for (const std::string& p : bc.phrases) expect_message(msg, {p});
}

INSTANTIATE_TEST_SUITE_P(Matrix, BadFile, ::testing::ValuesIn(bad_cases()),
                         [](const ::testing::TestParamInfo<BadCase>& case_info) {
                           return case_info.param.name;
                         });

// Every proper prefix of a valid file is rejected, never crashes, and never parses.
TEST(BadFileSweep, EveryPrefixOfSmallFilesThrows) {
  const std::vector<std::uint8_t> img = images_bytes(3, 2, 5, 30);
  for (std::size_t n = 0; n < img.size(); ++n) {
    std::vector<std::uint8_t> cut(img.begin(), img.begin() + static_cast<std::ptrdiff_t>(n));
    cut.shrink_to_fit();
    const std::string msg =
        error_of([&] { vae::parse_idx_images(cut.empty() ? nullptr : cut.data(), n, "p"); });
    EXPECT_TRUE(msg.find("too short") != std::string::npos ||
                msg.find("truncated") != std::string::npos)
        << "prefix " << n << ": " << msg;
  }
  const std::vector<std::uint8_t> lab = labels_bytes(4, 4);
  for (std::size_t n = 0; n < lab.size(); ++n) {
    const std::string msg = error_of([&] { vae::parse_idx_labels(lab.data(), n, "p"); });
    EXPECT_FALSE(msg.empty()) << "prefix " << n;
  }
}

// ---------------------------------------------------------------------------------------------
// Errors about files and pairs of files

TEST(ReadIdx, MissingFile) {
  TempDir tmp;
  const std::string path = tmp.file("no-such-file-idx3-ubyte");
  expect_message(error_of([&] { vae::read_idx_images(path); }),
                 {path, "cannot open", "No such file or directory"});
  expect_message(error_of([&] { vae::read_idx_labels(path); }), {path, "cannot open"});
}

TEST(ReadIdx, Directory) {
  TempDir tmp;
  expect_message(error_of([&] { vae::read_idx_images(tmp.str()); }),
                 {tmp.str(), "is a directory", "expected an IDX file"});
  expect_message(error_of([&] { vae::read_idx_labels(tmp.str()); }),
                 {tmp.str(), "is a directory"});
}

TEST(ReadIdx, UnreadableFile) {
  if (geteuid() == 0) {
    // root reads any file whatever its mode; an unreadable path that holds for root too is a
    // folder without the file, covered by MissingFile. Here, check a path through a file.
    TempDir tmp;
    write_file(tmp.file("plain"), labels_bytes(1, 1));
    const std::string path = tmp.file("plain") + "/child";
    expect_message(error_of([&] { vae::read_idx_labels(path); }),
                   {path, "cannot open", "Not a directory"});
    return;
  }
  TempDir tmp;
  const std::string path = tmp.file("locked");
  write_file(path, labels_bytes(1, 1));
  fs::permissions(path, fs::perms::none);
  expect_message(error_of([&] { vae::read_idx_labels(path); }),
                 {path, "cannot open", "Permission denied"});
}

TEST(LoadIdxDataset, CountMismatch) {
  TempDir tmp;
  write_file(tmp.file("images"), images_bytes(3, 2, 2, 12));
  write_file(tmp.file("labels"), labels_bytes(2, 2));
  expect_message(error_of([&] { vae::load_idx_dataset(tmp.file("images"), tmp.file("labels")); }),
                 {tmp.file("images"), tmp.file("labels"), "count mismatch", "3 images",
                  "2 labels"});
}

TEST(LoadIdxDataset, ErrorsNameTheBadFileOfThePair) {
  TempDir tmp;
  write_file(tmp.file("images"), images_bytes(2, 2, 2, 8));
  write_file(tmp.file("labels"), prefix(labels_bytes(2, 2), 9));
  const std::string msg =
      error_of([&] { vae::load_idx_dataset(tmp.file("images"), tmp.file("labels")); });
  expect_message(msg, {tmp.file("labels"), "truncated"});
}

TEST(LoadMnist, EmptyFolderSaysToFetch) {
  TempDir tmp;
  expect_message(error_of([&] { vae::load_mnist(tmp.str(), vae::Split::train); }),
                 {tmp.file("train-images-idx3-ubyte"), "missing", "scripts/fetch-mnist"});
  write_file(tmp.file("t10k-images-idx3-ubyte"), images_bytes(1, 1, 1, 1));
  expect_message(error_of([&] { vae::load_mnist(tmp.str(), vae::Split::test); }),
                 {tmp.file("t10k-labels-idx1-ubyte"), "missing", "scripts/fetch-mnist"});
}

TEST(LoadMnist, SmallSyntheticSplits) {
  TempDir tmp;
  write_file(tmp.file("train-images-idx3-ubyte"), images_bytes(4, 2, 2, 16));
  write_file(tmp.file("train-labels-idx1-ubyte"), labels_bytes(4, 4));
  write_file(tmp.file("t10k-images-idx3-ubyte"), images_bytes(1, 2, 2, 4));
  write_file(tmp.file("t10k-labels-idx1-ubyte"), labels_bytes(1, 1));
  EXPECT_EQ(vae::load_mnist(tmp.str(), vae::Split::train).size(), 4u);
  EXPECT_EQ(vae::load_mnist(tmp.str(), vae::Split::test).size(), 1u);
}

}  // namespace

}  // namespace test_idx
