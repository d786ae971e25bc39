# VaePackaging.cmake - `cpack` in a hosted build directory makes
#   vae_<version>_<arch>.deb   everything `cmake --install` puts under /usr (bin/vae_gen ...,
#                              /usr/share/vae/weights, the libraries, headers and CMake package)
#   vae-<version>-Linux.tar.gz the same tree under a relocatable prefix
# The .deb's Depends come from dpkg-shlibdeps (the apps' shared libraries: libopenblas0, libc6,
# libstdc++6, ...). Building against the installed train component also needs the headers of
# Recommends.
set(CPACK_PACKAGE_NAME vae)
set(CPACK_PACKAGE_VENDOR "vae")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "vae maintainers <vae@localhost>")
set(CPACK_RESOURCE_FILE_README ${PROJECT_SOURCE_DIR}/README.md)
set(CPACK_GENERATOR DEB TGZ)
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/packages)
set(CPACK_STRIP_FILES OFF)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libxtensor-dev, libxtensor-blas-dev, libopenblas-dev")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "Train a variational autoencoder on MNIST on a CPU; generate digits on a microcontroller\n\
Command-line tools (vae_gen, vae_train, vae_export, vae_eval, vae_figures, vae_report,\n\
classifier_train), the trained weights in /usr/share/vae/weights, the static libraries\n\
vae::runtime (freestanding decoder) and vae::vae (training) with their CMake package and\n\
pkg-config file.")

include(CPack)
