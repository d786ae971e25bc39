// test_checkpoint.cpp - the checkpoint file: its byte layout spelled out independently, round
// trips, a corruption matrix (every byte flipped, every truncation), version and size errors,
// and the property it exists for: training resumed from a checkpoint is bit-identical to an
// uninterrupted run.
#include "vae/checkpoint.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "vae/files/atomic_file.hpp"
#include "vae/trainer.hpp"
#include "vae/vae.hpp"
#include "vae_rt/crc32.h"

namespace test_checkpoint {

namespace {

vae::Checkpoint small_checkpoint() {
  vae::Checkpoint ck;
  ck.dim_x = 4;
  ck.dim_h = 3;
  ck.dim_z = 2;
  ck.epochs_done = 2;
  ck.adam_t = 17;
  ck.rng.state = 0x0123456789abcdefull;
  ck.rng.inc = 0x55;
  ck.params = {1.0f, -2.5f, 3.25f};
  ck.adam_m = {0.5f, 0.25f, -0.125f};
  ck.adam_v = {1e-8f, 2e-8f, 3e-8f};
  ck.history = {vae::EpochRecord{1, 40, 30, 10, 39, 29, 10, 5.5},
                vae::EpochRecord{2, 35, 26, 9, 34, 25, 9, 5.25}};
  ck.settings = R"({"mode":"vae"})";
  return ck;
}

// The layout of vae/checkpoint.hpp, byte by byte, without the code under test.
std::vector<std::uint8_t> expected_bytes(const vae::Checkpoint& ck) {
  std::vector<std::uint8_t> b;
  auto raw = [&](const void* p, std::size_t n) {
    const auto* c = static_cast<const std::uint8_t*>(p);
    b.insert(b.end(), c, c + n);
  };
  auto u32 = [&](std::uint32_t v) { for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i))); };
  auto u64 = [&](std::uint64_t v) { for (int i = 0; i < 8; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i))); };
  const std::size_t P = ck.params.size();
  const std::uint64_t total = 96 + 12 * P + 64 * ck.history.size() + ck.settings.size() + 4;
  raw("VAECKPT", 8);   // 7 letters and the terminating zero
  u32(1);
  u32(96);
  u32(ck.dim_x);
  u32(ck.dim_h);
  u32(ck.dim_z);
  u32(ck.epochs_done);
  u64(P);
  u64(static_cast<std::uint64_t>(ck.adam_t));
  u64(ck.rng.state);
  u64(ck.rng.inc);
  u32(static_cast<std::uint32_t>(ck.history.size()));
  u32(8);
  u64(ck.settings.size());
  u64(total);
  u64(0);
  EXPECT_EQ(b.size(), 96u);
  raw(ck.params.data(), 4 * P);
  raw(ck.adam_m.data(), 4 * P);
  raw(ck.adam_v.data(), 4 * P);
  for (const vae::EpochRecord& r : ck.history) {
    for (double d : {r.epoch, r.train_loss, r.train_recon, r.train_kl, r.test_loss, r.test_recon, r.test_kl, r.seconds}) raw(&d, 8);
  }
  raw(ck.settings.data(), ck.settings.size());
  u32(vae_rt::crc32(b.data(), b.size()));
  return b;
}

void expect_equal(const vae::Checkpoint& a, const vae::Checkpoint& b) {
  EXPECT_EQ(a.dim_x, b.dim_x);
  EXPECT_EQ(a.dim_h, b.dim_h);
  EXPECT_EQ(a.dim_z, b.dim_z);
  EXPECT_EQ(a.epochs_done, b.epochs_done);
  EXPECT_EQ(a.adam_t, b.adam_t);
  EXPECT_EQ(a.rng.state, b.rng.state);
  EXPECT_EQ(a.rng.inc, b.rng.inc);
  EXPECT_EQ(a.params, b.params);
  EXPECT_EQ(a.adam_m, b.adam_m);
  EXPECT_EQ(a.adam_v, b.adam_v);
  ASSERT_EQ(a.history.size(), b.history.size());
  if (!a.history.empty()) {
    EXPECT_EQ(std::memcmp(a.history.data(), b.history.data(), a.history.size() * sizeof(vae::EpochRecord)), 0);
  }
  EXPECT_EQ(a.settings, b.settings);
}

std::string error_of(const std::vector<std::uint8_t>& bytes) {
  try {
    vae::parse_checkpoint(bytes.data(), bytes.size(), "ck.vaeckpt");
  } catch (const vae::Error& e) {
    return e.what();
  }
  return "";
}

TEST(Checkpoint, SerializesToTheDocumentedLayout) {
  const vae::Checkpoint ck = small_checkpoint();
  EXPECT_EQ(vae::serialize_checkpoint(ck), expected_bytes(ck));
}

TEST(Checkpoint, RoundTripsInMemoryAndThroughAFile) {
  const vae::Checkpoint ck = small_checkpoint();
  const auto bytes = vae::serialize_checkpoint(ck);
  expect_equal(vae::parse_checkpoint(bytes.data(), bytes.size(), "mem"), ck);

  char tmpl[] = "/tmp/vae_ckpt_XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  vae::write_checkpoint(dir + "/ck.vaeckpt", ck);
  expect_equal(vae::read_checkpoint(dir + "/ck.vaeckpt"), ck);
  std::system(("rm -rf " + dir).c_str());

  vae::Checkpoint empty;   // no epochs, no settings: still valid
  empty.params = empty.adam_m = empty.adam_v = {0.0f};
  const auto e = vae::serialize_checkpoint(empty);
  expect_equal(vae::parse_checkpoint(e.data(), e.size(), "empty"), empty);
}

