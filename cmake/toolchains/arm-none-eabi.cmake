# Toolchain for Cortex-M bare metal: arm-none-eabi-gcc (Debian gcc-arm-none-eabi) with newlib
# (libnewlib-arm-none-eabi). Only the freestanding runtime and the firmware app are built with it;
# the top-level CMakeLists.txt turns the hosted training library off (VAE_BUILD_HOSTED=OFF).
#
# VAE_CPU picks the core (a cache variable; the presets set it, -DVAE_CPU=... otherwise):
#   cortex-m4 (default)  Cortex-M4F: -mfloat-abi=hard -mfpu=fpv4-sp-d16 (the cortex-m4 preset)
#   cortex-m3            Cortex-M3, no FPU: soft float from libgcc (the cortex-m3 preset)
# A project that uses this file as it is gets the Cortex-M4F, as before VAE_CPU existed.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_OBJCOPY arm-none-eabi-objcopy CACHE FILEPATH "objcopy")
set(CMAKE_SIZE arm-none-eabi-size CACHE FILEPATH "size")

# Try-compiles cannot link a full executable without a startup file and linker script.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(VAE_CPU "cortex-m4" CACHE STRING "Target core: cortex-m4 (M4F, hard float) or cortex-m3 (soft float)")
set_property(CACHE VAE_CPU PROPERTY STRINGS cortex-m4 cortex-m3)
# try_compile projects re-read this file: hand them the same core.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES VAE_CPU)
if(VAE_CPU STREQUAL "cortex-m4")
  set(VAE_CPU_FLAGS "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16")
elseif(VAE_CPU STREQUAL "cortex-m3")
  set(VAE_CPU_FLAGS "-mcpu=cortex-m3 -mthumb -mfloat-abi=soft")
else()
  message(FATAL_ERROR "arm-none-eabi.cmake: unknown VAE_CPU '${VAE_CPU}' (cortex-m4, cortex-m3)")
endif()
set(CMAKE_C_FLAGS_INIT "${VAE_CPU_FLAGS} -ffunction-sections -fdata-sections")
set(CMAKE_CXX_FLAGS_INIT
    "${VAE_CPU_FLAGS} -ffunction-sections -fdata-sections -fno-exceptions -fno-rtti -fno-threadsafe-statics -fno-use-cxa-atexit")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${VAE_CPU_FLAGS} -Wl,--gc-sections")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
