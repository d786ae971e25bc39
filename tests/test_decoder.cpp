// test_decoder.cpp - the freestanding decoder (vae_rt/decoder.h, vae_rt/kernels.h) against
// independent references: the kernels against a plain loop written from the documented summation
// order, the float32 decoder against the training library's Decoder (OpenBLAS sgemm, a different
// order) on a model trained here on an MNIST subset, int8 against float32 on MNIST test
// reconstructions, the exact round trip train -> save -> load -> decode, batching (decode_batch
// and generate_batch with 1 to 4 digits per pass give exactly the single-digit path, which gives
// exactly the reference kernels), and init's failures (arena, alignment, dims, dtypes, missing
// tensors) each with its own Status and message. The batched kernels alone: test_kernels.cpp.
#include "vae_rt/decoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "mnist_fixture.hpp"
#include "vae/files/atomic_file.hpp"
#include "vae/idx.hpp"
#include "vae/trainer.hpp"
#include "vae/vae.hpp"
#include "vae/weights.hpp"

namespace test_decoder {

namespace {

namespace fmt = vae_rt::format;
using Model = vae::Vae784_400_20;
using Dec = vae_rt::Decoder<20, 400, 784>;
constexpr std::size_t D = 784, H = 400, Z = 20;

static_assert(Dec::arena_bytes == (400 + 20) * 4, "h and z, nothing else");
static_assert(vae_rt::Decoder<20, 400, 784, 3>::arena_bytes == 3 * (400 + 20) * 4,
              "3 digits per pass: h and z of each");
static_assert(vae_rt::Decoder<20, 400, 784, 3>::arena_bytes <= 5 * 1024, "the 5 KB arena goal");

// A 16-byte-aligned copy of a byte vector (a .vaew held in flash or a static array).
struct AlignedBytes {
  std::vector<float> storage;   // (ceil(size / 4)) owner; floats give 4-byte alignment, +16 spare
  std::uint8_t* data = nullptr;
  std::size_t size = 0;
  explicit AlignedBytes(const std::vector<std::uint8_t>& b) : storage(b.size() / 4 + 8), size(b.size()) {
    auto p = reinterpret_cast<std::uintptr_t>(storage.data());
    data = reinterpret_cast<std::uint8_t*>((p + 15) / 16 * 16);
    if (!b.empty()) std::memcpy(data, b.data(), b.size());
  }
};

struct Arena {
  alignas(16) std::uint8_t bytes[Dec::arena_bytes];
};

// The documented order, written again from the header's prose with no shared code.
float reference_dot(const float* w, const float* x, std::size_t n) {
  float a[8] = {};
  for (std::size_t i = 0; i < n; ++i) a[i % 8] = a[i % 8] + w[i] * x[i];
  const float s0 = a[0] + a[4], s1 = a[1] + a[5], s2 = a[2] + a[6], s3 = a[3] + a[7];
  return (s0 + s2) + (s1 + s3);
}

TEST(Kernels, DotFollowsTheDocumentedOrderBitForBit) {
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 7, 0);
  for (std::size_t n : {1u, 3u, 7u, 8u, 9u, 15u, 16u, 20u, 33u, 400u, 401u}) {
    std::vector<float> w(n), x(n);
    std::vector<std::int8_t> q(n);
    std::vector<float> qf(n);
    for (std::size_t i = 0; i < n; ++i) {
      w[i] = vae_rt::rng_uniform(&rng, -1, 1);
      x[i] = vae_rt::rng_uniform(&rng, -1, 1);
      q[i] = static_cast<std::int8_t>(int(vae_rt::rng_below(&rng, 255)) - 127);
      qf[i] = q[i];
    }
    EXPECT_EQ(vae_rt::dot_f32(w.data(), x.data(), n), reference_dot(w.data(), x.data(), n)) << n;
    EXPECT_EQ(vae_rt::dot_i8(q.data(), x.data(), n), reference_dot(qf.data(), x.data(), n)) << n;
  }
}

TEST(Kernels, DenseRowsEqualSingleDots) {
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 8, 0);
  const std::size_t rows = 11, cols = 13;   // 2 groups of 4 rows + 3 single rows, tails of 5
  std::vector<float> w(rows * cols), b(rows), x(cols), y(rows);
  for (float& v : w) v = vae_rt::rng_uniform(&rng, -1, 1);
  for (float& v : b) v = vae_rt::rng_uniform(&rng, -1, 1);
  for (float& v : x) v = vae_rt::rng_uniform(&rng, -1, 1);
  vae_rt::dense_f32(y.data(), w.data(), b.data(), x.data(), rows, cols, false);
  for (std::size_t r = 0; r < rows; ++r) {
    EXPECT_EQ(y[r], reference_dot(&w[r * cols], x.data(), cols) + b[r]) << r;
  }
}

