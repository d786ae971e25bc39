// make_seeds - write the seed corpora of the fuzz targets: small valid files made by the
// project's own writers, and the corrupt-file matrix made from them.
//
//   make_seeds OUT_DIR     -> OUT_DIR/{format,weights,checkpoint,idx,latent,prior}/<name>
//
// Names say what the replay (replay_main.cpp) must see: "valid-*" files are accepted, "bad-*"
// files rejected. The model is a 4-3-2 Vae (a full weight file of 1,344 bytes, a checkpoint
// under 1 KB), so that libFuzzer's -max_len stays small and executions fast while the seeds are
// real files. Corruptions other than the CRC's own are re-CRC'd, so that the check they aim at
// (not the CRC) is what must reject them. Deterministic: the same bytes on every run. Generated,
// never committed (the committed regression corpus is fuzz/corpus/).
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "vae/checkpoint.hpp"
#include "vae/error.hpp"
#include "vae/files/atomic_file.hpp"
#include "vae/gmm.hpp"
#include "vae/idx.hpp"
#include "vae/vae.hpp"
#include "vae/weights.hpp"
#include "vae_rt/crc32.h"
#include "vae_rt/format.h"

namespace {

namespace fs = std::filesystem;
namespace fmt = vae_rt::format;
using Bytes = std::vector<std::uint8_t>;
using Tiny = vae::Vae<4, 3, 2>;

struct Writer {
  fs::path dir;
  int count = 0;
  void operator()(const std::string& name, const Bytes& bytes) {
    vae::write_file_atomic((dir / name).string(), bytes);
    ++count;
  }
};

// --- weight files -----------------------------------------------------------------------------
void recrc_weights(Bytes& f) {
  if (f.size() >= fmt::header_size) fmt::store_u32(f.data() + fmt::hdr_crc32, fmt::file_crc32(f.data(), f.size()));
}
std::uint8_t* record(Bytes& f, std::uint32_t i) {
  return f.data() + fmt::header_size + i * fmt::record_size;
}
// The record of tensor `name` (it must exist).
std::uint8_t* record_named(Bytes& f, const char* name) {
  const std::uint32_t n = fmt::load_u32(f.data() + fmt::hdr_tensor_count);
  for (std::uint32_t i = 0; i < n; ++i) {
    if (std::strcmp(reinterpret_cast<const char*>(record(f, i)), name) == 0) return record(f, i);
  }
  throw vae::Error(std::string("make_seeds: no tensor ") + name);
}
// Make tensor `name` int8 in place: dtype 2, a quarter of its float32 size (still in bounds).
void make_int8(Bytes& g, const char* name) {
  std::uint8_t* r = record_named(g, name);
  fmt::store_u32(r + fmt::rec_dtype, static_cast<std::uint32_t>(fmt::Dtype::int8));
  fmt::store_u32(r + fmt::rec_size, fmt::load_u32(r + fmt::rec_size) / 4);
}

// A copy of f with `edit` applied and the CRC recomputed.
Bytes edited(const Bytes& f, const std::function<void(Bytes&)>& edit) {
  Bytes g = f;
  edit(g);
  recrc_weights(g);
  return g;
}

void weight_seeds(Tiny& model, Writer& out) {
  const Bytes full = vae::serialize_weights(vae::weights_from_model(model));
  const Bytes noted = vae::serialize_weights(
      vae::weights_from_model(model, {false, false, "vae_train --epochs 1 (a note)"}));
  const Bytes dec = vae::serialize_weights(vae::weights_from_model(model, {false, true, ""}));
  const Bytes q8 = vae::serialize_weights(vae::weights_from_model(model, {true, false, ""}));
  const Bytes dec8 = vae::serialize_weights(vae::weights_from_model(model, {true, true, "int8"}));
  out("valid-full-f32", full);
  out("valid-full-f32-note", noted);
  out("valid-decoder-f32", dec);
  out("valid-full-int8", q8);
  out("valid-decoder-int8", dec8);
  // Well-formed files holding a NaN and an infinite weight: vae_export --int8 must refuse them
  // (static_cast<int8_t>(NaN) was undefined behaviour, found by fuzz_weights).
  for (const float bad : {__builtin_nanf(""), -__builtin_inff()}) {
    vae::WeightsFile wf = vae::weights_from_model(model);
    std::memcpy(wf.tensors.back().data.data(), &bad, 4);           // dec_out_b[0]
    std::memcpy(wf.tensors[wf.tensors.size() - 2].data.data() + 4, &bad, 4);   // dec_out_w[0][1]
    out(bad != bad ? "valid-full-f32-nan" : "valid-full-f32-inf", vae::serialize_weights(wf));
  }

  // A 3-component mixture prior (vae_rt/prior.h), and priors prior_bind refuses.
  vae::Gmm gmm;
  gmm.K = 3;
  gmm.Z = 2;
  gmm.logits = {0.0f, -1.5f, 0.5f};
  gmm.mu = {0.5f, -0.5f, 1.0f, 2.0f, -1.0f, 0.0f};
  gmm.logvar = {-1.0f, 0.0f, 0.5f, -2.0f, 0.0f, 1.0f};
  const vae::WeightsFile with_g = vae::with_prior(vae::weights_from_model(model), gmm);
  const Bytes prior = vae::serialize_weights(with_g);
  out("valid-full-f32-prior", prior);
  out("valid-decoder-int8-prior", vae::serialize_weights(vae::quantize_int8(vae::decoder_only(with_g))));
  const auto bad_prior = [&](const std::string& name, std::vector<float> vae::Gmm::*field,
                             std::size_t i, float value) {
    vae::Gmm h = gmm;
    (h.*field)[i] = value;
    out(name, vae::serialize_weights(vae::with_prior(vae::weights_from_model(model), h)));
  };
  bad_prior("odd-prior-nan-logit", &vae::Gmm::logits, 1, __builtin_nanf(""));
  bad_prior("odd-prior-inf-mu", &vae::Gmm::mu, 3, __builtin_inff());
  bad_prior("odd-prior-logvar-81", &vae::Gmm::logvar, 5, 81.0f);
  bad_prior("odd-prior-huge-values", &vae::Gmm::mu, 0, 3.4e38f);
  out("odd-prior-without-flag", edited(prior, [](Bytes& g) {
        fmt::store_u32(g.data() + fmt::hdr_flags, fmt::load_u32(g.data() + fmt::hdr_flags) &
                                                      ~std::uint32_t{fmt::flag_mixture_prior});
      }));
  out("odd-prior-mu-renamed", edited(prior, [](Bytes& g) { record_named(g, "prior_mu")[6] = 'x'; }));
  out("odd-prior-int8-logvar", edited(prior, [](Bytes& g) {
        make_int8(g, "prior_logvar");
        fmt::store_u32(g.data() + fmt::hdr_flags, fmt::load_u32(g.data() + fmt::hdr_flags) |
                                                      fmt::flag_int8);
      }));
  out("odd-prior-flag-only", edited(full, [](Bytes& g) {
        fmt::store_u32(g.data() + fmt::hdr_flags, fmt::load_u32(g.data() + fmt::hdr_flags) |
                                                      fmt::flag_mixture_prior);
      }));

  // Files the parser accepts but a 4-3-2 model or decoder refuses (dims, missing tensors).
  out("odd-huge-dims", edited(dec, [](Bytes& g) {
        fmt::store_u32(g.data() + fmt::hdr_dim_x, 0xffffffffu);
        fmt::store_u32(g.data() + fmt::hdr_dim_h, 0xffffffffu);
      }));
  out("odd-dims-784-400-20", edited(full, [](Bytes& g) {
        fmt::store_u32(g.data() + fmt::hdr_dim_x, 784);
        fmt::store_u32(g.data() + fmt::hdr_dim_h, 400);
        fmt::store_u32(g.data() + fmt::hdr_dim_z, 20);
      }));
  out("odd-renamed-tensor", edited(dec, [](Bytes& g) { record(g, 0)[0] = 'x'; }));
  // The decoder refuses int8 biases and int8 scales (bad_dtype).
  out("odd-int8-bias", edited(dec8, [](Bytes& g) { make_int8(g, "dec_fc_b"); }));
  out("odd-int8-scale", edited(dec8, [](Bytes& g) { make_int8(g, "dec_out_w.scale"); }));
  out("odd-hidden2", edited(dec, [](Bytes& g) {
        fmt::store_u32(g.data() + fmt::hdr_flags, fmt::load_u32(g.data() + fmt::hdr_flags) |
                                                      fmt::flag_dec_hidden2);
        fmt::store_u32(g.data() + fmt::hdr_dim_h2, 3);
      }));

  // The corrupt-file matrix: each must be rejected.
  for (std::size_t cut : {std::size_t{0}, std::size_t{3}, std::size_t{63}, std::size_t{64},
                          std::size_t{127}, full.size() - 1}) {
    out("bad-truncated-" + std::to_string(cut), Bytes(full.begin(), full.begin() + static_cast<long>(cut)));
  }
  Bytes trailing = full;
  trailing.push_back(0);
  out("bad-trailing-byte", trailing);
  out("bad-crc", [&] {
    Bytes g = full;
    g.back() ^= 1;
    return g;
  }());
  out("bad-crc-header", [&] {
    Bytes g = full;
    g[fmt::hdr_crc32] ^= 0x80;
    return g;
  }());
  const auto set = [&](const std::string& name, const Bytes& base, std::uint32_t offset,
                       std::uint32_t value) {
    out(name, edited(base, [&](Bytes& g) { fmt::store_u32(g.data() + offset, value); }));
  };
  out("bad-magic", edited(full, [](Bytes& g) { g[0] = 'X'; }));
  set("bad-version-2", full, fmt::hdr_version, 2);
  set("bad-header-size", full, fmt::hdr_header_size, 128);
  set("bad-file-size", full, fmt::hdr_file_size, static_cast<std::uint32_t>(full.size() + 64));
  set("bad-unknown-flag", full, fmt::hdr_flags, fmt::flag_encoder | 0x80000000u);
  set("bad-int8-flag-without-int8", full, fmt::hdr_flags, fmt::flag_encoder | fmt::flag_int8);
  set("bad-int8-without-flag", q8, fmt::hdr_flags, fmt::flag_encoder);
  set("bad-h2-without-flag", full, fmt::hdr_dim_h2, 7);
  set("bad-zero-dim", full, fmt::hdr_dim_z, 0);
  set("bad-tensor-count-0", full, fmt::hdr_tensor_count, 0);
  set("bad-tensor-count-257", full, fmt::hdr_tensor_count, fmt::max_tensors + 1);
  set("bad-tensor-count-past-end", dec, fmt::hdr_tensor_count, 100);
  set("bad-table-offset", full, fmt::hdr_table_offset, 128);
  set("bad-note-offset-in-table", noted, fmt::hdr_note_offset, fmt::header_size);
  set("bad-note-size-past-end", noted, fmt::hdr_note_size, 0xfffffff0u);
  set("bad-note-offset-without-size", full, fmt::hdr_note_offset, 704);
  set("bad-header-reserved", full, fmt::hdr_reserved + 4, 1);
  const std::uint32_t r0 = fmt::header_size, r1 = fmt::header_size + fmt::record_size;
  out("bad-name-empty", edited(full, [](Bytes& g) { std::memset(record(g, 0), 0, 32); }));
  out("bad-name-uppercase", edited(full, [](Bytes& g) { record(g, 0)[0] = 'E'; }));
  out("bad-name-unterminated", edited(full, [](Bytes& g) { std::memset(record(g, 0), 'a', 32); }));
  out("bad-name-junk-after-nul", edited(full, [](Bytes& g) { record(g, 0)[30] = 'a'; }));
  out("bad-name-duplicate", edited(full, [](Bytes& g) { std::memcpy(record(g, 1), record(g, 0), 32); }));
  set("bad-dtype-0", full, r0 + fmt::rec_dtype, 0);
  set("bad-dtype-3", full, r0 + fmt::rec_dtype, 3);
  set("bad-rank-3", full, r0 + fmt::rec_rank, 3);
  set("bad-rank-1-two-columns", full, r1 + fmt::rec_dim1, 2);
  set("bad-dim0-zero", full, r0 + fmt::rec_dim0, 0);
  out("bad-dims-overflow", edited(full, [&](Bytes& g) {
        fmt::store_u32(g.data() + r0 + fmt::rec_dim0, 0x40000000u);
        fmt::store_u32(g.data() + r0 + fmt::rec_dim1, 0x40000000u);
      }));
  set("bad-size", full, r0 + fmt::rec_size, 4);
  set("bad-offset-misaligned", full, r0 + fmt::rec_offset, fmt::load_u32(full.data() + r0 + fmt::rec_offset) + 4);
  set("bad-offset-in-table", full, r0 + fmt::rec_offset, fmt::header_size);
  set("bad-offset-past-end", full, r0 + fmt::rec_offset, 0xffffffc0u);
  set("bad-overlap", full, r1 + fmt::rec_offset, fmt::load_u32(full.data() + r0 + fmt::rec_offset));
  set("bad-overlap-note", noted, r0 + fmt::rec_offset,
      fmt::load_u32(noted.data() + fmt::hdr_note_offset) & ~63u);
  set("bad-record-reserved", full, r0 + fmt::rec_reserved, 1);
}


// --- the mixture prior (fuzz_prior): "valid-" = prior_bind(dim_z) accepts ---------------------
void prior_seeds(Tiny& model, Writer& out) {
  vae::Gmm gmm;
  gmm.K = 3;
  gmm.Z = 2;
  gmm.logits = {0.0f, -1.5f, 0.5f};
  gmm.mu = {0.5f, -0.5f, 1.0f, 2.0f, -1.0f, 0.0f};
  gmm.logvar = {-1.0f, 0.0f, 0.5f, -2.0f, 0.0f, 1.0f};
  const auto with = [&](const vae::Gmm& g) {
    return vae::serialize_weights(vae::with_prior(vae::weights_from_model(model), g));
  };
  const Bytes prior = with(gmm);
  out("valid-full-f32-prior", prior);
  out("valid-decoder-int8-prior",
      vae::serialize_weights(vae::quantize_int8(vae::decoder_only(vae::with_prior(vae::weights_from_model(model), gmm)))));
  vae::Gmm one = gmm;                       // one component: every u picks it
  one.K = 1;
  one.logits = {2.0f};
  one.mu.resize(2);
  one.logvar.resize(2);
  out("valid-prior-one-component", with(one));
  vae::Gmm edge = gmm;                      // at the limits: logvar +-80, a weight underflowing to 0
  edge.logits = {0.0f, -200.0f, 87.0f};
  edge.logvar = {80.0f, -80.0f, 0.0f, 79.5f, -80.0f, 80.0f};
  out("valid-prior-at-the-limits", with(edge));
  const auto bad = [&](const std::string& name, std::vector<float> vae::Gmm::*field,
                       std::size_t i, float value) {
    vae::Gmm h = gmm;
    (h.*field)[i] = value;
    out(name, with(h));
  };
  bad("bad-prior-nan-logit", &vae::Gmm::logits, 1, __builtin_nanf(""));
  bad("bad-prior-inf-mu", &vae::Gmm::mu, 3, __builtin_inff());
  bad("bad-prior-logvar-81", &vae::Gmm::logvar, 5, 81.0f);
  bad("bad-prior-logvar-nan", &vae::Gmm::logvar, 0, __builtin_nanf(""));
  out("odd-prior-huge-mean", with([&] {
        vae::Gmm h = gmm;
        h.mu[0] = 3.4e38f;
        return h;
      }()));
  out("bad-no-prior", vae::serialize_weights(vae::weights_from_model(model)));
  out("bad-prior-without-flag", edited(prior, [](Bytes& g) {
        fmt::store_u32(g.data() + fmt::hdr_flags, fmt::load_u32(g.data() + fmt::hdr_flags) &
                                                      ~std::uint32_t{fmt::flag_mixture_prior});
      }));
  out("bad-prior-mu-renamed", edited(prior, [](Bytes& g) { record_named(g, "prior_mu")[6] = 'x'; }));
  out("bad-prior-int8-logvar", edited(prior, [](Bytes& g) {
        make_int8(g, "prior_logvar");
        fmt::store_u32(g.data() + fmt::hdr_flags, fmt::load_u32(g.data() + fmt::hdr_flags) |
                                                      fmt::flag_int8);
      }));
  out("bad-prior-flag-only", edited(vae::serialize_weights(vae::weights_from_model(model)), [](Bytes& g) {
        fmt::store_u32(g.data() + fmt::hdr_flags, fmt::load_u32(g.data() + fmt::hdr_flags) |
                                                      fmt::flag_mixture_prior);
      }));
  out("bad-prior-logits-rank-2", edited(prior, [](Bytes& g) {
        fmt::store_u32(record_named(g, "prior_logits") + fmt::rec_rank, 2);
      }));
  out("bad-prior-for-latent-1", edited(prior, [](Bytes& g) {
        fmt::store_u32(g.data() + fmt::hdr_dim_z, 1);   // the prior's (K, 2) no longer fits
      }));
}

// --- checkpoints ------------------------------------------------------------------------------
void recrc_checkpoint(Bytes& f) {
  const std::uint32_t crc = vae_rt::crc32(f.data(), f.size() - 4);
  std::memcpy(f.data() + f.size() - 4, &crc, 4);
}
template <class T>
Bytes ck_set(const Bytes& f, std::size_t offset, T value) {
  Bytes g = f;
  std::memcpy(g.data() + offset, &value, sizeof value);
  recrc_checkpoint(g);
  return g;
}

void checkpoint_seeds(Tiny& model, Writer& out) {
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 7, 1);
  model.adam_t = 938;
  for (std::size_t i = 0; i < Tiny::num_params; ++i) {
    model.adam_m[i] = 0.001f * static_cast<float>(i);
    model.adam_v[i] = 1e-6f * static_cast<float>(i);
  }
  const Bytes fresh = vae::serialize_checkpoint(vae::capture_checkpoint(model, 0, rng, {}, ""));
  std::vector<vae::EpochRecord> history(2);
  history[0] = {1, 120.5, 100.25, 20.25, 110.0, 91.0, 19.0, 3.5};
  history[1] = {2, 108.0, 88.0, 20.0, 105.0, 86.0, 19.0, 3.25};
  const Bytes later = vae::serialize_checkpoint(vae::capture_checkpoint(
      model, 2, rng, history, R"({"mode":"vae","epochs":2,"batch":128,"lr":0.001,"seed":1})"));
  out("valid-epoch-0", fresh);
  out("valid-epoch-2", later);

