// malloc_probe.cpp - a firmware that uses the heap. It must NOT link: the mcu_gen link provides
// no _sbrk, so newlib's malloc cannot be resolved. The mcu_gen_no_heap test builds it and expects
// the link to fail on exactly that, which proves that a malloc call anywhere in the firmware
// breaks the build.
#include <stdlib.h>

#include "platform.h"

int app_main() {
  char* volatile p = static_cast<char*>(malloc(64));
  const int ok = p != nullptr;
  free(p);
  return ok ? 0 : 1;
}
