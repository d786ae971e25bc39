// vae_figures - the latent-space pictures of a trained model, on a data set's test images.
//
//   vae_figures weights/mnist_vae.vaew --out reports/figures/mnist-vae-20 --title "MNIST VAE"
//   vae_figures fashion2.vaew --data data/fashion-mnist --classes fashion --out DIR
//
// Writes into --out:
//   interpolation.png   --pairs rows of test images: each row shows image a, then --steps decodes
//                       of z = (1 - t) mu_a + t mu_b for t = 0 .. 1 (so the first and last are
//                       the reconstructions of a and b, z = mu), then image b
//   manifold.png        latent 2 only: the decoder over a --grid x --grid grid of the latent
//                       plane at the normal quantiles of 0.05 .. 0.95 (Kingma & Welling, fig. 4)
//   latent_scatter.png  latent 2 only: the encoder's mu of every test image, coloured by label,
//                       with axes and a legend of the classes
// The pairs come from --seed (vae_apps::interpolation_pairs), so two models given the same seed
// and data show the same images. Needs a full weight file (the encoder makes mu). It trains
// nothing and writes only these files, each atomically. Exit status: 0, 1 runtime error, 2 usage
// error; errors are one line on stderr.
//
// Not here: reconstructions, samples and loss curves (vae_train's report and vae_report have
// them), scores (vae_eval).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cli_main.hpp"
#include "mnist_policy.hpp"
#include "model_pictures.hpp"
#include "progress_line.hpp"
#include "vae/blas.hpp"
#include "vae/error.hpp"
#include "vae/idx.hpp"
#include "vae/image/image.hpp"
#include "vae/vae.hpp"
#include "vae/weights.hpp"
#include "vae_models.hpp"

