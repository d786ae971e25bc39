// test_weights.cpp - the hosted writer and reader (vae/weights.hpp): exact round trips of a model,
// int8 quantization against a plain re-derivation, decoder-only files, and one-line errors that
// name the file (dims mismatch, missing file, directory, empty file, decoder-only into a full
// model). The byte-level corruption matrix is in test_format.cpp.
#include "vae/weights.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "vae/files/atomic_file.hpp"
#include "vae/vae.hpp"

namespace test_weights {

namespace {

namespace fmt = vae_rt::format;
using Small = vae::Vae<16, 8, 3>;

std::string temp_path(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / "vae_test_weights";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

void init_model(Small& m, std::uint64_t seed) {
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, seed, 0);
  m.init_params(rng);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const vae::Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Weights, FullModelRoundTripIsBitExact) {
  Small a(1), b(1);
  init_model(a, 1);
  init_model(b, 2);
  const std::string path = temp_path("small.vaew");
  vae::save_weights(a, path);
  vae::load_weights(b, path);
  for (std::size_t i = 0; i < Small::num_params; ++i) ASSERT_EQ(a.params[i], b.params[i]) << i;
  // The file is what the format says: 10 tensors, all float32, 64-byte aligned.
  const vae::WeightsFile wf = vae::read_weights(path);
  EXPECT_EQ(wf.tensors.size(), 10u);
  EXPECT_TRUE(wf.has_encoder());
  EXPECT_EQ(wf.weights_dtype(), "float32");
  EXPECT_EQ(wf.dim_x, 16u);
  EXPECT_EQ(wf.dim_h, 8u);
  EXPECT_EQ(wf.dim_z, 3u);
  const char* names[] = {fmt::enc_fc_w, fmt::enc_fc_b, fmt::enc_mu_w,     fmt::enc_mu_b,
                         fmt::enc_logvar_w, fmt::enc_logvar_b, fmt::dec_fc_w, fmt::dec_fc_b,
                         fmt::dec_out_w, fmt::dec_out_b};
  for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ(wf.tensors[i].name, names[i]);
  const vae::WeightTensor* w = wf.find("dec_out_w");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->dim0, 16u);
  EXPECT_EQ(w->dim1, 8u);
}

TEST(Weights, NoteIsStoredAndReadBack) {
  Small a(1);
  init_model(a, 3);
  const std::string path = temp_path("note.vaew");
  vae::save_weights(a, path, vae::SaveOptions{false, false, "vae_train --epochs 3 (commit abc)"});
  EXPECT_EQ(vae::read_weights(path).note, "vae_train --epochs 3 (commit abc)");
}

TEST(Weights, Int8MatchesAnIndependentQuantizer) {
  Small a(1);
  init_model(a, 4);
  const vae::WeightsFile q = vae::weights_from_model(a, vae::SaveOptions{true, false, ""});
  EXPECT_EQ(q.weights_dtype(), "int8");
  EXPECT_TRUE(q.flags & fmt::flag_int8);
  // Re-derive dec_out_w's quantization with doubles: per-row scale max|w|/127, round to nearest.
  const vae::WeightTensor* t = q.find("dec_out_w");
  const vae::WeightTensor* s = q.find("dec_out_w.scale");
  ASSERT_TRUE(t && s);
  const float* w = a.dec.out.w.data();
  double max_err = 0;
  for (std::size_t r = 0; r < 16; ++r) {
    double amax = 0;
    for (std::size_t c = 0; c < 8; ++c) amax = std::max(amax, std::fabs(double(w[r * 8 + c])));
    float scale;
    std::memcpy(&scale, s->data.data() + 4 * r, 4);
    EXPECT_NEAR(scale, amax / 127.0, 1e-7 * amax);
    for (std::size_t c = 0; c < 8; ++c) {
      const int want = int(std::lround(w[r * 8 + c] / (amax / 127.0)));
      EXPECT_NEAR(int(std::int8_t(t->data[r * 8 + c])), want, 1) << r << "," << c;
    }
  }
  // Dequantized weights are within half a step of the originals.
  const std::vector<float> deq = vae::tensor_floats(q, "dec_out_w", "mem");
  for (std::size_t i = 0; i < deq.size(); ++i) {
    float scale;
    std::memcpy(&scale, s->data.data() + 4 * (i / 8), 4);
    max_err = std::max(max_err, std::fabs(double(deq[i]) - w[i]) / scale);
  }
  EXPECT_LE(max_err, 0.5 + 1e-5);
  // Biases stay float32.
  EXPECT_EQ(q.find("dec_out_b")->dtype, fmt::Dtype::float32);
}

TEST(Weights, DecoderOnlyKeepsTheDecoder) {
  Small a(1);
  init_model(a, 5);
  const std::string path = temp_path("dec.vaew");
  vae::save_weights(a, path, vae::SaveOptions{false, true, ""});
  const vae::WeightsFile wf = vae::read_weights(path);
  EXPECT_FALSE(wf.has_encoder());
  ASSERT_EQ(wf.tensors.size(), 4u);
  EXPECT_EQ(wf.tensors[0].name, "dec_fc_w");
  Small b(1);
  const std::string e = error_of([&] { vae::load_weights(b, path); });
  EXPECT_NE(e.find(path + ": decoder-only file"), std::string::npos) << e;
}

TEST(Weights, DimsMismatchNamesTheFileAndBothSizes) {
  vae::Vae<16, 8, 2> other(1);
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 1, 0);
  other.init_params(rng);
  const std::string path = temp_path("z2.vaew");
  vae::save_weights(other, path);
  Small b(1);
  const std::string e = error_of([&] { vae::load_weights(b, path); });
  EXPECT_EQ(e, path + ": file has latent 2, this build expects 3");
}

