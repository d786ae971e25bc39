// report_files.cpp - losses.csv and the git commit (see report_files.hpp).
#include "report_files.hpp"

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "vae/error.hpp"
#include "vae/files/atomic_file.hpp"

namespace vae_apps {

std::string losses_csv_text(const std::vector<vae::EpochRecord>& history) {
  std::string out = std::string(losses_csv_header) + "\n";
  char line[512];
  for (const vae::EpochRecord& r : history) {
    std::snprintf(line, sizeof line, "%d,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.3f\n",
                  static_cast<int>(r.epoch), r.train_loss, r.train_recon, r.train_kl, r.test_loss,
                  r.test_recon, r.test_kl, r.seconds);
    out += line;
  }
  return out;
}

void write_losses_csv(const std::string& path, const std::vector<vae::EpochRecord>& history) {
  vae::write_file_atomic(path, losses_csv_text(history));
}

std::vector<vae::EpochRecord> read_losses_csv(const std::string& path) {
  const std::vector<std::uint8_t> bytes = vae::read_file(path);
  std::istringstream in(std::string(bytes.begin(), bytes.end()));
  std::string line;
  if (!std::getline(in, line) || line != losses_csv_header) {
    throw vae::Error(path + ":1: expected the header \"" + losses_csv_header + "\"");
  }
  std::vector<vae::EpochRecord> rows;
  for (int n = 2; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    double v[vae::epoch_record_fields];
    int used = 0;
    const int got = std::sscanf(line.c_str(), "%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf%n", &v[0], &v[1],
                                &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &used);
    if (got != 8 || used != static_cast<int>(line.size())) {
      throw vae::Error(path + ":" + std::to_string(n) + ": expected 8 comma-separated numbers");
    }
    rows.push_back(vae::EpochRecord{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]});
  }
  return rows;
}

namespace {
std::string run_text(const std::string& command) {
  std::string out;
  if (FILE* p = ::popen(command.c_str(), "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    if (::pclose(p) != 0) return "";
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}
std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}
}  // namespace

std::string git_commit(const std::string& source_dir) {
  const std::string git = "git -C " + shell_quote(source_dir) + " ";
  std::string commit = run_text(git + "rev-parse HEAD 2>/dev/null");
  if (commit.empty()) return "";
  if (!run_text(git + "status --porcelain --untracked-files=no 2>/dev/null").empty()) commit += "-dirty";
  return commit;
}

}  // namespace vae_apps