  for (std::size_t cut : {std::size_t{0}, std::size_t{7}, std::size_t{8}, std::size_t{95},
                          std::size_t{96}, later.size() - 1}) {
    out("bad-truncated-" + std::to_string(cut), Bytes(later.begin(), later.begin() + static_cast<long>(cut)));
  }
  Bytes trailing = later;
  trailing.push_back(0);
  recrc_checkpoint(trailing);
  out("bad-trailing-byte", trailing);
  out("bad-crc", [&] {
    Bytes g = later;
    g[200] ^= 1;
    return g;
  }());
  out("bad-magic", [&] {
    Bytes g = later;
    g[0] = 'X';
    recrc_checkpoint(g);
    return g;
  }());
  out("bad-version-2", ck_set<std::uint32_t>(later, 8, 2));
  out("bad-header-bytes", ck_set<std::uint32_t>(later, 12, 95));
  out("bad-history-cols", ck_set<std::uint32_t>(later, 68, 7));
  out("bad-file-bytes", ck_set<std::uint64_t>(later, 80, later.size() + 1));
  out("bad-num-params-huge", ck_set<std::uint64_t>(later, 32, std::uint64_t{1} << 62));
  out("bad-num-params-off-by-one", ck_set<std::uint64_t>(later, 32, Tiny::num_params + 1));
  out("bad-history-rows", ck_set<std::uint32_t>(later, 64, 3));
  out("bad-epochs-vs-rows", ck_set<std::uint32_t>(later, 28, 3));
  out("bad-settings-huge", ck_set<std::uint64_t>(later, 72, ~std::uint64_t{0}));
  out("bad-rng-even-increment", ck_set<std::uint64_t>(later, 56, 2));
  out("bad-adam-t-negative", ck_set<std::int64_t>(later, 40, -1));
  // Accepted by the parser, refused by restore_checkpoint into the 4-3-2 model.
  out("odd-dims-784-400-20", ck_set<std::uint32_t>(later, 20, 400));
}