// --- a model trained here ----------------------------------------------------------------------

// Trains once per test binary: 3 epochs on the first 10000 MNIST training images.
struct Trained {
  std::unique_ptr<Model> model;
  vae::Dataset test;
  std::vector<std::uint8_t> f32_file, int8_file, int8_dec_file;
};

const Trained& trained() {
  static const Trained t = [] {
    Trained r;
    const vae::ImageSet train = vae::head(vae_test::mnist(vae::Split::train).images, 10000);
    r.test = vae_test::mnist(vae::Split::test);
    r.model = std::make_unique<Model>(128);
    vae::TrainOptions opt;
    opt.seed = 1;
    opt.loss = vae::LossSpec{vae::Recon::bce, 1.0f};
    vae::Trainer<Model> trainer(*r.model, train, opt, vae::ParamInit::from_seed);
    for (int e = 0; e < 3; ++e) trainer.train_epoch();
    r.f32_file = vae::serialize_weights(vae::weights_from_model(*r.model));
    r.int8_file = vae::serialize_weights(vae::weights_from_model(*r.model, {true, false, ""}));
    r.int8_dec_file = vae::serialize_weights(vae::weights_from_model(*r.model, {true, true, ""}));
    return r;
  }();
  return t;
}

// mu (n, Z) of the first n test images, from the training encoder (z = mu).
std::vector<float> test_latents(Model& m, const vae::ImageSet& images, std::size_t n) {
  std::vector<float> mu(n * Z);
  std::vector<std::uint32_t> idx(128);
  for (std::size_t first = 0; first < n; first += 128) {
    const std::size_t B = std::min<std::size_t>(128, n - first);
    for (std::size_t i = 0; i < B; ++i) idx[i] = static_cast<std::uint32_t>(first + i);
    vae::stage_batch(m.x.data(), images, idx.data(), B);
    m.encode(B);
    std::memcpy(mu.data() + first * Z, m.enc.mu.data(), B * Z * sizeof(float));
  }
  return mu;
}

