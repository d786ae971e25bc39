# Toolchain for the browser: WebAssembly (wasm32) with Debian's plain clang and wasm-ld (lld), no
# libc, no emscripten. The runtime is freestanding, so it needs nothing else: the module's C API
# (web/src/vae_web.cpp) supplies the memcpy and memset the compiler may call. Chosen over
# Debian's emscripten because the module needs no libc, no file system and no JS runtime glue;
# emscripten would bring all three (and its own cache) for a module that uses none of them, and
# its output would not fit the 50 KB budget as easily. Only vae::runtime and web/ are built.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR wasm32)

set(CMAKE_C_COMPILER clang)
set(CMAKE_CXX_COMPILER clang++)
set(CMAKE_C_COMPILER_TARGET wasm32)
set(CMAKE_CXX_COMPILER_TARGET wasm32)
# GNU ar writes no symbol index for wasm objects, which wasm-ld needs.
find_program(CMAKE_AR NAMES llvm-ar llvm-ar-14 REQUIRED)
find_program(CMAKE_RANLIB NAMES llvm-ranlib llvm-ranlib-14 REQUIRED)

# Try-compiles cannot link an executable without exports or an entry point.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(CMAKE_C_FLAGS_INIT "-ffreestanding -nostdlib")
set(CMAKE_CXX_FLAGS_INIT "-ffreestanding -nostdlib -fno-exceptions -fno-rtti -fno-threadsafe-statics")
# No entry point (a library for JS), exports from the export_name attributes only, 64 KB stack.
set(CMAKE_EXE_LINKER_FLAGS_INIT
    "-nostdlib -Wl,--no-entry -Wl,--gc-sections -Wl,--strip-all -Wl,-z,stack-size=65536")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