// --- IDX --------------------------------------------------------------------------------------
void be32(Bytes& f, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) f.push_back(static_cast<std::uint8_t>(v >> s));
}
Bytes idx(std::uint32_t magic, std::initializer_list<std::uint32_t> dims, std::size_t data_bytes) {
  Bytes f;
  be32(f, magic);
  for (std::uint32_t d : dims) be32(f, d);
  for (std::size_t i = 0; i < data_bytes; ++i) f.push_back(static_cast<std::uint8_t>(i * 37 + 11));
  return f;
}

void idx_seeds(Writer& out) {
  const std::uint32_t im = vae::idx_images_magic, lb = vae::idx_labels_magic;
  out("valid-images-3x2x2", idx(im, {3, 2, 2}, 12));
  out("valid-images-1x28x28", idx(im, {1, 28, 28}, 784));
  out("valid-images-0x28x28", idx(im, {0, 28, 28}, 0));
  out("valid-labels-5", idx(lb, {5}, 5));
  out("valid-labels-0", idx(lb, {0}, 0));
  out("bad-empty", {});
  out("bad-gzip", Bytes{0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0});
  out("bad-3-bytes", Bytes{0, 0, 8});
  out("bad-magic", idx(0x00000804, {3, 2, 2}, 12));
  out("bad-magic-floats", idx(0x00000d03, {3, 2, 2}, 48));
  out("bad-images-short-header", idx(im, {3}, 0));
  out("bad-labels-short-header", Bytes{0, 0, 8, 1, 0, 0});
  out("bad-zero-rows", idx(im, {3, 0, 2}, 0));
  out("bad-zero-cols", idx(im, {3, 2, 0}, 0));
  out("bad-dims-overflow", idx(im, {0xffffffffu, 0xffffffffu, 0xffffffffu}, 4));
  out("bad-dims-huge", idx(im, {0xffffffffu, 28, 28}, 784));
  out("bad-images-truncated", idx(im, {3, 2, 2}, 11));
  out("bad-images-trailing", idx(im, {3, 2, 2}, 13));
  out("bad-labels-truncated", idx(lb, {5}, 4));
  out("bad-labels-trailing", idx(lb, {5}, 6));
}

