// platform.h - what the mcu_gen firmware needs from the board: an output hook, an exit, and the
// stack high-water mark. platform_semihost.cpp implements it for Cortex-M under QEMU (ARM
// semihosting); platform_host.cpp for a hosted build of the same firmware, for debugging.
// To retarget a board, write one more implementation (e.g. platform_write to a UART).
#pragma once

#include <stddef.h>
#include <stdint.h>

void platform_write(const char* text, size_t size);
[[noreturn]] void platform_exit(int code);
// Bytes of stack touched so far (0 where it cannot be measured, e.g. on a host).
size_t platform_stack_used();
// Bytes reserved for the stack (0 where unknown).
size_t platform_stack_size();
// A free-running clock (0 where there is none, e.g. on a host), and a span of it converted to
// instructions. On the QEMU boards it is the CMSDK APB timer 0 (25 MHz); QEMU run with
// -icount shift=0 executes one instruction per nanosecond of virtual time, so the span is a
// deterministic instruction count. The conversion is calibrated, once, against a loop of a
// known number of instructions (2^22), not assumed from the clock rates.
uint32_t platform_ticks();
uint64_t platform_ticks_to_instructions(uint32_t ticks);

// The firmware's entry point (main.cpp), called by the platform after start-up: Reset_Handler on
// a Cortex-M, main() on a host. Returns the exit code.
int app_main();
// The host build only: the same with weights given at run time (any shape of VAE_MODELS).
int app_main_weights(const uint8_t* weights, size_t size);
