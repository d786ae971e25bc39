/* malloc_probe.c - a firmware that uses the heap. It must NOT link: the mcu_gen link provides no
 * _sbrk, so newlib's malloc cannot be resolved. The mcu_gen_no_heap test builds it and expects
 * the build to fail, which proves that a malloc call anywhere in the firmware breaks the build. */
#include <stdlib.h>

int main(void) {
  char* p = (char*)malloc(64);
  int ok = p != 0;
  free(p);
  return ok ? 0 : 1;
}
