// test_format.cpp - the weight-file parser (vae_rt/format.h, lib/runtime/format.cpp) against
// corrupt files: every truncation length, every single-byte flip in the header and the tensor
// table, a sample of flips in the data, and hand-made structural faults with a valid CRC (so that
// the structural checks, not the CRC, must catch them), each with its own Status and message.
// Also: the file built by tests/freestanding/consumer.cpp's independent writer is byte-identical
// to vae::serialize_weights' and decodes to the same pixels.
#include "vae_rt/format.h"

#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "vae/vae.hpp"
#include "vae/weights.hpp"
#include "vae_rt/crc32.h"
#include "vae_rt/decoder.h"

namespace test_format {

namespace {

namespace fmt = vae_rt::format;
using vae_rt::Status;
using Small = vae::Vae<16, 8, 3>;

std::vector<std::uint8_t> small_file(const std::string& note = "") {
  Small m(1);
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 1, 0);
  m.init_params(rng);
  return vae::serialize_weights(vae::weights_from_model(m, {false, false, note}));
}

// Parse a copy (a fresh 16-byte-aligned heap buffer of exactly `size` bytes, so ASan sees any
// read past the end).
Status parse_copy(const std::vector<std::uint8_t>& bytes, std::size_t size, std::string* msg,
                  bool verify_crc = true) {
  std::vector<std::uint32_t> words((size + 3) / 4 + 1);
  std::uint8_t* p = reinterpret_cast<std::uint8_t*>(words.data());
  if (size) std::memcpy(p, bytes.data(), size);
  fmt::File f;
  fmt::Diag d;
  const Status s = fmt::parse(p, size, &f, verify_crc, &d);
  if (msg) *msg = d.text;
  return s;
}

void recrc(std::vector<std::uint8_t>& f) {
  fmt::store_u32(f.data() + fmt::hdr_crc32, fmt::file_crc32(f.data(), f.size()));
}

std::uint8_t* record(std::vector<std::uint8_t>& f, std::uint32_t i) {
  return f.data() + fmt::header_size + i * fmt::record_size;
}

TEST(Format, ValidFileParses) {
  const auto f = small_file("a note");
  std::string msg;
  ASSERT_EQ(parse_copy(f, f.size(), &msg), Status::ok) << msg;
  std::vector<std::uint32_t> words(f.size() / 4 + 1);
  std::memcpy(words.data(), f.data(), f.size());
  fmt::File file;
  ASSERT_EQ(fmt::parse(words.data(), f.size(), &file, true, nullptr), Status::ok);
  EXPECT_EQ(file.header.tensor_count, 10u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(file.note), file.header.note_size), "a note");
  fmt::Tensor t;
  ASSERT_EQ(fmt::find_tensor(file, "dec_out_w", &t), Status::ok);
  EXPECT_EQ(t.offset % 64, 0u);
  EXPECT_EQ(t.data, reinterpret_cast<const std::uint8_t*>(words.data()) + t.offset);
  EXPECT_EQ(fmt::find_tensor(file, "nope", &t), Status::missing_tensor);
}

TEST(Format, CrcFieldIsTakenAsZero) {
  auto f = small_file();
  const std::uint32_t stored = fmt::load_u32(f.data() + fmt::hdr_crc32);
  fmt::store_u32(f.data() + fmt::hdr_crc32, 0);
  EXPECT_EQ(vae_rt::crc32(f.data(), f.size()), stored);
}

TEST(Format, EveryTruncationIsTruncated) {
  const auto f = small_file("note");
  std::string msg;
  for (std::size_t n = 0; n < f.size(); ++n) {
    ASSERT_EQ(parse_copy(f, n, &msg), Status::truncated) << "length " << n << ": " << msg;
  }
  EXPECT_EQ(parse_copy(f, 10, &msg), Status::truncated);
  EXPECT_EQ(msg, "file has 10 bytes; the header alone needs 64");
  auto longer = f;
  longer.push_back(0);
  EXPECT_EQ(parse_copy(longer, longer.size(), &msg), Status::trailing_bytes) << msg;
}

