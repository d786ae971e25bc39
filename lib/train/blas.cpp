// blas.cpp - sgemm over OpenBLAS's CBLAS, split across the library's own thread pool
// (lib/train/thread_pool.cpp; why our pool and not OpenBLAS's threads: vae/blas.hpp).
#include "vae/blas.hpp"

#include "vae/parallel.hpp"

#include <cblas.h>

#include <dlfcn.h>

#include <cassert>
#include <cstdlib>
#include <cstring>
#include <string>


namespace vae {
namespace {

void sgemm_1(Trans ta, Trans tb, std::size_t M, std::size_t N, std::size_t K, float alpha,
             const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta, float* C,
             std::size_t ldc) {
  cblas_sgemm(CblasRowMajor, ta == Trans::yes ? CblasTrans : CblasNoTrans,
              tb == Trans::yes ? CblasTrans : CblasNoTrans, static_cast<blasint>(M),
              static_cast<blasint>(N), static_cast<blasint>(K), alpha, A, static_cast<blasint>(lda),
              B, static_cast<blasint>(ldb), beta, C, static_cast<blasint>(ldc));
}

// Rows (split_rows) or columns [lo, hi) of a product's C: one part of a split product.
void sgemm_block(const GemmCall& g, bool split_rows, std::size_t lo, std::size_t hi) {
  if (split_rows) {
    const float* a = g.ta == Trans::yes ? g.A + lo : g.A + lo * g.lda;
    sgemm_1(g.ta, g.tb, hi - lo, g.N, g.K, g.alpha, a, g.lda, g.B, g.ldb, g.beta, g.C + lo * g.ldc, g.ldc);
  } else {
    const float* b = g.tb == Trans::yes ? g.B + lo * g.ldb : g.B + lo;
    sgemm_1(g.ta, g.tb, g.M, hi - lo, g.K, g.alpha, g.A, g.lda, b, g.ldb, g.beta, g.C + lo, g.ldc);
  }
}

// Part `part` of `parts` of a split product's C: rows (split_rows) or columns [lo, hi).
GemmBlock part_block(const GemmCall& g, bool split_rows, std::size_t lo, std::size_t hi, std::size_t part,
                     std::size_t parts) {
  return split_rows ? GemmBlock{g.C, g.ldc, lo, hi, 0, g.N, part, parts}
                    : GemmBlock{g.C, g.ldc, 0, g.M, lo, hi, part, parts};
}

// Products added into one C, split as one (sgemm_sum): each part runs every product on its block.
struct SumJob {
  const GemmCall* calls;
  std::size_t n;
  bool split_rows;
  BlockHook after;
  std::size_t parts;

  void run(std::size_t part, std::size_t lo, std::size_t hi) const {
    if (lo >= hi) return;
    for (std::size_t i = 0; i < n; ++i) sgemm_block(calls[i], split_rows, lo, hi);
    after(part_block(calls[0], split_rows, lo, hi, part, parts));
  }
};

// The whole of one product, with its hooks: sgemm_each's task.
void sgemm_whole(const GemmCall& g) {
  const GemmBlock block{g.C, g.ldc, 0, g.M, 0, g.N, 0, 1};
  g.before(block);
  sgemm_1(g.ta, g.tb, g.M, g.N, g.K, g.alpha, g.A, g.lda, g.B, g.ldb, g.beta, g.C, g.ldc);
  g.after(block);
}

// One sgemm to be split: part p of `parts` computes a block of C's rows or columns.
struct GemmJob {
  GemmCall call;
  bool split_rows;   // else columns
  std::size_t parts;

