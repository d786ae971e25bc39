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

# Every app's bad inputs (tests/cli/test_<app>_errors.sh, checks in tests/cli/lib_errors.sh): one
# line on stderr, exit 2 usage / 1 runtime, never a crash or a hang. With VAE_ERROR_TABLE=FILE in
# the environment each case appends a row of docs/robustness.md's table to FILE.
set(_w ${PROJECT_SOURCE_DIR}/weights)
set(_cli ${CMAKE_CURRENT_SOURCE_DIR}/cli)
add_test(NAME cli_errors_vae_train COMMAND bash ${_cli}/test_vae_train_errors.sh
         $<TARGET_FILE:vae_train> ${_w} ${VAE_TEST_DATA_DIR})
add_test(NAME cli_errors_vae_gen COMMAND bash ${_cli}/test_vae_gen_errors.sh
         $<TARGET_FILE:vae_gen> $<TARGET_FILE:vae_train> ${_w} ${VAE_TEST_DATA_DIR})
add_test(NAME cli_errors_vae_export COMMAND bash ${_cli}/test_vae_export_errors.sh
         $<TARGET_FILE:vae_export> ${_w})
add_test(NAME cli_errors_vae_eval COMMAND bash ${_cli}/test_vae_eval_errors.sh
         $<TARGET_FILE:vae_eval> $<TARGET_FILE:vae_train> $<TARGET_FILE:vae_export> ${_w} ${VAE_TEST_DATA_DIR})
add_test(NAME cli_errors_vae_report COMMAND bash ${_cli}/test_vae_report_errors.sh
         $<TARGET_FILE:vae_report> $<TARGET_FILE:vae_train> ${_w} ${VAE_TEST_DATA_DIR})
add_test(NAME cli_errors_classifier_train COMMAND bash ${_cli}/test_classifier_train_errors.sh
         $<TARGET_FILE:classifier_train> ${VAE_TEST_DATA_DIR})
add_test(NAME cli_errors_vae_figures COMMAND bash ${_cli}/test_vae_figures_errors.sh
         $<TARGET_FILE:vae_figures> ${_w} ${VAE_TEST_DATA_DIR})
set_tests_properties(cli_errors_vae_train cli_errors_vae_gen cli_errors_vae_export cli_errors_vae_eval
                     cli_errors_vae_report cli_errors_classifier_train cli_errors_vae_figures
                     PROPERTIES TIMEOUT 300)

# A full disk (a file-size limit everywhere, a real tmpfs where a mount namespace is allowed) and a
# read-only file system under --out, --report and --checkpoint, and outputs refused for want of room
# before a run starts: one line, exit 1, earlier files intact.
add_test(NAME cli_disk_full_read_only COMMAND bash ${_cli}/test_disk_errors.sh
         $<TARGET_FILE:vae_train> $<TARGET_FILE:vae_gen> $<TARGET_FILE:classifier_train>
         $<TARGET_FILE:checkpoint_check> ${_w} ${VAE_TEST_DATA_DIR})
set_tests_properties(cli_disk_full_read_only PROPERTIES TIMEOUT 300)
