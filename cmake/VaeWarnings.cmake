# vae_warnings(<target>): the project's warning set, errors when VAE_WERROR is on.
function(vae_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                           -Wno-sign-conversion)
  if(VAE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