TEST(Decoder, Float32EqualsTheTrainingDecoderWithin1e5) {
  const Trained& t = trained();
  Model& m = *t.model;
  AlignedBytes file(t.f32_file);
  Arena arena;
  Dec dec;
  fmt::Diag diag;
  ASSERT_EQ(dec.init(file.data, file.size, arena.bytes, sizeof arena.bytes, &diag),
            vae_rt::Status::ok) << diag.text;
  EXPECT_EQ(dec.arena_used(), Dec::arena_bytes);
  EXPECT_STREQ(dec.dtype_name(), "float32");
  // Weights are used in place: the bound pointers lie inside the caller's bytes.
  const std::uint8_t* w = reinterpret_cast<const std::uint8_t*>(dec.file().bytes);
  EXPECT_EQ(w, file.data);

  // Latents: mu of 512 test images, and 512 draws from N(0, I).
  const std::size_t n = 512;
  std::vector<float> z = test_latents(m, t.test.images, n);
  std::vector<float> z_prior(n * Z);
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 3, 0);
  vae_rt::rng_fill_normal(&rng, z_prior.data(), n * Z);
  z.insert(z.end(), z_prior.begin(), z_prior.end());

  double max_diff = 0;
  std::vector<float> out(D);
  std::vector<std::uint8_t> px(D);
  std::size_t px_equal = 0, px_total = 0;
  for (std::size_t first = 0; first < 2 * n; first += 128) {
    std::memcpy(m.z.data(), z.data() + first * Z, 128 * Z * sizeof(float));
    m.decode(128);
    for (std::size_t i = 0; i < 128; ++i) {
      dec.decode(z.data() + (first + i) * Z, out.data());
      dec.decode_u8(z.data() + (first + i) * Z, px.data());
      for (std::size_t k = 0; k < D; ++k) {
        const float ref = m.dec.xhat[i * D + k];
        max_diff = std::max(max_diff, std::fabs(double(out[k]) - ref));
        px_equal += px[k] == vae_rt::pixel_u8(ref);
        ++px_total;
        ASSERT_EQ(px[k], vae_rt::pixel_u8(out[k]));
      }
    }
  }
  std::printf("float32 runtime vs training decoder: max |diff| %.3g over %zu pixels; uint8 equal "
              "%.4f%%\n", max_diff, px_total, 100.0 * px_equal / px_total);
  EXPECT_LE(max_diff, 1e-5);
}

// Decoded probabilities (n, D) of the latents z (n, Z).
std::vector<float> decode_all(const Dec& dec, const std::vector<float>& z, std::size_t n) {
  std::vector<float> out(n * D);
  for (std::size_t i = 0; i < n; ++i) dec.decode(z.data() + i * Z, out.data() + i * D);
  return out;
}

// Summed BCE per image of probabilities p (n, D) against the images, as the training loss does.
double recon_bce(const std::vector<float>& p, const vae::ImageSet& images, std::size_t n) {
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t* x = vae::image_data(images, i);
    for (std::size_t k = 0; k < D; ++k) {
      const double pk = std::clamp(double(p[i * D + k]), 1e-7, 1 - 1e-7), xv = x[k] / 255.0;
      sum -= xv * std::log(pk) + (1 - xv) * std::log(1 - pk);
    }
  }
  return sum / n;
}

TEST(Decoder, Int8ReconstructionErrorRisesAtMostTwoPercent) {
  const Trained& t = trained();
  const std::size_t n = 10000;
  const std::vector<float> z = test_latents(*t.model, t.test.images, n);
  AlignedBytes f32(t.f32_file), i8(t.int8_file);
  Arena a1, a2;
  Dec d32, d8;
  ASSERT_EQ(d32.init(f32.data, f32.size, a1.bytes, sizeof a1.bytes), vae_rt::Status::ok);
  ASSERT_EQ(d8.init(i8.data, i8.size, a2.bytes, sizeof a2.bytes), vae_rt::Status::ok);
  EXPECT_STREQ(d8.dtype_name(), "int8");
  const std::vector<float> p32 = decode_all(d32, z, n), p8 = decode_all(d8, z, n);
  const double e32 = recon_bce(p32, t.test.images, n);
  const double e8 = recon_bce(p8, t.test.images, n);
  const double rise = (e8 - e32) / e32;
  // decode_u8 == pixel_u8(decode) is asserted in the float32 test; compare pixels that way here.
  std::size_t equal = 0, within1 = 0;
  int max_abs = 0;
  for (std::size_t k = 0; k < n * D; ++k) {
    const int d = std::abs(int(vae_rt::pixel_u8(p32[k])) - int(vae_rt::pixel_u8(p8[k])));
    equal += d == 0;
    within1 += d <= 1;
    max_abs = std::max(max_abs, d);
  }
  const double total = double(n * D);
  std::printf("MNIST test reconstruction BCE per image (z = mu, %zu images): float32 %.4f, int8 "
              "%.4f, rise %.4f%%\n", n, e32, e8, 100 * rise);
  std::printf("uint8 pixels int8 vs float32: equal %.3f%%, within 1: %.3f%%, max |diff| %d\n",
              100.0 * equal / total, 100.0 * within1 / total, max_abs);
  std::printf("weight bytes read by the decoder: float32 %zu, int8 %zu\n", d32.weight_bytes(),
              d8.weight_bytes());
  EXPECT_LE(rise, 0.02);
  EXPECT_GE(within1 / total, 0.95);
}

