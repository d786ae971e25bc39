// run.hpp - one vae_train run for a compiled model configuration: train, evaluate, checkpoint,
// guard against divergence, then write the weights and the report directory.
//
// Order of effects per epoch: train (progress on stdout), evaluate the test set with z sampled,
// append the epoch to the history, write the checkpoint (atomically), then losses.csv and
// loss_curve.png. A non-finite loss stops the run before anything of that epoch is written, so
// the last checkpoint stays the last good one. At the end: the test loss once more with z = mu,
// the weight file (--out) and the report (--report), whose run.json says "running" until then and
// "finished" after. SIGINT/SIGTERM (outputs.hpp): the step in progress finishes, the state of the
// last completed epoch is saved, and run_training returns 130 after printing the resume command.
// Not the CLI: main.cpp parses and validates.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model_pictures.hpp"
#include "outputs.hpp"
#include "progress.hpp"
#include "report_files.hpp"
#include "settings.hpp"
#include "vae/blas.hpp"
#include "vae/checkpoint.hpp"
#include "vae/error.hpp"
#include "vae/image/image.hpp"
#include "vae/trainer.hpp"
#include "vae/vae.hpp"
#include "vae/weights.hpp"
#include "vae_models.hpp"

namespace vae_apps {

// The settings that define training, as stored in checkpoints (see settings.hpp).
nlohmann::json training_settings_json(const TrainSettings& s);
// Everything a resumed run needs (checkpoints hold it; see settings.hpp); paths as given,
// relative to `cwd`.
nlohmann::json run_settings_json(const TrainSettings& s, const std::string& cwd);
// report/run.json: status "running", "interrupted", "failed" or "finished"; only a finished run's
// report folder holds its result. Nothing without --report.
void write_run_json(const TrainSettings& s, const std::string& status, int epochs_done,
                    const std::string& note = "");
// Thrown from the step callback when SIGINT/SIGTERM arrived: the step that ran is complete.
struct Interrupted {
  int epoch;           // the epoch in progress (1-based)
  std::size_t step;    // steps of it done
};
// The free-text note of the weight file: the settings that produced it, reproducibly.
std::string weights_note(const TrainSettings& s, std::size_t train_images);
// loss_curve.png of one run: train (solid) and test (dashed) loss per epoch.
void write_loss_curve(const std::string& path, const std::vector<vae::EpochRecord>& history,
                      const std::string& title);
// metrics.json: final figures, settings, model, data and run facts.
void write_metrics_json(const std::string& path, const TrainSettings& s, const nlohmann::json& final_figures,
                        const nlohmann::json& model, std::size_t train_images, std::size_t test_images,
                        const std::vector<vae::EpochRecord>& history, int resumed_from,
                        double session_seconds, const char* first_layer, const char* latent_block);
std::string run_title(const TrainSettings& s);

// Returns the exit status: 0 finished, 130 interrupted (the resume command printed on stderr).
template <class Model>
int run_training(const TrainSettings& s, const vae::ImageSet& train, const vae::ImageSet& test,
                  const vae::Checkpoint* resume) {
  using clock = std::chrono::steady_clock;
  const auto session_start = clock::now();
  vae::set_blas_threads(s.threads);

  auto model = std::make_unique<Model>(static_cast<std::size_t>(s.batch));
  vae::TrainOptions opt;
  opt.loss = vae::LossSpec{s.loss == "bce" ? vae::Recon::bce : vae::Recon::mse, static_cast<float>(s.beta)};
  opt.adam.lr = static_cast<float>(s.lr);
  opt.batch = static_cast<std::size_t>(s.batch);
  opt.seed = s.seed;
  // The parameters: a checkpoint's (restored below), --init's file, or drawn from the seed.
  if (!resume && !s.init.empty()) vae::load_weights(*model, s.init);
  vae::Trainer<Model> trainer(*model, train, opt,
                              resume || !s.init.empty() ? vae::ParamInit::keep : vae::ParamInit::from_seed);

  std::vector<vae::EpochRecord> history;
  int resumed_from = -1;
  if (resume) {
    vae::restore_checkpoint(*resume, *model, s.resume);
    trainer.restore(static_cast<int>(resume->epochs_done), resume->rng);
    history = resume->history;
    resumed_from = static_cast<int>(resume->epochs_done);
  }
  const std::string settings_text = run_settings_json(s, std::filesystem::current_path().string()).dump();
  const std::string title = run_title(s);

  // For the divergence message: which epoch the checkpoint file holds, if any.
  int checkpoint_epoch =
      resume && !s.checkpoint.empty() && resolved_path(s.checkpoint) == resolved_path(s.resume) ? resumed_from : -1;
  auto checkpoint_state = [&]() -> std::string {
    if (s.checkpoint.empty()) return "; no --checkpoint was given";
    if (checkpoint_epoch < 0) return "; no checkpoint had been written yet";
    return "; the last good checkpoint " + s.checkpoint + " (epoch " +
           std::to_string(checkpoint_epoch) + ") is left intact";
  };
  Progress progress(Progress::detect(s.quiet), s.epochs, vae::image_count(train));
  if (resume) {
    progress.message("resumed from " + s.resume + " at epoch " + std::to_string(resumed_from) +
                     (resumed_from >= s.epochs ? "; --epochs " + std::to_string(s.epochs) + " already reached, nothing to train" : ""));
  }
  // What an interrupt saves. The checkpoint format has no step position (vae/checkpoint.hpp: the
  // epochs done and the RNG after them) and the trainer cannot start an epoch part-way, so a
  // mid-epoch state would not resume bit for bit. An interrupt therefore finishes the step in
  // progress and saves the state at the end of the last completed epoch: `pending`, a copy kept in
  // memory whenever that state is not already in the checkpoint file (always at the start, since
  // the settings of this invocation, --epochs or an added output, are not on disk yet). The resume
  // redoes the interrupted epoch from its start and gives the bytes of an uninterrupted run; the
  // price is at most one epoch of work, against a format change for a rarely used position.
  std::optional<vae::Checkpoint> pending =
      vae::capture_checkpoint(*model, static_cast<std::uint32_t>(trainer.epoch()), trainer.rng(), history, settings_text);
  write_run_json(s, "running", trainer.epoch());
  try {
  if (stop_requested()) throw Interrupted{trainer.epoch() + 1, 0};   // while the data was read
  for (int epoch = trainer.epoch() + 1; epoch <= s.epochs; ++epoch) {
    const auto t0 = clock::now();
    progress.epoch_start(epoch);
    const vae::LossSums tr = trainer.train_epoch([&](const vae::StepReport& r) {
      if (!std::isfinite(r.running.total)) {
        throw vae::Error("the loss is not finite at epoch " + std::to_string(epoch) + ", batch " +
                         std::to_string(r.batch_index) + " of " + std::to_string(r.batches_per_epoch) +
                         ": training diverged and was stopped (try a smaller --lr)" +
                         checkpoint_state());
      }
      progress.step(r.batch_index, r.batches_per_epoch, r.running);
      // The last step ends the epoch anyway: it is evaluated and saved, then the loop stops.
      if (stop_requested() && r.batch_index < r.batches_per_epoch) throw Interrupted{epoch, r.batch_index};
    });
    const vae::LossSums te = trainer.evaluate(test, true);
    if (!std::isfinite(te.total)) {
      throw vae::Error("the test loss is not finite after epoch " + std::to_string(epoch) +
                       ": training diverged and was stopped (try a smaller --lr)" + checkpoint_state());
    }
    const double seconds = std::chrono::duration<double>(clock::now() - t0).count();
    history.push_back(vae::EpochRecord{static_cast<double>(epoch), tr.total_per_image(),
                                       tr.recon_per_image(), tr.kl_per_image(), te.total_per_image(),
                                       te.recon_per_image(), te.kl_per_image(), seconds});
    progress.epoch_end(history.back());
    if (!s.checkpoint.empty() && (epoch % s.checkpoint_every == 0 || epoch == s.epochs)) {
      try {
        vae::write_checkpoint(s.checkpoint, vae::capture_checkpoint(*model, static_cast<std::uint32_t>(epoch),
                                                                    trainer.rng(), history, settings_text));
      } catch (const vae::Error& e) {   // disk full, permissions: say what is still on disk
        throw vae::Error(e.what() + checkpoint_state());
      }
      checkpoint_epoch = epoch;
      pending.reset();
      // After the rename: a run killed later resumes from this epoch (tests/cli rely on the line).
      progress.message("checkpoint: epoch " + std::to_string(epoch) + " saved to " + s.checkpoint);
    } else if (!s.interrupt_checkpoint.empty()) {
      pending = vae::capture_checkpoint(*model, static_cast<std::uint32_t>(epoch), trainer.rng(), history, settings_text);
    }
    if (!s.report.empty()) {
      write_losses_csv(s.report + "/losses.csv", history);
      write_loss_curve(s.report + "/loss_curve.png", history, title);
    }
    if (stop_requested() && epoch < s.epochs) {
      throw Interrupted{epoch, trainer.batches_per_epoch()};
    }
  }
  } catch (const Interrupted& at) {
    int saved = checkpoint_epoch;
    if (pending) {
      try {
        vae::write_checkpoint(s.interrupt_checkpoint, *pending);
      } catch (const vae::Error& e) {
        write_run_json(s, "interrupted", checkpoint_epoch, e.what());
        throw vae::Error(std::string("interrupted, but ") + e.what() + checkpoint_state());
      }
      saved = static_cast<int>(pending->epochs_done);
      progress.message("checkpoint: epoch " + std::to_string(saved) + " saved to " + s.interrupt_checkpoint);
    }
    write_run_json(s, "interrupted", saved,
                   "interrupted at epoch " + std::to_string(at.epoch) + ", step " + std::to_string(at.step) +
                       "; the checkpoint holds epoch " + std::to_string(saved));
    std::fprintf(stderr, "vae_train: interrupted at epoch %d, step %zu; resume with: %s\n", at.epoch, at.step,
                 s.resume_command.c_str());
    return 130;
  }

  // Final figures: the test set with z sampled (as in training's evaluation) and with z = mu.
  const vae::LossSums sampled = trainer.evaluate(test, true);
  const vae::LossSums mean = trainer.evaluate(test, false);
  nlohmann::json final_figures = {
      {"epoch", trainer.epoch()},
      {"test_loss", sampled.total_per_image()},
      {"test_recon", sampled.recon_per_image()},
      {"test_kl", sampled.kl_per_image()},
      {"test_loss_z_mu", mean.total_per_image()},
      {"test_recon_z_mu", mean.recon_per_image()},
      {"test_kl_z_mu", mean.kl_per_image()},
  };
  if (!history.empty()) {
    final_figures["train_loss"] = history.back().train_loss;
    final_figures["train_recon"] = history.back().train_recon;
    final_figures["train_kl"] = history.back().train_kl;
  }

  if (!s.out.empty()) {
    vae::SaveOptions so;
    so.note = weights_note(s, vae::image_count(train));
    vae::save_weights(*model, s.out, so);
  }
  if (!s.report.empty()) {
    const std::string& dir = s.report;
    write_losses_csv(dir + "/losses.csv", history);
    if (!history.empty()) write_loss_curve(dir + "/loss_curve.png", history, title);
    const GrayPicture rec = reconstructions(*model, test, 16, std::min<int>(2, static_cast<int>(vae::image_count(test) / 16)));
    vae::write_png_gray(dir + "/reconstructions.png", rec.width, rec.height, rec.pixels.data());
    const GrayPicture smp = samples(*model, s.seed);
    vae::write_png_gray(dir + "/samples.png", smp.width, smp.height, smp.pixels.data());
    if constexpr (Model::dim_z == 2) {
      const GrayPicture man = manifold(*model);
      vae::write_png_gray(dir + "/manifold.png", man.width, man.height, man.pixels.data());
    }
    const nlohmann::json model_json = {{"dim_x", Model::dim_x}, {"dim_h", Model::dim_h},
                                       {"dim_z", Model::dim_z}, {"num_params", Model::num_params}};
    write_metrics_json(dir + "/metrics.json", s, final_figures, model_json, vae::image_count(train), vae::image_count(test),
                       history, resumed_from,
                       std::chrono::duration<double>(clock::now() - session_start).count(),
                       vae::first_layer_description(model->enc.first_layer),
                       vae::latent_block_description(model->fuse_latent));
    write_run_json(s, "finished", trainer.epoch());
  }
  char line[256];
  std::snprintf(line, sizeof line, "done: epoch %d, test loss %.3f (recon %.3f, kl %.3f) with z sampled, %.3f with z = mu; %s",
                trainer.epoch(), sampled.total_per_image(), sampled.recon_per_image(),
                sampled.kl_per_image(), mean.total_per_image(),
                format_duration(std::chrono::duration<double>(clock::now() - session_start).count()).c_str());
  progress.message(line);
  return 0;
}

// Instantiated once per shape of VAE_MODELS, each in its own translation unit (run_model.cpp.in).
#define VAE_MODEL(X, H, Z)                                                                       \
  extern template int run_training<vae::Vae<X, H, Z>>(const TrainSettings&, const vae::ImageSet&, \
                                                      const vae::ImageSet&, const vae::Checkpoint*);
#include "vae_models.def"
#undef VAE_MODEL

}  // namespace vae_apps
