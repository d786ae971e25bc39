# VaeBuildTime.cmake - what keeps the clean release build short (docs/performance.md, "Build time").
#
#   vae_glue_sources(<file>...)   command-line glue with no loop over images, pixels or weights
#                                 (CLI11 parsing, validation, JSON settings, dispatch to the per-shape
#                                 model code): -O0 in optimized builds. CLI11 is header-only and its
#                                 code is generated anew, at the file's level, in every file that
#                                 includes it: vae_export/main.cpp compiles in 10.2 s at -O3, 5.6 s
#                                 at -O1, 3.6 s at -O0 (user CPU), for code that runs once.
#   vae_cold_sources(<file>...)   the same glue beside light per-image work that runs in a library
#                                 or on a few hundred images (vae_gen's latents and text output,
#                                 vae_report's 96 digits, vae_figures' pictures): -O1, which still
#                                 inlines the small functions such code is made of.
#   vae_test_code(<target>...)    test programs (GoogleTest cases, fuzz corpus replays, the host half
#                                 of the on-target tests, snippet programs): -O1. What they test
#                                 is compiled at -O3 in the libraries they link (vae::vae,
#                                 vae::runtime: the products, the elementwise passes, the losses,
#                                 Adam, the kernels); the tests' own code checks, and at -O3 it
#                                 took 35 to 50% longer to compile (test_vae 6.4 -> 4.2 s,
#                                 test_idx 5.5 -> 3.1 s, test_decoder 4.9 -> 2.4 s user CPU).
#   vae_test_pch(<target>)        the tests' shared precompiled header (GoogleTest and the standard
#                                 headers every test uses), built once by the first test and reused.

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
                           $<$<OR:$<CONFIG:Release>,$<CONFIG:RelWithDebInfo>,$<CONFIG:MinSizeRel>>:-O1>)
  endforeach()
endfunction()

function(vae_test_pch target)
  get_property(owner GLOBAL PROPERTY vae_test_pch_owner)
  if(owner)
    target_precompile_headers(${target} REUSE_FROM ${owner})
  else()
    target_precompile_headers(${target} PRIVATE <gtest/gtest.h> <algorithm> <cmath> <cstdint>
                                                <cstring> <memory> <string> <vector>)
    set_property(GLOBAL PROPERTY vae_test_pch_owner ${target})
  endif()
endfunction()
