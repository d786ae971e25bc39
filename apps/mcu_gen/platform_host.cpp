// platform_host.cpp - mcu_gen's platform on a host: stdout and exit(), for debugging the same
// firmware source with a debugger and sanitizers, on the embedded weights or a given file.
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

// mcu_gen_host [FILE.vaew]: the embedded weights, or an int8 export of any compiled shape.
int main(int argc, char** argv) {
  if (argc < 2) return app_main();
  if (argc > 2 || argv[1][0] == '-') {
    fprintf(stderr, "usage: mcu_gen_host [FILE.vaew]  (default: the embedded weights)\n");
    return 2;
  }
  FILE* f = fopen(argv[1], "rb");
  if (!f) {
    fprintf(stderr, "mcu_gen_host: %s: cannot open\n", argv[1]);
    return 1;
  }
  // (size) bytes of the file, owned here for the run; 16-aligned as the embedded array is.
  alignas(16) static unsigned char buf[8u << 20];
  const size_t size = fread(buf, 1, sizeof buf, f);
  const bool whole = feof(f) != 0;
  fclose(f);
  if (!whole) {
    fprintf(stderr, "mcu_gen_host: %s: larger than %zu bytes\n", argv[1], sizeof buf);
    return 1;
  }
  return app_main_weights(buf, size);
}
