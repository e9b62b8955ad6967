# How goc's targets and their tests are declared: one place for the layout
# of DESIGN.md, so each pattern's CMakeLists.txt is a few lines.

# goc_add_pattern(<name> [TEST_LABELS <label>...])
#   library goc_<name> from <name>.c (the pattern as reusable functions),
#   the target <name> from <name>_main.c (links goc_probe), and the CMocka
#   test <name>_test from <name>_test.c (labels default to unit).
function(goc_add_pattern name)
  cmake_parse_arguments(ARG "" "" "TEST_LABELS" ${ARGN})
  add_library(goc_${name} STATIC ${name}.c)
  target_include_directories(goc_${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(goc_${name} PUBLIC goc)
  add_executable(${name} ${name}_main.c)
  target_link_libraries(${name} PRIVATE goc_${name} goc_probe)
  if(NOT ARG_TEST_LABELS)
    set(ARG_TEST_LABELS unit)
  endif()
  goc_add_pattern_test(${name} ${name}_test LABELS ${ARG_TEST_LABELS})
endfunction()

# goc_add_pattern_test(<pattern> <test> [LABELS <label>...])
#   another CMocka test of a pattern, from <test>.c (e.g. a stress test,
#   which the tsan-stress preset repeats 20 times when labelled stress).
function(goc_add_pattern_test pattern test)
  if(NOT BUILD_TESTING)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "LABELS" ${ARGN})
  add_executable(${test} ${test}.c)
  target_link_libraries(${test} PRIVATE goc_${pattern} goc_test_support)
  add_test(NAME ${test} COMMAND ${test})
  set_tests_properties(${test} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT 240)
endfunction()

# goc_add_smoke_test(<target> <name> <arg>...)
#   run the target once with tiny sizes (label bench-smoke): it must print
#   its verified JSON line, and no sanitizer report or panic. A failed check
#   prints no line; ctest ignores the exit status once a pass expression is
#   set, hence the fail expression.
function(goc_add_smoke_test target name)
  if(NOT BUILD_TESTING)
    return()
  endif()
  add_test(NAME ${target}_${name} COMMAND ${target} ${ARGN})
  set_tests_properties(${target}_${name} PROPERTIES
    LABELS bench-smoke
    TIMEOUT 120
    PASS_REGULAR_EXPRESSION "\"check\":"
    FAIL_REGULAR_EXPRESSION "WARNING: ThreadSanitizer|ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|panic: ")
endfunction()

# goc_add_usage_test(<target> <name> <expected message regex> <arg>...)
#   a bad command line: exit status 2 after one line matching the message,
#   and no result line. sh reports the status, which ctest would not check
#   once a pass expression is set.
function(goc_add_usage_test target name expect)
  if(NOT BUILD_TESTING)
    return()
  endif()
  add_test(NAME ${target}_usage_${name}
    COMMAND sh -c "\"$0\" \"$@\" 2>&1; echo \"exit status $?\"" $<TARGET_FILE:${target}> ${ARGN})
  set_tests_properties(${target}_usage_${name} PROPERTIES
    LABELS bench-smoke
    TIMEOUT 30
    PASS_REGULAR_EXPRESSION "${expect}[^\n]*\nexit status 2"
    FAIL_REGULAR_EXPRESSION "\"check\":")
endfunction()
