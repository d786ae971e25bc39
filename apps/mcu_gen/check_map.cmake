# check_map.cmake - the firmware's link map must show no heap and no C++ runtime:
# no malloc/free/_sbrk, no exception unwinding, no libstdc++, no xtensor or BLAS.
file(READ "${MAP}" map)
foreach(forbidden "malloc" "_sbrk" "__cxa_" "_Unwind_" "libstdc++" "xtensor" "openblas" "cblas_")
  string(FIND "${map}" "${forbidden}" at)
  if(NOT at EQUAL -1)
    message(FATAL_ERROR "link map ${MAP} mentions '${forbidden}'")
  endif()
endforeach()
message(STATUS "link map clean: no malloc, _sbrk, __cxa_, _Unwind_, libstdc++, xtensor, BLAS")
