// tests/target/vtest.h - the GoogleTest subset that the runtime's shared unit tests are written
// against, so that one source runs in two places:
//
//   host    (VTEST_GTEST defined, tests/target/CMakeLists.txt): this header is <gtest/gtest.h>;
//           the tests run under GoogleTest with the rest of the host suite.
//   target  (the firmware tests/target/target_tests.cmake builds): the macros below and the
//           freestanding runner vtest_runner.cpp: no heap, no exceptions, no stdio, no libm;
//           output through the platform's write hook (ARM semihosting under QEMU), one line per
//           test and Unity's closing line "N Tests M Failures 0 Ignored".
//
// The subset: TEST(Suite, Name); EXPECT_/ASSERT_ EQ, NE, LT, LE, GT, GE, TRUE, FALSE, NEAR.
// ASSERT_* return from the test body (as in GoogleTest, so only in void functions); EXPECT_*
// record the failure and go on. Values of integers, enums, floats (decimal and bits) and
// pointers are printed on failure. Not here: fixtures (TEST_F), parameterized tests, death
// tests, streaming a message with <<, ignored tests (there are none to count).
//
// Tests register through static constructors (the firmware's Reset_Handler runs .init_array)
// into a fixed table of vtest::max_tests entries; one more is a loud failure, not a lost test.
#pragma once

#if defined(VTEST_GTEST)
#include <gtest/gtest.h>
#else

#include <stddef.h>
#include <stdint.h>

namespace vtest {

inline constexpr int max_tests = 128;

using TestFn = void (*)();

struct Registrar {
  Registrar(const char* suite, const char* name, const char* file, int line, TestFn fn);
};

// A value as the failure message shows it.
struct Value {
  enum Kind { signed_int, unsigned_int, real, pointer } kind;
  long long i;
  unsigned long long u;
  double d;
};
inline Value value(bool v) { return {Value::signed_int, v ? 1 : 0, 0, 0.0}; }
inline Value value(char v) { return {Value::signed_int, v, 0, 0.0}; }
inline Value value(signed char v) { return {Value::signed_int, v, 0, 0.0}; }
inline Value value(short v) { return {Value::signed_int, v, 0, 0.0}; }
inline Value value(int v) { return {Value::signed_int, v, 0, 0.0}; }
inline Value value(long v) { return {Value::signed_int, v, 0, 0.0}; }
inline Value value(long long v) { return {Value::signed_int, v, 0, 0.0}; }
inline Value value(unsigned char v) { return {Value::unsigned_int, 0, v, 0.0}; }
inline Value value(unsigned short v) { return {Value::unsigned_int, 0, v, 0.0}; }
inline Value value(unsigned v) { return {Value::unsigned_int, 0, v, 0.0}; }
inline Value value(unsigned long v) { return {Value::unsigned_int, 0, v, 0.0}; }
inline Value value(unsigned long long v) { return {Value::unsigned_int, 0, v, 0.0}; }
inline Value value(float v) { return {Value::real, 0, 0, static_cast<double>(v)}; }
inline Value value(double v) { return {Value::real, 0, 0, v}; }
template <class T>
Value value(T* v) {
  return {Value::pointer, 0, reinterpret_cast<uintptr_t>(v), 0.0};
}
// Enums (the runtime's Status, Dtype) print as their integer value.
template <class T>
Value value(T v) {
  static_assert(__is_enum(T), "vtest prints integers, floats, enums and pointers");
  return {Value::signed_int, static_cast<long long>(v), 0, 0.0};
}

// Record a failure of the running test and print "file:line: what" (and the values).
void fail(const char* file, int line, const char* what);
void fail(const char* file, int line, const char* what, const Value& a, const Value& b);

// Run every registered test in registration order; returns the number of failed tests.
int run_all();

// The output hook: the firmware's platform_write.
void write(const char* text, size_t size);

inline double abs_diff(double a, double b) { return a > b ? a - b : b - a; }

}  // namespace vtest

