// vae_report - set finished vae_train runs side by side: summary.md and comparison pictures.
//
//   vae_report --out reports runs/ae runs/vae
//
// Each run directory is what `vae_train --run DIR` leaves (or `--report DIR` with --out): losses.csv,
// metrics.json, run.json and the weights, DIR/weights.vaew or the file run.json names. A run that
// run.json says is unfinished (interrupted, failed, still running) is refused with the command
// that resumes it: its figures are not a result. From them this writes, into --out:
//   loss_curves.png      every run's train (solid) and test (dashed) loss in one plot
//   reconstructions.png  the same test digits: originals, then each run's reconstruction (z = mu)
//   samples.png          each run's decodes of the SAME 64 draws z ~ N(0, I), side by side
//   summary.md           the final figures in a table (with the PyTorch reference where the
//                        settings are the write-up's), the pictures above, and links to the
//                        latent-space pictures of `scripts/run figures` (--figures DIR) that exist
// The weights are loaded with vae::load_weights, so a report also proves the files load.
// It trains nothing and changes nothing in the run directories. Exit status: 0, 1 runtime
// error, 2 usage error; errors are one line on stderr.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_main.hpp"
#include "mnist_policy.hpp"
#include "model_pictures.hpp"
#include "progress_line.hpp"
#include "report_files.hpp"
#include "vae/blas.hpp"
#include "vae/error.hpp"
#include "vae/files/atomic_file.hpp"
#include "vae/idx.hpp"
#include "vae/image/image.hpp"
#include "vae/vae.hpp"
#include "vae/weights.hpp"
#include "vae_models.hpp"

namespace {

using vae_apps::UsageError;

constexpr int recon_per_row = 16, recon_row_pairs = 2, sample_count = 64;
constexpr std::uint64_t sample_seed = 1;   // the same z draws for every run

struct Run {
  std::string dir, label;
  std::string weights;   // DIR/weights.vaew, or the file run.json names
  nlohmann::json metrics;
  std::vector<vae::EpochRecord> history;
  int hidden = 0, latent = 0;          // the model: 784-hidden-latent
  std::vector<std::uint8_t> recon;     // (32, 784) reconstructions of the first test digits
  std::vector<std::uint8_t> samples;   // (64, 784) vae::sample(model, 64, sample_seed)
};

template <class Model>
void decode_run(Run& run, const vae::ImageSet& test) {
  auto model = std::make_unique<Model>(128);
  vae::load_weights(*model, run.weights);
  const std::size_t n = recon_per_row * recon_row_pairs;
  run.recon = vae_apps::to_bytes(vae::reconstruct(*model, vae::head(test, n)));   // z = mu
  run.samples = vae_apps::to_bytes(vae::sample(*model, sample_count, sample_seed));
}

// A run folder's files, checked before anything is decoded: run.json (when there) says the run
// finished, metrics.json is whole, the weights exist.
Run check_run(const std::string& dir) {
  Run run;
  run.dir = dir;
  run.label = std::filesystem::path(dir).filename().string();
  if (run.label.empty()) run.label = std::filesystem::path(dir).parent_path().filename().string();
  run.weights = dir + "/weights.vaew";
  const std::string run_json = dir + "/run.json";
  if (std::filesystem::exists(run_json)) {   // vae_train since issue 14; older folders have none
    const std::vector<std::uint8_t> bytes = vae::read_file(run_json);
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(bytes.begin(), bytes.end());
      const std::string status = j.at("status").get<std::string>();
      if (status != "finished" || !j.value("finished", false)) {
        const std::string resume = j.value("resume_command", "");
        throw vae::Error(dir + ": an unfinished run (run.json: " + status + ", epoch " +
                         std::to_string(j.value("epochs_done", -1)) + " of " + std::to_string(j.value("epochs", -1)) +
                         "); its figures are not a result" + (resume.empty() ? "" : "; resume it with: " + resume));
      }
    } catch (const nlohmann::json::exception& e) {
      throw vae::Error(run_json + ": not what vae_train writes (" + std::string(e.what()) + ")");
    }
    if (!std::filesystem::exists(run.weights)) run.weights = j.value("weights_file", run.weights);
  }
  if (!std::filesystem::exists(run.weights)) {
    throw vae::Error(dir + ": no weights (" + run.weights + "); train the run with vae_train --run " + dir +
                     " (or --report " + dir + " --out " + dir + "/weights.vaew)");
  }
  const std::vector<std::uint8_t> bytes = vae::read_file(dir + "/metrics.json");
  try {
    run.metrics = nlohmann::json::parse(bytes.begin(), bytes.end());
    run.hidden = run.metrics.at("model").at("dim_h").get<int>();
    run.latent = run.metrics.at("model").at("dim_z").get<int>();
    run.metrics.at("final").at("test_loss").get<double>();
  } catch (const nlohmann::json::exception& e) {
    throw vae::Error(dir + "/metrics.json: not what vae_train writes (" + std::string(e.what()) + ")");
  }
  run.history = vae_apps::read_losses_csv(dir + "/losses.csv");
  if (run.hidden < 1 || run.latent < 1 ||
      !vae_apps::model_compiled(784, static_cast<std::size_t>(run.hidden), static_cast<std::size_t>(run.latent))) {
    throw vae::Error(dir + ": " + vae_apps::not_compiled_message(784, static_cast<std::size_t>(run.hidden),
                                                                 static_cast<std::size_t>(run.latent)));
  }
  return run;
}

