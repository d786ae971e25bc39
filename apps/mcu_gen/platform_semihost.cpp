// platform_semihost.cpp - mcu_gen's platform on a Cortex-M3/M4 (QEMU mps2-an385/an386): vector
// table, reset handler, output and exit through ARM semihosting (QEMU: -semihosting-config
// enable=on,target=native), and a clock for instruction counts (the CMSDK APB timer 0).
//
// Reset_Handler enables the FPU (on a part with one), paints the stack with a pattern (so the high-water mark can be
// measured at exit), copies .data from flash, zeroes .bss, runs static constructors and calls
// app_main(). There is no heap: nothing provides _sbrk, so a firmware that pulls in malloc fails to
// link (see apps/mcu_gen/CMakeLists.txt).
#include <stdint.h>

#include "platform.h"

extern "C" {
extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _sstack, _estack;
extern void (*__init_array_start[])(), (*__init_array_end[])();
void Reset_Handler();
void Default_Handler();
}

namespace {

constexpr uint32_t kStackPaint = 0x57ac57acu;

// One semihosting call: operation in r0, argument in r1, result in r0.
int semihost(int op, const void* arg) {
  register int r0 __asm__("r0") = op;
  register const void* r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

constexpr int kSysWrite0 = 0x04;    // write a NUL-terminated string to the debug console
constexpr int kSysExit = 0x18;      // report an exception / exit
constexpr uintptr_t kApplicationExit = 0x20026;   // ADP_Stopped_ApplicationExit
constexpr uintptr_t kRunTimeError = 0x20023;      // ADP_Stopped_RunTimeErrorUnknown

}  // namespace

void platform_write(const char* text, size_t size) {
  // SYS_WRITE0 needs a NUL-terminated string: send in chunks through a small buffer.
  char buf[129];
  while (size > 0) {
    size_t n = size < 128 ? size : 128;
    for (size_t i = 0; i < n; ++i) buf[i] = text[i];
    buf[n] = '\0';
    semihost(kSysWrite0, buf);
    text += n;
    size -= n;
  }
}

void platform_exit(int code) {
  // 32-bit semihosting's SYS_EXIT takes the reason code itself: QEMU exits 0 for
  // ApplicationExit and 1 for anything else.
  semihost(kSysExit, reinterpret_cast<const void*>(code == 0 ? kApplicationExit : kRunTimeError));
  for (;;) {
  }
}

size_t platform_stack_used() {
  const uint32_t* p = &_sstack;
  while (p < &_estack && *p == kStackPaint) ++p;
  return static_cast<size_t>(reinterpret_cast<const uint8_t*>(&_estack) - reinterpret_cast<const uint8_t*>(p));
}

size_t platform_stack_size() {
  return static_cast<size_t>(reinterpret_cast<const uint8_t*>(&_estack) -
                             reinterpret_cast<const uint8_t*>(&_sstack));
}

// CMSDK APB timer 0 of the MPS2 boards: a 32-bit down counter at the 25 MHz peripheral clock.
namespace {
struct CmsdkTimer {
  volatile uint32_t ctrl, value, reload, intstatus;
};
CmsdkTimer* const g_timer = reinterpret_cast<CmsdkTimer*>(0x40000000u);
uint32_t g_calib_ticks = 0;   // ticks of the calibration loop, measured once
constexpr uint32_t kCalibIterations = 1u << 21;   // two instructions each: 2^22 instructions
}  // namespace

uint32_t platform_ticks() {
  if (!(g_timer->ctrl & 1u)) {
    g_timer->reload = 0xffffffffu;
    g_timer->value = 0xffffffffu;
    g_timer->ctrl = 1u;   // enable, no interrupt
  }
  return 0xffffffffu - g_timer->value;   // counts up
}

uint64_t platform_ticks_to_instructions(uint32_t ticks) {
  if (g_calib_ticks == 0) {
    const uint32_t t0 = platform_ticks();
    uint32_t n = kCalibIterations;
    __asm__ volatile("1: subs %0, %0, #1\n\tbne 1b" : "+r"(n) : : "cc");
    g_calib_ticks = platform_ticks() - t0;
    if (g_calib_ticks == 0) return 0;
  }
  return (static_cast<uint64_t>(ticks) * (2u * kCalibIterations) + g_calib_ticks / 2) / g_calib_ticks;
}

extern "C" void Reset_Handler() {
#if defined(__ARM_FP)
  // Full access to CP10 and CP11 (the FPU) before any floating-point instruction. A part
  // without an FPU (a Cortex-M3, soft float) has no CPACR to write.
  volatile uint32_t* cpacr = reinterpret_cast<volatile uint32_t*>(0xE000ED88u);
  *cpacr |= 0xFu << 20;
  __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
  // Paint the stack below the current frame (the top 64 bytes are in use by this function).
  uint32_t* sp;
  __asm__ volatile("mov %0, sp" : "=r"(sp));
  for (uint32_t* p = &_sstack; p < sp - 16; ++p) *p = kStackPaint;
  for (uint32_t *src = &_sidata, *dst = &_sdata; dst < &_edata;) *dst++ = *src++;
  for (uint32_t* dst = &_sbss; dst < &_ebss;) *dst++ = 0;
  for (auto* f = __init_array_start; f < __init_array_end; ++f) (*f)();
  platform_exit(app_main());
}

extern "C" void Default_Handler() {
  static const char msg[] = "mcu_gen: unexpected exception (hard fault?)\n";
  platform_write(msg, sizeof msg - 1);
  platform_exit(1);
}

// The Cortex-M vector table: initial stack pointer, then the 15 system exception handlers.
// Device interrupts are not used.
__attribute__((section(".isr_vector"), used)) void (*const g_vector_table[16])() = {
    reinterpret_cast<void (*)()>(&_estack),   // initial SP
    Reset_Handler,                            // reset
    Default_Handler,                          // NMI
    Default_Handler,                          // HardFault
    Default_Handler,                          // MemManage
    Default_Handler,                          // BusFault
    Default_Handler,                          // UsageFault
    nullptr, nullptr, nullptr, nullptr,       // reserved
    Default_Handler,                          // SVCall
    Default_Handler,                          // DebugMonitor
    nullptr,                                  // reserved
    Default_Handler,                          // PendSV
    Default_Handler,                          // SysTick
};