TEST(Decoder, DecoderOnlyInt8FileDecodesLikeTheFullInt8File) {
  const Trained& t = trained();
  AlignedBytes full(t.int8_file), dec_only(t.int8_dec_file);
  EXPECT_LT(dec_only.size, full.size);
  Arena a1, a2;
  Dec d1, d2;
  ASSERT_EQ(d1.init(full.data, full.size, a1.bytes, sizeof a1.bytes), vae_rt::Status::ok);
  ASSERT_EQ(d2.init(dec_only.data, dec_only.size, a2.bytes, sizeof a2.bytes), vae_rt::Status::ok);
  vae_rt::Rng r1, r2;
  vae_rt::rng_seed(&r1, 5, 0);
  vae_rt::rng_seed(&r2, 5, 0);
  std::vector<std::uint8_t> p1(D), p2(D);
  for (int i = 0; i < 20; ++i) {
    d1.generate(&r1, p1.data());
    d2.generate(&r2, p2.data());
    ASSERT_EQ(p1, p2);
  }
}

TEST(Decoder, RoundTripTrainSaveLoadDecodeIsExact) {
  const Trained& t = trained();
  Model& m = *t.model;
  const std::string path =
      (std::filesystem::temp_directory_path() / "vae_test_decoder_roundtrip.vaew").string();
  vae::save_weights(m, path);
  Model back(128);
  vae::load_weights(back, path);
  ASSERT_EQ(std::memcmp(back.params.data(), m.params.data(), Model::num_params * sizeof(float)), 0);
  // The same z through both training decoders and through the runtime on the file just read.
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 11, 0);
  vae_rt::rng_fill_normal(&rng, m.z.data(), 128 * Z);
  std::memcpy(back.z.data(), m.z.data(), 128 * Z * sizeof(float));
  m.decode(128);
  back.decode(128);
  ASSERT_EQ(std::memcmp(back.dec.xhat.data(), m.dec.xhat.data(), 128 * D * sizeof(float)), 0);
  const std::vector<std::uint8_t> bytes = vae::read_file(path);
  EXPECT_EQ(bytes, t.f32_file);
  AlignedBytes file(bytes);
  Arena a;
  Dec dec;
  ASSERT_EQ(dec.init(file.data, file.size, a.bytes, sizeof a.bytes), vae_rt::Status::ok);
  std::vector<float> out(D);
  for (std::size_t i = 0; i < 128; ++i) {
    dec.decode(m.z.data() + i * Z, out.data());
    for (std::size_t k = 0; k < D; ++k) ASSERT_NEAR(out[k], m.dec.xhat[i * D + k], 1e-5);
  }
}

// --- batching -----------------------------------------------------------------------------------

