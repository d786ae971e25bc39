// report.cpp - vae_train's settings JSON, weight-file note, loss curve and metrics.json
// (declared in run.hpp). Everything here is model-independent; the pictures that need the
// model are in apps/common/model_pictures.hpp.
#include <cstdio>
#include <string>
#include <vector>

#include "run.hpp"
#include "vae/blas.hpp"
#include "vae/files/atomic_file.hpp"

#ifndef VAE_SOURCE_DIR
#define VAE_SOURCE_DIR "."
#endif

namespace vae_apps {

nlohmann::json training_settings_json(const TrainSettings& s) {
  return {{"mode", s.mode},   {"loss", s.loss},     {"beta", s.beta},
          {"batch", s.batch}, {"lr", s.lr},         {"seed", s.seed},
          {"hidden", s.hidden}, {"latent", s.latent}, {"train_limit", s.train_limit}};
}

nlohmann::json run_settings_json(const TrainSettings& s, const std::string& cwd) {
  nlohmann::json j = training_settings_json(s);
  j["run"] = {{"epochs", s.epochs},         {"test_limit", s.test_limit}, {"out", s.out},
              {"report", s.report},         {"checkpoint", s.checkpoint},
              {"data", s.data},             {"threads", s.threads},
              {"checkpoint_every", s.checkpoint_every}, {"cwd", cwd}};
  return j;
}

void write_run_json(const TrainSettings& s, const std::string& status, int epochs_done,
                    const std::string& note) {
  if (s.report.empty()) return;
  nlohmann::json settings = training_settings_json(s);
  settings["epochs"] = s.epochs;
  settings["test_limit"] = s.test_limit;
  nlohmann::json j = {{"status", status},
                      {"finished", status == "finished"},
                      {"epochs_done", epochs_done},
                      {"epochs", s.epochs},
                      {"settings", settings},
                      {"outputs", {{"out", s.out}, {"report", s.report}, {"checkpoint", s.checkpoint}}}};
  // Absolute, for vae_report and --resume DIR from anywhere.
  if (!s.out.empty()) j["weights_file"] = resolved_path(s.out);
  if (!s.interrupt_checkpoint.empty()) j["checkpoint_file"] = resolved_path(s.interrupt_checkpoint);
  if (status != "finished") {
    j["note"] = "an unfinished run: metrics.json and the pictures, if present, are not its result";
    if (!s.interrupt_checkpoint.empty()) j["resume_command"] = s.resume_command;
  }
  if (!note.empty()) j["message"] = note;
  vae::write_file_atomic(s.report + "/run.json", j.dump(2) + "\n");
}

std::string weights_note(const TrainSettings& s, std::size_t train_images) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "vae_train --mode %s --loss %s --beta %g --epochs %d --batch %d --lr %g --seed %llu "
                "--hidden %d --latent %d --threads %d; %zu training images",
                s.mode.c_str(), s.loss.c_str(), s.beta, s.epochs, s.batch, s.lr,
                static_cast<unsigned long long>(s.seed), s.hidden, s.latent, s.threads, train_images);
  if (!s.init.empty()) return std::string(buf) + "; --init " + s.init;
  return buf;
}

std::string run_title(const TrainSettings& s) {
  char buf[160];
  if (s.mode == "ae") {
    std::snprintf(buf, sizeof buf, "autoencoder (%s only), latent %d", s.loss == "bce" ? "BCE" : "MSE", s.latent);
  } else {
    std::snprintf(buf, sizeof buf, "VAE (%s + %g KL), latent %d", s.loss == "bce" ? "BCE" : "MSE", s.beta, s.latent);
  }
  return buf;
}

void write_loss_curve(const std::string& path, const std::vector<vae::EpochRecord>& history,
                      const std::string& title) {
  vae::Curve train{"train", {}, {}, vae::plot_blue, vae::LineStyle::solid};
  vae::Curve test{"test (z sampled)", {}, {}, vae::plot_orange, vae::LineStyle::dashed};
  for (const vae::EpochRecord& r : history) {
    train.x.push_back(r.epoch);
    train.y.push_back(r.train_loss);
    test.x.push_back(r.epoch);
    test.y.push_back(r.test_loss);
  }
  vae::PlotSpec spec;
  spec.title = title + ": loss per image";
  spec.x_label = "epoch";
  spec.y_label = "loss per image (sum over pixels)";
  spec.integer_x = true;
  vae::write_png_rgb(path, vae::render_line_plot(spec, {train, test}));
}

void write_metrics_json(const std::string& path, const TrainSettings& s, const nlohmann::json& final_figures,
                        const nlohmann::json& model, std::size_t train_images, std::size_t test_images,
                        const std::vector<vae::EpochRecord>& history, int resumed_from,
                        double session_seconds, const char* first_layer, const char* latent_block) {
  double epoch_seconds = 0;
  for (const vae::EpochRecord& r : history) epoch_seconds += r.seconds;
  nlohmann::json settings = training_settings_json(s);
  settings["epochs"] = s.epochs;
  settings["threads"] = s.threads;
  settings["data"] = s.data;
  settings["test_limit"] = s.test_limit;
  const std::string commit = git_commit(VAE_SOURCE_DIR);
  nlohmann::json j = {
      {"losses", "per image, summed over the pixels; test figures with z sampled once per image "
                 "unless marked z_mu (z = the encoder's mean)"},
      {"final", final_figures},
      {"settings", settings},
      {"model", model},
      {"data", {{"train_images", train_images}, {"test_images", test_images}}},
      {"run",
       {{"epochs_seconds", epoch_seconds},
        {"session_seconds", session_seconds},
        {"resumed_from_epoch", resumed_from >= 0 ? nlohmann::json(resumed_from) : nlohmann::json()},
        {"git_commit", commit.empty() ? nlohmann::json() : nlohmann::json(commit)},
        // The products' last bits, and their speed, depend on these (vae/blas.hpp).
        {"openblas_kernels", vae::blas_kernels()},
        // enc_fc's products: the sparse kernels by the data's density and the CPU (vae/sparse.hpp).
        {"first_layer", first_layer},
        // enc_mu, enc_logvar, z + KL, dec_fc: fused by the CPU's kernels, or the layers' sgemm (vae/latent.hpp).
        {"latent_block", latent_block}}},
  };
  vae::write_file_atomic(path, j.dump(2) + "\n");
}

}  // namespace vae_apps