// What a flip of byte i must give: magic, version, header size and file size have their own
// checks before the CRC; everything else is caught by the CRC.
Status expected_for_flip(std::size_t i, std::uint8_t flipped_value, std::size_t /*size*/) {
  (void)flipped_value;
  if (i < 4) return Status::bad_magic;
  if (i < 8) return Status::bad_version;
  if (i < 12) return Status::bad_header;
  if (i >= fmt::hdr_file_size && i < fmt::hdr_file_size + 4) return Status::truncated;
  return Status::bad_crc;
}

TEST(Format, EverySingleByteFlipInHeaderAndTableIsCaught) {
  const auto f = small_file();
  const std::size_t table_end = fmt::header_size + 10 * fmt::record_size;
  std::string msg;
  for (std::size_t i = 0; i < table_end; ++i) {
    for (std::uint8_t mask : {0x01, 0x80, 0xFF}) {
      auto g = f;
      g[i] ^= mask;
      const Status s = parse_copy(g, g.size(), &msg);
      Status want = expected_for_flip(i, g[i], g.size());
      if (want == Status::truncated && fmt::load_u32(g.data() + fmt::hdr_file_size) < g.size()) {
        want = Status::trailing_bytes;
      }
      ASSERT_EQ(s, want) << "byte " << i << " ^ " << int(mask) << ": " << msg;
    }
  }
}

TEST(Format, SampledDataFlipsAreCrcErrors) {
  const auto f = small_file();
  const std::size_t table_end = fmt::header_size + 10 * fmt::record_size;
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 9, 0);
  for (int k = 0; k < 500; ++k) {
    const std::size_t i = table_end + vae_rt::rng_below(&rng, static_cast<std::uint32_t>(f.size() - table_end));
    auto g = f;
    g[i] ^= static_cast<std::uint8_t>(1u << vae_rt::rng_below(&rng, 8));
    ASSERT_EQ(parse_copy(g, g.size(), nullptr), Status::bad_crc) << "byte " << i;
  }
}

TEST(Format, WithoutCrcCheckEveryFlipStillParsesSafely) {
  // The structural checks alone must never let a bad offset through: flip every header and
  // table byte with the CRC check off and, when parse says ok, touch every tensor byte.
  const auto f = small_file();
  const std::size_t table_end = fmt::header_size + 10 * fmt::record_size;
  for (std::size_t i = 0; i < table_end; ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      auto g = f;
      g[i] ^= static_cast<std::uint8_t>(1u << bit);
      std::vector<std::uint32_t> words(g.size() / 4 + 1);
      std::memcpy(words.data(), g.data(), g.size());
      fmt::File file;
      if (fmt::parse(words.data(), g.size(), &file, false, nullptr) != Status::ok) continue;
      unsigned sum = 0;
      for (std::uint32_t t = 0; t < file.header.tensor_count; ++t) {
        const fmt::Tensor ten = fmt::tensor_at(file, t);
        ASSERT_LE(std::size_t{ten.offset} + ten.size, g.size());
        for (std::uint32_t b = 0; b < ten.size; ++b) sum += ten.data[b];
      }
      (void)sum;
    }
  }
}

// A structural fault made with a valid CRC: parse must name it.
struct Fault {
  const char* what;
  void (*make)(std::vector<std::uint8_t>&);
  Status want;
  const char* message_part;
};

