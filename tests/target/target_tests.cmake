# target_tests.cmake - the on-target unit tests as firmware (included by apps/mcu_gen's bare-metal
# section, which provides: host_dir / host_tables (the hosted build's make_target_tables),
# host_tools, VAE_QEMU_MACHINE / VAE_QEMU_CPU, QEMU_SYSTEM_ARM and the platform sources).
#
#   mcu_tests.elf          tests/target's sources + vtest_runner.cpp + target_main.cpp on the
#                          semihosting platform; ctest mcu_tests_pass_on_target runs it under QEMU
#   mcu_tests_broken.elf   the same with one deliberately wrong expectation (built on demand by
#                          the test of the test, mcu_tests_fail_when_broken, which must see it fail)
# VAE_TARGET_TESTS_BROKEN=ON puts that wrong expectation into mcu_tests itself, so the whole
# workflow fails: the option is how a reader checks by hand that a failure is not swallowed.
set(target_dir ${PROJECT_SOURCE_DIR}/tests/target)
include(${target_dir}/sources.cmake)   # VAE_TARGET_TEST_SOURCES
option(VAE_TARGET_TESTS_BROKEN
  "Add a deliberately wrong expectation to the on-target tests (a test of the tests: they must fail)" OFF)
set(tables ${CMAKE_CURRENT_BINARY_DIR}/generated/target_tables.cpp)
add_custom_command(OUTPUT ${tables}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/generated
  COMMAND ${host_tables} ${tables}
  DEPENDS host_tools COMMENT "Host tables of the on-target tests" VERBATIM)
list(TRANSFORM VAE_TARGET_TEST_SOURCES PREPEND ${target_dir}/ OUTPUT_VARIABLE target_srcs)
# The number of tests the runner must report: every TEST( of the sources, counted here so that
# a test that silently fails to register is caught.
set(expected_tests 0)
foreach(src IN LISTS target_srcs)
  file(STRINGS ${src} lines REGEX "^TEST\\(")
  list(LENGTH lines n)
  math(EXPR expected_tests "${expected_tests} + ${n}")
endforeach()

foreach(variant mcu_tests mcu_tests_broken)
  add_executable(${variant} ${target_srcs} ${target_dir}/vtest_runner.cpp
                 ${target_dir}/target_main.cpp platform_semihost.cpp ${tables})
  set_target_properties(${variant} PROPERTIES SUFFIX ".elf" LINKER_LANGUAGE C)
  target_include_directories(${variant} PRIVATE ${target_dir} ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(${variant} PRIVATE vae::runtime)
  target_link_options(${variant} PRIVATE
    -nostartfiles --specs=nano.specs -L${CMAKE_CURRENT_SOURCE_DIR} -T${VAE_MCU_LINKER_SCRIPT})
  vae_warnings(${variant})
  target_compile_options(${variant} PRIVATE -Wno-conversion)
endforeach()
target_compile_definitions(mcu_tests_broken PRIVATE VTEST_BROKEN_EXPECTATION)
if(VAE_TARGET_TESTS_BROKEN)
  target_compile_definitions(mcu_tests PRIVATE VTEST_BROKEN_EXPECTATION)
endif()
set_target_properties(mcu_tests_broken PROPERTIES EXCLUDE_FROM_ALL ON)

add_test(NAME mcu_tests_pass_on_target
  COMMAND ${CMAKE_COMMAND} -DQEMU=${QEMU_SYSTEM_ARM} -DMACHINE=${VAE_QEMU_MACHINE}
          -DCPU=${VAE_QEMU_CPU} -DELF=$<TARGET_FILE:mcu_tests> -DEXPECTED_TESTS=${expected_tests}
          -DOUT=${CMAKE_CURRENT_BINARY_DIR}/mcu_tests_qemu.txt
          -P ${target_dir}/run_target_tests.cmake)
set_tests_properties(mcu_tests_pass_on_target PROPERTIES TIMEOUT 120)
# The test of the test: build the broken variant, run it the same way; the run must fail, and
# fail because exactly one test failed (not because the firmware did not build or boot).
add_test(NAME mcu_tests_fail_when_broken
  COMMAND ${CMAKE_COMMAND} -DBUILD_DIR=${CMAKE_BINARY_DIR} -DQEMU=${QEMU_SYSTEM_ARM}
          -DMACHINE=${VAE_QEMU_MACHINE} -DCPU=${VAE_QEMU_CPU}
          -DELF=${CMAKE_CURRENT_BINARY_DIR}/mcu_tests_broken.elf -DEXPECTED_TESTS=${expected_tests}
          -DOUT=${CMAKE_CURRENT_BINARY_DIR}/mcu_tests_broken_qemu.txt
          -P ${target_dir}/check_broken_fails.cmake)
set_tests_properties(mcu_tests_fail_when_broken PROPERTIES TIMEOUT 300)
