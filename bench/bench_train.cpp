// bench_train.cpp - the training benchmark: 784-400-20 at batch 128, one table (and --json).
//
// For each thread count of --threads (default 1,2), in ONE process, so that every figure of a
// column comes from the same machine state:
//
//   ceiling  OpenBLAS sgemm GFLOP/s on exactly the 14 products of one training step (shapes,
//            transposes and beta as vae/vae.hpp issues them), each called through vae::sgemm:
//            OpenBLAS itself stays single-threaded and our pool splits the product, as in
//            training. Each product is repeated on hot operands, once before the epochs and
//            once after; the ceiling is the step's GEMM FLOPs over the sum of the products'
//            median times, each product's the faster of its two (the harder floor).
//   step     Vae::train_step on a batch of 128 images staged outside the timed region.
//   split    the step's phases as separate calls (noise, encode, reparameterize + KL value,
//            decode to logits, sigmoid + loss, backward, Adam), as Vae::train_step_given_eps
//            makes them; with the latent block fused (Vae::fuse_latent, vae/latent.hpp) the
//            three forward phases are enc_fc, the block (heads, z + KL, dec_fc: its products
//            included) and dec_out. The elementwise work around the products runs inside the
//            products' pool tasks (issue 19: bias + ReLU, ReLU' + bias gradients), so it shows
//            only as a pass's time beyond its products'.
//            The GEMM time inside the passes: in each timed step, between the backward pass and
//            Adam, the same 14 products are called alone on that step's own operands (C to
//            scratch) and timed, issued as the step issues them: the latent heads' small products
//            and dec_out's dW and d_h two at a time in one dispatch (vae::sgemm_each,
//            vae::sgemm_sum), each pair timed as one and its time shared by its two products in
//            proportion to their FLOPs (equal); with the latent block fused, its six products are
//            timed here all the same but belong to no phase's GEMM time;
//            "elementwise" is a pass's median time minus the median times of its products (the
//            ceiling above still times every product alone, through vae::sgemm). Timing them in
//            the same loop as the phases keeps both under the same machine load; the products'
//            operands are then a little colder than inside the passes, so small elementwise
//            figures (< 0.1 ms) are within the method's error.
//   Adam     against its memory-bandwidth bound in the same loop: adam_stream_bound reads
//            and writes exactly Adam's bytes (p, g, m, v in; p, m, v out) over the same arena
//            arrays, split across the same pool; before Adam in even reps, after it in odd ones,
//            so that neither always finds the arrays warmer.
//   FLOPs    each product's MFLOP as executed (executed_flops below: 2 M N K for a dense product;
//            a product that skips work, such as a sparse enc_fc, reports what it ran), summed
//            over the epoch's steps; the floor is that epoch of FLOPs at the ceiling, next to the
//            dense floor (every product dense) that issue 19 compares the epoch with.
//   epoch    Trainer::train_epoch over the 60,000 training images: the shuffle, 469 batch
//            stagings (uint8 -> float) and 469 steps. The share of the ceiling is
//            (GEMM FLOPs per step x steps) / epoch time / ceiling.
//   late     with --resume CKPT (a vae_train checkpoint, e.g. reports/ae/checkpoint.vaeckpt after
//            the 50-epoch autoencoder run): step, split and epoch again from that state, with the
//            checkpoint's own loss (MSE, beta 0 for the autoencoder). Late in autoencoder training
//            subnormal floats appear; the library sets flush-to-zero and denormals-are-zero
//            (vae::set_flush_denormals), and the table reports the mode and how many subnormal
//            values the model's buffers hold after the timed steps. --no-ftz leaves the mode off.
//
// Kernels: --sparse-kernels and --latent-kernels lower the instruction set of the first layer's
// and the latent block's SIMD kernels (avx2 for both, with OPENBLAS_CORETYPE=Haswell: an AVX2 CPU,
// as closely as an AVX-512 one can stand in for it); --latent-kernels none runs the latent block
// as the layers' sgemm calls.
//
// Cold caches (--cold-caches): before every timed step and every rep of the split, a buffer of
// twice the last-level cache is written across the pool's threads, so the step starts with its
// parameters, Adam state and activations in DRAM. This shared host has phases in which the step
// runs 40-60% slower while the ceiling hardly moves (docs/performance.md, session 12): the
// neighbours evict the step's ~13 MB from the shared L3 between its touches. The flag makes such a
// phase on demand. The epochs and the ceiling stay warm (only their steps' own data are evicted).
//
// Statistics: every time is the MEDIAN of its repetitions (the epoch also shows the best), after
// warm-up: 10 calls before each timed product or step loop, and the step loops run before the
// epochs in the same process. The fresh state is seed 1's initialization (vae_train's default).
// Not measured here: the clean-build time (docs/performance.md has the command) and generation
// (bench_generate).
//
// First layer (issue 19, vae/sparse.hpp): --first-layer automatic|dense|packed|sparse sets the path
// of every trainer here (automatic: by the data's density, as the library does); after the table,
// and alone with --first-layer-only, enc_fc's two products that read x are timed by each path on
// the same batches (time_first_layer); --first-layer-only also times epochs of the three paths,
// alternating in one process (print_first_layer_epochs).
//
// Latent block (vae/latent.hpp): --latent-only times its three dispatches alone, fused with each
// set of kernels the CPU has and as the layers' own calls, alternating on the same batches.
//
// Modes other than the table: --epoch-only times epochs only; --serve is the persistent mode of
// bench/compare_pytorch.py: one model, commands on stdin, one JSON line per command on stdout:
//   warm N   N training steps (untimed)             -> {"warm":N}
//   epoch    one timed Trainer::train_epoch         -> {"epoch":E,"seconds":S,"loss":L}
//   quit     (or end of input) exits 0
// It first prints {"ready":true,...}. The timed region of "epoch" is train_epoch alone: the data
// are in memory (uint8, as the trainer keeps them) before the command arrives.
#include <CLI/CLI.hpp>
#include <cblas.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "vae/blas.hpp"
#include "vae/checkpoint.hpp"
#include "vae/error.hpp"
#include "vae/idx.hpp"
#include "vae/latent.hpp"
#include "vae/parallel.hpp"
#include "vae/sparse.hpp"
#include "vae/trainer.hpp"
#include "vae/vae.hpp"

namespace {

using Model = vae::Vae784_400_20;
constexpr std::size_t D = Model::dim_x, H = Model::dim_h, Z = Model::dim_z;
constexpr std::size_t batch = 128;


using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Runs f and appends its time (s) to v.
template <class F>
void time_into(std::vector<double>& v, F&& f) {
  const auto t0 = Clock::now();
  f();
  v.push_back(seconds_since(t0));
}
double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}
double min_of(const std::vector<double>& v) { return v.empty() ? 0.0 : *std::min_element(v.begin(), v.end()); }

