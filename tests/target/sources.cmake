# The shared test sources of tests/target (host runner: CMakeLists.txt; target: target_tests.cmake).
set(VAE_TARGET_TEST_SOURCES
  test_rt_format.cpp test_rt_rng.cpp test_rt_math.cpp test_rt_kernels.cpp test_rt_decoder.cpp
  test_rt_prior.cpp test_rt_ascii.cpp)