void decode(Run& run, const vae::ImageSet& test) {
  // The shapes of VAE_MODELS (vae_models.hpp); read_run refused any other.
  vae_apps::with_model(784, static_cast<std::size_t>(run.hidden), static_cast<std::size_t>(run.latent),
                       run.dir + ": ", [&](auto shape) {
                         using S = decltype(shape);
                         decode_run<vae::Vae<S::x, S::h, S::z>>(run, test);
                       });
}

// A gray tile grid (2x) pasted into an RGB canvas at (x, y).
void paste_gray(vae::RgbImage& canvas, const vae_apps::GrayPicture& g, int x, int y) {
  for (int r = 0; r < g.height; ++r) {
    for (int c = 0; c < g.width; ++c) {
      const std::uint8_t v = g.pixels[static_cast<std::size_t>(r) * g.width + c];
      canvas.set(x + c, y + r, vae::Rgb{v, v, v});
    }
  }
}

const vae::Rgb ink{0, 0, 0};
const vae::Rgb paper{255, 255, 255};

// Rows: originals, then each run's reconstructions, for each block of 16 digits; a label on
// the left of every row.
void write_reconstructions(const std::string& path, const std::vector<Run>& runs,
                           const vae::ImageSet& test) {
  std::vector<std::uint8_t> tiles;
  std::vector<std::string> labels;
  const std::size_t D = 784;
  for (int b = 0; b < recon_row_pairs; ++b) {
    const std::size_t first = static_cast<std::size_t>(b) * recon_per_row * D, last = first + recon_per_row * D;
    tiles.insert(tiles.end(), vae::image_data(test, 0) + first, vae::image_data(test, 0) + last);
    labels.push_back("original");
    for (const Run& r : runs) {
      tiles.insert(tiles.end(), r.recon.begin() + static_cast<std::ptrdiff_t>(first),
                   r.recon.begin() + static_cast<std::ptrdiff_t>(last));
      labels.push_back(r.label);
    }
  }
  const int rows = static_cast<int>(labels.size());
  const vae_apps::GrayPicture grid =
      vae_apps::grid_picture(tiles, rows * recon_per_row, 28, 28, recon_per_row);
  int label_w = 0;
  for (const std::string& l : labels) label_w = std::max(label_w, vae::text_width(l, 2));
  const int margin = label_w + 16;
  vae::RgbImage canvas(margin + grid.width, grid.height, paper);
  paste_gray(canvas, grid, margin, 0);
  for (int r = 0; r < rows; ++r) {
    const int center = (1 + r * 29) * 2 + 28;   // tile_grid with pad 1, enlarged 2x
    vae::draw_text(canvas, 8, center - vae::text_height(2) / 2, labels[r], ink, 2);
  }
  vae::write_png_rgb(path, canvas);
}