// --- the products of one step, as vae/vae.hpp issues them -------------------------------------
enum class Phase { encode, decode, backward };
// How the step issues a product: alone (vae::sgemm), or with the next one of the same group in one
// dispatch, side by side (vae::sgemm_each) or added into one C (vae::sgemm_sum).
enum class Issue { alone, each, sum };
struct Gemm {
  const char* name;
  Phase phase;
  vae::Trans ta, tb;
  std::size_t M, N, K;
  float beta;
  Issue issue = Issue::alone;
  int group = 0;   // products of one group (> 0) are issued together
  // One of the latent block's small products (the heads, dec_fc): with Vae::fuse_latent the step
  // runs them in the block's fused kernels (vae/latent.hpp), not through sgemm.
  bool latent = false;
  double flops() const { return 2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K); }
};
std::vector<Gemm> step_gemms(std::size_t B) {
  using vae::Trans;
  return {
      {"enc_fc     fwd  x W^T", Phase::encode, Trans::no, Trans::yes, B, H, D, 1.0f},
      {"enc_mu     fwd  h W^T", Phase::encode, Trans::no, Trans::yes, B, Z, H, 1.0f, Issue::each, 1, true},
      {"enc_logvar fwd  h W^T", Phase::encode, Trans::no, Trans::yes, B, Z, H, 1.0f, Issue::each, 1, true},
      {"dec_fc     fwd  z W^T", Phase::decode, Trans::no, Trans::yes, B, H, Z, 1.0f, Issue::alone, 0, true},
      {"dec_out    fwd  h W^T", Phase::decode, Trans::no, Trans::yes, B, D, H, 1.0f},
      {"dec_out    dW   dy^T h", Phase::backward, Trans::yes, Trans::no, D, H, B, 0.0f, Issue::each, 5},
      {"dec_out    dx   dy W", Phase::backward, Trans::no, Trans::no, B, H, D, 0.0f, Issue::each, 5},
      {"dec_fc     dW   dy^T z", Phase::backward, Trans::yes, Trans::no, H, Z, B, 0.0f, Issue::each, 2, true},
      {"dec_fc     dz   dy W", Phase::backward, Trans::no, Trans::no, B, Z, H, 0.0f, Issue::each, 2, true},
      {"enc_mu     dW   dy^T h", Phase::backward, Trans::yes, Trans::no, Z, H, B, 0.0f, Issue::each, 3, true},
      {"enc_logvar dW   dy^T h", Phase::backward, Trans::yes, Trans::no, Z, H, B, 0.0f, Issue::each, 3, true},
      {"enc_mu     dh   dy W", Phase::backward, Trans::no, Trans::no, B, H, Z, 0.0f, Issue::sum, 4, true},
      {"enc_logvar dh  +dy W", Phase::backward, Trans::no, Trans::no, B, H, Z, 1.0f, Issue::sum, 4, true},
      {"enc_fc     dW   dy^T x", Phase::backward, Trans::yes, Trans::no, H, D, B, 0.0f},
  };
}
double step_gemm_flops(std::size_t B) {
  double f = 0.0;
  for (const Gemm& g : step_gemms(B)) f += g.flops();
  return f;
}
// The GEMM FLOPs of one epoch over `count` images, every product dense: full batches and the
// last, partial one. Its time at the ceiling is the dense floor.
double epoch_gemm_flops(std::size_t count) {
  return static_cast<double>(count / batch) * step_gemm_flops(batch) +
         (count % batch ? step_gemm_flops(count % batch) : 0.0);
}
// The FLOPs product `i` of step_gemms(batch) actually executes per step of a full batch.
// THE HOOK for products that skip work: a dense product runs 2 M N K; a sparse-aware enc_fc
// (issue 19's other part) returns here what its kernel ran (e.g. 2 M N K_nonzero, averaged over
// the timed steps' batches). The split prints these per product and the epoch FLOP figure and
// the executed floor are their sum, so they change with it.
// enc_fc's two products that read x (fwd x W^T, dW dy^T x) run 2 M N K_eff on the first layer's
// sparse-aware paths: K_eff = the mean non-zeros of a row (sparse) or the mean non-zero columns
// of a batch (packed), set by first_layer_work() from the training set; D on the dense path.
// The sparse dW also skips the units whose d_h column is zero (ReLU units dead for the whole
// batch): its rows are live_share of H, measured over one untimed epoch of a fresh model
// (enc_live_share below) and applied to every state, a checkpoint's too (its share differs a
// little: about half of the units stay dead from the first epoch on).
double g_enc_fc_k = static_cast<double>(D);
double g_enc_fc_live = 1.0;
double executed_flops(std::size_t i) {
  const Gemm& g = step_gemms(batch)[i];
  if (i == 0) return g.flops() * g_enc_fc_k / static_cast<double>(D);   // enc_fc fwd
  if (i + 1 == step_gemms(batch).size()) return g.flops() * g_enc_fc_k / static_cast<double>(D) * g_enc_fc_live;
  return g.flops();
}
double step_executed_flops() {
  double f = 0.0;
  for (std::size_t i = 0; i < step_gemms(batch).size(); ++i) f += executed_flops(i);
  return f;
}
// The FLOPs one epoch over `count` images executes: full batches at step_executed_flops(), the
// last, partial batch scaled by its size (every product is linear in the batch).
double epoch_executed_flops(std::size_t count) {
  const double full = static_cast<double>(count / batch) * step_executed_flops();
  return full + step_executed_flops() * static_cast<double>(count % batch) / static_cast<double>(batch);
}

struct AlignedFloats {   // a 64-byte aligned scratch buffer for the isolated products
  explicit AlignedFloats(std::size_t n) : p(static_cast<float*>(std::aligned_alloc(64, (n * 4 + 63) / 64 * 64))) {
    if (!p) throw vae::Error("out of memory for the sgemm operands");
  }
  ~AlignedFloats() { std::free(p); }
  AlignedFloats(const AlignedFloats&) = delete;
  AlignedFloats& operator=(const AlignedFloats&) = delete;
  float* p;
};

// Median seconds of each product of step_gemms(batch), on hot operands, with the pool as set.
std::vector<double> time_gemms(int reps) {
  const std::size_t n = D * D;
  AlignedFloats a(n), b(n), c(n);
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 7, 0);
  for (std::size_t i = 0; i < n; ++i) {
    a.p[i] = vae_rt::rng_uniform(&rng, -0.05f, 0.05f);
    b.p[i] = vae_rt::rng_uniform(&rng, -0.05f, 0.05f);
    c.p[i] = 0.0f;
  }
  std::vector<double> out;
  for (const Gemm& g : step_gemms(batch)) {
    const std::size_t lda = g.ta == vae::Trans::yes ? g.M : g.K;
    const std::size_t ldb = g.tb == vae::Trans::yes ? g.K : g.N;
    auto call = [&] { vae::sgemm(g.ta, g.tb, g.M, g.N, g.K, 1.0f, a.p, lda, b.p, ldb, g.beta, c.p, g.N); };
    for (int i = 0; i < 10; ++i) call();
    std::vector<double> t(static_cast<std::size_t>(reps));
    for (double& s : t) {
      const auto t0 = Clock::now();
      call();
      s = seconds_since(t0);
    }
    out.push_back(median(t));
  }
  return out;
}

// --- the model's phases -------------------------------------------------------------------
struct Phases {   // medians, seconds
  double noise = 0, encode = 0, reparam = 0, decode = 0, loss = 0, backward = 0, adam = 0;
  double adam_bound = 0;   // adam_stream_bound on the same arrays (not a phase of the step)
  double sum() const { return noise + encode + reparam + decode + loss + backward + adam; }
};

struct StateResult {
  bool measured = false;
  bool fused_latent = false;     // the step ran the latent block fused (Vae::fuse_latent)
  std::string label;             // "fresh" or "late (epoch 50)"
  vae::LossSpec loss;
  int first_epoch = 1;           // the number of the first timed epoch
  std::vector<double> step_s;    // train_step samples
  std::vector<double> stage_s;   // stage_batch samples
  Phases phases;
  std::vector<double> gemm_s;    // median per product of step_gemms(batch), alone, between steps
  std::vector<double> epoch_s;   // epoch samples
  std::size_t subnormals = 0;    // in params, grads, Adam state and activations, after the steps
  std::size_t subnormals_checked = 0;
};

struct ThreadResult {
  int threads = 1;
  std::vector<double> gemm_s;    // median per product of step_gemms(batch)
  double gemm_step_s = 0;        // their sum
  double ceiling = 0;            // GFLOP/s = step GEMM FLOPs / gemm_step_s
  double ceiling_before = 0, ceiling_after = 0;   // the same from each timing alone
  StateResult fresh, late;
};

std::size_t count_subnormals(const float* p, std::size_t n) {
  std::size_t c = 0;
  for (std::size_t i = 0; i < n; ++i) c += std::fpclassify(p[i]) == FP_SUBNORMAL;
  return c;
}
// Subnormal values in every buffer of the model; `checked` gets the number of floats scanned.
std::size_t model_subnormals(const Model& m, std::size_t& checked) {
  const std::size_t P = Model::num_params, B = batch;
  const std::pair<const float*, std::size_t> bufs[] = {
      {m.params.data(), P}, {m.grads.data(), P}, {m.adam_m.data(), P}, {m.adam_v.data(), P}, {m.x.data(), B * D}, {m.eps.data(), B * Z},
      {m.z.data(), B * Z}, {m.d_z.data(), B * Z}, {m.d_mu.data(), B * Z}, {m.d_logvar.data(), B * Z}, {m.enc.h.data(), B * H},
      {m.enc.mu.data(), B * Z}, {m.enc.logvar.data(), B * Z}, {m.enc.d_h.data(), B * H}, {m.dec.h.data(), B * H},
      {m.dec.logits.data(), B * D}, {m.dec.xhat.data(), B * D}, {m.dec.d_h.data(), B * H}, {m.dec.d_logits.data(), B * D}};
  std::size_t c = 0;
  checked = 0;
  for (const auto& [p, n] : bufs) {
    c += count_subnormals(p, n);
    checked += n;
  }
  return c;
}

// The operands A and B of each product of step_gemms(batch), in the model's own buffers, so that
// the products timed alone between steps see the step's data and cache state.
std::vector<std::pair<const float*, const float*>> step_operands(const Model& m) {
  return {{m.x.data(), m.enc.fc.w.data()},           {m.enc.h.data(), m.enc.mu_head.w.data()},     {m.enc.h.data(), m.enc.logvar_head.w.data()},
          {m.z.data(), m.dec.fc.w.data()},           {m.dec.h.data(), m.dec.out.w.data()},         {m.dec.d_logits.data(), m.dec.h.data()},
          {m.dec.d_logits.data(), m.dec.out.w.data()}, {m.dec.d_h.data(), m.z.data()},             {m.dec.d_h.data(), m.dec.fc.w.data()},
          {m.d_mu.data(), m.enc.h.data()},           {m.d_logvar.data(), m.enc.h.data()},          {m.d_mu.data(), m.enc.mu_head.w.data()},
          {m.d_logvar.data(), m.enc.logvar_head.w.data()}, {m.enc.d_h.data(), m.x.data()}};
}

