# robustness.cmake - included by tests/CMakeLists.txt: the command-line robustness tests of issue 8
# (docs/robustness.md): the kill test, disk-full and permission errors, and every app's bad inputs.

# The kill test's independent checkpoint reader (vae::read_checkpoint: magic, sizes, CRC).
add_executable(checkpoint_check cli/checkpoint_check.cpp)
target_link_libraries(checkpoint_check PRIVATE vae::vae)
vae_warnings(checkpoint_check)

# SIGKILL vae_train at least 24 times, some inside checkpoint writes; resume; compare the bytes.
add_test(NAME cli_vae_train_kill_resume
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli/test_vae_train_kill.sh $<TARGET_FILE:vae_train>
                 $<TARGET_FILE:checkpoint_check> ${VAE_TEST_DATA_DIR})
set_tests_properties(cli_vae_train_kill_resume PROPERTIES TIMEOUT 300)
