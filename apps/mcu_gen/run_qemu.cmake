# run_qemu.cmake - run the mcu_gen firmware under QEMU and compare it with the host.
#
# Boots ELF on qemu-system-arm -M mps2-an386 (a Cortex-M4F) with semihosting, captures what it
# prints, and for every seed checks that the block "seed S digit 0 fnv1a 0x..." plus its 28 lines
# of ASCII art appears verbatim in the output of the host `vae_gen WEIGHTS --count 1 --seed S
# --ascii` for the same weights: the uint8 pixels must be identical.
# Semihosting output goes to a file (a chardev), not to QEMU's own stdout/stderr.
set(console ${OUT}/mcu_gen_qemu.txt)
file(REMOVE ${console})
execute_process(
  COMMAND ${QEMU} -M mps2-an386 -cpu cortex-m4 -nographic -monitor none -serial none
          -chardev file,id=semihost,path=${console}
          -semihosting-config enable=on,target=native,chardev=semihost -kernel ${ELF}
  INPUT_FILE /dev/null OUTPUT_VARIABLE qemu_out ERROR_VARIABLE fw_err RESULT_VARIABLE rc TIMEOUT 90)
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

foreach(seed IN LISTS SEEDS)
  execute_process(COMMAND ${VAE_GEN} ${WEIGHTS} --count 1 --seed ${seed} --ascii
                  OUTPUT_VARIABLE host RESULT_VARIABLE hrc)
  if(NOT hrc EQUAL 0)
    message(FATAL_ERROR "vae_gen failed for seed ${seed}")
  endif()
  # The firmware's block for this seed: from its header line through 28 lines of art.
  string(FIND "${fw}" "seed ${seed} digit 0 fnv1a" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "no output for seed ${seed} from the firmware")
  endif()
  # The header line, then 28 lines of exactly 28 characters and a newline.
  string(SUBSTRING "${fw}" ${at} -1 tail)
  string(FIND "${tail}" "\n" eol)
  math(EXPR block_len "${eol} + 1 + 28 * 29")
  string(LENGTH "${tail}" tail_len)
  if(tail_len LESS block_len)
    message(FATAL_ERROR "incomplete output for seed ${seed}")
  endif()
  string(SUBSTRING "${tail}" 0 ${block_len} block)
  string(FIND "${host}" "${block}" hat)
  if(hat EQUAL -1)
    message(FATAL_ERROR "seed ${seed}: the firmware's digit differs from the host's.\nfirmware:\n${block}\nhost:\n${host}")
  endif()
  message(STATUS "seed ${seed}: firmware and host agree pixel for pixel")
endforeach()