// Stage batch number `k` of the training set in order (wrapping), outside any timed region.
void stage(Model& m, const vae::ImageSet& images, std::size_t k) {
  std::uint32_t idx[batch];
  for (std::size_t i = 0; i < batch; ++i) idx[i] = static_cast<std::uint32_t>((k * batch + i) % vae::image_count(images));
  vae::stage_batch(m.x.data(), images, idx, batch);
}

struct Options {
  std::vector<int> threads{1, 2};
  std::string data = std::getenv("VAE_DATA") ? std::getenv("VAE_DATA") : "data/mnist";
  bool ae = false;
  std::string resume;
  int reps = 100;
  int epochs = 3;
  bool epoch_only = false;
  bool serve = false;
  bool ftz = true;
  std::string json;
  vae::FirstLayerPath first_layer = vae::FirstLayerPath::automatic;   // --first-layer
  bool first_layer_only = false;
  bool cold_caches = false;   // --cold-caches
  bool latent_only = false;   // --latent-only
};

// --cold-caches: the L3 this CPU sees (sysfs, as lscpu reads it; 32 MiB where it says nothing:
// glibc's sysconf gave the whole host's 384 MiB here), and a buffer of twice that which evict()
// writes, split across the pool, each thread its own part.
std::size_t llc_bytes() {
  std::size_t kib = 0;
  if (std::FILE* f = std::fopen("/sys/devices/system/cpu/cpu0/cache/index3/size", "r")) {
    if (std::fscanf(f, "%zuK", &kib) != 1) kib = 0;
    std::fclose(f);
  }
  return kib > 0 ? kib << 10 : std::size_t{32} << 20;
}
struct CacheEvictor {
  std::vector<float> buf;
  explicit CacheEvictor(bool on) : buf(on ? 2 * llc_bytes() / sizeof(float) : 0, 1.0f) {}
  void evict() {
    if (buf.empty()) return;
    float* p = buf.data();
    vae::parallel_for(buf.size(), 1 << 16, [p](std::size_t, std::size_t lo, std::size_t hi) {
      for (std::size_t i = lo; i < hi; ++i) p[i] += 1.0f;
    });
    __asm__ volatile("" : : "r"(p) : "memory");   // the stores stay
  }
};

vae::FirstLayerPath g_first_layer = vae::FirstLayerPath::automatic;   // --first-layer, for every Setup

// The model and trainer of one state: fresh from seed 1, or restored from the checkpoint.
struct Setup {
  std::unique_ptr<Model> model;
  std::unique_ptr<vae::Trainer<Model>> trainer;
};
Setup make_setup(const vae::ImageSet& train, const vae::LossSpec& loss, bool ftz, const vae::Checkpoint* ck,
                 const std::string& ck_name) {
  Setup s;
  s.model = std::make_unique<Model>(batch);
  vae::TrainOptions opt;
  opt.loss = loss;
  opt.batch = batch;
  opt.flush_denormals = ftz;
  opt.first_layer = g_first_layer;
  s.trainer = std::make_unique<vae::Trainer<Model>>(*s.model, train, opt,
                                                     ck ? vae::ParamInit::keep : vae::ParamInit::from_seed);
  if (ck) {
    vae::restore_checkpoint(*ck, *s.model, ck_name);
    s.trainer->restore(static_cast<int>(ck->epochs_done), ck->rng);
  }
  return s;
}

void measure_state(StateResult& r, const vae::ImageSet& train, const Options& o, const vae::Checkpoint* ck) {
  r.measured = true;
  r.first_epoch = ck ? static_cast<int>(ck->epochs_done) + 1 : 1;
  const vae::AdamConfig adam;
  const std::size_t reps = static_cast<std::size_t>(o.reps);
  if (!o.epoch_only) {
    Setup s = make_setup(train, r.loss, o.ftz, ck, o.resume);
    Model& m = *s.model;
    vae_rt::Rng& rng = s.trainer->rng();
    std::size_t k = 0;
    for (int i = 0; i < 10; ++i) {
      stage(m, train, k++);
      m.train_step(batch, r.loss, adam, rng);
    }
    // The whole step.
    CacheEvictor cold(o.cold_caches);
    r.step_s.resize(reps);
    r.stage_s.resize(reps);
    for (std::size_t i = 0; i < reps; ++i) {
      cold.evict();
      auto t0 = Clock::now();
      stage(m, train, k++);
      r.stage_s[i] = seconds_since(t0);
      t0 = Clock::now();
      m.train_step(batch, r.loss, adam, rng);
      r.step_s[i] = seconds_since(t0);
    }
    // The phases of the same step as separate calls: the body of Vae::train_step_given_eps
    // (vae/vae.hpp), statement for statement, on the latent block's fused path or not. Keep the
    // two in step; the table prints the sum of the phases next to the whole step, so a drift
    // shows.
    std::vector<double> noise(reps), enc(reps), rep(reps), dec(reps), loss(reps), bwd(reps), adm(reps), bound(reps);
    volatile std::uint32_t zero_mask = 0;   // adam_stream_bound writes every value back unchanged
    const std::vector<Gemm> gemms = step_gemms(batch);
    const auto ops = step_operands(m);
    std::vector<std::vector<double>> gemm_t(gemms.size(), std::vector<double>(reps));
    // Room for the biggest C (D x H) and, after it, a pair's second C (dec_out's d_h: the two
    // of a pair run side by side, so their Cs must not overlap).
    AlignedFloats scratch(D * H + batch * H);
    std::fill(scratch.p, scratch.p + D * H + batch * H, 0.0f);
    for (std::size_t i = 0; i < reps; ++i) {
      cold.evict();
      stage(m, train, k++);
      const auto t0 = Clock::now();
      vae::fill_normal(rng, m.eps.data(), batch * Z);
      const auto t1 = Clock::now();
      if (m.fuse_latent) {   // enc_fc; the latent block (heads, z + KL, dec_fc); dec_out
        m.enc.forward_fc(m.x, batch);
      } else {
        m.encode(batch);
      }
      const auto t2 = Clock::now();
      if (m.fuse_latent) {
        vae::latent_forward(m.latent, batch);
      } else {
        m.reparameterize_kl(batch);
      }
      const auto t3 = Clock::now();
      if (m.fuse_latent) {
        m.dec.forward_out(batch);
      } else {
        m.dec.forward_logits(m.z, batch);
      }
      const auto t4 = Clock::now();
      vae::sigmoid_recon_loss(r.loss.recon, m.dec.xhat.data(), m.dec.d_logits.data(), m.dec.logits.data(), m.x.data(), batch * D);
      const auto t5 = Clock::now();
      m.backward(r.loss, batch);
      const auto t6 = Clock::now();
      // The step's products alone, on its operands (C goes to scratch), where the step has
      // them: after the backward pass, before Adam sweeps its 10 MB through the caches.
      // On the first layer's sparse-aware paths, enc_fc's two products that read x run as the
      // step runs them: the index and x W^T (Encoder::forward), dy^T x (Encoder::backward).
      const vae::FirstLayerPath path = m.enc.first_layer;
      const bool skips_zeros = path == vae::FirstLayerPath::sparse || path == vae::FirstLayerPath::packed;
      auto call = [&](std::size_t g, float* c) {
        const Gemm& p = gemms[g];
        const std::size_t lda = p.ta == vae::Trans::yes ? p.M : p.K;
        const std::size_t ldb = p.tb == vae::Trans::yes ? p.K : p.N;
        return vae::GemmCall{p.ta, p.tb, p.M, p.N, p.K, 1.0f, ops[g].first, lda, ops[g].second, ldb, p.beta, c, p.N, {}, {}};
      };
      for (std::size_t g = 0; g < gemms.size(); ++g) {
        const Gemm& p = gemms[g];
        if (p.issue != Issue::alone) {   // this product and the next, in one dispatch as the step has them
          const vae::GemmCall pair[] = {call(g, scratch.p), call(g + 1, p.issue == Issue::sum ? scratch.p : scratch.p + D * H)};
          const auto g0 = Clock::now();
          if (p.issue == Issue::each) vae::sgemm_each(pair, 2);
          else vae::sgemm_sum(pair, 2, vae::BlockHook{});
          const double t = seconds_since(g0);
          const double share = p.flops() / (p.flops() + gemms[g + 1].flops());
          gemm_t[g][i] = t * share;
          gemm_t[g + 1][i] = t * (1.0 - share);
          ++g;
          continue;
        }
        if (skips_zeros && (g == 0 || g + 1 == gemms.size())) {
          const auto g0 = Clock::now();
          if (g == 0) {
            m.enc.fc_sparse.forward(scratch.p, m.x.data(), m.enc.fc.w.data(), m.enc.fc.b.data(), batch, path);
          } else {
            m.enc.fc_sparse.backward_dw(scratch.p, m.enc.d_h.data(), path);
          }
          gemm_t[g][i] = seconds_since(g0);
          continue;
        }
        const std::size_t lda = p.ta == vae::Trans::yes ? p.M : p.K;
        const std::size_t ldb = p.tb == vae::Trans::yes ? p.K : p.N;
        const auto g0 = Clock::now();
        vae::sgemm(p.ta, p.tb, p.M, p.N, p.K, 1.0f, ops[g].first, lda, ops[g].second, ldb, p.beta, scratch.p, p.N);
        gemm_t[g][i] = seconds_since(g0);
      }
      auto stream = [&] {
        const auto b0 = Clock::now();
        vae::adam_stream_bound(m.params.data(), m.grads.data(), m.adam_m.data(), m.adam_v.data(), Model::num_params, zero_mask);
        bound[i] = seconds_since(b0);
      };
      if (i % 2 == 0) stream();
      const auto t7 = Clock::now();
      vae::adam_step(m.params.data(), m.grads.data(), m.adam_m.data(), m.adam_v.data(), Model::num_params, adam, ++m.adam_t);
      const auto t8 = Clock::now();
      if (i % 2 == 1) stream();
      auto d = [](Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); };
      noise[i] = d(t0, t1); enc[i] = d(t1, t2); rep[i] = d(t2, t3); dec[i] = d(t3, t4);
      loss[i] = d(t4, t5); bwd[i] = d(t5, t6); adm[i] = d(t7, t8);
    }
    r.phases = Phases{median(noise), median(enc), median(rep), median(dec), median(loss), median(bwd), median(adm), median(bound)};
    for (const auto& t : gemm_t) r.gemm_s.push_back(median(t));
    r.subnormals = model_subnormals(m, r.subnormals_checked);
    r.fused_latent = m.fuse_latent;
  }
  // Epochs, from the state itself (a fresh setup: the step loops above trained their own copy).
  Setup s = make_setup(train, r.loss, o.ftz, ck, o.resume);
  for (int i = 0; i < 3; ++i) {   // touch the new arena and wake the pool; not timed
    stage(*s.model, train, static_cast<std::size_t>(i));
    s.model->eval_step(batch, r.loss, nullptr);
  }
  for (int e = 0; e < o.epochs; ++e) {
    const auto t0 = Clock::now();
    s.trainer->train_epoch();
    r.epoch_s.push_back(seconds_since(t0));
  }
}

