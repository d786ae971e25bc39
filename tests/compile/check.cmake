# tests/compile/check.cmake - prove that a wrong-shape product does not compile, and that the same
# code with agreeing shapes does (so a failure is the shapes', not a broken include path).
#   cmake -DCXX=<compiler> -DSRC=<source dir> -P check.cmake
# Each case of shapes.cpp is compiled with -fsyntax-only; a failing case must name its reason.
set(cases
  "RIGHT|"
  "WRONG_INNER|W's columns must equal x's width"
  "WRONG_OUTER|dW's rows must equal dy's width"
  "WRONG_DY|W's rows must equal dy's width"
  "WRONG_LAYER|cannot convert|no matching function|invalid initialization")
set(failed 0)
foreach(entry IN LISTS cases)
  string(FIND "${entry}" "|" bar)
  string(SUBSTRING "${entry}" 0 ${bar} case)
  math(EXPR after "${bar} + 1")
  string(SUBSTRING "${entry}" ${after} -1 expect)
  execute_process(
    COMMAND ${CXX} -std=c++17 -fsyntax-only -D${case} -I${SRC}/include
            ${SRC}/tests/compile/shapes.cpp
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(case STREQUAL "RIGHT")
    if(NOT rc EQUAL 0)
      message(SEND_ERROR "compile: the positive control ${case} does not compile:\n${err}")
      set(failed 1)
    else()
      message(STATUS "compile: ${case} compiles")
    endif()
  elseif(rc EQUAL 0)
    message(SEND_ERROR "compile: ${case} compiled, but its shapes disagree")
    set(failed 1)
  elseif(NOT err MATCHES "${expect}")
    message(SEND_ERROR "compile: ${case} failed for another reason than '${expect}':\n${err}")
    set(failed 1)
  else()
    string(REGEX MATCH "${expect}" why "${err}")
    message(STATUS "compile: ${case} refused (${why})")
  endif()
endforeach()
if(failed)
  message(FATAL_ERROR "compile: shape checks failed")
endif()
