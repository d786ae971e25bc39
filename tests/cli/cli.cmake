# cli.cmake - command-line tests of vae_gen and vae_export, run by ctest as
#   cmake -DGEN=<vae_gen> -DEXPORT=<vae_export> -DCHECK=<cli_check> -DOUT=<dir> -P cli.cmake
# Each step states the exit code it expects (0 ok, 1 runtime error, 2 usage) and, for errors,
# a part of the one-line message.
file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT})
set(W ${OUT}/model.vaew)
set(L ${OUT}/latents.f32)

# run(<expected rc> <expected text or ""> <command...>)
function(run want_rc want_text)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  string(REPLACE ";" " " cmd "${ARGN}")
  if(NOT rc EQUAL want_rc)
    message(FATAL_ERROR "${cmd}\n  exit ${rc}, expected ${want_rc}\n${out}${err}")
  endif()
  if(want_text AND NOT "${out}${err}" MATCHES "${want_text}")
    message(FATAL_ERROR "${cmd}\n  output lacks \"${want_text}\":\n${out}${err}")
  endif()
  message(STATUS "ok (exit ${rc}): ${cmd}")
endfunction()

run(0 "" ${CHECK} make ${W} ${L})

# 10000 digits from seed 1 as IDX3, readable by the training library's IDX reader; repeatable.
run(0 "float32 decoder, D 784 H 400 Z 20" ${GEN} ${W} --count 10000 --seed 1 --out ${OUT}/s.idx)
run(0 "" ${CHECK} idx ${OUT}/s.idx 10000)
run(0 "" ${GEN} ${W} --count 10000 --seed 1 --out ${OUT}/s2.idx)
run(0 "" ${CMAKE_COMMAND} -E compare_files ${OUT}/s.idx ${OUT}/s2.idx)

# --latent decodes exactly the given vectors.
run(0 "wrote 7 digits" ${GEN} ${W} --latent ${L} --out ${OUT}/l.idx)
run(0 "decoded exactly" ${CHECK} latent ${W} ${L} ${OUT}/l.idx)
# --out .f32: the same digits as float32 probabilities before rounding (the converters' golden check).
run(0 "wrote 7 digits" ${GEN} ${W} --latent ${L} --out ${OUT}/l.f32)
run(0 "float32 probabilities equal decode" ${CHECK} latent_f32 ${W} ${L} ${OUT}/l.f32)
run(1 "7 digits of float32 pixels are 21952" ${CHECK} latent_f32 ${W} ${L} ${L})
run(0 "" ${GEN} ${W} --count 7 --seed 1 --out ${OUT}/r.f32)
run(1 "digit 0 of .*r.f32 differs from the runtime's decode" ${CHECK} latent_f32 ${W} ${L} ${OUT}/r.f32)

# Pictures, text, a strip.
run(0 "" ${GEN} ${W} --count 16 --out ${OUT}/g.png)
run(0 "" ${GEN} ${W} --count 16 --out ${OUT}/g.pgm)
run(0 "wrote 10 digits" ${GEN} ${W} --interpolate --out ${OUT}/strip.pgm)
run(0 "" ${GEN} ${W} --count 2 --ascii)

# vae_export: decoder-only int8 with C source; the result loads in vae_gen.
run(0 "% of the input" ${EXPORT} ${W} ${OUT}/d8.vaew --decoder-only --int8 --c-source ${OUT}/mnist_dec)
foreach(f d8.vaew mnist_dec.c mnist_dec.h)
  if(NOT EXISTS ${OUT}/${f})
    message(FATAL_ERROR "vae_export did not write ${f}")
  endif()
endforeach()
run(0 "int8 decoder, D 784 H 400 Z 20 \\(decoder-only" ${GEN} ${OUT}/d8.vaew --count 100 --out ${OUT}/d8.idx)
run(0 "" ${CHECK} idx ${OUT}/d8.idx 100)

# Errors: usage is exit 2, runtime problems exit 1, each one line naming the file.
run(2 "" ${GEN})
run(2 "" ${EXPORT} ${W})
run(2 "extension" ${GEN} ${W} --out ${OUT}/x.jpg)
run(2 "" ${GEN} ${W} --count 0)
run(0 "Usage" ${GEN} --help)
run(0 "Usage" ${EXPORT} --help)
run(1 "missing.vaew" ${GEN} ${OUT}/missing.vaew)
run(1 "missing.vaew" ${EXPORT} ${OUT}/missing.vaew ${OUT}/x.vaew)
file(READ ${W} head LIMIT 1000 HEX)
file(WRITE ${OUT}/short.vaew "")
run(1 "short.vaew: file truncated" ${GEN} ${OUT}/short.vaew)
run(1 "not a C identifier" ${EXPORT} ${W} ${OUT}/y.vaew --c-source ${OUT}/9bad)
file(WRITE ${OUT}/odd.f32 "12345")
run(1 "not a whole number of latents" ${GEN} ${W} --latent ${OUT}/odd.f32)
run(1 "carries no mixture prior" ${GEN} ${W} --prior gmm)
run(2 "" ${GEN} ${W} --prior bogus)
run(2 "" ${GEN} ${W} --prior gmm --latent ${L})

# The mixture prior: the default when the file carries one; the digits are the training
# library's decodes of its own sampler's draws (cli_check gmm); --prior normal is the plain file's.
set(P ${OUT}/prior.vaew)
run(0 "" ${CHECK} prior ${W} ${P})
run(0 "z ~ the file's mixture prior, 3 components" ${GEN} ${P} --count 50 --seed 3 --out ${OUT}/p.idx)
run(0 "mixture draws decoded" ${CHECK} gmm ${P} 3 ${OUT}/p.idx)
run(0 "" ${GEN} ${P} --prior gmm --count 50 --seed 3 --out ${OUT}/p2.idx)
run(0 "" ${CMAKE_COMMAND} -E compare_files ${OUT}/p.idx ${OUT}/p2.idx)
run(0 "z ~ N\\(0, I\\)" ${GEN} ${P} --prior normal --count 50 --seed 3 --out ${OUT}/pn.idx)
run(0 "" ${GEN} ${W} --count 50 --seed 3 --out ${OUT}/wn.idx)
run(0 "" ${CMAKE_COMMAND} -E compare_files ${OUT}/pn.idx ${OUT}/wn.idx)
run(0 "prior gmm digit 1 fnv1a" ${GEN} ${P} --count 2 --ascii)
run(0 "wrote 10 digits" ${GEN} ${P} --interpolate --out ${OUT}/pstrip.pgm)
# The device export keeps it.
run(0 "" ${EXPORT} ${P} ${OUT}/p8.vaew --decoder-only --int8)
run(0 "int8 decoder.*mixture prior, 3 components" ${GEN} ${OUT}/p8.vaew --count 4 --out ${OUT}/p8.idx)
