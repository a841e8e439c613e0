# Every ```cpp block in README.md, docs/*.md and the comments of the public
# headers is a whole translation unit: this builds each into a program of
# its own, and runs the ones that have a main(). A header's example sits in
# its comment between a line "// ```cpp" and a line "// ```"; the comment
# marks ("// ") are taken off. An example that stops compiling (or whose
# program fails) fails the build or the test, so the docs cannot rot.
#
# CMake lists are ;-separated and C++ is full of semicolons and brackets:
# the text is read line by line with those carried as @SEMI@, @LB@ and @RB@
# and restored when a file is written.

function(tinylm_doc_examples)
  file(GLOB docs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md)
  file(GLOB_RECURSE headers CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/include/tinylm/*.hpp)
  set(count 0)
  foreach(source IN LISTS docs headers ITEMS ${PROJECT_SOURCE_DIR}/README.md)
    file(READ ${source} text)
    if(NOT text MATCHES "```cpp")
      continue()
    endif()
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${source})  # edited examples rebuild
    string(REPLACE ";" "@SEMI@" text "${text}")
    string(REPLACE "[" "@LB@" text "${text}")
    string(REPLACE "]" "@RB@" text "${text}")
    string(REPLACE "\\" "@BS@" text "${text}")
    string(REPLACE "\n" ";" lines "${text}")
    if(source MATCHES "\\.hpp$")
      set(prefix "// ?")
    else()
      set(prefix "")
    endif()
    file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${source})
    string(MAKE_C_IDENTIFIER ${rel} id)
    set(n 0)
    set(inside FALSE)
    foreach(line IN LISTS lines)
      if(NOT inside)
        if(line MATCHES "^${prefix}```cpp$")
          set(inside TRUE)
          set(code "")
        endif()
        continue()
      endif()
      if(line MATCHES "^${prefix}```$")
        set(inside FALSE)
        math(EXPR n "${n} + 1")
        math(EXPR count "${count} + 1")
        tinylm_doc_example(${rel} ${id}_${n} "${code}")
        continue()
      endif()
      if(source MATCHES "\\.hpp$")
        string(REGEX REPLACE "^// ?" "" line "${line}")
      endif()
      string(APPEND code "${line}\n")
    endforeach()
    if(inside)
      message(FATAL_ERROR "${rel}: a ```cpp block is not closed")
    endif()
  endforeach()
  message(STATUS "tinylm: ${count} code examples from the docs and headers are built (and run, where they are programs)")
endfunction()

function(tinylm_doc_example rel id code)
  string(REPLACE "@SEMI@" ";" code "${code}")
  string(REPLACE "@LB@" "[" code "${code}")
  string(REPLACE "@RB@" "]" code "${code}")
  string(REPLACE "@BS@" "\\" code "${code}")
  set(name doc_${id})
  set(file ${CMAKE_CURRENT_BINARY_DIR}/doc_examples/${name}.cpp)
  file(CONFIGURE OUTPUT ${file} CONTENT "// From ${rel}.\n${code}" @ONLY)
  if(code MATCHES "int main\\(")  # a program: built and run
    add_executable(${name} ${file})
    set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/doc_examples)
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})  # as a user in a clone
  else()  # a translation unit without main: compiled
    add_library(${name} OBJECT ${file})
  endif()
  target_link_libraries(${name} PRIVATE tinylm_dev)
  target_compile_options(${name} PRIVATE -O1 -g0)
endfunction()