const Fault kFaults[] = {
    {"wrong magic", [](auto& f) { f[0] = 'X'; }, Status::bad_magic, "VAEW"},
    {"wrong version", [](auto& f) { fmt::store_u32(f.data() + fmt::hdr_version, 2); },
     Status::bad_version, "format version 2; this reader reads version 1"},
    {"header size", [](auto& f) { fmt::store_u32(f.data() + fmt::hdr_header_size, 128); },
     Status::bad_header, "header size"},
    {"unknown flag", [](auto& f) { fmt::store_u32(f.data() + fmt::hdr_flags, 1u << 9 | 1u); },
     Status::unsupported_feature, "unknown"},
    {"zero dim", [](auto& f) { fmt::store_u32(f.data() + fmt::hdr_dim_z, 0); },
     Status::bad_header, "must be positive"},
    {"H2 without flag", [](auto& f) { fmt::store_u32(f.data() + fmt::hdr_dim_h2, 5); },
     Status::bad_header, "dim H2"},
    {"reserved header", [](auto& f) { f[60] = 1; }, Status::bad_header, "reserved"},
    {"zero tensors", [](auto& f) { fmt::store_u32(f.data() + fmt::hdr_tensor_count, 0); },
     Status::bad_header, "tensor count"},
    {"table past end", [](auto& f) { fmt::store_u32(f.data() + fmt::hdr_tensor_count, 200); },
     Status::bad_offset, "tensor table"},
    {"table offset", [](auto& f) { fmt::store_u32(f.data() + fmt::hdr_table_offset, 128); },
     Status::bad_header, "table offset"},
    {"note past end", [](auto& f) {
       fmt::store_u32(f.data() + fmt::hdr_note_offset, 704);
       fmt::store_u32(f.data() + fmt::hdr_note_size, 1u << 20); },
     Status::bad_offset, "note"},
    {"note inside table", [](auto& f) {
       fmt::store_u32(f.data() + fmt::hdr_note_offset, 100);
       fmt::store_u32(f.data() + fmt::hdr_note_size, 4); },
     Status::bad_offset, "note"},
    {"note over a tensor", [](auto& f) {
       fmt::store_u32(f.data() + fmt::hdr_note_offset, fmt::load_u32(record(f, 3) + fmt::rec_offset));
       fmt::store_u32(f.data() + fmt::hdr_note_size, 4); },
     Status::overlap, "overlaps the note"},
    {"empty name", [](auto& f) { std::memset(record(f, 2), 0, 32); }, Status::bad_name, "record 2"},
    {"unterminated name", [](auto& f) { std::memset(record(f, 2), 'a', 32); }, Status::bad_name, "name"},
    {"bad name char", [](auto& f) { record(f, 2)[0] = 'E'; }, Status::bad_name, "name"},
    {"garbage after NUL", [](auto& f) { record(f, 2)[30] = 'x'; }, Status::bad_name, "NUL-padded"},
    {"duplicate", [](auto& f) { std::memcpy(record(f, 3), record(f, 1), 32); },
     Status::duplicate_tensor, "appears twice"},
    {"dtype", [](auto& f) { fmt::store_u32(record(f, 0) + fmt::rec_dtype, 3); }, Status::bad_dtype,
     "dtype 3"},
    {"rank", [](auto& f) { fmt::store_u32(record(f, 0) + fmt::rec_rank, 3); }, Status::bad_shape,
     "rank 3"},
    {"rank 1 with cols", [](auto& f) { fmt::store_u32(record(f, 1) + fmt::rec_dim1, 2); },
     Status::bad_shape, "enc_fc_b"},
    {"zero dim0", [](auto& f) { fmt::store_u32(record(f, 0) + fmt::rec_dim0, 0); },
     Status::bad_shape, "enc_fc_w"},
    {"size vs shape", [](auto& f) { fmt::store_u32(record(f, 0) + fmt::rec_size, 4); },
     Status::bad_size, "shape and dtype need 512"},
    {"huge shape", [](auto& f) {
       fmt::store_u32(record(f, 0) + fmt::rec_dim0, 0xFFFFFFFFu);
       fmt::store_u32(record(f, 0) + fmt::rec_dim1, 0xFFFFFFFFu); },
     Status::bad_size, "enc_fc_w"},
    {"misaligned", [](auto& f) {
       fmt::store_u32(record(f, 0) + fmt::rec_offset, fmt::load_u32(record(f, 0) + fmt::rec_offset) + 4); },
     Status::bad_alignment, "not a multiple of 64"},
    {"offset past end", [](auto& f) {
       fmt::store_u32(record(f, 9) + fmt::rec_offset, static_cast<std::uint32_t>(f.size() + 64) / 64 * 64); },
     Status::bad_offset, "dec_out_b"},
    {"offset wraps", [](auto& f) { fmt::store_u32(record(f, 9) + fmt::rec_offset, 0xFFFFFFC0u); },
     Status::bad_offset, "dec_out_b"},
    {"offset in table", [](auto& f) { fmt::store_u32(record(f, 1) + fmt::rec_offset, 64); },
     Status::bad_offset, "table's end"},
    {"overlapping tensors", [](auto& f) {
       fmt::store_u32(record(f, 3) + fmt::rec_offset, fmt::load_u32(record(f, 2) + fmt::rec_offset)); },
     Status::overlap, "tensors enc_mu_w and enc_mu_b overlap"},
    {"reserved record", [](auto& f) { record(f, 4)[63] = 1; }, Status::bad_header, "reserved"},
    {"int8 flag lies", [](auto& f) {
       fmt::store_u32(f.data() + fmt::hdr_flags, fmt::load_u32(f.data() + fmt::hdr_flags) | fmt::flag_int8); },
     Status::bad_header, "int8 flag"},
};

