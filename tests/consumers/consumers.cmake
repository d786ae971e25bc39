# consumers.cmake - the consumer tests (tests/consumers/run.sh). Each builds a small project of
# tests/consumers/ from outside this tree, in a scratch folder under the build directory.
#   consumer_hosted                 find_package(vae COMPONENTS train) against `cmake --install`
#                                   of this build; trains, and the installed vae_gen reads it
#   consumer_firmware_package       find_package(vae COMPONENTS runtime) and pkg-config against
#                                   a runtime-only install of a Cortex-M4 cross build; runs under
#                                   QEMU and matches the host
#   consumer_firmware_subdirectory  add_subdirectory() with no qemu-system-arm on PATH
#   package_deb                     cpack's .deb, unpacked with dpkg -x, generates from its
#                                   installed weights
# The firmware cases need arm-none-eabi-gcc (scripts/install-deps --embedded); without it they
# fail and say so. A sanitized build's libraries need the sanitizer at the consumer's link too.
set(consumer_flags "")
if(VAE_SANITIZE)
  set(consumer_flags "-fsanitize=address,undefined")
endif()
set(consumers ${CMAKE_CURRENT_SOURCE_DIR}/consumers)
set(scratch ${CMAKE_CURRENT_BINARY_DIR}/consumers)
add_test(NAME consumer_hosted
         COMMAND ${CMAKE_COMMAND} -E env VAE_CONSUMER_FLAGS=${consumer_flags}
                 bash ${consumers}/run.sh hosted ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}
                 ${scratch}/hosted ${VAE_TEST_DATA_DIR})
add_test(NAME consumer_firmware_package
         COMMAND bash ${consumers}/run.sh firmware_package ${PROJECT_SOURCE_DIR}
                 ${scratch}/firmware_package $<TARGET_FILE:vae_gen>)
add_test(NAME consumer_firmware_subdirectory
         COMMAND bash ${consumers}/run.sh firmware_subdirectory ${PROJECT_SOURCE_DIR}
                 ${scratch}/firmware_subdirectory)
add_test(NAME package_deb
         COMMAND bash ${consumers}/package.sh ${PROJECT_BINARY_DIR} ${scratch}/package)
set_tests_properties(consumer_hosted consumer_firmware_package consumer_firmware_subdirectory
                     package_deb PROPERTIES TIMEOUT 900 LABELS consumer)
# The cross builds compile the runtime once each; keep them from running side by side with the
# install-based tests on a 2-core machine.
set_tests_properties(consumer_firmware_package consumer_firmware_subdirectory PROPERTIES
                     RESOURCE_LOCK cross_build)
add_test(NAME readme_snippets
         COMMAND python3 ${consumers}/readme_snippets.py ${PROJECT_SOURCE_DIR}/README.md)
