// test_rt_format.cpp - the weight-file parser (vae_rt/format.h) and its validation statuses, and
// the CRC (vae_rt/crc32.h), on the host and on the target. The valid file is the host writer's
// (tables.h); each corrupt one is a RAM copy with one field edited and, unless the CRC is the
// point, its CRC recomputed, so that the check aimed at is the one that must reject it.
#include <string.h>

#include "tables.h"
#include "vae_rt/crc32.h"
#include "vae_rt/format.h"
#include "vtest.h"

namespace {

namespace fmt = vae_rt::format;
using vae_rt::Status;

alignas(16) uint8_t g_copy[8192];   // the file under edit (larger than either weight file)

uint8_t* fresh_copy() {
  memcpy(g_copy, tt_weights_f32, tt_weights_f32_size);
  return g_copy;
}
void recrc(uint8_t* f, size_t size) { fmt::store_u32(f + fmt::hdr_crc32, fmt::file_crc32(f, size)); }
Status parse(const uint8_t* f, size_t size) {
  fmt::File file;
  fmt::Diag diag;
  return fmt::parse(f, size, &file, true, &diag);
}
// Edit the u32 at `offset` of a fresh copy, recompute the CRC, and parse.
Status parse_with(uint32_t offset, uint32_t value) {
  uint8_t* f = fresh_copy();
  fmt::store_u32(f + offset, value);
  recrc(f, tt_weights_f32_size);
  return parse(f, tt_weights_f32_size);
}
constexpr uint32_t rec0 = fmt::header_size;   // the first tensor record

}  // namespace

TEST(RtCrc32, CheckValueAndChaining) {
  EXPECT_EQ(vae_rt::crc32("123456789", 9), 0xCBF43926u);
#ifdef VTEST_BROKEN_EXPECTATION
  // The test of the test (VAE_TARGET_TESTS_BROKEN): a wrong expectation must fail the run.
  EXPECT_EQ(vae_rt::crc32("123456789", 9), 0xCBF43927u);
#endif
  EXPECT_EQ(vae_rt::crc32_update(vae_rt::crc32("1234", 4), "56789", 5), 0xCBF43926u);
  EXPECT_EQ(vae_rt::crc32("", 0), 0u);
}

TEST(RtCrc32, FileCrcMatchesTheHostWriter) {
  EXPECT_EQ(fmt::file_crc32(tt_weights_f32, tt_weights_f32_size), tt_weights_f32_crc);
  EXPECT_EQ(fmt::load_u32(tt_weights_f32 + fmt::hdr_crc32), tt_weights_f32_crc);
}

TEST(RtFormat, AcceptsTheHostFilesInPlace) {
  fmt::File f;
  fmt::Diag diag;
  ASSERT_EQ(fmt::parse(tt_weights_f32, tt_weights_f32_size, &f, true, &diag), Status::ok);
  EXPECT_EQ(f.bytes, tt_weights_f32);
  EXPECT_EQ(f.header.dim_x, tt_d);
  EXPECT_EQ(f.header.dim_h, tt_h);
  EXPECT_EQ(f.header.dim_z, tt_z);
  EXPECT_EQ(f.header.flags, fmt::flag_encoder | fmt::flag_mixture_prior);
  fmt::Tensor t;
  ASSERT_EQ(fmt::find_tensor(f, fmt::dec_out_w, &t), Status::ok);
  EXPECT_EQ(t.dim0, tt_d);
  EXPECT_EQ(t.dim1, tt_h);
  EXPECT_EQ(t.dtype, fmt::Dtype::float32);
  EXPECT_EQ(t.data, tt_weights_f32 + t.offset);
  EXPECT_EQ(t.offset % fmt::data_alignment, 0u);
  EXPECT_EQ(fmt::find_tensor(f, "no_such_tensor", &t), Status::missing_tensor);
  ASSERT_EQ(fmt::parse(tt_weights_i8, tt_weights_i8_size, &f, true, &diag), Status::ok);
  EXPECT_EQ(f.header.flags, fmt::flag_int8 | fmt::flag_mixture_prior);
  ASSERT_EQ(fmt::find_tensor(f, "dec_out_w.scale", &t), Status::ok);
  EXPECT_EQ(t.dim0, tt_d);
}

