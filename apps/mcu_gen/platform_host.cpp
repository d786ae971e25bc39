// platform_host.cpp - mcu_gen's platform on a host: stdout and exit(), for debugging the same
// firmware source with a debugger and sanitizers.
#include <stdio.h>
#include <stdlib.h>

#include "platform.h"

void platform_write(const char* text, size_t size) { fwrite(text, 1, size, stdout); }

void platform_exit(int code) {
  fflush(stdout);
  exit(code);
}

size_t platform_stack_used() { return 0; }
size_t platform_stack_size() { return 0; }
uint32_t platform_ticks() { return 0; }
uint64_t platform_ticks_to_instructions(uint32_t) { return 0; }

int main() { return app_main(); }