void write_samples(const std::string& path, const std::vector<Run>& runs) {
  const int caption_h = 40, gap = 24;
  std::vector<vae_apps::GrayPicture> grids;
  for (const Run& r : runs) grids.push_back(vae_apps::grid_picture(r.samples, sample_count, 28, 28, 8));
  const int w = static_cast<int>(runs.size()) * (grids[0].width + gap) + gap;
  vae::RgbImage canvas(w, caption_h + grids[0].height + gap, paper);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const int x = gap + static_cast<int>(i) * (grids[0].width + gap);
    paste_gray(canvas, grids[i], x, caption_h);
    const std::string caption = runs[i].label + ": decoded z ~ N(0, I)";
    vae::draw_text(canvas, x + (grids[i].width - vae::text_width(caption, 2)) / 2, 12, caption, ink, 2);
  }
  vae::write_png_rgb(path, canvas);
}

void write_loss_curves(const std::string& path, const std::vector<Run>& runs) {
  const vae::Rgb colors[] = {vae::plot_blue, vae::plot_orange, vae::plot_green, vae::plot_red};
  std::vector<vae::Curve> curves;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    vae::Curve train{runs[i].label + " train", {}, {}, colors[i % 4], vae::LineStyle::solid};
    vae::Curve test{runs[i].label + " test", {}, {}, colors[i % 4], vae::LineStyle::dashed};
    for (const vae::EpochRecord& r : runs[i].history) {
      train.x.push_back(r.epoch);
      train.y.push_back(r.train_loss);
      test.x.push_back(r.epoch);
      test.y.push_back(r.test_loss);
    }
    curves.push_back(train);
    curves.push_back(test);
  }
  vae::PlotSpec spec;
  spec.title = "loss per image by epoch (test: z sampled)";
  spec.x_label = "epoch";
  spec.y_label = "loss per image (log scale)";
  spec.integer_x = true;
  spec.log_y = true;
  vae::write_png_rgb(path, vae::render_line_plot(spec, curves));
}

std::string fmt(double v, int decimals = 2) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// The write-up's PyTorch figures apply only to its exact settings.
struct Reference {
  double pytorch_50 = NAN, bar = NAN;
};
Reference reference_for(const nlohmann::json& m) {
  const nlohmann::json& s = m.at("settings");
  const bool standard = s.value("loss", "") == "mse" && s.value("latent", 0) == 20 &&
                        s.value("batch", 0) == 128 && std::fabs(s.value("lr", 0.0) - 1e-3) < 1e-9 &&
                        s.value("train_limit", 1) == 0 && s.value("test_limit", 1) == 0 &&
                        m.at("final").value("epoch", 0) == 50;
  if (!standard) return {};
  if (s.value("mode", "") == "ae" && s.value("beta", 1.0) == 0.0) return {5.39, 5.5};
  if (s.value("mode", "") == "vae" && s.value("beta", 0.0) == 1.0) return {28.71, 29.0};
  return {};
}

std::string objective(const nlohmann::json& s) {
  const std::string loss = s.value("loss", "") == "bce" ? "BCE" : "MSE";
  if (s.value("mode", "") == "ae") return loss + " only (autoencoder)";
  return loss + " + " + fmt(s.value("beta", 1.0), s.value("beta", 1.0) == 1.0 ? 0 : 2) + " KL (VAE)";
}

