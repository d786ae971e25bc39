# vae_find_python_with(<module> <out-var>): an interpreter that can `import <module>`, or "".
# FindPython's first python3 on PATH may be a pyenv one without Debian's python3-numpy or
# python3-torch (and its NumPy component also wants numpy's C headers), so each candidate is
# asked directly: FindPython's interpreter, then Debian's /usr/bin/python3. The tests that call
# this register a failing test with the install command when nothing is found, never a skip.
function(vae_find_python_with module out_var)
  find_package(Python3 COMPONENTS Interpreter QUIET)
  set(found "")
  foreach(candidate IN ITEMS "${Python3_EXECUTABLE}" /usr/bin/python3)
    if(candidate AND EXISTS "${candidate}")
      execute_process(COMMAND "${candidate}" -c "import ${module}"
                      RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
      if(rc EQUAL 0)
        set(found "${candidate}")
        break()
      endif()
    endif()
  endforeach()
  set(${out_var} "${found}" PARENT_SCOPE)
endfunction()
