// vae_train - train the autoencoder or the VAE on MNIST; write weights, checkpoints and a report.
//
//   vae_train --mode ae  --out ae.vaew  --report reports/ae      # MSE only (beta 0)
//   vae_train --mode vae --out vae.vaew --report reports/vae     # MSE + KL (beta 1)
//   vae_train --run runs/vae --epochs 3        # the run's home: weights, checkpoint, report, run.json
//   vae_train --resume runs/vae                # continue it (Ctrl-C saves and prints this command)
//   vae_train --checkpoint run.vaeckpt ...; vae_train --resume run.vaeckpt   # the same, file by file
//   vae_train --init from_torch.vaew --epochs 5 --out tuned.vaew   # fine-tune given weights
//
// This file is the command line: parsing (CLI11), validation, MNIST (mnist_policy.hpp: fetched
// when the default folder is empty), a run folder (--run DIR: DIR/weights.vaew, the checkpoint
// DIR/checkpoint.vaeckpt and the report in DIR itself, each overridable by its flag), taking over the run recorded in a checkpoint on --resume (its
// settings, epochs and outputs), refusing runs that would save nothing or whose outputs collide,
// locking the outputs (outputs.hpp), and dispatch to the compiled model (--hidden H --latent Z, a
// shape of VAE_MODELS: apps/common/vae_models.hpp; run_model.cpp.in instantiates it); run.hpp
// does the work. Exit status: 0 done, 1 runtime error (data, files, divergence, outputs in use),
// 2 usage error, 130 interrupted (SIGINT/SIGTERM; the resume command is printed). Every error is
// one line on stderr.
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <new>
#include <string>
#include <thread>

#include "mnist_policy.hpp"
#include "outputs.hpp"
#include "run.hpp"
#include "vae/files/atomic_file.hpp"
#include "vae_models.hpp"
#include "vae/idx.hpp"
#include "vae/weights.hpp"