// The reference pipeline, digit by digit: the plain-loop kernels on the decoder's own tensors.
std::vector<std::uint8_t> reference_pixels(const Dec& dec, const float* z, std::size_t n,
                                           std::vector<float>* probs) {
  const fmt::File& f = dec.file();
  fmt::Tensor w1, b1, w2, b2, s1{}, s2{};
  fmt::find_tensor(f, "dec_fc_w", &w1);
  fmt::find_tensor(f, "dec_fc_b", &b1);
  fmt::find_tensor(f, "dec_out_w", &w2);
  fmt::find_tensor(f, "dec_out_b", &b2);
  const bool int8 = w1.dtype == fmt::Dtype::int8;
  if (int8) {
    fmt::find_tensor(f, "dec_fc_w.scale", &s1);
    fmt::find_tensor(f, "dec_out_w.scale", &s2);
  }
  const auto fl = [](const fmt::Tensor& t) { return reinterpret_cast<const float*>(t.data); };
  const auto q = [](const fmt::Tensor& t) { return reinterpret_cast<const std::int8_t*>(t.data); };
  std::vector<std::uint8_t> px(n * D);
  probs->assign(n * D, 0.0f);
  std::vector<float> h(H);
  for (std::size_t i = 0; i < n; ++i) {
    if (int8) {
      vae_rt::dense_i8(h.data(), q(w1), fl(s1), fl(b1), z + i * Z, H, Z, true);
    } else {
      vae_rt::dense_f32(h.data(), fl(w1), fl(b1), z + i * Z, H, Z, true);
    }
    const float* w = int8 ? nullptr : fl(w2);
    vae_rt::dense_sigmoid_u8(px.data() + i * D, w, q(w2), fl(s2), fl(b2), h.data(), D, H);
    vae_rt::dense_sigmoid_f32(probs->data() + i * D, w, q(w2), fl(s2), fl(b2), h.data(), D, H);
  }
  return px;
}

// decode_batch / decode_batch_u8 / generate_batch of a Decoder with Batch digits per pass.
template <std::size_t Batch>
void check_batching(const std::vector<std::uint8_t>& bytes, const char* what) {
  using BDec = vae_rt::Decoder<20, 400, 784, Batch>;
  AlignedBytes file(bytes);
  alignas(16) static std::uint8_t arena[BDec::arena_bytes];
  BDec dec;
  fmt::Diag diag;
  ASSERT_EQ(dec.init(file.data, file.size, arena, sizeof arena, &diag), vae_rt::Status::ok)
      << diag.text;
  EXPECT_EQ(dec.arena_used(), BDec::arena_bytes);
  // Reference decoder (Batch 1, bound the same way) for the plain-loop pipeline.
  Arena a1;
  Dec one;
  ASSERT_EQ(one.init(file.data, file.size, a1.bytes, sizeof a1.bytes), vae_rt::Status::ok);

  const std::size_t max_n = 11;   // every n up to 11: 1..4 digits, odd sizes, several passes
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 17, 0);
  std::vector<float> z(max_n * Z);
  vae_rt::rng_fill_normal(&rng, z.data(), z.size());
  std::vector<float> ref_p;
  const std::vector<std::uint8_t> ref_px = reference_pixels(one, z.data(), max_n, &ref_p);
  for (std::size_t n = 0; n <= max_n; ++n) {
    std::vector<std::uint8_t> px(n * D + 1, 201);
    std::vector<float> p(n * D + 1, -1.0f);
    dec.decode_batch_u8(z.data(), n, px.data());
    dec.decode_batch(z.data(), n, p.data());
    ASSERT_EQ(px[n * D], 201) << "wrote past the end";
    ASSERT_EQ(p[n * D], -1.0f) << "wrote past the end";
    ASSERT_EQ(std::memcmp(px.data(), ref_px.data(), n * D), 0) << what << " batch " << Batch << " n " << n;
    ASSERT_EQ(std::memcmp(p.data(), ref_p.data(), n * D * sizeof(float)), 0)
        << what << " batch " << Batch << " n " << n;
  }
  // Single-digit calls on the batched decoder.
  std::vector<std::uint8_t> px1(D);
  std::vector<float> p1(D);
  dec.decode_u8(z.data() + 5 * Z, px1.data());
  dec.decode(z.data() + 5 * Z, p1.data());
  EXPECT_EQ(std::memcmp(px1.data(), ref_px.data() + 5 * D, D), 0);
  EXPECT_EQ(std::memcmp(p1.data(), ref_p.data() + 5 * D, D * sizeof(float)), 0);

  // generate_batch(rng, n) == n x generate(rng): same pixels, same latents, same stream.
  for (std::size_t n : {1u, 2u, 3u, 4u, 5u, 7u, 10u}) {
    vae_rt::Rng r1, r2;
    vae_rt::rng_seed(&r1, 100 + n, 0);
    vae_rt::rng_seed(&r2, 100 + n, 0);
    std::vector<std::uint8_t> batched(n * D), single(n * D);
    std::vector<float> batched_p(n * D), single_p(n * D);
    dec.generate_batch(&r1, n, batched.data());
    std::vector<float> last_z(dec.latent(), dec.latent() + Z);
    std::vector<float> last_single;
    for (std::size_t i = 0; i < n; ++i) {
      one.generate(&r2, single.data() + i * D);
      last_single.assign(one.latent(), one.latent() + Z);
    }
    EXPECT_EQ(batched, single) << what << " batch " << Batch << " n " << n;
    EXPECT_EQ(last_z, last_single) << "latent() is the last digit's z";
    EXPECT_EQ(r1.state, r2.state) << "the same number of draws";
    dec.generate_batch(&r1, n, batched_p.data());
    for (std::size_t i = 0; i < n; ++i) one.generate(&r2, single_p.data() + i * D);
    EXPECT_EQ(std::memcmp(batched_p.data(), single_p.data(), n * D * sizeof(float)), 0);
  }
}

