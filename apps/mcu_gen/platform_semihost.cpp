// platform_semihost.cpp - mcu_gen's platform on a Cortex-M4: vector table, reset handler, and
// output and exit through ARM semihosting (QEMU: -semihosting-config enable=on,target=native).
//
// Reset_Handler enables the FPU, paints the stack with a pattern (so the high-water mark can be
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

extern "C" void Reset_Handler() {
  // Full access to CP10 and CP11 (the FPU) before any floating-point instruction.
  volatile uint32_t* cpacr = reinterpret_cast<volatile uint32_t*>(0xE000ED88u);
  *cpacr |= 0xFu << 20;
  __asm__ volatile("dsb\n\tisb" ::: "memory");
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
