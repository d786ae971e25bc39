// bench_generate.cpp - digits per second of the freestanding decoder on one thread.
//
// For float32 and int8 weights (784-400-20): generate() (z from the Gaussian sampler, then both
// layers and the uint8 pixels) and decode_u8() alone. Reports digits/s (items_per_second), the
// arena bytes and the weight bytes the decoder reads. The weights are a freshly initialized
// model unless VAE_WEIGHTS names a .vaew file (speed does not depend on the values).
// The goal of issue 5: >= 50,000 digits/s for float32 on one core, arena <= 5 KB.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "vae/atomic_file.hpp"
#include "vae/vae.hpp"
#include "vae/weights.hpp"
#include "vae_rt/decoder.h"

namespace {

using Dec = vae_rt::Decoder<20, 400, 784>;

// The weight file bytes (float32 or int8), 64-byte aligned, made once.
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

template <bool Int8, bool Sample>
void bm_decoder(benchmark::State& state) {
  const std::vector<std::uint8_t>& file = weights(Int8);
  alignas(16) static std::uint8_t arena[Dec::arena_bytes];
  Dec dec;
  vae_rt::format::Diag diag;
  if (dec.init(file.data(), file.size(), arena, sizeof arena, &diag) != vae_rt::Status::ok) {
    state.SkipWithError(diag.text);
    return;
  }
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, 1, 0);
  float z[20];
  vae_rt::rng_fill_normal(&rng, z, 20);
  std::uint8_t pixels[784];
  for (auto _ : state) {
    if (Sample) {
      dec.generate(&rng, pixels);
    } else {
      dec.decode_u8(z, pixels);
    }
    benchmark::DoNotOptimize(pixels);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["arena_bytes"] = static_cast<double>(dec.arena_used());
  state.counters["weight_bytes"] = static_cast<double>(dec.weight_bytes());
  state.counters["file_bytes"] = static_cast<double>(file.size());
  state.SetLabel(std::string(dec.dtype_name()) + " digits/s = items_per_second");
}

BENCHMARK(bm_decoder<false, true>)->Name("generate/float32");
BENCHMARK(bm_decoder<true, true>)->Name("generate/int8");
BENCHMARK(bm_decoder<false, false>)->Name("decode_u8/float32");
BENCHMARK(bm_decoder<true, false>)->Name("decode_u8/int8");

}  // namespace

BENCHMARK_MAIN();
