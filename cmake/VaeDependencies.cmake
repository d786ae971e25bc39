# Hosted dependencies, all from Debian packages (scripts/install-deps installs them).
find_package(xtl REQUIRED)
find_package(xsimd REQUIRED)
find_package(xtensor REQUIRED)
find_package(xtensor-blas REQUIRED)
find_package(OpenBLAS CONFIG REQUIRED)        # libopenblas-dev: BLAS and CBLAS
find_package(Threads REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_path(STB_INCLUDE_DIR stb_image_write.h PATH_SUFFIXES stb REQUIRED)   # libstb-dev

if(NOT TARGET vae_openblas)
  add_library(vae_openblas INTERFACE)
  target_include_directories(vae_openblas SYSTEM INTERFACE ${OpenBLAS_INCLUDE_DIRS})
  target_link_libraries(vae_openblas INTERFACE ${OpenBLAS_LIBRARIES} Threads::Threads)
endif()
if(NOT TARGET vae_stb)
  add_library(vae_stb INTERFACE)
  target_include_directories(vae_stb SYSTEM INTERFACE ${STB_INCLUDE_DIR})
endif()
