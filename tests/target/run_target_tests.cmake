# run_target_tests.cmake - run the on-target test firmware under QEMU and judge its output.
#   cmake -DQEMU=... -DMACHINE=mps2-an386 -DCPU=cortex-m4 -DELF=mcu_tests.elf -DEXPECTED_TESTS=N
#         -DOUT=console.txt -P run_target_tests.cmake
# Passes when QEMU exits 0 and the Unity-style summary says "N Tests 0 Failures 0 Ignored" with
# N = EXPECTED_TESTS, then "OK".
# Semihosting output goes to a file (a chardev), not to QEMU's own stdout.
file(REMOVE ${OUT})
execute_process(
  COMMAND ${QEMU} -M ${MACHINE} -cpu ${CPU} -nographic -monitor none -serial none
          -chardev file,id=semihost,path=${OUT}
          -semihosting-config enable=on,target=native,chardev=semihost -kernel ${ELF}
  INPUT_FILE /dev/null OUTPUT_VARIABLE qemu_out ERROR_VARIABLE qemu_err RESULT_VARIABLE rc
  TIMEOUT 100)
set(fw "")
if(EXISTS ${OUT})
  file(READ ${OUT} fw)
endif()
message(STATUS "firmware output (${OUT}, ${MACHINE} ${CPU}):\n${fw}")
if(NOT fw MATCHES "\n([0-9]+) Tests ([0-9]+) Failures 0 Ignored\n(OK|FAIL)\n")
  message(FATAL_ERROR "no Unity summary line in the firmware's output (qemu exit '${rc}'): ${qemu_out}${qemu_err}")
endif()
set(ran ${CMAKE_MATCH_1})
set(failed ${CMAKE_MATCH_2})
if(NOT ran EQUAL EXPECTED_TESTS)
  message(FATAL_ERROR "the firmware ran ${ran} tests; the sources define ${EXPECTED_TESTS}")
endif()
if(NOT failed EQUAL 0 OR NOT rc EQUAL 0)
  message(FATAL_ERROR "${failed} of ${ran} tests failed on the target (qemu exit '${rc}')")
endif()
message(STATUS "${ran} tests pass on ${CPU} (${MACHINE})")