// --- the first layer (issue 19): enc_fc's products that read x, by each path -----------------
// For `reps` consecutive batches of the data, each path in turn on the same batch (so all three
// see the same machine state): dense (the step's two sgemm), packed (find and gather the non-zero
// columns, then sgemm with K = their count) and sparse (CSR + CSC index, then the sparse kernels).
// "index" is the per-batch indexing, charged to the forward in the step. fwd includes the bias and
// ReLU (h = relu(b + x W^T), as the step runs it); dW's dy is a random gradient times ReLU' of that
// h. Medians, ms.
struct FirstLayerResult {
  std::vector<double> nnz, cols;                       // per batch
  std::vector<double> dense_fwd, dense_dw;
  std::vector<double> packed_index, packed_fwd, packed_dw;
  std::vector<double> sparse_index, sparse_fwd, sparse_dw;
  double density = 0;                                  // of the whole training set
};
FirstLayerResult time_first_layer(const vae::ImageSet& train, int reps) {
  FirstLayerResult r;
  Model m(batch);
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 5, 0);
  m.init_params(rng);
  // d_h as backward gives it: a random gradient times ReLU' of the batch's h (so the units dead
  // for the whole batch have zero columns, which the sparse dW skips).
  std::vector<float> g(batch * H);
  for (float& v : g) v = vae_rt::rng_uniform(&rng, -0.01f, 0.01f);
  auto& fl = m.enc.fc_sparse;
  auto t = [](std::vector<double>& v, auto&& f) { time_into(v, f); };
  for (int k = -10; k < reps; ++k) {
    stage(m, train, static_cast<std::size_t>(k + 10));
    const bool keep = k >= 0;
    FirstLayerResult scratch;
    FirstLayerResult& out = keep ? r : scratch;
    t(out.dense_fwd, [&] { m.enc.fc.forward(m.enc.h, m.x, batch, vae::Act::relu); });
    for (std::size_t i = 0; i < batch * H; ++i) m.enc.d_h[i] = m.enc.h[i] > 0.0f ? g[i] : 0.0f;
    t(out.dense_dw, [&] { vae::matmul_dytx(m.enc.fc.dw, m.enc.d_h, m.x, batch, 0.0f); });
    t(out.packed_index, [&] { vae::packed_index(fl.batch, m.x.data(), batch); });
    t(out.packed_fwd, [&] { vae::packed_xwt(m.enc.h.data(), m.enc.fc.w.data(), m.enc.fc.b.data(), true, fl.batch); });
    t(out.packed_dw, [&] { vae::packed_dytx(m.enc.fc.dw.data(), m.enc.d_h.data(), fl.batch); });
    t(out.sparse_index, [&] { vae::sparse_index(fl.batch, m.x.data(), batch); });
    t(out.sparse_fwd, [&] { vae::sparse_xwt(m.enc.h.data(), m.enc.fc.w.data(), m.enc.fc.b.data(), true, fl.batch); });
    t(out.sparse_dw, [&] { vae::sparse_dytx(m.enc.fc.dw.data(), m.enc.d_h.data(), fl.batch); });
    out.nnz.push_back(static_cast<double>(fl.batch.nnz));
    out.cols.push_back(static_cast<double>(fl.batch.K));
  }
  r.density = vae::nonzero_fraction(train.data(), train.size());
  return r;
}
void print_first_layer(std::FILE* f, const FirstLayerResult& r, int threads) {
  auto ms = [](const std::vector<double>& v) { return median(v) * 1e3; };
  const double dense = ms(r.dense_fwd) + ms(r.dense_dw);
  const double packed = ms(r.packed_index) + ms(r.packed_fwd) + ms(r.packed_dw);
  const double sparse = ms(r.sparse_index) + ms(r.sparse_fwd) + ms(r.sparse_dw);
  std::fprintf(f, "first layer (enc_fc fwd relu(b + x W^T) and dW dy^T x), %d threads, medians of %zu batches; kernels %s:\n",
               threads, r.nnz.size(), vae::sparse_isa_name(vae::sparse_isa()));
  std::fprintf(f, "  batch: %.0f non-zeros (%.1f%%, %.1f per image) in %.0f of %zu columns\n", median(r.nnz),
               100.0 * median(r.nnz) / static_cast<double>(batch * D), median(r.nnz) / static_cast<double>(batch),
               median(r.cols), D);
  std::fprintf(f, "  %-8s %9s %9s %9s %9s %9s\n", "ms", "index", "fwd", "dW", "sum", "vs dense");
  std::fprintf(f, "  %-8s %9s %9.3f %9.3f %9.3f %8.2fx\n", "dense", "-", ms(r.dense_fwd), ms(r.dense_dw), dense, 1.0);
  std::fprintf(f, "  %-8s %9.3f %9.3f %9.3f %9.3f %8.2fx\n", "packed", ms(r.packed_index), ms(r.packed_fwd),
               ms(r.packed_dw), packed, dense / packed);
  std::fprintf(f, "  %-8s %9.3f %9.3f %9.3f %9.3f %8.2fx\n", "sparse", ms(r.sparse_index), ms(r.sparse_fwd),
               ms(r.sparse_dw), sparse, dense / sparse);
  std::fprintf(f, "  the trainer's path for this data: %s (non-zero fraction %.3f, threshold %.2f)\n",
               vae::first_layer_name(vae::choose_first_layer(g_first_layer, r.density)), r.density,
               vae::sparse_density_threshold);
}