namespace {

using vae_apps::UsageError;

struct Options {
  std::string weights, out, data = "data/mnist", classes = "digits", title;
  int pairs = 8, steps = 10, grid = 20;
  std::uint64_t seed = 1;
  std::size_t test_limit = 0;
  int threads = 1;
  bool quiet = false;
};

const vae::Rgb ink{0, 0, 0};
const vae::Rgb paper{255, 255, 255};
constexpr int text_scale = 2;
constexpr int zoom = 2;   // every 28x28 image is drawn 56x56

std::vector<std::string> class_names(const std::string& classes) {
  if (classes == "fashion") {   // Fashion-MNIST's labels 0..9, as its README names them
    return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  }
  return {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
}

// A gray image (rows, cols) drawn `zoom` times enlarged with its top-left corner at (x, y).
void paste_zoomed(vae::RgbImage& canvas, const std::uint8_t* gray, int rows, int cols, int x, int y) {
  for (int r = 0; r < rows * zoom; ++r) {
    for (int c = 0; c < cols * zoom; ++c) {
      const std::uint8_t v = gray[(r / zoom) * cols + c / zoom];
      canvas.set(x + c, y + r, vae::Rgb{v, v, v});
    }
  }
}

// The interpolation picture: a title, a header row (a, the t of each step, b), then one row per
// pair: image a | steps decodes | image b, the originals set apart by a wider gap.
// decodes: (pairs * steps, rows * cols) bytes, pair by pair.
vae::RgbImage interpolation_picture(const vae::ImageSet& set,
                                    const std::vector<std::pair<std::uint32_t, std::uint32_t>>& pairs,
                                    const std::vector<std::uint8_t>& decodes, int steps,
                                    const std::string& title) {
  const int rows = static_cast<int>(set.shape(1)), cols = static_cast<int>(set.shape(2));
  const int tile_w = cols * zoom, tile_h = rows * zoom, gap = 2, wide_gap = 16, margin = 12;
  const int ch = vae::text_height(text_scale);
  const int strip_w = steps * tile_w + (steps - 1) * gap;
  const int grid_w = tile_w + wide_gap + strip_w + wide_gap + tile_w;
  const int width = std::max(grid_w, vae::text_width(title, text_scale)) + 2 * margin;
  const int title_h = margin + ch + margin, header_h = ch + 8;
  const int n = static_cast<int>(pairs.size());
  const int height = title_h + header_h + n * tile_h + (n - 1) * gap + margin;
  vae::RgbImage img(width, height, paper);
  vae::draw_text(img, (width - vae::text_width(title, text_scale)) / 2, margin, title, ink, text_scale);

  const int x0 = (width - grid_w) / 2;
  const int x_a = x0, x_strip = x0 + tile_w + wide_gap, x_b = x_strip + strip_w + wide_gap;
  auto centred = [&](const std::string& text, int x, int w) {
    vae::draw_text(img, x + (w - vae::text_width(text, text_scale)) / 2, title_h, text, ink, text_scale);
  };
  centred("a", x_a, tile_w);
  centred("b", x_b, tile_w);
  for (int i = 0; i < steps; ++i) {
    char t[16];
    std::snprintf(t, sizeof t, "%.2f", static_cast<double>(i) / (steps - 1));
    centred(i == 0 ? "t=0" : i == steps - 1 ? "t=1" : t, x_strip + i * (tile_w + gap), tile_w);
  }

  const std::size_t D = vae::pixels_per_image(set);
  for (int k = 0; k < n; ++k) {
    const int y = title_h + header_h + k * (tile_h + gap);
    paste_zoomed(img, vae::image_data(set, pairs[static_cast<std::size_t>(k)].first), rows, cols, x_a, y);
    paste_zoomed(img, vae::image_data(set, pairs[static_cast<std::size_t>(k)].second), rows, cols, x_b, y);
    for (int i = 0; i < steps; ++i) {
      const std::size_t tile = static_cast<std::size_t>(k) * static_cast<std::size_t>(steps) + static_cast<std::size_t>(i);
      paste_zoomed(img, decodes.data() + tile * D, rows, cols, x_strip + i * (tile_w + gap), y);
    }
  }
  return img;
}

vae::RgbImage scatter_picture(const std::vector<float>& mu, const vae::Labels& labels,
                              const std::vector<std::string>& names, const std::string& title) {
  vae::ScatterPoints pts;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    pts.x.push_back(mu[2 * i]);
    pts.y.push_back(mu[2 * i + 1]);
    pts.group.push_back(labels[i]);
  }
  std::vector<vae::ScatterGroup> groups;
  for (std::size_t c = 0; c < names.size(); ++c) groups.push_back({names[c], vae::plot_palette[c]});
  vae::PlotSpec spec;
  spec.width = names[0].size() > 1 ? 1040 : 900;   // room for the longer class names
  spec.height = 780;
  spec.title = title;
  spec.x_label = "mu_1";
  spec.y_label = "mu_2";
  return vae::render_scatter_plot(spec, pts, groups, 1);
}

template <class Model>
std::vector<std::string> make_figures(const Options& o, const vae::Dataset& test) {
  auto model = std::make_unique<Model>(256);
  vae::load_weights(*model, o.weights);
  std::vector<std::string> written;
  const std::string name = o.title + (o.title.empty() ? "" : ", ") + "latent " + std::to_string(Model::dim_z);

  const auto pairs = vae_apps::interpolation_pairs(test.labels, o.pairs, o.seed);
  if (static_cast<int>(pairs.size()) < o.pairs) {
    throw vae::Error(o.data + ": found only " + std::to_string(pairs.size()) + " of " +
                     std::to_string(o.pairs) + " pairs of test images with different labels");
  }
  vae_apps::ProgressLine progress("vae_figures", "pictures of " + o.weights, Model::dim_z == 2 ? 3 : 1, o.quiet);
  progress.update(0, "interpolation.png");
  const std::vector<std::uint8_t> decodes = vae_apps::interpolation_decodes(*model, test.images, pairs, o.steps);
  vae::write_png_rgb(o.out + "/interpolation.png",
                     interpolation_picture(test.images, pairs, decodes, o.steps,
                                           name + ": decoding (1-t) mu_a + t mu_b"));
  written.push_back("interpolation.png");

  if constexpr (Model::dim_z == 2) {
    progress.update(1, "manifold.png");
    const vae_apps::GrayPicture man = vae_apps::manifold(*model, o.grid);
    vae::write_png_gray(o.out + "/manifold.png", man.width, man.height, man.pixels.data());
    written.push_back("manifold.png");
    progress.update(2, "latent_scatter.png");
    const std::vector<float> mu = vae_apps::latent_means(*model, test.images);
    vae::write_png_rgb(o.out + "/latent_scatter.png",
                       scatter_picture(mu, test.labels, class_names(o.classes),
                                       name + ": mu of the " + std::to_string(test.size()) + " test images"));
    written.push_back("latent_scatter.png");
  }
  std::string done = "wrote";
  for (const std::string& f : written) done += " " + o.out + "/" + f;
  progress.finish(done);
  return written;
}

int run(int argc, char** argv) {
  Options o;
  CLI::App app{"Latent-space pictures of a trained model: interpolation.png, and for latent 2 "
               "manifold.png and latent_scatter.png.", "vae_figures"};
  vae_apps::set_up_help(app);
  app.add_option("weights", o.weights, "a full .vaew weight file (with the encoder) of a compiled shape: " VAE_MODELS_TEXT)->required();
  app.add_option("-o,--out", o.out, "folder for the pictures (made if missing)")->required();
  app.add_option("--data", o.data, "folder with the test IDX files (t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte); "
                                   "MNIST is fetched if the default is empty");
  vae_apps::add_test_limit(app, o.test_limit)->description("use the first N test images (0: all): pairs and the scatter");
  vae_apps::add_threads(app, o.threads);
  vae_apps::add_quiet(app, o.quiet, "errors only: no progress, no list of the pictures");
  app.add_option("--classes", o.classes, "label names in the scatter's legend")
      ->check(CLI::IsMember({"digits", "fashion"}));
  app.add_option("--title", o.title, "what the model is, for the pictures' titles (e.g. \"MNIST VAE\")");
  app.add_option("--pairs", o.pairs, "interpolation rows")->check(vae_apps::integer(1, 64));
  app.add_option("--steps", o.steps, "decodes per interpolation row, both ends included")
      ->check(vae_apps::integer(2, 32));
  app.add_option("--grid", o.grid, "manifold digits per side")->check(vae_apps::integer(2, 60));
  vae_apps::add_seed(app, o.seed, "seed of the interpolation pairs");
  if (const int rc = vae_apps::parse_command_line(app, argc, argv); rc >= 0) return rc;
  // The output folder is checked before the model and the data are read, made once they are.
  vae_apps::check_output_dir(o.out, "--out");
  const vae::WeightsFile wf = vae::read_weights(o.weights);
  if (wf.find("cls_fc_w")) {
    throw vae::Error(o.weights + ": a digit classifier file; vae_figures needs a VAE or autoencoder file");
  }
  if (!wf.has_encoder()) {
    throw vae::Error(o.weights + ": decoder-only file; the pictures need the encoder's mu (use the full file)");
  }
  if (!vae_apps::model_compiled(wf.dim_x, wf.dim_h, wf.dim_z)) {
    throw vae::Error(o.weights + ": " + vae_apps::not_compiled_message(wf.dim_x, wf.dim_h, wf.dim_z));
  }
  vae_apps::ensure_mnist("vae_figures", o.data, app.count("--data") > 0, o.quiet,
                         {"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"});
  vae::Dataset test = vae::load_mnist(o.data, vae::Split::test);
  if (o.test_limit > 0 && o.test_limit < test.size()) {
    test = vae::head(test, o.test_limit);
  }
  vae::set_blas_threads(o.threads);
  if (test.images.shape(1) != 28 || test.images.shape(2) != 28) {
    throw vae::Error(o.data + ": test images are " + std::to_string(test.images.shape(1)) + "x" +
                     std::to_string(test.images.shape(2)) + ", the models take 28x28");
  }
  for (std::uint8_t l : test.labels) {
    if (l > 9) throw vae::Error(o.data + ": label " + std::to_string(l) + " in the test labels, expected 0..9");
  }
  vae_apps::check_output_file(o.out + "/interpolation.png", "--out");
  vae_apps::make_output_dir(o.out, "--out");
  // The shapes of VAE_MODELS (vae_models.hpp).
  const std::vector<std::string> written =
      vae_apps::with_model(wf.dim_x, wf.dim_h, wf.dim_z, o.weights + ": ", [&](auto shape) {
        using S = decltype(shape);
        return make_figures<vae::Vae<S::x, S::h, S::z>>(o, test);
      });
  if (!o.quiet) {
    std::printf("vae_figures: wrote");
    for (const std::string& f : written) std::printf(" %s/%s", o.out.c_str(), f.c_str());
    std::printf("\n");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return vae_apps::run_main("vae_figures", [&] { return run(argc, argv); });
}