TEST(Decoder, BatchedDecodingEqualsTheReferenceKernelsDigitByDigit) {
  const Trained& t = trained();
  for (const auto* bytes : {&t.f32_file, &t.int8_file}) {
    const char* what = bytes == &t.f32_file ? "float32" : "int8";
    check_batching<1>(*bytes, what);
    check_batching<2>(*bytes, what);
    check_batching<3>(*bytes, what);
    check_batching<4>(*bytes, what);
  }
}

TEST(Decoder, BatchedArenaIsCheckedAndReported) {
  using B3 = vae_rt::Decoder<20, 400, 784, 3>;
  const Trained& t = trained();
  AlignedBytes file(t.f32_file);
  alignas(16) static std::uint8_t arena[B3::arena_bytes];
  B3 dec;
  fmt::Diag diag;
  EXPECT_EQ(dec.init(file.data, file.size, arena, Dec::arena_bytes, &diag),
            vae_rt::Status::arena_too_small);
  EXPECT_STREQ(diag.text, "arena has 1680 bytes; the decoder needs 5040 (short by 3360)");
  ASSERT_EQ(dec.init(file.data, file.size, arena, sizeof arena, &diag), vae_rt::Status::ok);
  EXPECT_EQ(dec.arena_used(), 5040u);
}

// --- init's failures ---------------------------------------------------------------------------

std::vector<std::uint8_t> small_file(bool int8 = false) {
  vae::Vae<16, 8, 3> m(1);
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 1, 0);
  m.init_params(rng);
  return vae::serialize_weights(vae::weights_from_model(m, {int8, false, ""}));
}

using SmallDec = vae_rt::Decoder<3, 8, 16>;

vae_rt::Status init_small(const vae::WeightsFile& wf, std::string* message) {
  AlignedBytes f(vae::serialize_weights(wf));
  alignas(16) std::uint8_t arena[SmallDec::arena_bytes];
  SmallDec d;
  fmt::Diag diag;
  const vae_rt::Status s = d.init(f.data, f.size, arena, sizeof arena, &diag);
  *message = diag.text;
  return s;
}

TEST(DecoderInit, ArenaTooSmallAndMisalignedAreReported) {
  AlignedBytes f(small_file());
  alignas(16) std::uint8_t arena[SmallDec::arena_bytes + 16];
  SmallDec d;
  fmt::Diag diag;
  EXPECT_EQ(d.init(f.data, f.size, arena, SmallDec::arena_bytes - 4, &diag),
            vae_rt::Status::arena_too_small);
  EXPECT_NE(std::string(diag.text).find("short by 4"), std::string::npos) << diag.text;
  EXPECT_EQ(d.init(f.data, f.size, arena + 4, SmallDec::arena_bytes, &diag),
            vae_rt::Status::misaligned);
  EXPECT_EQ(d.init(f.data + 1, f.size - 1, arena, SmallDec::arena_bytes, &diag),
            vae_rt::Status::misaligned);
  EXPECT_EQ(d.init(nullptr, f.size, arena, SmallDec::arena_bytes, &diag),
            vae_rt::Status::null_argument);
  EXPECT_FALSE(d.ready());
  EXPECT_EQ(d.init(f.data, f.size, arena, SmallDec::arena_bytes, &diag), vae_rt::Status::ok);
  EXPECT_TRUE(d.ready());
}

