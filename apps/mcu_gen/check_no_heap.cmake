# check_no_heap.cmake - build the malloc probe; the build must fail, and fail because the heap is
# missing (_sbrk unresolved), not for some other reason.
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} --target mcu_gen_malloc_probe
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(rc EQUAL 0)
  message(FATAL_ERROR "a firmware calling malloc linked: the no-heap guarantee is broken")
endif()
string(FIND "${out}${err}" "_sbrk" at)
if(at EQUAL -1)
  message(FATAL_ERROR "the malloc probe failed to build, but not for lack of _sbrk:\n${out}${err}")
endif()
message(STATUS "a firmware calling malloc fails to link (undefined _sbrk): no heap")
