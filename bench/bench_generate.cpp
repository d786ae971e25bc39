// bench_generate.cpp - digits per second of the freestanding decoder on one thread, as one table.
//
//   build/release/bench/bench_generate                       # 5 repetitions of every path
//   build/release/bench/bench_generate --benchmark_repetitions=9 --benchmark_filter=float32
//
// Every path generates digits the way vae_gen does: generate_batch(rng, 48, pixels), i.e. z from
// the portable Gaussian sampler, both layers, uint8 pixels. The paths differ in the weights
// (float32 or int8, 784-400-20), the digits decoded per pass over the weights (Decoder's Batch:
// 1, or 3, the most that fits a 5 KB arena), and the kernels (the fastest this CPU offers, and
// the build's baseline when they differ, e.g. sse2 in the plain `release` preset on an AVX2 CPU).
// "reference" runs the plain-loop oracle one digit at a time: the runtime's kernels before
// batching, and what a Cortex-M4F runs. digits/s = digits / CPU seconds of the one benchmark
// thread (so a busy machine steals less of the figure than wall time would); "best" is the best
// repetition, "median" the median. Also: the arena bytes the decoder uses and the weight bytes
// it reads per pass. The weights are a freshly initialized model unless VAE_WEIGHTS names a
// .vaew file (the speed does not depend on the values).
//
// The goal of issues 5 and 7: >= 50,000 digits/s on one core for float32 and for int8, with an
// arena of at most 5,120 bytes.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "vae/files/atomic_file.hpp"
#include "vae/vae.hpp"
#include "vae/weights.hpp"
#include "vae_rt/decoder.h"

namespace {

constexpr std::size_t kZ = 20, kH = 400, kD = 784;
constexpr std::size_t kDigitsPerIteration = 48;   // one generate_batch call

// The weight file bytes (float32 or int8), made once.
const std::vector<std::uint8_t>& weights(bool int8) {
  static const std::vector<std::uint8_t> f32 = [] {
    const char* path = std::getenv("VAE_WEIGHTS");
    if (path) return vae::read_file(path);
    vae::Vae784_400_20 m(1);
    vae_rt::Rng rng;
    vae_rt::rng_seed(&rng, 1, 0);
    m.init_params(rng);
    return vae::serialize_weights(vae::weights_from_model(m));
  }();
  static const std::vector<std::uint8_t> i8 = [] {
    vae::WeightsFile wf = vae::parse_weights(f32.data(), f32.size(), "weights");
    return vae::serialize_weights(vae::quantize_int8(vae::decoder_only(wf)));
  }();
  return int8 ? i8 : f32;
}

// A row of the table: what the path is, and what the decoder reported.
struct PathInfo {
  std::string dtype, kernels;
  std::size_t batch = 0, arena = 0, weight_bytes = 0;
};
std::map<std::string, PathInfo>& path_infos() {
  static std::map<std::string, PathInfo> m;
  return m;
}

// Kernels: "best" (dispatch allowed), "baseline" (pinned to the build's baseline).
template <std::size_t Batch>
void bm_generate(benchmark::State& state, const std::string& name, bool int8, bool baseline) {
  using Dec = vae_rt::Decoder<kZ, kH, kD, Batch>;
  const std::vector<std::uint8_t>& file = weights(int8);
  alignas(16) static std::uint8_t arena[Dec::arena_bytes];
  Dec dec;
  vae_rt::format::Diag diag;
  if (dec.init(file.data(), file.size(), arena, sizeof arena, &diag) != vae_rt::Status::ok) {
    state.SkipWithError(diag.text);
    return;
  }
  const char* isa = vae_rt::kernel_allow_dispatch(!baseline);
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 1, 0);
  static std::uint8_t pixels[kDigitsPerIteration * kD];
  for (auto _ : state) {
    dec.generate_batch(&rng, kDigitsPerIteration, pixels);
    benchmark::DoNotOptimize(pixels);
    benchmark::ClobberMemory();
  }
  vae_rt::kernel_allow_dispatch(true);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kDigitsPerIteration));
  path_infos()[name] = {dec.dtype_name(), isa, Batch, dec.arena_used(), dec.weight_bytes()};
}

// The plain-loop reference kernels, one digit at a time, arena h (H) and z (Z) on the stack.
void bm_reference(benchmark::State& state, const std::string& name, bool int8) {
  using Dec = vae_rt::Decoder<kZ, kH, kD, 1>;
  const std::vector<std::uint8_t>& file = weights(int8);
  alignas(16) static std::uint8_t arena[Dec::arena_bytes];
  Dec dec;   // only to bind the layers
  if (dec.init(file.data(), file.size(), arena, sizeof arena) != vae_rt::Status::ok) {
    state.SkipWithError("init");
    return;
  }
  vae_rt::format::Tensor t[4];
  const char* names[4] = {"dec_fc_w", "dec_fc_b", "dec_out_w", "dec_out_b"};
  for (int k = 0; k < 4; ++k) vae_rt::format::find_tensor(dec.file(), names[k], &t[k]);
  vae_rt::format::Tensor s1{}, s2{};
  if (int8) {
    vae_rt::format::find_tensor(dec.file(), "dec_fc_w.scale", &s1);
    vae_rt::format::find_tensor(dec.file(), "dec_out_w.scale", &s2);
  }
  const auto f = [](const vae_rt::format::Tensor& x) { return reinterpret_cast<const float*>(x.data); };
  const auto q = [](const vae_rt::format::Tensor& x) { return reinterpret_cast<const std::int8_t*>(x.data); };
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 1, 0);
  static std::uint8_t pixels[kDigitsPerIteration * kD];
  float z[kZ], h[kH];
  for (auto _ : state) {
    for (std::size_t i = 0; i < kDigitsPerIteration; ++i) {
      vae_rt::rng_fill_normal(&rng, z, kZ);
      if (int8) {
        vae_rt::dense_i8(h, q(t[0]), f(s1), f(t[1]), z, kH, kZ, true);
        vae_rt::dense_sigmoid_u8(pixels + i * kD, nullptr, q(t[2]), f(s2), f(t[3]), h, kD, kH);
      } else {
        vae_rt::dense_f32(h, f(t[0]), f(t[1]), z, kH, kZ, true);
        vae_rt::dense_sigmoid_u8(pixels + i * kD, f(t[2]), nullptr, nullptr, f(t[3]), h, kD, kH);
      }
    }
    benchmark::DoNotOptimize(pixels);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kDigitsPerIteration));
  path_infos()[name] = {dec.dtype_name(), "reference", 1, (kH + kZ) * sizeof(float),
                                dec.weight_bytes()};
}