// --- the latent block: its three dispatches by each set of kernels ---------------------------
// For `reps` consecutive batches: h from the batch through enc_fc before each run (ReLU zeros,
// and in the caches where the step has it), eps drawn, dec_fc's d_h2 a random gradient times ReLU' of its h2; then, in turn on the same data,
// the block fused with each kernel set the CPU has (AVX-512, AVX2 + FMA: vae/latent.hpp) and the
// layers' own calls (Vae without fuse_latent: the heads' and dec_fc's sgemm, the reparameterization
// and KL passes). The three parts as the step calls them: forward (heads, z + KL, dec_fc), the
// decoder side of the backward (dec_fc's dW and d_z, reparam' + KL'), the encoder side (the heads'
// dW, db and d_h with ReLU' and enc_fc's db). Medians, ms.
struct LatentResult {
  std::vector<std::string> names;
  std::vector<std::array<std::vector<double>, 3>> t;   // per kernel set: forward, backward_dec, backward_enc
};
LatentResult time_latent(const vae::ImageSet& train, int reps) {
  LatentResult r;
  std::vector<vae::SparseIsa> sets;
  for (vae::SparseIsa isa : {vae::SparseIsa::avx512, vae::SparseIsa::avx2}) {
    vae::set_latent_isa(isa);
    if (vae::latent_isa() == isa) {
      sets.push_back(isa);
      r.names.push_back(std::string("fused ") + vae::sparse_isa_name(isa));
    }
  }
  r.names.push_back("layers' sgemm");
  r.t.resize(r.names.size());
  Model m(batch);
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 5, 0);
  m.init_params(rng);
  std::vector<float> g(batch * H);
  auto t = [](std::vector<double>& v, auto&& f) { time_into(v, f); };
  for (int k = -10; k < reps; ++k) {
    stage(m, train, static_cast<std::size_t>(k + 10));
    vae::fill_normal(rng, m.eps.data(), batch * Z);
    for (float& v : g) v = vae_rt::rng_uniform(&rng, -0.01f, 0.01f);
    for (std::size_t i = 0; i <= sets.size(); ++i) {
      std::array<std::vector<double>, 3> scratch;
      auto& out = k >= 0 ? r.t[i] : scratch;
      m.enc.forward_fc(m.x, batch);   // h where the step has it: written by enc_fc's parts of H
      if (i < sets.size()) {
        vae::set_latent_isa(sets[i]);
        t(out[0], [&] { vae::latent_forward(m.latent, batch); });
      } else {
        t(out[0], [&] {
          m.enc.forward_heads(batch);
          m.reparameterize_kl(batch);
          m.dec.fc.forward(m.dec.h, m.z, batch, vae::Act::relu);
        });
      }
      for (std::size_t j = 0; j < batch * H; ++j) m.dec.d_h[j] = m.dec.h[j] > 0.0f ? g[j] : 0.0f;
      if (i < sets.size()) {
        t(out[1], [&] { vae::latent_backward_dec(m.latent, batch, 1.0f); });
        t(out[2], [&] { vae::latent_backward_enc(m.latent, batch, nullptr, nullptr); });
      } else {
        t(out[1], [&] {
          m.dec.backward_fc(m.d_z, m.z, batch);
          vae::reparam_kl_backward(m.d_mu.data(), m.d_logvar.data(), m.d_z.data(), m.enc.mu.data(),
                                   m.enc.logvar.data(), m.eps.data(), batch * Z, 1.0f);
        });
        t(out[2], [&] { m.enc.backward_heads(m.d_mu, m.d_logvar, batch); });
      }
    }
  }
  vae::set_latent_isa(vae::SparseIsa::avx512);
  return r;
}
void print_latent(std::FILE* f, const LatentResult& r, int threads) {
  auto ms = [](const std::vector<double>& v) { return median(v) * 1e3; };
  std::fprintf(f, "latent block (enc_mu, enc_logvar, z + KL, dec_fc and their gradients), %d threads, medians of %zu batches:\n",
               threads, r.t.back()[0].size());
  std::fprintf(f, "  %-15s %9s %9s %9s %9s %9s\n", "ms", "forward", "bwd dec", "bwd enc", "sum", "vs layers");
  const auto& ref = r.t.back();
  const double layers = ms(ref[0]) + ms(ref[1]) + ms(ref[2]);
  for (std::size_t i = 0; i < r.t.size(); ++i) {
    const double sum = ms(r.t[i][0]) + ms(r.t[i][1]) + ms(r.t[i][2]);
    std::fprintf(f, "  %-15s %9.3f %9.3f %9.3f %9.3f %8.2fx\n", r.names[i].c_str(), ms(r.t[i][0]), ms(r.t[i][1]),
                 ms(r.t[i][2]), sum, layers / sum);
  }
}

// Epochs of the three paths in one process, alternating (dense, packed, sparse in each round), so
// that all three see the same machine state: each path trains its own fresh model (seed 1) through
// `epochs` epochs; medians per path.
std::string loss_name(const vae::LossSpec& l);   // below
void print_first_layer_epochs(std::FILE* f, const vae::ImageSet& train, int epochs, const vae::LossSpec& loss) {
  const vae::FirstLayerPath paths[] = {vae::FirstLayerPath::dense, vae::FirstLayerPath::packed,
                                       vae::FirstLayerPath::sparse};
  std::vector<std::unique_ptr<Model>> models;
  std::vector<std::unique_ptr<vae::Trainer<Model>>> trainers;
  std::vector<std::vector<double>> secs(3), losses(3);
  for (vae::FirstLayerPath p : paths) {
    models.push_back(std::make_unique<Model>(batch));
    vae::TrainOptions opt;
    opt.loss = loss;
    opt.batch = batch;
    opt.first_layer = p;
    trainers.push_back(std::make_unique<vae::Trainer<Model>>(*models.back(), train, opt, vae::ParamInit::from_seed));
  }
  for (int e = 0; e < epochs; ++e) {
    for (std::size_t i = 0; i < 3; ++i) {
      const auto t0 = Clock::now();
      const vae::LossSums sums = trainers[i]->train_epoch();
      secs[i].push_back(seconds_since(t0));
      losses[i].push_back(sums.total_per_image());
    }
  }
  std::fprintf(f, "epochs by path, alternating in one process (%d epochs each, fresh seed 1, %s):\n", epochs,
               loss_name(loss).c_str());
  for (std::size_t i = 0; i < 3; ++i) {
    std::fprintf(f, "  %-8s epoch (s) median %.3f best %.3f  vs dense %.3fx;  epoch s:", vae::first_layer_name(paths[i]),
                 median(secs[i]), min_of(secs[i]), median(secs[0]) / median(secs[i]));
    for (double v : secs[i]) std::fprintf(f, " %.3f", v);
    std::fprintf(f, ";  loss/image:");
    for (double v : losses[i]) std::fprintf(f, " %.3f", v);
    std::fprintf(f, "\n");
  }
}

// The mean share of enc_fc's units with a non-zero in the batch's d_h column (the rows of dW the
// sparse kernel computes), over the steps of one untimed epoch of a fresh model (seed 1).
double enc_live_share(const vae::ImageSet& train, const vae::LossSpec& loss) {
  Model m(batch);
  vae::TrainOptions opt;
  opt.loss = loss;
  opt.batch = batch;
  vae::Trainer<Model> trainer(m, train, opt, vae::ParamInit::from_seed);
  double live = 0.0, steps = 0.0;
  trainer.train_epoch([&](const vae::StepReport& r) {
    if (r.batch_index == r.batches_per_epoch && vae::image_count(train) % batch) return;   // a partial batch
    std::size_t n = 0;
    for (std::size_t o = 0; o < H; ++o) {
      bool any = false;
      for (std::size_t i = 0; i < batch && !any; ++i) any = m.enc.d_h[i * H + o] != 0.0f;
      n += any;
    }
    live += static_cast<double>(n) / static_cast<double>(H);
    steps += 1.0;
  });
  return steps > 0.0 ? live / steps : 1.0;
}

// --- machine facts -------------------------------------------------------------------------
std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  for (std::string line; std::getline(f, line);) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      return colon == std::string::npos ? line : line.substr(colon + 2);
    }
  }
  return "unknown";
}
std::string load_average() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}
unsigned fp_mode() {
#if defined(__SSE__)
  return _mm_getcsr();
#else
  return 0;
#endif
}
bool ftz_on() { return (fp_mode() & 0x8040u) == 0x8040u; }

// The loss a vae_train checkpoint was trained with, from its settings JSON ("loss", "beta").
std::string json_token(const std::string& text, const std::string& key) {
  const std::string k = "\"" + key + "\":";
  const auto at = text.find(k);
  if (at == std::string::npos) return "";
  std::size_t i = at + k.size();
  while (i < text.size() && text[i] == ' ') ++i;
  std::size_t j = i;
  if (j < text.size() && text[j] == '"') {
    j = text.find('"', j + 1);
    return j == std::string::npos ? "" : text.substr(i + 1, j - i - 1);
  }
  while (j < text.size() && text[j] != ',' && text[j] != '}') ++j;
  return text.substr(i, j - i);
}
vae::LossSpec checkpoint_loss(const vae::Checkpoint& ck, const std::string& name) {
  const std::string loss = json_token(ck.settings, "loss"), beta = json_token(ck.settings, "beta");
  if ((loss != "mse" && loss != "bce") || beta.empty()) {
    throw vae::Error(name + ": no \"loss\" and \"beta\" in the checkpoint's settings (not written by vae_train?)");
  }
  return vae::LossSpec{loss == "mse" ? vae::Recon::mse : vae::Recon::bce, std::stof(beta)};
}
std::string loss_name(const vae::LossSpec& l) {
  if (l.recon == vae::Recon::mse && l.beta == 0.0f) return "MSE only (autoencoder, beta 0)";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s + %g KL", l.recon == vae::Recon::mse ? "MSE" : "BCE", static_cast<double>(l.beta));
  return buf;
}