  void run(std::size_t part, std::size_t lo, std::size_t hi) const {
    if (lo >= hi) return;
    const GemmBlock block = part_block(call, split_rows, lo, hi, part, parts);
    call.before(block);
    sgemm_block(call, split_rows, lo, hi);
    call.after(block);
  }
};

// sgemm's rule: splitting pays only for products of a few MFLOP; small ones (the latent heads)
// run whole, unless an epilogue makes a pass over a C of 16K values or more (the heads' d_h,
// 128 x 400, with ReLU' and the bias gradient fused: issue 19).
bool worth_splitting(double flops, std::size_t M, std::size_t N, bool has_after) {
  return flops >= 4e6 || (has_after && M * N >= 16384);
}
// The grain parallel_run is given for a product's extent (rows or columns of C): parts of whole
// 16s when the product is split, else one part.
std::size_t split_grain(std::size_t extent, bool split) { return split ? 16 : extent + 1; }
double gemm_flops(const GemmCall& g) {
  return 2.0 * static_cast<double>(g.M) * static_cast<double>(g.N) * static_cast<double>(g.K);
}

// OpenBLAS's choice of kernels, mended where it is known to be wrong.
//
// OpenBLAS built with DYNAMIC_ARCH (Debian's) picks its kernels once, when it loads, from the
// CPU's family and model. 0.3.21 (Debian 12) does not know newer CPUs, such as Intel family 6
// model 207 (Emerald Rapids, with AVX-512), and then falls back to its Prescott (SSE3) kernels:
// every product about 3x slower (bench_train on that CPU: ceiling 58 GFLOP/s with Prescott,
// 167 with SkylakeX). OpenBLAS's documented way out is OPENBLAS_CORETYPE, read by its dynamic-arch
// initializer. So, when the user has not set OPENBLAS_CORETYPE and OpenBLAS chose an SSE-only
// core on a CPU (and OS) with AVX2 + FMA or AVX-512, this runs that initializer again with the
// variable naming the best core the CPU supports, then removes the variable again. The two entry
// points (gotoblas_dynamic_quit, gotoblas_dynamic_init) are exported by every shared DYNAMIC_ARCH
// OpenBLAS; they are looked up with dlsym, so any other BLAS is left as it is. It runs from a
// static initializer: after OpenBLAS's own constructor (a shared library's constructors run
// before those of the program that links it) and before any product.
//
// A user's OPENBLAS_CORETYPE always wins, even one below the CPU (an environment may pin
// Haswell's kernels on every machine, for the same last bits everywhere: on an AMD family 26
// CPU with AVX-512 that halves the products' speed, bench_train's ceiling 153-174 GFLOP/s against
// 280-312 with Cooperlake). Then blas_kernels() says what the CPU would run.
struct BlasCore {
  const char* chosen = nullptr;     // the core OpenBLAS picked itself (or OPENBLAS_CORETYPE named)
  const char* replaced = nullptr;   // what we asked for instead, or nullptr
  const char* cpu_best = nullptr;   // the CPU's best core, when OPENBLAS_CORETYPE named a lower one
};

// The vector unit an OpenBLAS x86-64 core uses, by the core's name: 1 SSE, 2 AVX, 3 AVX2 + FMA,
// 4 AVX-512; 0 for a name not listed (left alone).
int blas_core_level(const char* name) {
  struct Level {
    const char* core;
    int level;
  };
  static const Level levels[] = {
      {"Prescott", 1},    {"Core2", 1},     {"Penryn", 1},    {"Dunnington", 1},  {"Nehalem", 1},
      {"Atom", 1},        {"Barcelona", 1}, {"Opteron", 1},   {"Sandybridge", 2}, {"Bulldozer", 2},
      {"Piledriver", 2},  {"Steamroller", 2}, {"Haswell", 3}, {"Excavator", 3},   {"Zen", 3},
      {"SkylakeX", 4},    {"Cooperlake", 4}, {"SapphireRapids", 4},
  };
  for (const Level& l : levels) {
    if (std::strcmp(name, l.core) == 0) return l.level;
  }
  return 0;
}

BlasCore select_blas_core() {
  BlasCore core;
  core.chosen = openblas_get_corename();
#if defined(__x86_64__) && defined(__GNUC__)
  if (core.chosen == nullptr) return core;
  __builtin_cpu_init();
  const char* want = nullptr;   // the best core this CPU supports
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
    want = __builtin_cpu_supports("avx512bf16") ? "Cooperlake" : "SkylakeX";
  else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    want = "Haswell";
  if (want == nullptr) return core;
  const int level = blas_core_level(core.chosen);
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) {
    if (level != 0 && level < blas_core_level(want)) core.cpu_best = want;
    return core;
  }
  if (level != 1) return core;   // mended: the SSE-only fallbacks
  auto quit = reinterpret_cast<void (*)()>(dlsym(RTLD_DEFAULT, "gotoblas_dynamic_quit"));
  auto init = reinterpret_cast<void (*)()>(dlsym(RTLD_DEFAULT, "gotoblas_dynamic_init"));
  if (quit == nullptr || init == nullptr) return core;
  if (setenv("OPENBLAS_CORETYPE", want, 0) != 0) return core;
  quit();
  init();
  unsetenv("OPENBLAS_CORETYPE");
  core.replaced = want;
#endif
  return core;
}

const BlasCore g_blas_core = [] {
  BlasCore core = select_blas_core();
  openblas_set_num_threads(1);   // OpenBLAS must stay single-threaded: our pool is the parallelism.
  return core;
}();

}  // namespace