TEST(Weights, MissingEmptyAndDirectoryAreOneLineErrors) {
  Small b(1);
  for (const std::string& path :
       {temp_path("does_not_exist.vaew"), std::filesystem::temp_directory_path().string()}) {
    const std::string e = error_of([&] { vae::load_weights(b, path); });
    EXPECT_NE(e.find(path), std::string::npos) << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  }
  const std::string empty = temp_path("empty.vaew");
  vae::write_file_atomic(empty, std::string());
  const std::string e = error_of([&] { vae::load_weights(b, empty); });
  EXPECT_EQ(e, empty + ": file truncated: file has 0 bytes; the header alone needs 64");
}

TEST(Weights, SerializeRejectsBadNamesAndDuplicates) {
  vae::WeightsFile wf;
  wf.dim_x = wf.dim_h = wf.dim_z = 1;
  const float v = 1.0f;
  wf.tensors.push_back(vae::float_tensor("Bad-Name", 1, 0, &v));
  EXPECT_THROW(vae::serialize_weights(wf), vae::Error);
  wf.tensors[0].name = "ok";
  wf.tensors.push_back(vae::float_tensor("ok", 1, 0, &v));
  EXPECT_THROW(vae::serialize_weights(wf), vae::Error);
  wf.tensors.pop_back();
  EXPECT_NO_THROW(vae::serialize_weights(wf));
}

// Found by fuzz/fuzz_weights: a NaN or infinite weight reached static_cast<int8_t>(NaN), which is
// undefined behaviour (UBSan: "-nan is outside the range of representable values"), and vae_export
// --int8 wrote whatever the conversion gave. Now it is a one-line error naming the element.
TEST(Weights, QuantizeRejectsNonFiniteWeights) {
  for (const float bad : {std::nanf(""), INFINITY, -INFINITY}) {
    vae::WeightsFile wf;
    wf.dim_x = 3;
    wf.dim_h = wf.dim_z = 1;
    const float w[6] = {0.5f, -1.0f, 0.25f, 1.0f, bad, 2.0f};
    wf.tensors.push_back(vae::float_tensor("dec_out_w", 2, 3, w));
    const std::string e = error_of([&] { vae::quantize_int8(wf); });
    EXPECT_EQ(e, std::string("tensor dec_out_w: weight (1, 1) is ") +
                     (std::isnan(bad) ? "NaN" : "infinite") +
                     "; int8 quantization needs finite weights");
  }
  // The largest finite weights still quantize: +-FLT_MAX map to +-127.
  vae::WeightsFile wf;
  const float w[2] = {3.4028235e38f, -3.4028235e38f};
  wf.tensors.push_back(vae::float_tensor("x_w", 1, 2, w));
  const vae::WeightsFile q = vae::quantize_int8(wf);
  EXPECT_EQ(std::int8_t(q.tensors[0].data[0]), 127);
  EXPECT_EQ(std::int8_t(q.tensors[0].data[1]), -127);
}

// Found by fuzz/fuzz_weights: quantize_int8 set flag_int8 even when no tensor was quantized (no
// rank-2 float32 "*_w" tensor), so its result disagreed with the file serialize_weights writes
// from it (which derives the flag from the table).
TEST(Weights, QuantizeSetsTheInt8FlagOnlyWhenATensorIsInt8) {
  vae::WeightsFile wf;
  wf.dim_x = wf.dim_h = wf.dim_z = 1;
  const float v[2] = {1.0f, 2.0f};
  wf.tensors.push_back(vae::float_tensor("dec_out_b", 2, 0, v));
  wf.tensors.push_back(vae::float_tensor("dec_out_ww", 1, 2, v));
  const vae::WeightsFile q = vae::quantize_int8(wf);
  EXPECT_EQ(q.flags & fmt::flag_int8, 0u);
  EXPECT_EQ(q.weights_dtype(), "float32");
  const std::vector<std::uint8_t> bytes = vae::serialize_weights(q);
  EXPECT_EQ(vae::parse_weights(bytes.data(), bytes.size(), "q").flags, q.flags);
  wf.tensors[1].name = "dec_out_w";
  EXPECT_NE(vae::quantize_int8(wf).flags & fmt::flag_int8, 0u);
}

// Found by fuzz/fuzz_weights: likewise decoder_only kept flag_int8 when the only int8 tensors
// were the encoder's.
TEST(Weights, DecoderOnlyClearsTheInt8FlagWithTheLastInt8Tensor) {
  vae::WeightsFile wf;
  wf.flags = fmt::flag_encoder;
  wf.dim_x = wf.dim_h = wf.dim_z = 1;
  const float v[2] = {1.0f, 2.0f};
  wf.tensors.push_back(vae::float_tensor("enc_fc_w", 1, 2, v));
  wf.tensors.push_back(vae::float_tensor("dec_out_b", 2, 0, v));
  const vae::WeightsFile q = vae::quantize_int8(wf);
  ASSERT_NE(q.flags & fmt::flag_int8, 0u);
  const vae::WeightsFile d = vae::decoder_only(q);
  EXPECT_EQ(d.flags, 0u);
  EXPECT_EQ(vae::decoder_only(vae::quantize_int8(vae::decoder_only(wf))).flags, 0u);
  wf.tensors[1] = vae::float_tensor("dec_out_w", 1, 2, v);
  EXPECT_EQ(vae::decoder_only(vae::quantize_int8(wf)).flags, fmt::flag_int8);
}

}  // namespace

}  // namespace test_weights