TEST(Checkpoint, EveryFlippedByteIsCaught) {
  const auto good = vae::serialize_checkpoint(small_checkpoint());
  for (std::size_t i = 0; i < good.size(); ++i) {
    std::vector<std::uint8_t> bad = good;
    bad[i] ^= 0x10;
    const std::string what = error_of(bad);
    EXPECT_FALSE(what.empty()) << "flipping byte " << i << " went unnoticed";
    EXPECT_EQ(what.rfind("ck.vaeckpt: ", 0), 0u) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
  // Past the header, only the CRC can notice.
  std::vector<std::uint8_t> bad = good;
  bad[100] ^= 1;
  EXPECT_NE(error_of(bad).find("CRC mismatch"), std::string::npos) << error_of(bad);
}

TEST(Checkpoint, EveryTruncationIsCaught) {
  const auto good = vae::serialize_checkpoint(small_checkpoint());
  for (std::size_t n = 0; n < good.size(); ++n) {
    const std::vector<std::uint8_t> cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    const std::string what = error_of(cut);
    EXPECT_FALSE(what.empty()) << "truncated to " << n;
    if (n >= 96) {
      EXPECT_NE(what.find("truncated: header says"), std::string::npos) << what;
    }
  }
  std::vector<std::uint8_t> longer = good;
  longer.push_back(0);
  EXPECT_NE(error_of(longer).find("trailing bytes"), std::string::npos) << error_of(longer);
}

TEST(Checkpoint, WrongVersionAndWrongMagicSayWhat) {
  auto bytes = vae::serialize_checkpoint(small_checkpoint());
  bytes[8] = 2;   // version 2, CRC recomputed so that only the version is wrong
  const std::uint32_t crc = vae_rt::crc32(bytes.data(), bytes.size() - 4);
  std::memcpy(bytes.data() + bytes.size() - 4, &crc, 4);
  EXPECT_NE(error_of(bytes).find("version 2, this build reads version 1"), std::string::npos)
      << error_of(bytes);
  const std::string text = "hello, not a checkpoint";
  EXPECT_NE(error_of(std::vector<std::uint8_t>(text.begin(), text.end())).find("not a vae_train checkpoint"),
            std::string::npos);
  try {
    vae::read_checkpoint("/nonexistent_dir_vae/ck.vaeckpt");
    FAIL() << "no error";
  } catch (const vae::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent_dir_vae/ck.vaeckpt"), std::string::npos);
  }
}

// --- resume -------------------------------------------------------------------------------------

using Small = vae::Vae<16, 8, 2>;

vae::ImageSet synthetic_images(std::size_t n) {
  vae::ImageSet s = vae::ImageSet::from_shape({n, 4, 4});   // (n, 4, 4)
  vae_rt::Rng r;
  vae_rt::rng_seed(&r, 99, 0);
  for (auto& p : s) p = static_cast<std::uint8_t>(vae_rt::rng_below(&r, 256));
  return s;
}

vae::TrainOptions small_options() {
  vae::TrainOptions opt;
  opt.batch = 8;
  opt.seed = 5;
  opt.loss = vae::LossSpec{vae::Recon::mse, 1.0f};
  return opt;
}

TEST(Checkpoint, ResumedTrainingIsBitIdenticalToAnUninterruptedRun) {
  vae::set_blas_threads(1);
  const vae::ImageSet train = synthetic_images(60);   // 8 batches, the last one partial

  Small straight(8);
  vae::Trainer<Small> t1(straight, train, small_options(), vae::ParamInit::from_seed);
  for (int e = 0; e < 3; ++e) t1.train_epoch();
  const double straight_eval = t1.evaluate(train, true).total;

  // One epoch, checkpoint through bytes, a brand-new model and trainer, two more epochs.
  std::vector<std::uint8_t> bytes;
  {
    Small first(8);
    vae::Trainer<Small> t(first, train, small_options(), vae::ParamInit::from_seed);
    t.train_epoch();
    t.evaluate(train, true);   // evaluation must not disturb training
    bytes = vae::serialize_checkpoint(vae::capture_checkpoint(first, 1, t.rng(), {vae::EpochRecord{}}, "{}"));
  }
  const vae::Checkpoint ck = vae::parse_checkpoint(bytes.data(), bytes.size(), "mem");
  Small resumed(8);
  vae::Trainer<Small> t2(resumed, train, small_options(), vae::ParamInit::keep);   // the checkpoint sets it
  vae::restore_checkpoint(ck, resumed, "mem");
  t2.restore(static_cast<int>(ck.epochs_done), ck.rng);
  t2.train_epoch();
  t2.train_epoch();

  EXPECT_EQ(t2.epoch(), 3);
  EXPECT_EQ(resumed.adam_t, straight.adam_t);
  EXPECT_EQ(std::memcmp(resumed.params.data(), straight.params.data(), Small::num_params * sizeof(float)), 0);
  EXPECT_EQ(std::memcmp(resumed.adam_m.data(), straight.adam_m.data(), Small::num_params * sizeof(float)), 0);
  EXPECT_EQ(std::memcmp(resumed.adam_v.data(), straight.adam_v.data(), Small::num_params * sizeof(float)), 0);
  EXPECT_EQ(t2.evaluate(train, true).total, straight_eval);
}

TEST(Checkpoint, RestoreRejectsAnotherModel) {
  Small model(2);
  vae::Checkpoint ck = small_checkpoint();   // a 4-3-2 model with 3 parameters
  try {
    vae::restore_checkpoint(ck, model, "ck.vaeckpt");
    FAIL() << "no error";
  } catch (const vae::Error& e) {
    EXPECT_NE(std::string(e.what()).find("ck.vaeckpt: checkpoint is for a 4-3-2 model"), std::string::npos)
        << e.what();
  }
}

}  // namespace

}  // namespace test_checkpoint
