// decoder.cpp - binding a weight file to the freestanding decoder (vae_rt/decoder.h) and the
// two-layer forward pass. Only pointers into the caller's bytes and arena; no heap, no copies.
#include "vae_rt/decoder.h"

#include "text.h"

namespace vae_rt {
namespace {

using detail::Text;
namespace fmt = format;

struct Msg {
  char scratch[4];
  Text t;
  explicit Msg(fmt::Diag* d) : t(d ? d->text : scratch, d ? sizeof d->text : sizeof scratch) {}
};

// "<name>_w" (rows, cols) float32 or int8 (+ "<name>_w.scale" (rows) float32) and "<name>_b"
// (rows) float32, for layer `name` ("dec_fc"), into view.
Status bind_dense(const fmt::File& file, const char* name, uint32_t rows, uint32_t cols,
                  DenseView* view, Text& t) {
  char wname[fmt::name_capacity], bname[fmt::name_capacity], sname[fmt::name_capacity];
  Text(wname, sizeof wname).s(name).s("_w");
  Text(bname, sizeof bname).s(name).s("_b");
  Text(sname, sizeof sname).s(name).s("_w").s(fmt::scale_suffix);
  fmt::Tensor w, b;
  if (fmt::find_tensor(file, wname, &w) != Status::ok) {
    t.s("tensor ").s(wname).s(" is missing");
    return Status::missing_tensor;
  }
  if (fmt::find_tensor(file, bname, &b) != Status::ok) {
    t.s("tensor ").s(bname).s(" is missing");
    return Status::missing_tensor;
  }
  if (w.rank != 2 || w.dim0 != rows || w.dim1 != cols) {
    t.s("tensor ").s(wname).s(" has shape (").u(w.dim0).s(", ").u(w.dim1)
        .s("); the decoder needs (").u(rows).s(", ").u(cols).s(")");
    return Status::bad_shape;
  }
  if (b.rank != 1 || b.dim0 != rows) {
    t.s("tensor ").s(bname).s(" has shape (").u(b.dim0).s(", ").u(b.dim1)
        .s("); the decoder needs (").u(rows).s(")");
    return Status::bad_shape;
  }
  if (b.dtype != fmt::Dtype::float32) {
    t.s("tensor ").s(bname).s(" is ").s(fmt::dtype_name(b.dtype)).s("; biases must be float32");
    return Status::bad_dtype;
  }
  DenseView v;
  v.dtype = w.dtype;
  v.rows = rows;
  v.cols = cols;
  v.b = reinterpret_cast<const float*>(b.data);
  if (w.dtype == fmt::Dtype::float32) {
    v.w = reinterpret_cast<const float*>(w.data);
  } else {
    fmt::Tensor s;
    if (fmt::find_tensor(file, sname, &s) != Status::ok) {
      t.s("int8 tensor ").s(wname).s(" has no scales: tensor ").s(sname).s(" is missing");
      return Status::missing_tensor;
    }
    if (s.dtype != fmt::Dtype::float32) {
      t.s("tensor ").s(sname).s(" is ").s(fmt::dtype_name(s.dtype)).s("; scales must be float32");
      return Status::bad_dtype;
    }
    if (s.rank != 1 || s.dim0 != rows) {
      t.s("tensor ").s(sname).s(" has shape (").u(s.dim0).s(", ").u(s.dim1)
          .s("); the decoder needs (").u(rows).s(")");
      return Status::bad_shape;
    }
    v.q = reinterpret_cast<const int8_t*>(w.data);
    v.scale = reinterpret_cast<const float*>(s.data);
  }
  *view = v;
  return Status::ok;
}

void check_ready(const DecoderCore& core) {
  if (!core.ready) fatal("vae_rt::Decoder used before a successful init()");
}

}  // namespace

Status decoder_init(DecoderCore* core, size_t z, size_t h, size_t d, size_t batch,
                    const void* weights, size_t weights_size, void* arena, size_t arena_size,
                    fmt::Diag* diag, bool verify_crc) {
  if (!core) return Status::null_argument;
  core->ready = false;
  Msg m(diag);
  Text& t = m.t;
  if (!weights || !arena) {
    t.s(!weights ? "weights" : "arena").s(" pointer is null");
    return Status::null_argument;
  }
  if (batch == 0) batch = 1;
  const size_t need = decoder_arena_bytes(z, h, batch);
  if (reinterpret_cast<uintptr_t>(arena) % 16 != 0) {
    t.s("arena is not 16-byte aligned (declare it alignas(16))");
    return Status::misaligned;
  }
  if (arena_size < need) {
    t.s("arena has ").u(arena_size).s(" bytes; the decoder needs ").u(need).s(" (short by ")
        .u(need - arena_size).s(")");
    return Status::arena_too_small;
  }
  fmt::File file;
  const Status ps = fmt::parse(weights, weights_size, &file, verify_crc, diag);
  if (ps != Status::ok) return ps;
  const fmt::Header& hd = file.header;
  if (hd.dim_z != z || hd.dim_h != h || hd.dim_x != d) {
    t.s("file has dims D ").u(hd.dim_x).s(", H ").u(hd.dim_h).s(", Z ").u(hd.dim_z)
        .s("; this runtime was built for D ").u(d).s(", H ").u(h).s(", Z ").u(z);
    return Status::dims_mismatch;
  }
  if (hd.flags & fmt::flag_dec_hidden2) {
    t.s("file's decoder has a second hidden layer (H2 = ").u(hd.dim_h2)
        .s("); this runtime decodes one hidden layer");
    return Status::unsupported_feature;
  }
  DenseView fc, out;
  Status s = bind_dense(file, "dec_fc", static_cast<uint32_t>(h), static_cast<uint32_t>(z), &fc, t);
  if (s != Status::ok) return s;
  s = bind_dense(file, "dec_out", static_cast<uint32_t>(d), static_cast<uint32_t>(h), &out, t);
  if (s != Status::ok) return s;
  core->file = file;
  core->fc = fc;
  core->out = out;
  core->h = static_cast<float*>(arena);
  core->z = core->h + batch * h;
  core->batch = batch;
  core->used = need;
  core->ready = true;
  return Status::ok;
}

namespace {

// Pass after pass of up to core.batch digits: layer 1 into the arena's h (m, H), then layer 2
// with the sigmoid straight into the caller's (m, D) pixels.
template <class Out, class Sigmoid>
void decode_passes(const DecoderCore& core, const float* z, size_t n, Out* out, Sigmoid sigmoid) {
  check_ready(core);
  const size_t zs = core.fc.cols, ds = core.out.rows;
  for (size_t i = 0; i < n; i += core.batch) {
    const size_t m = n - i < core.batch ? n - i : core.batch;
    dense_batch(core.h, core.fc, z + i * zs, m, true);
    sigmoid(out + i * ds, core.out, core.h, m);
  }
}

}  // namespace

void decoder_decode_batch(const DecoderCore& core, const float* z, size_t n, float* out) {
  decode_passes(core, z, n, out, dense_sigmoid_batch_f32);
}

void decoder_decode_batch_u8(const DecoderCore& core, const float* z, size_t n, uint8_t* out) {
  decode_passes(core, z, n, out, dense_sigmoid_batch_u8);
}

const char* decoder_dtype_name(const DecoderCore& core) {
  if (!core.ready) return "none";
  if (core.fc.dtype != core.out.dtype) return "mixed";
  return fmt::dtype_name(core.fc.dtype);
}

}  // namespace vae_rt