TEST(Format, EachStructuralFaultHasItsOwnStatusAndMessage) {
  const auto f = small_file();
  for (const Fault& fault : kFaults) {
    auto g = f;
    fault.make(g);
    if (fault.want != Status::bad_magic) recrc(g);
    std::string msg;
    const Status s = parse_copy(g, g.size(), &msg);
    EXPECT_EQ(s, fault.want) << fault.what << ": " << vae_rt::status_str(s) << ": " << msg;
    EXPECT_NE(msg.find(fault.message_part), std::string::npos) << fault.what << ": " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos);
    // The hosted reader turns it into one line that names the file and the status.
    try {
      vae::parse_weights(g.data(), g.size(), "w.vaew");
      ADD_FAILURE() << fault.what << ": no error";
    } catch (const vae::Error& e) {
      EXPECT_EQ(std::string(e.what()),
                std::string("w.vaew: ") + vae_rt::status_str(fault.want) + ": " + msg);
    }
  }
  std::set<Status> distinct;
  for (const Fault& fault : kFaults) distinct.insert(fault.want);
  EXPECT_GE(distinct.size(), 11u);
}

TEST(Format, StatusNamesAreDistinct) {
  std::set<std::string> names;
  for (int s = 0; s <= static_cast<int>(Status::bad_value); ++s) {
    names.insert(vae_rt::status_str(static_cast<Status>(s)));
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(Status::bad_value) + 1);
  EXPECT_EQ(names.count("unknown status"), 0u);
}

TEST(Format, FreestandingConsumersHandWrittenFileEqualsTheHostedWriter) {
  // tests/freestanding/consumer.cpp writes this file from the spec; it prints pixels crc32
  // 26f15cba. Rebuild it with vae::serialize_weights and check both.
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 42, 0);
  vae::WeightsFile wf;
  wf.dim_x = 16;
  wf.dim_h = 8;
  wf.dim_z = 3;
  auto add = [&](const char* name, std::uint32_t rows, std::uint32_t cols) {
    std::vector<float> v(rows * (cols ? cols : 1));
    for (float& x : v) x = vae_rt::rng_uniform(&rng, -1.0f, 1.0f);
    wf.tensors.push_back(vae::float_tensor(name, rows, cols, v.data()));
  };
  add("dec_fc_w", 8, 3);
  add("dec_fc_b", 8, 0);
  add("dec_out_w", 16, 8);
  add("dec_out_b", 16, 0);
  const auto bytes = vae::serialize_weights(wf);
  std::vector<std::uint32_t> words(bytes.size() / 4 + 1);
  std::memcpy(words.data(), bytes.data(), bytes.size());
  alignas(16) std::uint8_t arena[vae_rt::Decoder<3, 8, 16>::arena_bytes];
  vae_rt::Decoder<3, 8, 16> dec;
  ASSERT_EQ(dec.init(words.data(), bytes.size(), arena, sizeof arena), Status::ok);
  vae_rt::Rng g;
  vae_rt::rng_seed(&g, 1, 0);
  std::uint8_t pixels[160];
  for (int i = 0; i < 10; ++i) dec.generate(&g, pixels + 16 * i);
  EXPECT_EQ(vae_rt::crc32(pixels, sizeof pixels), 0x26f15cbau);
}

}  // namespace

}  // namespace test_format