// --- the table -----------------------------------------------------------------------------
struct Table {
  std::vector<std::pair<std::string, std::vector<std::string>>> rows;
  void section(const std::string& s) { rows.push_back({s, {}}); }
  void row(const std::string& label, const std::vector<std::string>& cells) { rows.push_back({label, cells}); }
  void print(std::FILE* f, const std::vector<int>& threads) const {
    std::fprintf(f, "%-62s", "");
    for (int t : threads) std::fprintf(f, " %14s", (std::to_string(t) + (t == 1 ? " thread" : " threads")).c_str());
    std::fprintf(f, "\n");
    for (const auto& [label, cells] : rows) {
      if (cells.empty()) {
        std::fprintf(f, "%s\n", label.c_str());
        continue;
      }
      std::fprintf(f, "  %-60s", label.c_str());
      for (const std::string& c : cells) std::fprintf(f, " %14s", c.c_str());
      std::fprintf(f, "\n");
    }
  }
};
std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

template <class F>
std::vector<std::string> cells(const std::vector<ThreadResult>& rs, F&& f) {
  std::vector<std::string> c;
  for (const ThreadResult& r : rs) c.push_back(f(r));
  return c;
}

void state_rows(Table& t, const std::vector<ThreadResult>& rs, StateResult ThreadResult::*which,
                const Options& o, std::size_t train_count) {
  const StateResult& first = rs.front().*which;
  t.section(first.label + ": " + loss_name(first.loss));
  const double nb = static_cast<double>((train_count + batch - 1) / batch);
  const double fe = epoch_gemm_flops(train_count);
  auto ms = [](double s) { return fmt("%.3f", s * 1e3); };
  if (!o.epoch_only) {
    t.row("train_step (ms)", cells(rs, [&](const ThreadResult& r) { return ms(median((r.*which).step_s)); }));
    t.row("  / the dense floor's step (x)", cells(rs, [&](const ThreadResult& r) {
            return fmt("%.3f", median((r.*which).step_s) / (step_gemm_flops(batch) / (r.ceiling * 1e9))); }));
    t.row("  GEMM share of ceiling (%)", cells(rs, [&](const ThreadResult& r) {
            return fmt("%.1f", 100.0 * step_executed_flops() / median((r.*which).step_s) / (r.ceiling * 1e9)); }));
    t.section("  split of one step, phases as separate calls (ms):");
    // The products a phase issues through sgemm (with the fused latent block, not its six).
    auto gemm_of = [&](const ThreadResult& r, Phase p) {
      double s = 0;
      const auto g = step_gemms(batch);
      for (std::size_t i = 0; i < g.size(); ++i) {
        if (g[i].phase == p && !(g[i].latent && (r.*which).fused_latent)) s += (r.*which).gemm_s[i];
      }
      return s;
    };
    t.row("  GEMM (the 14 products alone, step's operands and path)", cells(rs, [&](const ThreadResult& r) {
            const StateResult& st = r.*which;
            double sum = 0;
            for (double g : st.gemm_s) sum += g;
            return ms(sum); }));
    t.row("  elementwise fwd (bias, ReLU: in the products' tasks)", cells(rs, [&](const ThreadResult& r) {
            const Phases& p = (r.*which).phases;
            return ms(p.encode + p.decode - gemm_of(r, Phase::encode) - gemm_of(r, Phase::decode)); }));
    t.row("  noise + reparameterize + KL value", cells(rs, [&](const ThreadResult& r) {
            const Phases& p = (r.*which).phases;
            return (r.*which).fused_latent ? std::string("-") : ms(p.noise + p.reparam); }));
    t.row("  noise + the latent block fused (heads, z, KL, dec_fc)", cells(rs, [&](const ThreadResult& r) {
            const Phases& p = (r.*which).phases;
            return (r.*which).fused_latent ? ms(p.noise + p.reparam) : std::string("-"); }));
    t.row("  sigmoid + loss (recon, d_logits)", cells(rs, [&](const ThreadResult& r) { return ms((r.*which).phases.loss); }));
    t.row("  elementwise bwd (ReLU', db, reparam', KL'; latent block)", cells(rs, [&](const ThreadResult& r) {
            return ms((r.*which).phases.backward - gemm_of(r, Phase::backward)); }));
    t.row("  Adam", cells(rs, [&](const ThreadResult& r) { return ms((r.*which).phases.adam); }));
    t.row("  sum of the phases", cells(rs, [&](const ThreadResult& r) { return ms((r.*which).phases.sum()); }));
    char bound_label[96];
    std::snprintf(bound_label, sizeof bound_label, "Adam's bandwidth bound, %.1f MB moved (ms)",
                  7.0 * 4.0 * static_cast<double>(Model::num_params) / 1e6);
    t.row(bound_label, cells(rs, [&](const ThreadResult& r) { return ms((r.*which).phases.adam_bound); }));
    t.row("  Adam / bound (x)", cells(rs, [&](const ThreadResult& r) {
            const Phases& p = (r.*which).phases;
            return fmt("%.2f", p.adam / p.adam_bound); }));
    t.row("  bound's bandwidth (GB/s)", cells(rs, [&](const ThreadResult& r) {
            return fmt("%.1f", 7.0 * 4.0 * static_cast<double>(Model::num_params) / (r.*which).phases.adam_bound / 1e9); }));
    t.row("stage_batch, uint8 -> float (ms)", cells(rs, [&](const ThreadResult& r) { return ms(median((r.*which).stage_s)); }));
    t.row("subnormal floats in the model after steps", cells(rs, [&](const ThreadResult& r) {
            return std::to_string((r.*which).subnormals); }));
  }
  t.row("epoch 60k (s, median)", cells(rs, [&](const ThreadResult& r) { return fmt("%.3f", median((r.*which).epoch_s)); }));
  t.row("epoch 60k (s, best)", cells(rs, [&](const ThreadResult& r) { return fmt("%.3f", min_of((r.*which).epoch_s)); }));
  t.row("samples/s (median epoch)", cells(rs, [&](const ThreadResult& r) {
          return fmt("%.0f", static_cast<double>(train_count) / median((r.*which).epoch_s)); }));
  t.row("epoch per step (ms)", cells(rs, [&](const ThreadResult& r) { return ms(median((r.*which).epoch_s) / nb); }));
  if (!o.epoch_only) {
    t.row("epoch GEMM share of ceiling (%, executed FLOPs)", cells(rs, [&](const ThreadResult& r) {
            return fmt("%.1f", 100.0 * epoch_executed_flops(train_count) / median((r.*which).epoch_s) / (r.ceiling * 1e9)); }));
    t.row("epoch / dense floor (x; issue 19's goal: <= 1)", cells(rs, [&](const ThreadResult& r) {
            return fmt("%.3f", median((r.*which).epoch_s) / (fe / (r.ceiling * 1e9))); }));
    t.row("epoch / executed floor (x)", cells(rs, [&](const ThreadResult& r) {
            return fmt("%.3f", median((r.*which).epoch_s) / (epoch_executed_flops(train_count) / (r.ceiling * 1e9))); }));
  }
}

// --- JSON (nlohmann-json) ----------------------------------------------------------------
using Json = nlohmann::ordered_json;   // keys in the order written, as the hand-written JSON had them

// Per-product medians as JSON: [{"product": "dec_out dW dy^T h", "ms": ..., "mflop_dense": ...,
// "mflop_executed": ...}, ...] in step_gemms order.
Json json_products(const std::vector<double>& seconds) {
  Json out = Json::array();
  const std::vector<Gemm> g = step_gemms(batch);
  for (std::size_t i = 0; i < seconds.size() && i < g.size(); ++i) {
    std::string name;
    for (const char* c = g[i].name; *c; ++c) {   // the table's padding collapsed to one space
      if (*c != ' ' || (!name.empty() && name.back() != ' ')) name += *c;
    }
    out.push_back({{"product", name}, {"ms", seconds[i] * 1e3}, {"mflop_dense", g[i].flops() / 1e6},
                   {"mflop_executed", executed_flops(i) / 1e6}});
  }
  return out;
}