TEST(DecoderInit, DimsMismatchSaysBoth) {
  AlignedBytes f(small_file());
  alignas(16) std::uint8_t arena[vae_rt::Decoder<2, 8, 16>::arena_bytes];
  vae_rt::Decoder<2, 8, 16> d;
  fmt::Diag diag;
  EXPECT_EQ(d.init(f.data, f.size, arena, sizeof arena, &diag), vae_rt::Status::dims_mismatch);
  EXPECT_STREQ(diag.text, "file has dims D 16, H 8, Z 3; this runtime was built for D 16, H 8, Z 2");
}

TEST(DecoderInit, ModelLevelProblemsEachHaveTheirOwnStatus) {
  const vae::WeightsFile good = vae::parse_weights(small_file().data(), small_file().size(), "m");
  std::string msg;
  ASSERT_EQ(init_small(good, &msg), vae_rt::Status::ok) << msg;
  {  // a tensor missing
    vae::WeightsFile wf = good;
    wf.tensors.erase(wf.tensors.begin() + 9);   // dec_out_b
    EXPECT_EQ(init_small(wf, &msg), vae_rt::Status::missing_tensor);
    EXPECT_EQ(msg, "tensor dec_out_b is missing");
  }
  {  // a wrong shape
    vae::WeightsFile wf = good;
    std::swap(wf.tensors[6].dim0, wf.tensors[6].dim1);   // dec_fc_w (8, 3) -> (3, 8)
    EXPECT_EQ(init_small(wf, &msg), vae_rt::Status::bad_shape);
    EXPECT_EQ(msg, "tensor dec_fc_w has shape (3, 8); the decoder needs (8, 3)");
  }
  {  // an int8 bias
    vae::WeightsFile wf = good;
    vae::WeightTensor& b = wf.tensors[7];   // dec_fc_b (8) float32 -> int8
    b.dtype = fmt::Dtype::int8;
    b.data.resize(8);
    EXPECT_EQ(init_small(wf, &msg), vae_rt::Status::bad_dtype);
  }
  {  // int8 weights without scales
    vae::WeightsFile wf = vae::quantize_int8(good);
    wf.tensors.erase(std::remove_if(wf.tensors.begin(), wf.tensors.end(),
                                    [](const vae::WeightTensor& t) { return t.name == "dec_out_w.scale"; }),
                     wf.tensors.end());
    EXPECT_EQ(init_small(wf, &msg), vae_rt::Status::missing_tensor);
    EXPECT_NE(msg.find("dec_out_w.scale"), std::string::npos) << msg;
  }
  {  // a second hidden layer is not implemented
    vae::WeightsFile wf = good;
    wf.flags |= fmt::flag_dec_hidden2;
    wf.dim_h2 = 8;
    EXPECT_EQ(init_small(wf, &msg), vae_rt::Status::unsupported_feature);
  }
  {  // optional tensors the runtime does not know are ignored (room for the mixture prior)
    vae::WeightsFile wf = good;
    wf.flags |= fmt::flag_mixture_prior;
    const float pi[2] = {0.5f, 0.5f};
    wf.tensors.push_back(vae::float_tensor("prior_logits", 2, 0, pi));
    EXPECT_EQ(init_small(wf, &msg), vae_rt::Status::ok) << msg;
  }
}

}  // namespace

}  // namespace test_decoder
