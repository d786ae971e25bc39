// target_main.cpp - the on-target test firmware's entry point: runs every test of tests/target
// through vtest_runner.cpp on the board's platform (apps/mcu_gen/platform.h: semihosting under
// QEMU). The exit code is the number of failed tests (0 = QEMU exits 0).
#include "platform.h"
#include "vae_rt/status.h"
#include "vtest.h"

namespace {

void put(const char* s) {
  size_t n = 0;
  while (s[n]) ++n;
  platform_write(s, n);
}

// A runtime fatal() inside a test is a failed run, loudly: nothing after it can be trusted.
[[noreturn]] void on_abort(const char* message) {
  put("vtest: vae_rt::fatal: ");
  put(message);
  put("\nFAIL\n");
  platform_exit(1);
}

}  // namespace

void vtest::write(const char* text, size_t size) { platform_write(text, size); }

int app_main() {
  vae_rt::set_abort_hook(on_abort);
  put("vae_rt on-target tests\n");
  const int failures = vtest::run_all();
  if (platform_stack_size() != 0) {
    put("stack used ");
    char buf[12];
    size_t v = platform_stack_used(), n = 0;
    char rev[12];
    do {
      rev[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v);
    for (size_t i = 0; i < n; ++i) buf[i] = rev[n - 1 - i];
    platform_write(buf, n);
    put(" bytes\n");
  }
  return failures ? 1 : 0;
}