// The latent-space pictures `scripts/run figures` writes with vae_figures, one folder per model.
struct FigureModel {
  const char* dir;     // under the figures folder
  const char* what;
  bool latent2;        // has manifold.png and latent_scatter.png
};
constexpr FigureModel figure_models[] = {
    {"mnist-vae-20", "MNIST VAE, latent 20 (the shipped weights/mnist_vae.vaew)", false},
    {"mnist-ae-20", "MNIST autoencoder, latent 20 (the shipped weights/mnist_ae.vaew)", false},
    {"mnist-vae-2", "MNIST VAE, latent 2", true},
    {"fashion-vae-20", "Fashion-MNIST VAE, latent 20", false},
    {"fashion-vae-2", "Fashion-MNIST VAE, latent 2", true},
};

// The summary's section on them: the MNIST latent-2 manifold and scatter and the MNIST VAE's
// interpolation shown, then every picture of every model linked; what is missing is named with
// the command that makes it.
std::string figures_markdown(const std::string& figures_dir, const std::function<std::string(const std::string&)>& rel) {
  namespace fs = std::filesystem;
  std::string md = "## Latent space\n\n";
  auto exists = [&](const std::string& f) { return fs::exists(figures_dir + "/" + f); };
  bool any = false;
  for (const FigureModel& m : figure_models) any = any || exists(std::string(m.dir) + "/interpolation.png");
  if (!any) {
    return md + "Not made yet: `scripts/run figures` makes them in `" + rel(figures_dir) +
           "/` (interpolations between test images for the shipped MNIST VAE and autoencoder; it trains "
           "an MNIST VAE of latent 2 and Fashion-MNIST VAEs of latent 20 and 2 for the manifold, the "
           "scatter of the test set's mu and their interpolations), then links them here.\n\n";
  }
  md += "Made by `scripts/run figures` (`vae_figures`). Interpolation rows: a test image, decodes of "
        "(1-t) mu_a + t mu_b for t = 0 .. 1 (the ends are the reconstructions), the other image.\n\n";
  auto show = [&](const std::string& f, const std::string& alt) {
    if (exists(f)) md += "![" + alt + "](" + rel(figures_dir + "/" + f) + ")\n\n";
  };
  show("mnist-vae-20/interpolation.png", "MNIST VAE, latent 20: interpolations");
  show("mnist-vae-2/manifold.png", "MNIST VAE, latent 2: the decoder over the latent plane");
  show("mnist-vae-2/latent_scatter.png", "MNIST VAE, latent 2: test-set mu by digit");
  for (const FigureModel& m : figure_models) {
    md += std::string("- ") + m.what;
    // A model trained by the job has its vae_train report beside the pictures: say how it ended.
    const std::string metrics = figures_dir + "/" + m.dir + "/metrics.json";
    if (fs::exists(metrics)) {
      try {
        const std::vector<std::uint8_t> bytes = vae::read_file(metrics);
        const nlohmann::json j = nlohmann::json::parse(bytes.begin(), bytes.end());
        const int epochs = j.at("final").at("epoch").get<int>();
        md += " (" + std::to_string(epochs) + (epochs == 1 ? " epoch" : " epochs") + ", test loss " +
              fmt(j.at("final").at("test_loss").get<double>()) + " z sampled, [report](" +
              rel(figures_dir + "/" + m.dir) + "/))";
      } catch (const nlohmann::json::exception& e) {
        throw vae::Error(metrics + ": not what vae_train writes (" + std::string(e.what()) + ")");
      }
    }
    md += ":";
    std::vector<std::string> files{"interpolation.png"};
    if (m.latent2) files.insert(files.end(), {"manifold.png", "latent_scatter.png"});
    for (const std::string& f : files) {
      const std::string path = std::string(m.dir) + "/" + f;
      md += exists(path) ? " [" + f + "](" + rel(figures_dir + "/" + path) + ")" : " " + f + " (not made yet)";
    }
    md += "\n";
  }
  return md + "\n";
}