// --- --latent files ---------------------------------------------------------------------------
Bytes floats(const std::vector<float>& v) {
  Bytes f(v.size() * 4);
  std::memcpy(f.data(), v.data(), f.size());
  return f;
}

void latent_seeds(Writer& out) {
  std::vector<float> z20(60);
  for (std::size_t i = 0; i < z20.size(); ++i) z20[i] = static_cast<float>(i % 7) * 0.5f - 1.5f;
  out("valid-z2-one", floats({0.25f, -1.0f}));
  out("valid-z20-three", floats(z20));
  out("valid-z2-extremes", floats({3.4e38f, -3.4e38f, 1e-45f, -0.0f}));
  out("bad-empty", {});
  out("bad-4-bytes", floats({1.0f}));
  out("bad-12-bytes", floats({1.0f, 2.0f, 3.0f}));
  out("bad-9-bytes", Bytes(9, 0));
  out("bad-nan", floats({0.0f, __builtin_nanf("")}));
  out("bad-inf", floats({__builtin_inff(), 0.0f}));
  out("bad-minus-inf-in-row-2", floats({0.0f, 0.0f, 1.0f, -__builtin_inff()}));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds OUT_DIR\n");
    return 2;
  }
  try {
    const fs::path root = argv[1];
    Tiny model(1);
    vae_rt::Rng rng;
    vae_rt::rng_seed(&rng, 1, 0);
    model.init_params(rng);
    int total = 0;
    const auto run = [&](const char* target, const std::function<void(Writer&)>& make) {
      Writer w{root / target};
      fs::remove_all(w.dir);   // stale seeds from an older generator must not linger
      fs::create_directories(w.dir);
      make(w);
      total += w.count;
    };
    run("format", [&](Writer& w) { weight_seeds(model, w); });
    run("weights", [&](Writer& w) { weight_seeds(model, w); });
    run("checkpoint", [&](Writer& w) { checkpoint_seeds(model, w); });
    run("idx", [&](Writer& w) { idx_seeds(w); });
    run("latent", [&](Writer& w) { latent_seeds(w); });
    run("prior", [&](Writer& w) { prior_seeds(model, w); });
    std::printf("make_seeds: %d files in %s/{format,weights,checkpoint,idx,latent,prior}\n", total,
                root.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_seeds: %s\n", e.what());
    return 1;
  }
}