void sgemm(Trans trans_a, Trans trans_b, std::size_t M, std::size_t N, std::size_t K, float alpha,
           const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta, float* C,
           std::size_t ldc) {
  sgemm(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, BlockHook{}, BlockHook{});
}

void sgemm(Trans trans_a, Trans trans_b, std::size_t M, std::size_t N, std::size_t K, float alpha,
           const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta, float* C,
           std::size_t ldc, BlockHook before, BlockHook after) {
  GemmJob gemm{GemmCall{trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, before, after},
               sgemm_splits_rows(M, N), 1};
  const std::size_t extent = gemm.split_rows ? M : N;
  const std::size_t grain = split_grain(extent, worth_splitting(gemm_flops(gemm.call), M, N, static_cast<bool>(after)));
  gemm.parts = parallel_plan(extent, grain);
  parallel_run(extent, grain,
               [](void* ctx, std::size_t part, std::size_t lo, std::size_t hi) {
                 static_cast<const GemmJob*>(ctx)->run(part, lo, hi);
               },
               &gemm);
}

void sgemm(const GemmCall& g) {
  sgemm(g.ta, g.tb, g.M, g.N, g.K, g.alpha, g.A, g.lda, g.B, g.ldb, g.beta, g.C, g.ldc, g.before, g.after);
}

bool sgemm_side_by_side(const GemmCall* calls, std::size_t n) {
  if (n == parallel_parts()) return true;
  for (std::size_t i = 0; i < n; ++i) {
    if (worth_splitting(gemm_flops(calls[i]), calls[i].M, calls[i].N, static_cast<bool>(calls[i].after))) return false;
  }
  return true;
}

void sgemm_each(const GemmCall* calls, std::size_t n) {
  // A product big enough for sgemm to split is split, one after the other, as sgemm would, unless
  // there is one product per thread: side by side, each whole, fewer products than threads would
  // leave cores idle.
  if (!sgemm_side_by_side(calls, n)) {
    for (std::size_t j = 0; j < n; ++j) sgemm(calls[j]);
    return;
  }
  struct Each {
    const GemmCall* calls;
  } each{calls};
  // Part p runs calls [lo / 16, hi / 16): parallel_run's ranges are multiples of 16.
  parallel_run(16 * n, 16,
               [](void* ctx, std::size_t, std::size_t lo, std::size_t hi) {
                 const GemmCall* c = static_cast<const Each*>(ctx)->calls;
                 for (std::size_t i = lo / 16; i < hi / 16; ++i) sgemm_whole(c[i]);
               },
               &each);
}

void sgemm_sum(const GemmCall* calls, std::size_t n, BlockHook after) {
  if (n == 0) return;
  const GemmCall& g = calls[0];
  SumJob job{calls, n, sgemm_splits_rows(g.M, g.N), after, 1};
  // sgemm's rule on the products' total FLOPs.
  double flops = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    assert(calls[i].M == g.M && calls[i].N == g.N && calls[i].C == g.C && calls[i].ldc == g.ldc);
    assert(i == 0 || calls[i].beta == 1.0f);
    flops += gemm_flops(calls[i]);
  }
  const std::size_t extent = job.split_rows ? g.M : g.N;
  const std::size_t grain = split_grain(extent, worth_splitting(flops, g.M, g.N, static_cast<bool>(after)));
  job.parts = parallel_plan(extent, grain);
  parallel_run(extent, grain,
               [](void* ctx, std::size_t part, std::size_t lo, std::size_t hi) {
                 static_cast<const SumJob*>(ctx)->run(part, lo, hi);
               },
               &job);
}

std::string blas_kernels() {
  std::string name = openblas_get_corename();
  if (g_blas_core.replaced != nullptr)
    name += std::string(" (OpenBLAS chose ") + g_blas_core.chosen + " for this CPU; OPENBLAS_CORETYPE overrides)";
  if (g_blas_core.cpu_best != nullptr)
    name += std::string(" (named by OPENBLAS_CORETYPE; this CPU runs ") + g_blas_core.cpu_best + ", faster)";
  return name;
}

void set_blas_threads(int threads) {
  (void)g_blas_core;
  openblas_set_num_threads(1);
  set_pool_threads(threads);
}

int blas_threads() { return static_cast<int>(parallel_parts()); }

}  // namespace vae
