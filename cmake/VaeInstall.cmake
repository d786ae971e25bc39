# VaeInstall.cmake - what `cmake --install` puts under the prefix, and the package that
# find_package(vae) and pkg-config find there. Install components:
#   runtime  lib/libvae_runtime.a, include/vae_rt/, lib/cmake/vae/ (vaeConfig.cmake, its version
#            file, vae-runtime-targets.cmake), lib/pkgconfig/vae-runtime.pc, and share/vae/
#            (weights/, docs/, cmake/toolchains/): all a firmware build needs. A cross build
#            (VAE_BUILD_HOSTED=OFF) installs this alone.
#   train    lib/libvae.a, libvae_image.a, libvae_atomic_file.a, include/vae/ (with files/ and image/),
#            lib/cmake/vae/vae-train-targets.cmake (hosted builds)
#   apps     bin/: vae_gen, vae_train, vae_export, vae_eval, vae_figures, vae_report,
#            classifier_train, vae_fetch_mnist (scripts/fetch-mnist, which the apps run from
#            beside themselves) (hosted builds with the apps)
# `cmake --install build --component runtime` installs one of them; plain --install, all.
# The find_package() components are runtime and train (cmake/vaeConfig.cmake.in).
include(CMakePackageConfigHelpers)
set(VAE_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/vae)
set(VAE_INSTALL_DATADIR ${CMAKE_INSTALL_DATADIR}/vae)

# --- runtime ------------------------------------------------------------------------------------
install(TARGETS vae_runtime EXPORT vae-runtime-targets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/vae_rt
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT runtime)
install(EXPORT vae-runtime-targets NAMESPACE vae::
  DESTINATION ${VAE_INSTALL_CMAKEDIR} COMPONENT runtime)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/vaeConfig.cmake.in
  ${PROJECT_BINARY_DIR}/vaeConfig.cmake
  INSTALL_DESTINATION ${VAE_INSTALL_CMAKEDIR}
  PATH_VARS VAE_INSTALL_DATADIR)
# 0.x: a minor version may change the API, so only the same major.minor is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/vaeConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/vaeConfig.cmake ${PROJECT_BINARY_DIR}/vaeConfigVersion.cmake
  DESTINATION ${VAE_INSTALL_CMAKEDIR} COMPONENT runtime)

# pkg-config, for Makefile-based firmware: `pkg-config --cflags --libs vae-runtime`.
file(RELATIVE_PATH VAE_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
configure_file(${PROJECT_SOURCE_DIR}/cmake/vae-runtime.pc.in ${PROJECT_BINARY_DIR}/vae-runtime.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/vae-runtime.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT runtime)

# The shipped weights (with their manifest), the specifications a second implementation needs,
# and the Cortex-M toolchain file the firmware was built and tested with.
install(FILES
    ${PROJECT_SOURCE_DIR}/weights/mnist_vae.vaew
    ${PROJECT_SOURCE_DIR}/weights/mnist_vae_decoder_int8.vaew
    ${PROJECT_SOURCE_DIR}/weights/mnist_vae_latent2_decoder_int8.vaew
    ${PROJECT_SOURCE_DIR}/weights/mnist_ae.vaew
    ${PROJECT_SOURCE_DIR}/weights/mnist_classifier.vaew
    ${PROJECT_SOURCE_DIR}/weights/README.md
  DESTINATION ${VAE_INSTALL_DATADIR}/weights COMPONENT runtime)
install(FILES
    ${PROJECT_SOURCE_DIR}/README.md
    ${PROJECT_SOURCE_DIR}/docs/weights-format.md
    ${PROJECT_SOURCE_DIR}/docs/sampling.md
    ${PROJECT_SOURCE_DIR}/docs/performance.md
    ${PROJECT_SOURCE_DIR}/docs/robustness.md
  DESTINATION ${VAE_INSTALL_DATADIR}/docs COMPONENT runtime)
install(FILES ${PROJECT_SOURCE_DIR}/cmake/toolchains/arm-none-eabi.cmake
  DESTINATION ${VAE_INSTALL_DATADIR}/cmake/toolchains COMPONENT runtime)

# --- train --------------------------------------------------------------------------------------
if(VAE_BUILD_HOSTED)
  install(TARGETS vae vae_image vae_atomic_file EXPORT vae-train-targets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT train)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/vae
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT train)
  install(EXPORT vae-train-targets NAMESPACE vae::
    DESTINATION ${VAE_INSTALL_CMAKEDIR} COMPONENT train)
endif()

# --- apps ---------------------------------------------------------------------------------------
if(VAE_BUILD_APPS)
  install(TARGETS vae_gen vae_train vae_export vae_eval vae_figures vae_report classifier_train
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT apps)
  # The apps' MNIST policy (apps/common/mnist_policy.hpp) runs it from beside their executable.
  install(PROGRAMS ${PROJECT_SOURCE_DIR}/scripts/fetch-mnist DESTINATION ${CMAKE_INSTALL_BINDIR}
          RENAME vae_fetch_mnist COMPONENT apps)
  include(VaePackaging)
endif()
