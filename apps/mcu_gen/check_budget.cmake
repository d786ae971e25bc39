# check_budget.cmake - the firmware fits the device budget that issue 5 set: flash (text + data)
# at most 400 KB, RAM (data + bss, which holds the arena, + the stack region) at most 16 KB. The
# linker script's regions (1 MB, 128 KB) are the part's size, looser than this budget, so a weight
# file that grows (a larger mixture prior, say) would still link; this test is what catches it.
#   cmake -DSIZE=<arm-none-eabi-size> -DNM=<arm-none-eabi-nm> -DELF=<mcu_gen.elf> -P check_budget.cmake
set(flash_budget 409600)   # 400 KB
set(ram_budget 16384)      # 16 KB
execute_process(COMMAND ${SIZE} -B ${ELF} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(rc OR NOT out MATCHES "\n[ \t]*([0-9]+)[ \t]+([0-9]+)[ \t]+([0-9]+)")
  message(FATAL_ERROR "${SIZE} -B ${ELF} failed: ${out}")
endif()
set(text ${CMAKE_MATCH_1})
set(data ${CMAKE_MATCH_2})
set(bss ${CMAKE_MATCH_3})
# The stack region is no section: it is the linker script's _stack_size symbol.
execute_process(COMMAND ${NM} ${ELF} OUTPUT_VARIABLE syms RESULT_VARIABLE rc)
if(rc OR NOT syms MATCHES "([0-9a-fA-F]+) [aA] _stack_size")
  message(FATAL_ERROR "no _stack_size symbol in ${ELF}")
endif()
math(EXPR stack "0x${CMAKE_MATCH_1}")
math(EXPR flash "${text} + ${data}")
math(EXPR ram "${data} + ${bss} + ${stack}")
message(STATUS "flash ${flash} of ${flash_budget} bytes (text ${text} + data ${data}); "
               "RAM ${ram} of ${ram_budget} bytes (data ${data} + bss ${bss} + stack ${stack})")
if(flash GREATER flash_budget)
  message(FATAL_ERROR "the firmware needs ${flash} bytes of flash; the budget is ${flash_budget}")
endif()
if(ram GREATER ram_budget)
  message(FATAL_ERROR "the firmware needs ${ram} bytes of RAM; the budget is ${ram_budget}")
endif()
