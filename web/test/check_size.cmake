# check_size.cmake - the WebAssembly module plus its JS glue stay under LIMIT bytes (issue 17:
# 50 KB without weights). cmake -DMODULE=... -DGLUE=... -DLIMIT=... -P check_size.cmake
file(SIZE "${MODULE}" module_bytes)
file(SIZE "${GLUE}" glue_bytes)
math(EXPR total "${module_bytes} + ${glue_bytes}")
message(STATUS "vae_web.wasm ${module_bytes} bytes + vae.js ${glue_bytes} bytes = ${total} (limit ${LIMIT})")
if(total GREATER_EQUAL LIMIT)
  message(FATAL_ERROR "the module and its glue take ${total} bytes, over the ${LIMIT}-byte budget")
endif()