Json json_state(const StateResult& r, const ThreadResult& tr, std::size_t train_count) {
  const double ep = median(r.epoch_s);
  Json j = {{"label", r.label}, {"loss", loss_name(r.loss)}, {"first_epoch", r.first_epoch},
            {"epoch_s", r.epoch_s}, {"epoch_s_median", ep}, {"epoch_s_best", min_of(r.epoch_s)},
            {"samples_per_s", static_cast<double>(train_count) / ep}};
  if (!r.step_s.empty()) {
    const Phases& p = r.phases;
    j["epoch_gemm_share_of_ceiling"] = epoch_executed_flops(train_count) / ep / (tr.ceiling * 1e9);
    j["epoch_over_dense_floor"] = ep / (epoch_gemm_flops(train_count) / (tr.ceiling * 1e9));
    j["adam_bound_ms_median"] = p.adam_bound * 1e3;
    j["step_ms_median"] = median(r.step_s) * 1e3;
    j["step_over_dense_floor_step"] = median(r.step_s) / (step_gemm_flops(batch) / (tr.ceiling * 1e9));
    j["step_ms_best"] = min_of(r.step_s) * 1e3;
    j["stage_batch_ms_median"] = median(r.stage_s) * 1e3;
    j["latent_fused"] = r.fused_latent;   // then phases.reparam is the latent block (heads, z + KL, dec_fc)
    j["phases_ms_median"] = {{"noise", p.noise * 1e3},   {"encode", p.encode * 1e3},
                             {"reparameterize", p.reparam * 1e3}, {"decode", p.decode * 1e3},
                             {"loss", p.loss * 1e3},     {"backward", p.backward * 1e3},
                             {"adam", p.adam * 1e3}};
    j["gemm_in_step_median"] = json_products(r.gemm_s);
    j["subnormals"] = r.subnormals;
    j["floats_checked"] = r.subnormals_checked;
  }
  return j;
}

std::vector<int> parse_threads(const std::string& s) {
  std::vector<int> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) {
    const int t = std::atoi(item.c_str());
    if (t < 1 || t > 256) throw vae::Error("--threads: '" + item + "' is not a thread count (1..256)");
    out.push_back(t);
  }
  if (out.empty()) throw vae::Error("--threads: empty list");
  return out;
}

