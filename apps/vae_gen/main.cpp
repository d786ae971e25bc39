// vae_gen - generate digits from a .vaew weight file with the freestanding runtime.
//
//   vae_gen weights/mnist_vae.vaew --count 64 --seed 1 --out grid.png --ascii
//
// It links only vae::runtime (the decoder a microcontroller runs) and vae::image (PNG/PGM), never
// the training library, so what it prints is what the device would make. Sampling: the RNG is
// vae_rt::rng_seed(seed, stream 0); with --prior normal digit i decodes the i-th block of Z
// draws of vae_rt::rng_fill_normal (Z values per digit, in order). A seed gives the same pixels
// on every platform.
//
// Outputs, chosen by the --out extension: .png or .pgm (a grid), .idx (IDX3, the MNIST format:
// big-endian u32 magic 2051, count, 28, 28, then count*784 bytes), .f32 (the decoder's float
// probabilities before rounding: raw little-endian float32, count*784 values, nothing else; what
// tools/vaew_from_torch.py's golden check compares with PyTorch). --latent FILE decodes given
// latents: raw little-endian float32, N rows of Z values, nothing else (N = size / (4 Z)).
// --interpolate decodes --count steps (default 10) on the line from seed's latent to seed+1's.
//
// --prior gmm draws z from the Gaussian mixture the file carries (vae_rt/prior.h: per digit one
// uniform for the component, then Z normals, from the same stream), the default when the file
// has one; --prior normal draws z ~ N(0, I) as above. Mixtures are added to a file by
// `vae_eval --fit-prior gmm:K --save-prior` and kept by vae_export.
//
// Everything is checked before the first digit is decoded: the output's folder and extension, a
// grid's size (a .png/.pgm grid of --count digits must fit vae::max_image_pixels; .idx has no such
// limit) and the free disk space for outputs of known size (.idx, .pgm). Big runs show progress on
// stderr (apps/common/progress_line.hpp); -q/--quiet prints errors only. Exit status: 0 done,
// 1 runtime error, 2 usage error; every error is one line on stderr.
//
// Not here: the encoder, training, fitting the prior.
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "vae/error.hpp"
#include "vae/files/atomic_file.hpp"
#include "vae/image/image.hpp"
#include "vae_rt/ascii.h"
#include "vae_rt/decoder.h"
#include "vae_rt/format.h"
#include "vae_rt/prior.h"

#include "cli_main.hpp"
#include "latent_file.hpp"
#include "progress_line.hpp"
#include "vae_models.hpp"