std::string summary_markdown(const std::vector<Run>& runs, const std::string& out_dir, double wall_seconds,
                             const std::string& figures_dir) {
  auto rel = [&](const std::string& p) {
    return std::filesystem::relative(std::filesystem::absolute(p), std::filesystem::absolute(out_dir)).string();
  };
  std::string md = "# Autoencoder vs VAE on MNIST\n\n";
  char date[64];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  const std::string commit = vae_apps::git_commit(VAE_SOURCE_DIR);
  md += "Written by `vae_report` on " + std::string(date) +
        (commit.empty() ? "" : ", source commit `" + commit + "`") + ".";
  if (wall_seconds > 0) {
    md += " Wall time of all the runs and this report (--wall-seconds, as `scripts/run train` "
          "measures it): **" + fmt(wall_seconds / 60, 1) + " min**.";
  }
  md += "\n\nLosses are per test image, summed over the 784 pixels; \"z sampled\" draws z once per "
        "image from the encoder's posterior, as the PyTorch reference evaluates.\n\n";
  md += "| |";
  for (const Run& r : runs) md += " " + r.label + " |";
  md += "\n|---|";
  for (std::size_t i = 0; i < runs.size(); ++i) md += "---|";
  md += "\n";
  auto row = [&](const std::string& name, auto cell) {
    md += "| " + name + " |";
    for (const Run& r : runs) md += " " + cell(r) + " |";
    md += "\n";
  };
  auto fin = [](const Run& r, const char* k) { return r.metrics.at("final").value(k, NAN); };
  row("objective", [&](const Run& r) { return objective(r.metrics.at("settings")); });
  row("latent, epochs, batch, lr", [&](const Run& r) {
    const auto& s = r.metrics.at("settings");
    return std::to_string(s.value("latent", 0)) + ", " + std::to_string(r.metrics.at("final").value("epoch", 0)) +
           ", " + std::to_string(s.value("batch", 0)) + ", " + fmt(s.value("lr", 0.0), 4);
  });
  row("**test loss, z sampled**", [&](const Run& r) { return "**" + fmt(fin(r, "test_loss")) + "**"; });
  row("test recon / KL, z sampled", [&](const Run& r) { return fmt(fin(r, "test_recon")) + " / " + fmt(fin(r, "test_kl")); });
  row("test loss, z = mu", [&](const Run& r) { return fmt(fin(r, "test_loss_z_mu")); });
  row("train loss, last epoch", [&](const Run& r) { return fmt(fin(r, "train_loss")); });
  row("PyTorch, 50 epochs", [&](const Run& r) {
    const Reference ref = reference_for(r.metrics);
    return std::isnan(ref.pytorch_50) ? std::string("n/a") : fmt(ref.pytorch_50);
  });
  row("acceptance", [&](const Run& r) {
    const Reference ref = reference_for(r.metrics);
    if (std::isnan(ref.bar)) return std::string("n/a (not the write-up's settings)");
    return std::string(fin(r, "test_loss") <= ref.bar ? "pass" : "FAIL") + " (<= " + fmt(ref.bar, 1) + ")";
  });
  row("training time", [&](const Run& r) {
    return fmt(r.metrics.at("run").value("epochs_seconds", 0.0) / 60, 1) + " min (" +
           std::to_string(r.metrics.at("settings").value("threads", 0)) + " threads)";
  });
  row("OpenBLAS kernels", [&](const Run& r) {   // what the time and the last bits depend on
    return r.metrics.at("run").value("openblas_kernels", std::string("-"));
  });
  row("first layer", [&](const Run& r) {   // enc_fc's products: dense, or sparse by which kernels
    return r.metrics.at("run").value("first_layer", std::string("-"));
  });
  row("latent block", [&](const Run& r) {   // fused by which kernels, or the layers' sgemm
    return r.metrics.at("run").value("latent_block", std::string("-"));
  });
  md += "\n## Loss curves\n\n![loss curves](loss_curves.png)\n\n"
        "Solid: training loss (running mean over the epoch); dashed: test loss after the epoch. "
        "Log scale, so that both objectives fit.\n\n";
  md += "## Reconstructions\n\n![reconstructions](reconstructions.png)\n\n"
        "The first 32 test digits, each followed by its reconstruction from every model (z = mu).\n\n";
  md += "## Samples: decoding z ~ N(0, I)\n\n![samples](samples.png)\n\n"
        "Both decoders get the same 64 draws from the prior. The autoencoder's latent codes were "
        "never asked to look like N(0, I), so its decodes of prior draws are mostly not digits; "
        "the VAE's KL term shapes the codes towards the prior, so its decodes are digits.\n\n";
  md += figures_markdown(figures_dir, rel);
  md += "## Each run\n\n";
  for (const Run& r : runs) {
    md += "- **" + r.label + "** (`" + rel(r.dir) + "/`): [losses.csv](" + rel(r.dir) + "/losses.csv), [metrics.json](" +
          rel(r.dir) + "/metrics.json), [loss curve](" + rel(r.dir) + "/loss_curve.png), [reconstructions](" +
          rel(r.dir) + "/reconstructions.png), [samples](" + rel(r.dir) + "/samples.png)" +
          (r.latent == 2 ? ", [manifold](" + rel(r.dir) + "/manifold.png)" : "") + ", weights `" + rel(r.weights) +
          "`\n";
  }
  return md;
}

