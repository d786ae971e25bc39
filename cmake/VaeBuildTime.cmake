# VaeBuildTime.cmake - what keeps the clean release build short (docs/performance.md, "Build time").
#
#   vae_cold_sources(<file>...)   command-line glue (CLI11 parsing, validation, dispatch to the
#                                 per-shape model code): -O1 in optimized builds. CLI11 is header-only
#                                 and its code is generated anew in every file that includes it;
#                                 at -O1 that costs 40% less compile time (vae_export/main.cpp:
#                                 10.2 s -> 6.0 s) on code that runs once per process. Files with a
#                                 loop over images or weights are not cold.
#   vae_test_pch(<target>)        the tests' shared precompiled header (GoogleTest and the standard
#                                 headers every test uses), built once by the first test and reused.

function(vae_cold_sources)
  set_property(SOURCE ${ARGN} APPEND PROPERTY COMPILE_OPTIONS
               $<$<OR:$<CONFIG:Release>,$<CONFIG:RelWithDebInfo>,$<CONFIG:MinSizeRel>>:-O1>)
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