TEST(RtFormat, SizeAndHeaderStatuses) {
  uint8_t* f = fresh_copy();
  EXPECT_EQ(parse(f, 0), Status::truncated);
  EXPECT_EQ(parse(f, 63), Status::truncated);
  EXPECT_EQ(parse(f, tt_weights_f32_size - 1), Status::truncated);
  g_copy[tt_weights_f32_size] = 0;
  EXPECT_EQ(parse(f, tt_weights_f32_size + 1), Status::trailing_bytes);
  f[fmt::hdr_magic] = 'X';
  recrc(f, tt_weights_f32_size);
  EXPECT_EQ(parse(f, tt_weights_f32_size), Status::bad_magic);
  EXPECT_EQ(parse_with(fmt::hdr_version, 2), Status::bad_version);
  EXPECT_EQ(parse_with(fmt::hdr_header_size, 128), Status::bad_header);
  EXPECT_EQ(parse_with(fmt::hdr_flags, 0x80000000u), Status::unsupported_feature);
  EXPECT_EQ(parse_with(fmt::hdr_dim_z, 0), Status::bad_header);
  EXPECT_EQ(parse_with(fmt::hdr_tensor_count, 0), Status::bad_header);
  EXPECT_EQ(parse_with(fmt::hdr_reserved, 1), Status::bad_header);
}

TEST(RtFormat, CrcStatusAndSkippingIt) {
  uint8_t* f = fresh_copy();
  f[tt_weights_f32_size - 1] ^= 1;   // a data byte, CRC left stale
  fmt::File file;
  EXPECT_EQ(fmt::parse(f, tt_weights_f32_size, &file, true, nullptr), Status::bad_crc);
  EXPECT_EQ(fmt::parse(f, tt_weights_f32_size, &file, false, nullptr), Status::ok);
}

TEST(RtFormat, RecordStatuses) {
  EXPECT_EQ(parse_with(rec0 + fmt::rec_dtype, 3), Status::bad_dtype);
  EXPECT_EQ(parse_with(rec0 + fmt::rec_rank, 3), Status::bad_shape);
  EXPECT_EQ(parse_with(rec0 + fmt::rec_size, 4), Status::bad_size);
  EXPECT_EQ(parse_with(rec0 + fmt::rec_offset,
                       fmt::load_u32(tt_weights_f32 + rec0 + fmt::rec_offset) + 4),
            Status::bad_alignment);
  EXPECT_EQ(parse_with(rec0 + fmt::rec_offset, 0xffffffc0u), Status::bad_offset);
  EXPECT_EQ(parse_with(rec0 + fmt::record_size + fmt::rec_offset,
                       fmt::load_u32(tt_weights_f32 + rec0 + fmt::rec_offset)),
            Status::overlap);
  EXPECT_EQ(parse_with(rec0 + fmt::rec_reserved, 1), Status::bad_header);
  uint8_t* f = fresh_copy();
  f[rec0] = 'E';   // an uppercase name
  recrc(f, tt_weights_f32_size);
  EXPECT_EQ(parse(f, tt_weights_f32_size), Status::bad_name);
  f = fresh_copy();
  memcpy(f + rec0 + fmt::record_size, f + rec0, fmt::name_capacity);
  recrc(f, tt_weights_f32_size);
  EXPECT_EQ(parse(f, tt_weights_f32_size), Status::duplicate_tensor);
}

TEST(RtFormat, MisalignedBytesAndDiagText) {
  // A file one byte off its alignment: the parser refuses before reading further.
  memcpy(g_copy + 1, tt_weights_f32, tt_weights_f32_size);
  fmt::File file;
  fmt::Diag diag;
  EXPECT_EQ(fmt::parse(g_copy + 1, tt_weights_f32_size, &file, true, &diag), Status::misaligned);
  EXPECT_NE(diag.text[0], '\0');
  EXPECT_EQ(fmt::parse(nullptr, tt_weights_f32_size, &file, true, nullptr), Status::null_argument);
  const char* name = vae_rt::status_str(Status::bad_crc);
  EXPECT_TRUE(name != nullptr && name[0] != '\0');
}
