# VaeBuildTime.cmake - what keeps the clean release build short (docs/performance.md, "Build time").
#
#   vae_glue_sources(<file>...)   command-line glue with no loop over images, pixels or weights
#                                 (CLI11 parsing, validation, JSON settings, dispatch to the per-shape
#                                 model code): -O0 in optimized builds. CLI11 is header-only and its
#                                 code is generated anew, at the file's level, in every file that
#                                 includes it: vae_export/main.cpp compiles in 10.2 s at -O3, 5.6 s
#                                 at -O1, 3.6 s at -O0 (user CPU), for code that runs once.
#                                 vae_report/main.cpp too: its 96 digits per run are the
#                                 library's products, the same 0.10 s at -O0 (11.0 -> 7.5 s);
#                                 and bench_train.cpp, the loops around the library calls it
#                                 times: the same epochs at -O0, -O1 and -O3 (13.8 -> 7.1 s).
#   vae_cold_sources(<file>...)   the same glue beside light per-image work that runs in a library
#                                 or on a few hundred images (vae_gen's latents and text output,
#                                 vae_figures' pictures): -O1, which
#                                 still inlines the small functions such code is made of. At -O0
#                                 vae_gen took 12% longer for 20000 digits and vae_figures' latent-2
#                                 scatter (10000 encodings through xtensor) 0.38 -> 1.88 s.
#   vae_test_code(<target>...)    test programs (GoogleTest cases, fuzz corpus replays, the host half
#                                 of the on-target tests, snippet programs): -O0. What they test
#                                 is compiled at -O3 in the libraries they link (vae::vae,
#                                 vae::runtime: the products, the elementwise passes, the losses,
#                                 Adam, the kernels); the tests' own code checks. Measured when
#                                 each module's tests were a program of their own: at -O3 they took
#                                 35 to 50% longer to compile than at -O1 (test_vae 6.4 -> 4.2 s,
#                                 test_idx 5.5 -> 3.1 s user CPU); -O0 takes another 20% off
#                                 (all of tests/ and fuzz/: 65.1 -> 52.3 s user, compiles run one
#                                 at a time). The price is in running them: test_blas's naive
#                                 reference product 2.5 -> 8.5 s, the GoogleTest programs together
#                                 22 -> 29 s user; ctest is dominated by the command-line tests.
#
# Elsewhere, for the same reason:
# - tests/CMakeLists.txt: the 26 module test files are one program, vae_tests, compiled in three
#   unity batches (34 -> 23 s of CPU): apart, each file instantiated GoogleTest, xtensor and the
#   model templates anew. gtest_discover_tests reads the test list when ctest runs (PRE_TEST), so
#   the build does not wait for the program to run. Its precompiled header (GoogleTest, the
#   standard headers every test uses, xtensor with vae/vae.hpp) is parsed once per batch.
# - lib/runtime/kernels_batch.inc: the unrolled dot products are compiled once per (batch, weight
#   type), not once per activation as well (kernels.cpp 8.0 -> 4.1 s, kernels_avx2.cpp 9.3 ->
#   3.2 s). The AVX2 copy is a file of its own (lib/runtime/kernels_avx2.cpp), so the two copies
#   compile side by side.
# - tests/target: the on-target tests' host half parses GoogleTest once (a PCH of its own).
# Measured figures, before and after: docs/performance.md, "Build time".

function(vae_glue_sources)
  set_property(SOURCE ${ARGN} APPEND PROPERTY COMPILE_OPTIONS
               $<$<OR:$<CONFIG:Release>,$<CONFIG:RelWithDebInfo>,$<CONFIG:MinSizeRel>>:-O0>)
endfunction()

function(vae_cold_sources)
  set_property(SOURCE ${ARGN} APPEND PROPERTY COMPILE_OPTIONS
               $<$<OR:$<CONFIG:Release>,$<CONFIG:RelWithDebInfo>,$<CONFIG:MinSizeRel>>:-O1>)
endfunction()

function(vae_test_code)
  foreach(target IN LISTS ARGN)
    target_compile_options(${target} PRIVATE
                           $<$<OR:$<CONFIG:Release>,$<CONFIG:RelWithDebInfo>,$<CONFIG:MinSizeRel>>:-O0>)
  endforeach()
endfunction()