namespace {

namespace fmt = vae_rt::format;
constexpr int kSide = 28;   // images are kSide x kSide: D must be 784

struct Options {
  std::string weights;
  int count = 64;
  std::uint64_t seed = 1;
  std::string out;
  std::string latent;
  bool interpolate = false;
  bool ascii = false;
  std::string prior;
  bool quiet = false;
};

// A grid of n digits: ceil(sqrt(n)) per row, or one strip for --interpolate.
struct GridSize {
  long long width, height;
};
GridSize grid_size(long long n, bool strip) {
  const long long cols = strip ? n : static_cast<long long>(std::ceil(std::sqrt(static_cast<double>(n))));
  const long long rows = (n + cols - 1) / cols;
  constexpr long long pad = 2;
  return {cols * kSide + (cols + 1) * pad, rows * kSide + (rows + 1) * pad};
}

// The checks of the output that need no model: a grid that fits a picture, the free space.
// n: the digits to write (--count, or the latent file's rows).
void check_output_size(const Options& o, const std::string& ext, long long n) {
  if (o.out.empty()) return;
  if (ext == ".idx") {
    vae_apps::check_free_space(o.out, 16ULL + static_cast<unsigned long long>(n) * 784ULL, "--out");
    return;
  }
  if (ext == ".f32") {
    vae_apps::check_free_space(o.out, static_cast<unsigned long long>(n) * 784ULL * 4ULL, "--out");
    return;
  }
  const GridSize g = grid_size(n, o.interpolate);
  if (g.width * g.height > vae::max_image_pixels) {
    long long most = 1;   // the largest count whose grid fits, for the message
    for (long long step = 1LL << 20; step > 0; step /= 2) {
      const GridSize t = grid_size(most + step, o.interpolate);
      if (t.width * t.height <= vae::max_image_pixels) most += step;
    }
    throw vae_apps::UsageError("--out " + o.out + ": a grid of " + std::to_string(n) + " digits would be " +
                               std::to_string(g.width) + "x" + std::to_string(g.height) +
                               " pixels, more than a picture may have (2^28); write at most " +
                               std::to_string(most) + " digits to " + ext +
                               ", or write them all as IDX (--out " +
                               o.out.substr(0, o.out.size() - ext.size()) + ".idx)");
  }
  if (ext == ".pgm") {
    vae_apps::check_free_space(o.out, 32ULL + static_cast<unsigned long long>(g.width * g.height), "--out");
  }
}

std::string extension(const std::string& path) {
  const auto dot = path.rfind('.');
  const auto slash = path.rfind('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  return path.substr(dot);
}

// z (Z) from the mixture when there is one, else from N(0, I).
void draw(const vae_rt::MixturePrior* prior, vae_rt::Rng* rng, float* z, std::size_t Z) {
  if (prior) {
    vae_rt::prior_sample(*prior, rng, z);
  } else {
    vae_rt::rng_fill_normal(rng, z, Z);
  }
}

// The latents (n, Z) to decode: from the file, a line between two seeds, or the prior (the
// mixture, or N(0, I) when prior is null).
std::vector<float> make_latents(const Options& o, std::size_t Z, std::size_t* n,
                                const vae_rt::MixturePrior* prior) {
  std::vector<float> z;
  if (!o.latent.empty()) {
    const std::vector<std::uint8_t> bytes = vae::read_file(o.latent);
    z = vae_gen::parse_latents(bytes.data(), bytes.size(), Z, o.latent);   // latent_file.hpp
    *n = z.size() / Z;
    return z;
  }
  vae_rt::Rng rng;
  vae_rt::rng_seed(&rng, o.seed, 0);
  *n = static_cast<std::size_t>(o.count);
  z.resize(*n * Z);
  if (o.interpolate) {
    std::vector<float> a(Z), b(Z);
    vae_rt::Rng rb;
    vae_rt::rng_seed(&rb, o.seed + 1, 0);
    draw(prior, &rng, a.data(), Z);
    draw(prior, &rb, b.data(), Z);
    for (std::size_t i = 0; i < *n; ++i) {
      const float t = *n == 1 ? 0.0f : static_cast<float>(i) / static_cast<float>(*n - 1);
      for (std::size_t k = 0; k < Z; ++k) z[i * Z + k] = (1.0f - t) * a[k] + t * b[k];
    }
    return z;
  }
  for (std::size_t i = 0; i < *n; ++i) draw(prior, &rng, z.data() + i * Z, Z);
  return z;
}

// Digits (n, 28, 28) as text, `per_row` side by side, with the ramp of vae_rt/ascii.h. Each row
// of digits starts with one line per digit, "seed S prior P digit I fnv1a 0x........" (P is
// normal or gmm; "latent I ..." when the latents were given), the FNV-1a of its uint8 pixels.
// With one digit per row the block is exactly what the mcu_gen firmware prints for that seed
// and prior, which its QEMU test relies on.
void print_ascii(const std::vector<std::uint8_t>& px, std::size_t n, std::size_t per_row,
                 const Options& o, const char* prior) {
  for (std::size_t first = 0; first < n; first += per_row) {
    const std::size_t last = std::min(n, first + per_row);
    for (std::size_t i = first; i < last; ++i) {
      const std::uint32_t sum = vae_rt::fnv1a32(px.data() + i * 784, 784);
      if (o.latent.empty()) {
        std::printf("seed %llu prior %s digit %zu fnv1a 0x%08x\n",
                    static_cast<unsigned long long>(o.seed), prior, i, sum);
      } else {
        std::printf("latent %zu fnv1a 0x%08x\n", i, sum);
      }
    }
    for (int r = 0; r < kSide; ++r) {
      std::string line;
      for (std::size_t i = first; i < last; ++i) {
        if (i != first) line += "  ";
        for (int c = 0; c < kSide; ++c) line += vae_rt::ascii_ramp[px[i * 784 + r * kSide + c] * 10 / 256];
      }
      std::printf("%s\n", line.c_str());
    }
    std::printf("\n");
  }
}

void write_idx(const std::string& path, const std::vector<std::uint8_t>& px, std::size_t n) {
  std::vector<std::uint8_t> f(16 + px.size());
  const std::uint32_t header[4] = {2051, static_cast<std::uint32_t>(n), kSide, kSide};
  for (int k = 0; k < 4; ++k) {
    for (int b = 0; b < 4; ++b) f[4 * k + b] = static_cast<std::uint8_t>(header[k] >> (24 - 8 * b));
  }
  std::memcpy(f.data() + 16, px.data(), px.size());
  vae::write_file_atomic(path, f);
}

// The probabilities (n, 784) of latents z (n, Z) as raw little-endian float32: decode_batch, the
// floats decode_batch_u8 rounds to the pixels.
template <class Dec>
void write_f32(const std::string& path, const Dec& dec, const std::vector<float>& z, std::size_t n) {
  std::vector<float> p(n * 784);
  dec.decode_batch(z.data(), n, p.data());
  std::vector<std::uint8_t> f(p.size() * sizeof(float));
  std::memcpy(f.data(), p.data(), f.size());
  vae::write_file_atomic(path, f);
}

template <std::size_t Z, std::size_t H>
int run(const Options& o, const std::vector<std::uint8_t>& file) {
  using Dec = vae_rt::Decoder<Z, H, 784, 3>;   // 3 digits per pass over the weights
  alignas(16) static std::uint8_t arena[Dec::arena_bytes];
  Dec dec;
  fmt::Diag diag;
  const vae_rt::Status s = dec.init(file.data(), file.size(), arena, sizeof arena, &diag);
  if (s != vae_rt::Status::ok) {
    throw vae::Error(o.weights + ": " + vae_rt::status_str(s) + ": " + diag.text);
  }
  // The prior: the file's mixture by default when it carries one (not for given latents).
  // Resolved before anything is printed, so that an error is the only line on stderr.
  const bool has_mixture = vae_rt::prior_present(dec.file());
  const std::string prior_name =
      !o.prior.empty() ? o.prior : (has_mixture && o.latent.empty() ? "gmm" : "normal");
  vae_rt::MixturePrior mixture;
  if (prior_name == "gmm") {
    if (!has_mixture) {
      throw vae::Error(o.weights + ": --prior gmm: the file carries no mixture prior (add one "
                       "with vae_eval --fit-prior gmm:K --save-prior, or use --prior normal)");
    }
    const vae_rt::Status ps = vae_rt::prior_bind(dec.file(), Z, &mixture, &diag);
    if (ps != vae_rt::Status::ok) {
      throw vae::Error(o.weights + ": " + vae_rt::status_str(ps) + ": " + diag.text);
    }
  }
  std::size_t n = 0;
  const std::vector<float> z = make_latents(o, Z, &n, prior_name == "gmm" ? &mixture : nullptr);
  // What was loaded, printed once the digits are made and written: a failure (a bad --latent
  // file, a full disk) stays the only line on stderr.
  char what[256];
  std::snprintf(what, sizeof what, "vae_gen: %s: %s decoder, D 784 H %zu Z %zu (%s file, %zu weight "
                "bytes, arena %zu bytes)\n", o.weights.c_str(), dec.dtype_name(), H, Z,
                dec.file().header.flags & fmt::flag_encoder ? "full" : "decoder-only",
                dec.weight_bytes(), dec.arena_used());
  std::string info = what;
  if (o.latent.empty()) {
    info += "vae_gen: z ~ " + (prior_name == "gmm" ? "the file's mixture prior, " +
                                                         std::to_string(mixture.k) + " components"
                                                   : std::string("N(0, I)")) + "\n";
  }
  check_output_size(o, extension(o.out), static_cast<long long>(n));   // --latent: n known only now
  std::vector<std::uint8_t> px(n * 784);
  {
    // In chunks, for the progress line: decode_batch_u8 gives the same pixels as decode_u8 one by
    // one, so the chunking changes no byte.
    constexpr std::size_t chunk = 4096;
    vae_apps::ProgressLine progress("vae_gen", "decoding " + std::to_string(n) + " digits", n,
                                    o.quiet || n <= 4 * chunk);
    for (std::size_t first = 0; first < n; first += chunk) {
      const std::size_t b = std::min(chunk, n - first);
      dec.decode_batch_u8(z.data() + first * Z, b, px.data() + first * 784);
      progress.update(first + b);
    }
    progress.finish("decoded " + std::to_string(n) + " digits");
  }

  if (!o.out.empty()) {
    const std::string ext = extension(o.out);
    const int count = static_cast<int>(n);
    const int grid_cols = o.interpolate ? count : static_cast<int>(std::ceil(std::sqrt(double(n))));
    vae_apps::make_parent_dirs(o.out, "--out");
    if (ext == ".idx") {
      write_idx(o.out, px, n);
    } else if (ext == ".f32") {
      write_f32(o.out, dec, z, n);
    } else {
      const int w = vae::tile_grid_width(kSide, grid_cols, 2);
      const int h = vae::tile_grid_height(kSide, count, grid_cols, 2);
      const std::vector<std::uint8_t> grid = vae::tile_grid(px.data(), count, kSide, kSide, grid_cols, 2);
      if (ext == ".png") {
        vae::write_png_gray(o.out, w, h, grid.data());
      } else {
        vae::write_pgm(o.out, w, h, grid.data());
      }
    }
    info += "vae_gen: wrote " + std::to_string(n) + " digits to " + o.out + "\n";
  }
  if (!o.quiet) std::fputs(info.c_str(), stderr);
  if (o.ascii) print_ascii(px, n, 4, o, prior_name.c_str());
  return 0;
}

int gen_main(int argc, char** argv) {
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "--latent files are little-endian");
  Options o;
  CLI::App app{
      "Generate MNIST-like digits from a .vaew weight file with the freestanding decoder runtime. "
      "Prints the loaded dtype and dims (D-H-Z) on stderr. Compiled dims: 784-400-20 and "
      "784-400-2. Digit i of a seed decodes the i-th draw of z from PCG32(seed, stream 0): Z "
      "N(0,1) values, or with the mixture prior one uniform (the component) then Z N(0,1) values "
      "scaled and shifted by it.",
      "vae_gen"};
  vae_apps::set_up_help(app);
  app.add_option("weights", o.weights, "weight file (.vaew), full or decoder-only, float32 or int8, of a compiled shape: " VAE_MODELS_TEXT)
      ->required();
  auto* count = app.add_option("-n,--count", o.count, "digits to generate (10 with --interpolate)")
                    ->check(vae_apps::integer(1, 1000000));
  app.add_option("-s,--seed", o.seed, "random seed")->check(vae_apps::seed_value());
  app.add_option("-o,--out", o.out, "output: .png or .pgm (a grid; missing folders are made), .idx (IDX3, N x 28 x 28 uint8), "
                 ".f32 (the probabilities before rounding: raw little-endian float32, N x 784)");
  auto* latent = app.add_option("--latent", o.latent,
                                "decode these latents instead of sampling: raw little-endian "
                                "float32, N x Z, N = size / (4 Z)");
  latent->excludes(count);
  app.add_flag("--interpolate", o.interpolate,
               "decode --count steps on the line from seed's latent to seed+1's (a strip)")
      ->excludes(latent);
  app.add_flag("--ascii", o.ascii, "print the digits as text (the default when there is no --out)");
  app.add_option("--prior", o.prior,
                 "where z comes from: gmm, the Gaussian mixture the file carries (the default "
                 "when it has one), or normal, N(0, I)")
      ->check(CLI::IsMember({"normal", "gmm"}))
      ->excludes(latent);
  vae_apps::add_quiet(app, o.quiet, "errors only: no description of the model, no progress");
  if (const int rc = vae_apps::parse_command_line(app, argc, argv); rc >= 0) return rc;
  if (o.interpolate && count->count() == 0) o.count = 10;
  if (o.out.empty()) o.ascii = true;
  const std::string ext = extension(o.out);
  if (!o.out.empty() && ext != ".png" && ext != ".pgm" && ext != ".idx" &&
      ext != ".f32") {
    throw vae_apps::UsageError("--out " + o.out + ": the extension must be .png, .pgm, .idx or .f32");
  }
  if (!o.out.empty()) vae_apps::check_output_file(o.out, "--out");
  if (o.latent.empty()) check_output_size(o, ext, o.count);   // before the weights are read
  const std::vector<std::uint8_t> file = vae::read_file(o.weights);
  fmt::File parsed;
  fmt::Diag diag;
  const vae_rt::Status s = fmt::parse(file.data(), file.size(), &parsed, true, &diag);
  if (s != vae_rt::Status::ok) {
    throw vae::Error(o.weights + ": " + vae_rt::status_str(s) + ": " + diag.text);
  }
  const fmt::Header& h = parsed.header;
  fmt::Tensor t;
  if (fmt::find_tensor(parsed, "cls_fc_w", &t) == vae_rt::Status::ok) {
    throw vae::Error(o.weights + ": a digit classifier file (classifier_train); vae_gen needs a VAE "
                     "or autoencoder file with dec_* tensors");
  }
  if (h.dim_x != 784) {
    throw vae::Error(o.weights + ": dims D " + std::to_string(h.dim_x) + ", H " + std::to_string(h.dim_h) +
                     ", Z " + std::to_string(h.dim_z) + ": vae_gen decodes MNIST models (D 784)");
  }
  // The shapes of VAE_MODELS (vae_models.hpp): one decoder instantiation each.
  return vae_apps::with_model(h.dim_x, h.dim_h, h.dim_z, o.weights + ": ", [&](auto shape) {
    using S = decltype(shape);
    return run<S::z, S::h>(o, file);
  });
}

}  // namespace

int main(int argc, char** argv) {
  return vae_apps::run_main("vae_gen", [&] { return gen_main(argc, argv); });
}