#define VTEST_CAT2(a, b) a##b
#define VTEST_CAT(a, b) VTEST_CAT2(a, b)
#define TEST(suite, name)                                                                  \
  static void vtest_##suite##_##name();                                                    \
  static const ::vtest::Registrar VTEST_CAT(vtest_reg_, __LINE__)(#suite, #name, __FILE__, \
                                                                  __LINE__,                \
                                                                  vtest_##suite##_##name); \
  static void vtest_##suite##_##name()

#define VTEST_BINARY(macro, op, a, b, on_fail)                                     \
  do {                                                                             \
    const auto& vtest_a_ = (a);                                                    \
    const auto& vtest_b_ = (b);                                                    \
    if (!(vtest_a_ op vtest_b_)) {                                                 \
      ::vtest::fail(__FILE__, __LINE__, macro "(" #a ", " #b ")",                   \
                    ::vtest::value(vtest_a_), ::vtest::value(vtest_b_));           \
      on_fail;                                                                     \
    }                                                                              \
  } while (0)
#define VTEST_BOOL(macro, cond, want, on_fail)                             \
  do {                                                                     \
    if (static_cast<bool>(cond) != (want)) {                               \
      ::vtest::fail(__FILE__, __LINE__, macro "(" #cond ")");              \
      on_fail;                                                             \
    }                                                                      \
  } while (0)
#define VTEST_NEAR(macro, a, b, tol, on_fail)                                           \
  do {                                                                                  \
    const double vtest_a_ = static_cast<double>(a), vtest_b_ = static_cast<double>(b);  \
    if (!(::vtest::abs_diff(vtest_a_, vtest_b_) <= static_cast<double>(tol))) {         \
      ::vtest::fail(__FILE__, __LINE__, macro "(" #a ", " #b ", " #tol ")",              \
                    ::vtest::value(vtest_a_), ::vtest::value(vtest_b_));                \
      on_fail;                                                                          \
    }                                                                                   \
  } while (0)

#define EXPECT_EQ(a, b) VTEST_BINARY("EXPECT_EQ", ==, a, b, (void)0)
#define EXPECT_NE(a, b) VTEST_BINARY("EXPECT_NE", !=, a, b, (void)0)
#define EXPECT_LT(a, b) VTEST_BINARY("EXPECT_LT", <, a, b, (void)0)
#define EXPECT_LE(a, b) VTEST_BINARY("EXPECT_LE", <=, a, b, (void)0)
#define EXPECT_GT(a, b) VTEST_BINARY("EXPECT_GT", >, a, b, (void)0)
#define EXPECT_GE(a, b) VTEST_BINARY("EXPECT_GE", >=, a, b, (void)0)
#define EXPECT_TRUE(c) VTEST_BOOL("EXPECT_TRUE", c, true, (void)0)
#define EXPECT_FALSE(c) VTEST_BOOL("EXPECT_FALSE", c, false, (void)0)
#define EXPECT_NEAR(a, b, tol) VTEST_NEAR("EXPECT_NEAR", a, b, tol, (void)0)
#define ASSERT_EQ(a, b) VTEST_BINARY("ASSERT_EQ", ==, a, b, return)
#define ASSERT_NE(a, b) VTEST_BINARY("ASSERT_NE", !=, a, b, return)
#define ASSERT_LT(a, b) VTEST_BINARY("ASSERT_LT", <, a, b, return)
#define ASSERT_LE(a, b) VTEST_BINARY("ASSERT_LE", <=, a, b, return)
#define ASSERT_GT(a, b) VTEST_BINARY("ASSERT_GT", >, a, b, return)
#define ASSERT_GE(a, b) VTEST_BINARY("ASSERT_GE", >=, a, b, return)
#define ASSERT_TRUE(c) VTEST_BOOL("ASSERT_TRUE", c, true, return)
#define ASSERT_FALSE(c) VTEST_BOOL("ASSERT_FALSE", c, false, return)
#define ASSERT_NEAR(a, b, tol) VTEST_NEAR("ASSERT_NEAR", a, b, tol, return)

#endif  // VTEST_GTEST
