// vtest_runner.cpp - the freestanding runner of tests/target/vtest.h, for the firmware.
//
// A fixed table of tests filled by static constructors, run in registration order. For each
// test one line, as Unity prints them: "file:line:Suite.Name:PASS" or, after the failures'
// own lines, "file:line:Suite.Name:FAIL"; then
//   -----------------------
//   N Tests M Failures 0 Ignored
//   OK                        (or FAIL)
// No heap, no stdio, no exceptions, no libm: numbers are formatted by hand.
#include "vtest.h"

namespace vtest {
namespace {

struct Entry {
  const char* suite;
  const char* name;
  const char* file;
  int line;
  TestFn fn;
};

Entry g_tests[max_tests];
int g_count = 0;
int g_overflow = 0;           // registrations that did not fit: a failure of the run
bool g_current_failed = false;

void put(const char* s) {
  size_t n = 0;
  while (s[n]) ++n;
  write(s, n);
}

void put_u64(unsigned long long v) {
  char buf[20];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  char out[20];
  for (int i = 0; i < n; ++i) out[i] = buf[n - 1 - i];
  write(out, static_cast<size_t>(n));
}

void put_i64(long long v) {
  if (v < 0) {
    put("-");
    put_u64(0ull - static_cast<unsigned long long>(v));
  } else {
    put_u64(static_cast<unsigned long long>(v));
  }
}

void put_hex(unsigned long long v, int digits) {
  char out[18] = {'0', 'x'};
  for (int i = 0; i < digits; ++i) out[2 + i] = "0123456789abcdef"[(v >> (4 * (digits - 1 - i))) & 15u];
  write(out, static_cast<size_t>(2 + digits));
}

// A double as sign, integer part and 9 decimals (enough to tell values apart in a failure
// message), then its float bits: exact comparison failures differ in the last bits.
void put_real(double d) {
  if (d != d) {
    put("nan");
    return;
  }
  if (d < 0) {
    put("-");
    d = -d;
  }
  if (d > 1e18) {
    put("huge");
  } else {
    const unsigned long long whole = static_cast<unsigned long long>(d);
    put_u64(whole);
    put(".");
    double frac = d - static_cast<double>(whole);
    for (int i = 0; i < 9; ++i) {
      frac *= 10;
      const int digit = static_cast<int>(frac);
      const char c = static_cast<char>('0' + digit);
      write(&c, 1);
      frac -= digit;
    }
  }
  const float f = static_cast<float>(d);
  uint32_t bits;
  __builtin_memcpy(&bits, &f, 4);
  put(" (float bits ");
  put_hex(bits, 8);
  put(")");
}

void put_value(const Value& v) {
  switch (v.kind) {
    case Value::signed_int: put_i64(v.i); break;
    case Value::unsigned_int: put_u64(v.u); break;
    case Value::real: put_real(v.d); break;
    case Value::pointer: put_hex(v.u, 8); break;
  }
}

void put_where(const char* file, int line) {
  put(file);
  put(":");
  put_u64(static_cast<unsigned long long>(line));
  put(":");
}

}  // namespace

Registrar::Registrar(const char* suite, const char* name, const char* file, int line, TestFn fn) {
  if (g_count == max_tests) {
    ++g_overflow;
    return;
  }
  g_tests[g_count++] = Entry{suite, name, file, line, fn};
}

void fail(const char* file, int line, const char* what) {
  g_current_failed = true;
  put_where(file, line);
  put(" failed: ");
  put(what);
  put("\n");
}

void fail(const char* file, int line, const char* what, const Value& a, const Value& b) {
  g_current_failed = true;
  put_where(file, line);
  put(" failed: ");
  put(what);
  put("\n  left:  ");
  put_value(a);
  put("\n  right: ");
  put_value(b);
  put("\n");
}

int run_all() {
  int failures = 0;
  for (int i = 0; i < g_count; ++i) {
    const Entry& t = g_tests[i];
    g_current_failed = false;
    t.fn();
    failures += g_current_failed ? 1 : 0;
    put_where(t.file, t.line);
    put(t.suite);
    put(".");
    put(t.name);
    put(g_current_failed ? ":FAIL\n" : ":PASS\n");
  }
  if (g_overflow) {
    put("vtest: ");
    put_u64(static_cast<unsigned long long>(g_overflow));
    put(" tests did not fit the table (vtest::max_tests); they count as failures\n");
    failures += g_overflow;
  }
  put("\n-----------------------\n");
  put_u64(static_cast<unsigned long long>(g_count + g_overflow));
  put(" Tests ");
  put_u64(static_cast<unsigned long long>(failures));
  put(" Failures 0 Ignored\n");
  put(failures ? "FAIL\n" : "OK\n");
  return failures;
}

}  // namespace vtest