std::string load_average() {
  char buf[64] = {};
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (!std::fgets(buf, sizeof buf, f)) buf[0] = 0;
    std::fclose(f);
  }
  std::string s(buf);
  const auto sp = s.find(' ', s.find(' ', s.find(' ') + 1) + 1);   // the three averages
  return sp == std::string::npos ? s : s.substr(0, sp);
}

// Collects every repetition and prints one table at the end (progress dots on stderr).
class TableReporter : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override {
    load_before_ = load_average();
    return true;
  }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      if (r.run_type != Run::RT_Iteration) continue;
      const std::string name = r.benchmark_name();
      if (r.error_occurred) {
        errors_.push_back(name + ": " + r.error_message);
        continue;
      }
      if (std::find(order_.begin(), order_.end(), name) == order_.end()) order_.push_back(name);
      rates_[name].push_back(static_cast<double>(r.iterations) * kDigitsPerIteration /
                             r.cpu_accumulated_time);
      std::fputc('.', stderr);
    }
  }
  void Finalize() override {
    std::fputc('\n', stderr);
    std::printf("bench_generate: decoder 784-400-20, one thread, %zu digits per generate_batch "
                "call; kernels on this CPU: %s; load average %s before, %s after\n",
                kDigitsPerIteration, vae_rt::kernel_isa(), load_before_.c_str(),
                load_average().c_str());
    std::printf("%-34s %-8s %5s %-9s %12s %12s %6s %12s %13s\n", "path", "weights", "batch",
                "kernels", "digits/s", "median", "reps", "arena bytes", "weight bytes");
    for (const std::string& name : order_) {
      std::vector<double> v = rates_[name];
      std::sort(v.begin(), v.end());
      const PathInfo& p = path_infos()[name];
      std::printf("%-34s %-8s %5zu %-9s %12.0f %12.0f %6zu %12zu %13zu\n", name.c_str(),
                  p.dtype.c_str(), p.batch, p.kernels.c_str(), v.back(), v[v.size() / 2],
                  v.size(), p.arena, p.weight_bytes);
    }
    std::printf("digits/s: best repetition (digits per CPU second of the thread); goal >= 50000 "
                "for float32 and int8 with arena <= 5120 bytes\n");
    for (const std::string& e : errors_) std::printf("error: %s\n", e.c_str());
  }

 private:
  std::vector<std::string> order_, errors_;
  std::map<std::string, std::vector<double>> rates_;
  std::string load_before_;
};

void register_all() {
  const std::string baseline = vae_rt::kernel_allow_dispatch(false);   // two statements: the
  const bool two_isas = baseline != vae_rt::kernel_allow_dispatch(true);   // order matters
  const auto add = [](const std::string& name, auto fn) {
    benchmark::RegisterBenchmark(name.c_str(), [name, fn](benchmark::State& s) { fn(s, name); });
  };
  for (bool int8 : {false, true}) {
    const std::string d = int8 ? "int8" : "float32";
    add("generate/" + d + "/batch3",
        [int8](benchmark::State& s, const std::string& n) { bm_generate<3>(s, n, int8, false); });
    if (two_isas) {
      add("generate/" + d + "/batch3/baseline",
          [int8](benchmark::State& s, const std::string& n) { bm_generate<3>(s, n, int8, true); });
    }
    add("generate/" + d + "/batch1",
        [int8](benchmark::State& s, const std::string& n) { bm_generate<1>(s, n, int8, false); });
    add("generate/" + d + "/reference",
        [int8](benchmark::State& s, const std::string& n) { bm_reference(s, n, int8); });
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Defaults: 5 repetitions of at least 0.3 s each, unless given on the command line.
  std::vector<char*> args(argv, argv + argc);
  std::string reps = "--benchmark_repetitions=5", min_time = "--benchmark_min_time=0.3";
  const auto given = [&](const char* flag) {
    for (int i = 1; i < argc; ++i) {
      if (std::strncmp(argv[i], flag, std::strlen(flag)) == 0) return true;
    }
    return false;
  };
  if (!given("--benchmark_repetitions")) args.push_back(reps.data());
  if (!given("--benchmark_min_time")) args.push_back(min_time.data());
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
  register_all();
  TableReporter table;
  benchmark::RunSpecifiedBenchmarks(&table);
  benchmark::Shutdown();
  return 0;
}