// --serve: see the opening comment.
int serve(const Options& o, const vae::ImageSet& train, const vae::Checkpoint* ck, const vae::LossSpec& loss) {
  vae::set_blas_threads(o.threads.front());
  Setup s = make_setup(train, loss, o.ftz, ck, o.resume);
  auto reply = [](const Json& j) { std::printf("%s\n", j.dump().c_str()); };
  reply({{"ready", true}, {"threads", o.threads.front()}, {"loss", loss_name(loss)},
         {"start_epoch", s.trainer->epoch()}, {"ftz", ftz_on()},
         {"openblas_kernels", vae::blas_kernels()}});
  std::fflush(stdout);
  std::size_t k = 0;
  for (std::string line; std::getline(std::cin, line);) {
    std::istringstream in(line);
    std::string cmd;
    in >> cmd;
    if (cmd == "quit") break;
    if (cmd == "warm") {
      long n = 0;
      in >> n;
      for (long i = 0; i < n; ++i) {
        stage(*s.model, train, k++);
        s.model->train_step(batch, loss, vae::AdamConfig{}, s.trainer->rng());
      }
      reply({{"warm", n}});
    } else if (cmd == "epoch") {
      const auto t0 = Clock::now();
      const vae::LossSums sums = s.trainer->train_epoch();
      const double sec = seconds_since(t0);
      reply({{"epoch", s.trainer->epoch()}, {"seconds", sec}, {"loss", sums.total_per_image()}});
    } else {
      reply({{"error", "unknown command '" + cmd + "' (warm N, epoch, quit)"}});
    }
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app("bench_train: time the training step and epochs of 784-400-20, our threads", "bench_train");
  std::string threads_list = "1,2";
  app.add_option("--threads", threads_list, "thread counts, comma-separated (default 1,2)");
  app.add_option("--data", o.data, "MNIST IDX files (default $VAE_DATA or data/mnist)");
  app.add_flag("--ae", o.ae, "MSE only, beta 0 (the autoencoder) instead of BCE + KL for the fresh state");
  app.add_option("--resume", o.resume, "also time a late state: this vae_train checkpoint, with its own loss");
  app.add_option("--reps", o.reps, "timed repetitions of each product, step and phase (default 100)")
      ->check(CLI::PositiveNumber);
  app.add_option("--epochs", o.epochs, "timed epochs per state and thread count (default 3)")
      ->check(CLI::PositiveNumber);
  app.add_flag("--epoch-only", o.epoch_only, "time epochs only (no ceiling, step or split)");
  app.add_flag("--serve", o.serve, "persistent mode for compare_pytorch.py (first thread count of --threads)");
  bool no_ftz = false;
  app.add_flag("--no-ftz", no_ftz, "leave flush-to-zero / denormals-are-zero off");
  std::string first_layer = "automatic";
  app.add_option("--first-layer", first_layer,
                 "enc_fc's path: automatic (by the data's density), dense, packed or sparse (default automatic)")
      ->check(CLI::IsMember({"automatic", "dense", "packed", "sparse"}));
  app.add_flag("--first-layer-only", o.first_layer_only, "time only the first layer's products, by each path");
  app.add_flag("--latent-only", o.latent_only, "time only the latent block's three dispatches, by each set of kernels");
  bool portable_sparse = false;
  app.add_flag("--portable-sparse", portable_sparse, "the sparse kernels' portable loops (as --sparse-kernels portable)");
  std::string sparse_kernels = "best";
  app.add_option("--sparse-kernels", sparse_kernels,
                 "the sparse kernels' instruction set, at most: best (what the CPU has), avx2 or portable (default best)")
      ->check(CLI::IsMember({"best", "avx2", "portable"}));
  std::string latent_kernels = "best";
  app.add_option("--latent-kernels", latent_kernels,
                 "the latent block's kernels, at most: best (what the CPU has), avx2, or none (the layers' sgemm calls) (default best)")
      ->check(CLI::IsMember({"best", "avx2", "none"}));
  app.add_flag("--cold-caches", o.cold_caches,
               "evict the caches before every timed step and split rep (a busy shared host's phase, on demand)");
  app.add_option("--json", o.json, "also write the figures as JSON; '-' writes JSON to stdout, the table to stderr");
  try {
    app.parse(argc, argv);
    o.threads = parse_threads(threads_list);
    o.ftz = !no_ftz;
    for (auto p : {vae::FirstLayerPath::automatic, vae::FirstLayerPath::dense, vae::FirstLayerPath::packed,
                   vae::FirstLayerPath::sparse}) {
      if (first_layer == vae::first_layer_name(p)) o.first_layer = p;
    }
    g_first_layer = o.first_layer;
    if (sparse_kernels == "avx2") vae::set_sparse_isa(vae::SparseIsa::avx2);
    if (portable_sparse || sparse_kernels == "portable") vae::set_sparse_isa(vae::SparseIsa::portable);
    if (latent_kernels == "avx2") vae::set_latent_isa(vae::SparseIsa::avx2);
    if (latent_kernels == "none") vae::set_latent_isa(vae::SparseIsa::portable);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const std::exception& e) {   // CLI11's parse errors too: one line, exit 2, as the apps
    std::fprintf(stderr, "bench_train: %s (see --help)\n", e.what());
    return 2;
  }
  try {
    const std::string load_before = load_average();
    const vae::Dataset data = vae::load_mnist(o.data, vae::Split::train);
    const vae::ImageSet& train = data.images;
    std::unique_ptr<vae::Checkpoint> ck;
    vae::LossSpec late_loss;
    if (!o.resume.empty()) {
      ck = std::make_unique<vae::Checkpoint>(vae::read_checkpoint(o.resume));
      late_loss = checkpoint_loss(*ck, o.resume);
    }
    const vae::LossSpec fresh_loss = o.ae ? vae::LossSpec{vae::Recon::mse, 0.0f} : vae::LossSpec{};
    if (o.serve) return serve(o, train, ck.get(), ck ? late_loss : fresh_loss);
    if (o.latent_only) {
      for (int threads : o.threads) {
        vae::set_blas_threads(threads);
        if (o.ftz) vae::set_flush_denormals();
        print_latent(stdout, time_latent(train, o.reps), threads);
      }
      return 0;
    }
    if (o.first_layer_only) {
      for (int threads : o.threads) {
        vae::set_blas_threads(threads);
        if (o.ftz) vae::set_flush_denormals();
        print_first_layer(stdout, time_first_layer(train, o.reps), threads);
        print_first_layer_epochs(stdout, train, o.epochs, fresh_loss);
      }
      return 0;
    }

    // The first layer's path, as the Trainer takes it, and its executed K (executed_flops above).
    const double density = vae::nonzero_fraction(train.data(), train.size());
    const vae::FirstLayerPath path = vae::choose_first_layer(o.first_layer, density);
    if (path == vae::FirstLayerPath::sparse) {
      g_enc_fc_k = density * static_cast<double>(D);
      // Only the split's executed-FLOP figures use it: an epoch of start-up saved with --epoch-only.
      if (!o.epoch_only) g_enc_fc_live = enc_live_share(train, fresh_loss);
    }
    if (path == vae::FirstLayerPath::packed) {   // mean non-zero columns of consecutive batches
      const std::size_t n = vae::image_count(train), batches = n / batch;
      double cols = 0.0;
      for (std::size_t b = 0; b < batches; ++b) {
        for (std::size_t j = 0; j < D; ++j) {
          bool any = false;
          for (std::size_t r = 0; r < batch && !any; ++r) any = train.data()[(b * batch + r) * D + j] != 0;
          cols += any ? 1.0 : 0.0;
        }
      }
      g_enc_fc_k = batches ? cols / static_cast<double>(batches) : static_cast<double>(D);
    }
    std::vector<ThreadResult> results;
    for (int threads : o.threads) {
      vae::set_blas_threads(threads);
      if (o.ftz) vae::set_flush_denormals();
      ThreadResult r;
      r.threads = threads;
      std::vector<double> before;
      if (!o.epoch_only) before = time_gemms(o.reps);
      r.fresh.label = "fresh (seed 1, epochs from 1)";
      r.fresh.loss = fresh_loss;
      measure_state(r.fresh, train, o, nullptr);
      if (ck) {
        r.late.label = "late (" + o.resume + ", epochs from " + std::to_string(ck->epochs_done + 1) + ")";
        r.late.loss = late_loss;
        measure_state(r.late, train, o, ck.get());
      }
      if (!o.epoch_only) {
        // The products timed again after the epochs, each keeping the faster of its two medians:
        // this shared machine's speed drifts (the ceiling moved between 178 and 260 GFLOP/s
        // through a day), and a slow moment while the ceiling was timed would make the floor
        // too easy. The higher ceiling is the harder floor.
        const std::vector<double> after = time_gemms(o.reps);
        double before_s = 0, after_s = 0;
        r.gemm_s.resize(before.size());
        for (std::size_t i = 0; i < before.size(); ++i) {
          r.gemm_s[i] = std::min(before[i], after[i]);
          r.gemm_step_s += r.gemm_s[i];
          before_s += before[i];
          after_s += after[i];
        }
        r.ceiling = step_gemm_flops(batch) / r.gemm_step_s / 1e9;
        r.ceiling_before = step_gemm_flops(batch) / before_s / 1e9;
        r.ceiling_after = step_gemm_flops(batch) / after_s / 1e9;
      }
      results.push_back(std::move(r));
    }
    const std::string load_after = load_average();

    // The table.
    std::FILE* out = o.json == "-" ? stderr : stdout;
    const std::string openblas = openblas_get_config();
    std::fprintf(out, "bench_train: 784-400-20, batch %zu, %zu training images; %s\n", batch, vae::image_count(train),
                 o.epoch_only ? "epochs only" : "ceiling, step, split and epoch");
    std::fprintf(out, "machine: %s, %u hardware threads; OpenBLAS %s (single-threaded, split by our pool)\n",
                 cpu_model().c_str(), std::thread::hardware_concurrency(), openblas.c_str());
    std::fprintf(out, "OpenBLAS kernels: %s\n", vae::blas_kernels().c_str());
    std::fprintf(out, "FTZ/DAZ: %s (MXCSR 0x%04x); load average (1, 5, 15 min) before %s, after %s\n",
                 ftz_on() ? "on" : "off", fp_mode(), load_before.c_str(), load_after.c_str());
    std::fprintf(out, "first layer: %s (--first-layer %s; training set %.1f%% non-zero, sparse below %.0f%%)\n",
                 vae::first_layer_name(path), vae::first_layer_name(o.first_layer), 100.0 * density,
                 100.0 * vae::sparse_density_threshold);
    std::fprintf(out, "latent block: %s (--latent-kernels %s)\n",
                 vae::latent_block_description(vae::latent_fused_available(Z)), latent_kernels.c_str());
    if (o.cold_caches) {
      std::fprintf(out, "caches: cold (--cold-caches): %.0f MiB written across the threads before every timed step and split rep; epochs and ceiling warm\n",
                   static_cast<double>(2 * llc_bytes()) / (1 << 20));
    }
    std::fprintf(out, "statistic: median of %d reps (steps, phases, products; after 10 warm-up calls) and of %d epochs\n",
                 o.reps, o.epochs);
    Table t;
    if (!o.epoch_only) {
      t.section("sgemm ceiling, our pool over single-threaded OpenBLAS (GFLOP/s; MFLOP each, dense/executed):");
      const auto g = step_gemms(batch);
      for (std::size_t i = 0; i < g.size(); ++i) {
        char label[96];
        std::snprintf(label, sizeof label, "%s %zux%zux%zu %5.1f/%.1f", g[i].name, g[i].M, g[i].N, g[i].K,
                      g[i].flops() / 1e6, executed_flops(i) / 1e6);
        t.row(label, cells(results, [&](const ThreadResult& r) { return fmt("%.1f", g[i].flops() / r.gemm_s[i] / 1e9); }));
      }
      const double dense_epoch = epoch_gemm_flops(vae::image_count(train));
      const double executed_epoch = epoch_executed_flops(vae::image_count(train));
      t.row("ceiling: step GEMM FLOPs / sum of times", cells(results, [](const ThreadResult& r) { return fmt("%.1f", r.ceiling); }));
      t.row("  timed before / after the epochs", cells(results, [](const ThreadResult& r) {
              return fmt("%.1f", r.ceiling_before) + "/" + fmt("%.1f", r.ceiling_after); }));
      if (g_enc_fc_live < 1.0) {
        t.row("  enc_fc dW: live units (fresh model's 1st epoch; all states)",
              cells(results, [&](const ThreadResult&) { return fmt("%.3f", g_enc_fc_live); }));
      }
      t.row("epoch GFLOP, dense / executed (sum of the products)",
            cells(results, [&](const ThreadResult&) { return fmt("%.1f", dense_epoch / 1e9) + "/" + fmt("%.1f", executed_epoch / 1e9); }));
      t.row("floor: 60k epoch of GEMMs at the ceiling (s), dense", cells(results, [&](const ThreadResult& r) {
              return fmt("%.3f", dense_epoch / (r.ceiling * 1e9)); }));
      t.row("floor: the same, executed FLOPs (s)", cells(results, [&](const ThreadResult& r) {
              return fmt("%.3f", executed_epoch / (r.ceiling * 1e9)); }));
    }
    state_rows(t, results, &ThreadResult::fresh, o, vae::image_count(train));
    if (ck) state_rows(t, results, &ThreadResult::late, o, vae::image_count(train));
    t.print(out, o.threads);
    if (!o.epoch_only) {   // issue 19's first layer, after the table (its own block)
      for (int threads : o.threads) {
        vae::set_blas_threads(threads);
        print_first_layer(out, time_first_layer(train, o.reps), threads);
      }
    }

    if (!o.json.empty()) {
      Json runs = Json::array();
      for (const ThreadResult& r : results) {
        Json run = {{"threads", r.threads}};
        if (!o.epoch_only) {
          run["ceiling_gflops"] = r.ceiling;
          run["ceiling_before_epochs_gflops"] = r.ceiling_before;
          run["ceiling_after_epochs_gflops"] = r.ceiling_after;
          run["gemm_median"] = json_products(r.gemm_s);
        }
        run["fresh"] = json_state(r.fresh, r, vae::image_count(train));
        if (ck) run["late"] = json_state(r.late, r, vae::image_count(train));
        runs.push_back(std::move(run));
      }
      const Json doc = {{"model", "784-400-20"}, {"batch", batch}, {"train_images", vae::image_count(train)},
                        {"statistic", "median"}, {"reps", o.reps}, {"epochs", o.epochs},
                        {"cpu", cpu_model()}, {"hardware_threads", std::thread::hardware_concurrency()},
                        {"openblas", openblas}, {"openblas_kernels", vae::blas_kernels()}, {"ftz_daz", ftz_on()},
                        {"cold_caches", o.cold_caches}, {"load_before", load_before}, {"load_after", load_after},
                        {"step_gemm_flops", step_gemm_flops(batch)},
                        {"epoch_gemm_flops", epoch_gemm_flops(vae::image_count(train))},
                        {"epoch_executed_flops", epoch_executed_flops(vae::image_count(train))}, {"runs", runs}};
      const std::string text = doc.dump() + "\n";
      if (o.json == "-") {
        std::fputs(text.c_str(), stdout);
      } else {
        std::ofstream f(o.json);
        f << text;
        if (!f) throw vae::Error(o.json + ": cannot write the JSON output");
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_train: %s\n", e.what());
    return 1;
  }
  return 0;
}
