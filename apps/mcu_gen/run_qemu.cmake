# run_qemu.cmake - run the mcu_gen firmware under QEMU and compare it with the host.
#   cmake -DQEMU=... -DMACHINE=mps2-an386 -DCPU=cortex-m4 -DELF=... -DVAE_GEN=... -DWEIGHTS=...
#         -DSEEDS=... -DOUT=<dir> -DNAME=mcu_gen -P run_qemu.cmake
#
# Boots ELF on qemu-system-arm -M MACHINE -cpu CPU with semihosting and -icount shift=0 (one
# instruction per virtual nanosecond, so the firmware's per-digit counts are exact), captures what it
# prints, and for every seed and prior P (normal, and gmm when the weights carry a mixture) checks
# that the block "seed S prior P digit 0 fnv1a 0x..." plus its 28 lines of ASCII art appears
# verbatim in the output of the host `vae_gen WEIGHTS --prior P --count 1 --seed S --ascii` for
# the same weights: the uint8 pixels must be identical. Whether the weights carry a mixture is
# the host's answer (vae_gen --prior gmm fails without one), and the firmware must agree.
# Semihosting output goes to a file (a chardev), not to QEMU's own stdout/stderr.
if(NOT NAME)
  set(NAME mcu_gen)
endif()
set(console ${OUT}/${NAME}_qemu.txt)
file(REMOVE ${console})
execute_process(
  COMMAND ${QEMU} -M ${MACHINE} -cpu ${CPU} -icount shift=0 -nographic -monitor none -serial none
          -chardev file,id=semihost,path=${console}
          -semihosting-config enable=on,target=native,chardev=semihost -kernel ${ELF}
  INPUT_FILE /dev/null OUTPUT_VARIABLE qemu_out ERROR_VARIABLE fw_err RESULT_VARIABLE rc TIMEOUT 280)
set(fw "")
if(EXISTS ${console})
  file(READ ${console} fw)
endif()
message(STATUS "firmware output (${console}):\n${fw}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "qemu exited with '${rc}': ${qemu_out}${fw_err}")
endif()
string(FIND "${fw}" "mcu_gen: done" done_at)
if(done_at EQUAL -1)
  message(FATAL_ERROR "the firmware did not finish")
endif()

execute_process(COMMAND ${VAE_GEN} ${WEIGHTS} --prior gmm --count 1 --ascii
                OUTPUT_QUIET ERROR_VARIABLE gmm_err RESULT_VARIABLE gmm_rc)
if(gmm_rc EQUAL 0)
  set(priors normal gmm)
  string(FIND "${fw}" "mcu_gen: mixture prior of" fw_has)
else()
  if(NOT gmm_err MATCHES "carries no mixture prior")
    message(FATAL_ERROR "vae_gen --prior gmm failed: ${gmm_err}")
  endif()
  set(priors normal)
  string(FIND "${fw}" "mcu_gen: no mixture prior" fw_has)
endif()
if(fw_has EQUAL -1)
  message(FATAL_ERROR "the firmware and the host disagree on whether the weights carry a mixture prior")
endif()

foreach(seed IN LISTS SEEDS)
foreach(prior IN LISTS priors)
  execute_process(COMMAND ${VAE_GEN} ${WEIGHTS} --prior ${prior} --count 1 --seed ${seed} --ascii
                  OUTPUT_VARIABLE host RESULT_VARIABLE hrc)
  if(NOT hrc EQUAL 0)
    message(FATAL_ERROR "vae_gen failed for seed ${seed}, prior ${prior}")
  endif()
  # The firmware's block for this seed and prior: from its header line through 28 lines of art.
  string(FIND "${fw}" "seed ${seed} prior ${prior} digit 0 fnv1a" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "no output for seed ${seed}, prior ${prior} from the firmware")
  endif()
  # The header line, then 28 lines of exactly 28 characters and a newline.
  string(SUBSTRING "${fw}" ${at} -1 tail)
  string(FIND "${tail}" "\n" eol)
  math(EXPR block_len "${eol} + 1 + 28 * 29")
  string(LENGTH "${tail}" tail_len)
  if(tail_len LESS block_len)
    message(FATAL_ERROR "incomplete output for seed ${seed}, prior ${prior}")
  endif()
  string(SUBSTRING "${tail}" 0 ${block_len} block)
  string(FIND "${host}" "${block}" hat)
  if(hat EQUAL -1)
    message(FATAL_ERROR "seed ${seed}, prior ${prior}: the firmware's digit differs from the host's.\nfirmware:\n${block}\nhost:\n${host}")
  endif()
  message(STATUS "seed ${seed}, prior ${prior}: firmware and host agree pixel for pixel")
endforeach()
endforeach()
