# check.cmake - build vae::runtime and tests/freestanding/consumer.cpp with no C++ library and
# run the result. Invoked by ctest (tests/CMakeLists.txt) as
#   cmake -DCXX=<c++> -DSRC=<source dir> -DOUT=<scratch dir> -P check.cmake
# Steps: compile each lib/runtime/*.cpp with -ffreestanding -fno-exceptions -fno-rtti
# -nostdinc++ (so no libstdc++ header is even reachable); check with nm that the objects need
# nothing but memcpy/memset/memmove; link the consumer with -nodefaultlibs -lc -lgcc (no
# libstdc++, no libm, no libgcc_s unwinder); run it.
file(MAKE_DIRECTORY ${OUT})
set(flags -std=c++17 -O2 -ffreestanding -fno-exceptions -fno-rtti -nostdinc++ -ffp-contract=off
          -Wall -Wextra -Werror -I${SRC}/include)
file(GLOB sources ${SRC}/lib/runtime/*.cpp)
set(objects)
foreach(src ${sources} ${SRC}/tests/freestanding/consumer.cpp)
  get_filename_component(name ${src} NAME_WE)
  execute_process(COMMAND ${CXX} ${flags} -c ${src} -o ${OUT}/${name}.o
                  RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(rc)
    message(FATAL_ERROR "freestanding compile of ${src} failed:\n${err}")
  endif()
  if(NOT name STREQUAL "consumer")
    list(APPEND objects ${OUT}/${name}.o)
  endif()
endforeach()

execute_process(COMMAND nm -u ${objects} OUTPUT_VARIABLE undefined RESULT_VARIABLE rc)
string(REGEX MATCHALL "U [A-Za-z_0-9]+" symbols "${undefined}")
foreach(sym ${symbols})
  string(SUBSTRING ${sym} 2 -1 sym)
  if(NOT sym MATCHES "^(memcpy|memset|memmove|_GLOBAL_OFFSET_TABLE_|_ZN6vae_rt.*)$")
    message(FATAL_ERROR "vae::runtime needs an outside symbol: ${sym}")
  endif()
endforeach()

execute_process(COMMAND ${CXX} -o ${OUT}/consumer ${OUT}/consumer.o ${objects}
                        -nodefaultlibs -lc -lgcc
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(rc)
  message(FATAL_ERROR "linking the consumer without libstdc++ failed:\n${err}")
endif()
execute_process(COMMAND ldd ${OUT}/consumer OUTPUT_VARIABLE libs)
if(libs MATCHES "libstdc\\+\\+|libm\\.")
  message(FATAL_ERROR "the consumer links a C++ or math library:\n${libs}")
endif()
execute_process(COMMAND ${OUT}/consumer RESULT_VARIABLE rc OUTPUT_VARIABLE out)
message("${out}")
if(rc)
  message(FATAL_ERROR "the freestanding consumer failed")
endif()