int run(int argc, char** argv) {
  std::string out = "reports", data = "data/mnist";
  std::vector<std::string> dirs;
  double wall_seconds = 0;
  std::string figures;
  bool quiet = false;
  int threads = 1;
  CLI::App app{"Set finished vae_train runs side by side: summary.md, loss_curves.png, "
               "reconstructions.png, samples.png.", "vae_report"};
  vae_apps::set_up_help(app);
  app.add_option("-o,--out", out, "folder for the summary and the comparison pictures (made if missing)");
  app.add_option("--data", data, "folder with the MNIST test files (fetched if the default is empty)");
  vae_apps::add_threads(app, threads);
  vae_apps::add_quiet(app, quiet, "errors only");
  app.add_option("--wall-seconds", wall_seconds, "wall time of the whole experiment, for the summary (0: omit)")
      ->check(vae_apps::non_negative_real());
  app.add_option("--figures", figures, "folder of `scripts/run figures`' pictures, linked when there (default: OUT/figures)");
  app.add_option("runs", dirs, "run folders (vae_train --run DIR), finished")->required();
  if (const int rc = vae_apps::parse_command_line(app, argc, argv); rc >= 0) return rc;
  if (dirs.size() > 4) throw UsageError("at most 4 runs fit in one comparison");
  for (const std::string& d : dirs) {
    if (!std::filesystem::is_directory(d)) {
      throw vae::Error(d + ": no such run directory (expected a folder written by vae_train --report)");
    }
  }
  // Everything is checked before anything is made: the output folder, every run, MNIST.
  vae_apps::check_output_dir(out, "--out");
  vae_apps::check_output_file(out + "/summary.md", "--out");
  std::vector<Run> runs;
  for (const std::string& d : dirs) runs.push_back(check_run(d));
  vae_apps::ensure_mnist("vae_report", data, app.count("--data") > 0, quiet,
                         {"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"});
  const vae::ImageSet test = vae::load_mnist(data, vae::Split::test).images;
  vae::set_blas_threads(threads);
  {
    vae_apps::ProgressLine progress("vae_report", "decoding the runs", runs.size(), quiet);
    for (std::size_t i = 0; i < runs.size(); ++i) {
      progress.update(i, runs[i].label);
      decode(runs[i], test);
    }
  }
  vae_apps::make_output_dir(out, "--out");
  write_loss_curves(out + "/loss_curves.png", runs);
  write_reconstructions(out + "/reconstructions.png", runs, test);
  write_samples(out + "/samples.png", runs);
  vae::write_file_atomic(out + "/summary.md", summary_markdown(runs, out, wall_seconds, figures.empty() ? out + "/figures" : figures));
  if (!quiet) std::printf("vae_report: wrote %s/summary.md, loss_curves.png, reconstructions.png, samples.png\n", out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return vae_apps::run_main("vae_report", [&] { return run(argc, argv); });
}