namespace {

using vae_apps::resolved_path;
using vae_apps::shell_quote;
using vae_apps::TrainSettings;
using vae_apps::UsageError;

bool is_dir(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void make_dirs(const std::string& dir, const char* flag) {
  if (dir.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !is_dir(dir)) {
    throw vae::Error(std::string(flag) + " " + dir + ": cannot create the directory (" +
                     (ec ? ec.message() : "a file is in the way") + ")");
  }
}
void make_parent_dir(const std::string& file, const char* flag) {
  const std::filesystem::path parent = std::filesystem::path(file).parent_path();
  if (!parent.empty()) make_dirs(parent.string(), flag);
}

// Room for every output before the data is read: a run that cannot save its results should not
// start. The weights and the report's pictures of the model are written at the end, after the
// whole run (run.hpp); a checkpoint, losses.csv and the loss curve from the first epoch on.
// Sizes are bounds: the compiled 784-H-Z model's parameters (4 bytes each in the weights, with
// Adam's m and v 12 in a checkpoint) and 64 KB for headers, plus the per-epoch records; the
// report's pictures and tables take ~0.1 MB, bounded by 1 MB. A checkpoint rewritten each epoch
// needs a second copy's room for a moment; where that is missing, the second epoch's write fails
// with the first epoch's checkpoint intact (vae/checkpoint.hpp). The shape is compiled: checked
// before (a new run's flags, or adopt_checkpoint_settings).
void check_room_for_outputs(const TrainSettings& s) {
  const unsigned long long P = vae_apps::with_model(784, s.hidden, s.latent, "", [](auto shape) {
    using S = decltype(shape);
    return static_cast<unsigned long long>(vae::Vae<S::x, S::h, S::z>::num_params);
  });
  std::vector<vae_apps::SizedOutput> outputs;
  if (!s.out.empty()) outputs.push_back({s.out, 4 * P + 65536, "--out"});
  if (!s.checkpoint.empty()) {
    outputs.push_back({s.checkpoint, 12 * P + 65536 + 64ULL * static_cast<unsigned long long>(s.epochs), "--checkpoint"});
  }
  if (!s.report.empty()) outputs.push_back({s.report, 1000000, "--report", /*folder=*/true});
  vae_apps::check_free_space(outputs);
}

// --resume: the run recorded in the checkpoint wins (settings.hpp). A flag given explicitly with a
// different value is a usage error rather than a silent change of the run, except the documented
// extensions: --epochs N (train on to N), an output the run did not have (--out, --report), and the
// machine's choices (--data, --threads, --checkpoint-every). Checkpoints of an older vae_train hold
// no "run" record: their epochs and outputs come from the flags as before.
void adopt_checkpoint_settings(TrainSettings& s, const vae::Checkpoint& ck, const CLI::App& app) {
  nlohmann::json saved;
  try {
    saved = nlohmann::json::parse(ck.settings);
    auto take = [&](const char* flag, const char* key, auto& value) {
      using T = std::decay_t<decltype(value)>;
      const T v = saved.at(key).get<T>();
      if (app.count(flag) > 0 && !(v == value)) {
        throw UsageError("--resume " + s.resume + ": the run was trained with " + flag + " " +
                         nlohmann::json(v).dump() + "; " + flag + " " + nlohmann::json(value).dump() +
                         " would change it (drop the flag to continue the run)");
      }
      value = v;
    };
    take("--mode", "mode", s.mode);
    take("--loss", "loss", s.loss);
    take("--beta", "beta", s.beta);
    take("--batch", "batch", s.batch);
    // lr is used as a float: compare it as one.
    const double saved_lr = saved.at("lr").get<double>();
    if (app.count("--lr") > 0 && static_cast<float>(saved_lr) != static_cast<float>(s.lr)) {
      throw UsageError("--resume " + s.resume + ": the run was trained with --lr " +
                       nlohmann::json(saved_lr).dump() + "; drop --lr to continue the run");
    }
    s.lr = saved_lr;
    take("--seed", "seed", s.seed);
    // Checkpoints of a vae_train before --hidden hold no "hidden": their shape says it (below).
    if (saved.contains("hidden")) take("--hidden", "hidden", s.hidden);
    take("--latent", "latent", s.latent);
    take("--train-limit", "train_limit", s.train_limit);
    if (saved.contains("run")) {
      const nlohmann::json& r = saved.at("run");
      // Paths are recorded as given, relative to the run's folder: the same files from anywhere.
      const std::string cwd = r.at("cwd").get<std::string>();
      const bool same_cwd = resolved_path(cwd) == resolved_path(".");
      auto recorded_path = [&](const char* key) {
        std::string p = r.at(key).get<std::string>();
        if (!p.empty() && p[0] != '/' && !same_cwd) p = cwd + "/" + p;
        return p;
      };
      auto take_output = [&](const char* flag, const char* key, std::string& value) {
        const std::string v = recorded_path(key);
        if (app.count(flag) == 0 || v.empty()) {   // not given, or an output the run lacked: added
          if (app.count(flag) == 0) value = v;
          return;
        }
        if (resolved_path(v) != resolved_path(value)) {
          throw UsageError("--resume " + s.resume + ": the run writes " + flag + " " + v + "; " + flag +
                           " " + value + " would change it (drop the flag to continue the run)");
        }
        value = v;
      };
      take_output("--out", "out", s.out);
      take_output("--report", "report", s.report);
      take_output("--checkpoint", "checkpoint", s.checkpoint);
      const auto test_limit = r.at("test_limit").get<std::size_t>();   // the report's figures
      if (app.count("--test-limit") > 0 && test_limit != s.test_limit) {
        throw UsageError("--resume " + s.resume + ": the run evaluates with --test-limit " +
                         std::to_string(test_limit) + "; --test-limit " + std::to_string(s.test_limit) +
                         " would change it (drop the flag to continue the run)");
      }
      s.test_limit = test_limit;
      if (app.count("--epochs") == 0) s.epochs = r.at("epochs").get<int>();   // --epochs N: train on to N
      if (app.count("--data") == 0) s.data = recorded_path("data");
      if (app.count("--threads") == 0) s.threads = r.at("threads").get<int>();
      if (app.count("--checkpoint-every") == 0) s.checkpoint_every = r.at("checkpoint_every").get<int>();
    }
  } catch (const nlohmann::json::exception& e) {
    throw vae::Error(s.resume + ": the checkpoint's settings are not what this vae_train wrote (" +
                     std::string(e.what()) + ")");
  }
  if (!saved.contains("hidden")) {
    if (app.count("--hidden") > 0 && s.hidden != static_cast<int>(ck.dim_h)) {
      throw UsageError("--resume " + s.resume + ": the run was trained with --hidden " + std::to_string(ck.dim_h) +
                       "; --hidden " + std::to_string(s.hidden) + " would change it (drop the flag to continue the run)");
    }
    s.hidden = static_cast<int>(ck.dim_h);
  }
  if (s.latent != static_cast<int>(ck.dim_z) || s.hidden != static_cast<int>(ck.dim_h) || ck.dim_x != 784) {
    throw vae::Error(s.resume + ": settings say 784-" + std::to_string(s.hidden) + "-" + std::to_string(s.latent) +
                     " but the parameters are for " + vae_apps::shape_name(ck.dim_x, ck.dim_h, ck.dim_z));
  }
  if (!vae_apps::model_compiled(784, ck.dim_h, ck.dim_z)) {
    throw vae::Error(s.resume + ": " + vae_apps::not_compiled_message(784, ck.dim_h, ck.dim_z));
  }
}
// --init: a full model file with the dims of --hidden and --latent, checked before any output is made (the
// weights are loaded into the model by run_training).
void check_init_weights(const TrainSettings& s) {
  const vae::WeightsFile wf = vae::read_weights(s.init);
  if (wf.dim_x != 784 || wf.dim_h != static_cast<std::uint32_t>(s.hidden) ||
      wf.dim_z != static_cast<std::uint32_t>(s.latent)) {
    throw vae::Error(s.init + ": --init: the file is " + vae_apps::shape_name(wf.dim_x, wf.dim_h, wf.dim_z) +
                     "; this run trains 784-" + std::to_string(s.hidden) + "-" + std::to_string(s.latent) +
                     " (--hidden, --latent)");
  }
  if (!wf.has_encoder()) {
    throw vae::Error(s.init + ": --init: a decoder-only file; training needs the encoder too");
  }
}

int run(int argc, char** argv) {
  TrainSettings s;
  s.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

  CLI::App app{"Train the autoencoder (--mode ae) or the VAE (--mode vae) on MNIST; write the "
               "weights (--out), checkpoints and a report directory with losses and pictures.",
               "vae_train"};
  vae_apps::set_up_help(app, "  130  interrupted (SIGINT/SIGTERM): the last whole epoch is saved and the resume command printed\n");
  app.add_option("--run", s.run, "the run's folder: DIR/weights.vaew, DIR/checkpoint.vaeckpt, the report and "
                                 "run.json in DIR (--out, --checkpoint, --report override each)");
  app.add_option("--mode", s.mode, "ae: reconstruction only (beta 0); vae: reconstruction + beta KL")
      ->check(CLI::IsMember({"ae", "vae"}));
  app.add_option("--loss", s.loss, "reconstruction loss, summed over pixels")
      ->check(CLI::IsMember({"mse", "bce"}));
  app.add_option("--beta", s.beta, "weight of the KL term (default: 0 for ae, 1 for vae)")
      ->check(vae_apps::non_negative_real())
      ->default_str("");   // shown in the text: it follows --mode
  app.add_option("--epochs", s.epochs, "total epochs (a resumed run continues up to it)")
      ->check(vae_apps::integer(0, 100000));
  app.add_option("--batch", s.batch, "images per step")->check(vae_apps::integer(1, 4096));
  app.add_option("--lr", s.lr, "Adam learning rate")->check(vae_apps::positive_real());
  vae_apps::add_seed(app, s.seed, "seed of initialization, shuffling and noise");
  vae_apps::add_threads(app, s.threads)->description("threads for the matrix products (this machine's cores)");
  app.add_option("--hidden", s.hidden, "hidden units H of the 784-H-Z model (compiled: " VAE_MODELS_TEXT ")")
      ->check(vae_apps::integer(1, 65535));
  app.add_option("--latent", s.latent, "latent dimensions Z of the 784-H-Z model (VAE_MODELS at configure time)")
      ->check(vae_apps::integer(1, 65535));
  app.add_option("--data", s.data, "folder with the four MNIST IDX files (fetched if the default is empty)");
  vae_apps::add_train_limit(app, s.train_limit, "train on the first N training images (0: all)");
  vae_apps::add_test_limit(app, s.test_limit)->description("evaluate on the first N test images (0: all)");
  app.add_option("-o,--out", s.out, "weight file to write at the end (.vaew)");
  app.add_option("--report", s.report, "report directory: losses.csv, metrics.json, pictures");
  app.add_option("--checkpoint", s.checkpoint, "checkpoint file, rewritten atomically (default with --resume: that file)");
  app.add_option("--checkpoint-every", s.checkpoint_every, "epochs between checkpoints (the last epoch always)")
      ->check(vae_apps::integer(1, 100000));
  app.add_option("--resume", s.resume, "continue the run saved in this run folder (--run) or checkpoint file");
  app.add_option("--init", s.init, "start from the weights of this full .vaew file (fine-tuning, e.g. "
                                   "one of tools/vaew_from_torch.py) instead of the seed's; Adam starts afresh");
  vae_apps::add_quiet(app, s.quiet, "no progress output (errors only)");

  if (const int rc = vae_apps::parse_command_line(app, argc, argv); rc >= 0) return rc;

  if (!s.run.empty() && !s.resume.empty()) {
    throw UsageError("--run " + s.run + " starts a run; --resume continues one (give the run folder to --resume alone)");
  }
  if (!s.init.empty() && !s.resume.empty()) {
    throw UsageError("--init " + s.init + " starts a run from weights; --resume continues one from its checkpoint");
  }
  if (!s.run.empty()) {   // the run's home; a flag given for an output overrides its place
    if (app.count("--out") == 0) s.out = s.run + "/weights.vaew";
    if (app.count("--checkpoint") == 0) s.checkpoint = s.run + "/checkpoint.vaeckpt";
    if (app.count("--report") == 0) s.report = s.run;
  }
  if (s.resume.empty() && !vae_apps::model_compiled(784, s.hidden, s.latent)) {
    throw UsageError(vae_apps::not_compiled_message(784, s.hidden, s.latent));
  }
  vae::Checkpoint ck;
  const bool resuming = !s.resume.empty();
  std::string resume_arg = s.resume;   // as given: a run folder or a checkpoint file
  if (resuming) {
    s.resume = vae_apps::checkpoint_of_run(s.resume);
    ck = vae::read_checkpoint(s.resume);
    adopt_checkpoint_settings(s, ck, app);
    if (s.checkpoint.empty()) s.checkpoint = s.resume;
  } else if (s.out.empty() && s.report.empty() && s.checkpoint.empty()) {
    throw UsageError("nothing would be saved: give --out (weights), --report (a report folder) or "
                     "--checkpoint (a resumable run), or several");
  } else if (app.count("--beta") == 0) {
    s.beta = s.mode == "ae" ? 0.0 : 1.0;
  } else if (s.mode == "ae" && s.beta != 0.0) {
    throw UsageError("--mode ae trains without the KL term (beta 0); for --beta " +
                     nlohmann::json(s.beta).dump() + " use --mode vae");
  }

  // Where an interrupt saves the run: its checkpoint, else one beside the weights or in the report.
  s.interrupt_checkpoint = !s.checkpoint.empty() ? s.checkpoint
                           : !s.out.empty()      ? s.out + ".vaeckpt"
                                                 : s.report + "/checkpoint.vaeckpt";
  // A run folder is resumed by its name: the command a user remembers.
  const std::string run_dir = !s.run.empty() ? s.run : resuming && is_dir(resume_arg) ? resume_arg : "";
  const bool checkpoint_in_run = !run_dir.empty() && resolved_path(s.interrupt_checkpoint) ==
                                                         resolved_path(run_dir + "/checkpoint.vaeckpt");
  s.resume_command = std::string(argv[0]) + " --resume " +
                     shell_quote(checkpoint_in_run ? run_dir : s.interrupt_checkpoint);
  vae_apps::check_no_collisions(s);

  // Outputs and the data are checked before anything is made (the CLI contract, cli_main.hpp),
  // then the output folders are made and locked, before the data is read and long before the
  // first epoch ends.
  if (!s.out.empty()) vae_apps::check_output_file(s.out, "--out");
  if (!s.checkpoint.empty()) vae_apps::check_output_file(s.checkpoint, "--checkpoint");
  if (!s.report.empty()) {
    vae_apps::check_output_dir(s.report, "--report");
    vae_apps::check_output_file(s.report + "/metrics.json", "--report");
  }
  if (!s.init.empty()) check_init_weights(s);
  check_room_for_outputs(s);
  vae_apps::ensure_mnist("vae_train", s.data, app.count("--data") > 0 || resuming, s.quiet);
  make_dirs(s.report, "--report");
  make_parent_dir(s.out, "--out");
  make_parent_dir(s.checkpoint, "--checkpoint");
  vae_apps::lock_outputs(s);
  vae_apps::install_stop_handlers();

  const vae::ImageSet train = vae::head(vae::load_mnist(s.data, vae::Split::train).images, s.train_limit);
  const vae::ImageSet test = vae::head(vae::load_mnist(s.data, vae::Split::test).images, s.test_limit);
  if (vae::image_count(train) < static_cast<std::size_t>(s.batch)) {
    throw UsageError("--batch " + std::to_string(s.batch) + " is larger than the " +
                     std::to_string(vae::image_count(train)) + " training images");
  }
  // A run killed inside a write left "<file>.tmp.<pid>" next to the intact file: clean up.
  for (const std::string* f : {&s.checkpoint, &s.out}) {
    if (f->empty()) continue;
    const int removed = vae::remove_stale_temporaries(*f);
    if (removed > 0 && !s.quiet) {
      std::printf("removed %d temporary file%s of an interrupted write of %s\n", removed,
                  removed == 1 ? "" : "s", f->c_str());
    }
  }

  try {
    return vae_apps::with_model(784, s.hidden, s.latent, "", [&](auto shape) {
      using S = decltype(shape);   // run_model.cpp.in instantiates run_training per shape
      return vae_apps::run_training<vae::Vae<S::x, S::h, S::z>>(s, train, test, resuming ? &ck : nullptr);
    });
  } catch (const std::exception& e) {   // divergence, a full disk: the report says it is unfinished
    try {
      vae_apps::write_run_json(s, "failed", -1, e.what());
    } catch (const std::exception&) {   // the disk that failed the run may fail this too
    }
    throw;
  }
}

}  // namespace

int main(int argc, char** argv) {
  return vae_apps::run_main("vae_train", [&] { return run(argc, argv); });
}
