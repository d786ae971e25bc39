// platform.h - what the mcu_gen firmware needs from the board: an output hook, an exit, and the
// stack high-water mark. platform_semihost.cpp implements it for Cortex-M under QEMU (ARM
// semihosting); platform_host.cpp for a hosted build of the same firmware, for debugging.
// To retarget a board, write one more implementation (e.g. platform_write to a UART).
#pragma once

#include <stddef.h>

void platform_write(const char* text, size_t size);
[[noreturn]] void platform_exit(int code);
// Bytes of stack touched so far (0 where it cannot be measured, e.g. on a host).
size_t platform_stack_used();
// Bytes reserved for the stack (0 where unknown).
size_t platform_stack_size();

// The firmware's entry point (main.cpp), called by the platform after start-up: Reset_Handler on
// a Cortex-M, main() on a host. Returns the exit code.
int app_main();
