# check_broken_fails.cmake - the test of the on-target tests: build mcu_tests_broken (the same
# tests plus one wrong expectation, VTEST_BROKEN_EXPECTATION), run it under QEMU; QEMU must exit
# non-zero and the summary must count exactly one failure, RtCrc32.CheckValueAndChaining.
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} --target mcu_tests_broken
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "mcu_tests_broken did not build:\n${out}${err}")
endif()
file(REMOVE ${OUT})
execute_process(
  COMMAND ${QEMU} -M ${MACHINE} -cpu ${CPU} -nographic -monitor none -serial none
          -chardev file,id=semihost,path=${OUT}
          -semihosting-config enable=on,target=native,chardev=semihost -kernel ${ELF}
  INPUT_FILE /dev/null OUTPUT_QUIET ERROR_QUIET RESULT_VARIABLE qrc TIMEOUT 100)
file(READ ${OUT} fw)
message(STATUS "broken firmware output:\n${fw}")
if(qrc EQUAL 0)
  message(FATAL_ERROR "the firmware with a wrong expectation exited 0: failures are swallowed")
endif()
if(NOT fw MATCHES "\n${EXPECTED_TESTS} Tests 1 Failures 0 Ignored\nFAIL\n")
  message(FATAL_ERROR "expected '${EXPECTED_TESTS} Tests 1 Failures 0 Ignored' and FAIL")
endif()
if(NOT fw MATCHES "RtCrc32\\.CheckValueAndChaining:FAIL")
  message(FATAL_ERROR "the failing test is not RtCrc32.CheckValueAndChaining")
endif()
message(STATUS "a wrong expectation fails the on-target run, as it must")
