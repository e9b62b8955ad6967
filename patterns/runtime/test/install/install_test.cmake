# install_test.cmake - the installed-library test, run by ctest as
#   cmake -DBUILD_DIR=... -DSOURCE=... -DWORK_DIR=... -DLIBDIR=...
#         [-DPKG_CONFIG=...] -P install_test.cmake
#
# It installs the build with `cmake --install BUILD_DIR --prefix WORK_DIR/prefix`,
# then builds SOURCE (hello_goc.c) the way a user outside goc would: the
# system `cc` with the flags `pkg-config --cflags --libs goc` prints, with
# PKG_CONFIG_PATH pointing into the fresh prefix. Then it runs the program
# and requires exit 0. Any failing step fails the test with its output.
cmake_minimum_required(VERSION 3.25)

foreach(var BUILD_DIR SOURCE WORK_DIR LIBDIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "install_test.cmake: -D${var}=... is required")
  endif()
endforeach()

# Run a command; on failure print it with its output and stop.
function(run what)
  execute_process(COMMAND ${ARGN}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
    TIMEOUT 120)
  if(NOT rc STREQUAL "0")
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "${what} failed (${rc}):\n  ${cmd}\n${out}${err}")
  endif()
  set(run_out "${out}" PARENT_SCOPE)
endfunction()

set(prefix "${WORK_DIR}/prefix")
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

run("cmake --install" "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}")

# goc.pc is in <prefix>/<libdir>/pkgconfig, where libdir is lib or
# lib/<multiarch> depending on how GNUInstallDirs saw the platform.
set(pcdir "${prefix}/${LIBDIR}/pkgconfig")
if(NOT EXISTS "${pcdir}/goc.pc")
  file(GLOB_RECURSE found LIST_DIRECTORIES false "${prefix}/goc.pc")
  if(NOT found)
    message(FATAL_ERROR "no goc.pc under ${prefix} after cmake --install")
  endif()
  list(GET found 0 pc)
  get_filename_component(pcdir "${pc}" DIRECTORY)
endif()
get_filename_component(libdir "${pcdir}" DIRECTORY)
message(STATUS "installed goc.pc: ${pcdir}/goc.pc")

if(NOT PKG_CONFIG)
  find_program(PKG_CONFIG pkg-config REQUIRED)
endif()
find_program(CC cc REQUIRED)

set(ENV{PKG_CONFIG_PATH} "${pcdir}")
run("pkg-config" "${PKG_CONFIG}" --cflags --libs goc)
string(STRIP "${run_out}" flags)
separate_arguments(flags UNIX_COMMAND "${flags}")
message(STATUS "pkg-config --cflags --libs goc: ${flags}")

# The flags must point into the fresh prefix, not back into the source or
# build tree, or the test would prove nothing about the installed copy.
foreach(flag IN LISTS flags)
  if(flag MATCHES "^-[IL](.*)$")
    get_filename_component(dir "${CMAKE_MATCH_1}" REALPATH)
    get_filename_component(real_prefix "${prefix}" REALPATH)
    string(FIND "${dir}/" "${real_prefix}/" at)
    if(NOT at EQUAL 0)
      message(FATAL_ERROR "pkg-config flag ${flag} points outside the install prefix ${prefix}")
    endif()
  endif()
endforeach()

set(exe "${WORK_DIR}/hello_goc")
run("cc" "${CC}" -std=c17 -Wall -Wextra -Werror -o "${exe}" "${SOURCE}" ${flags})

# A shared libgoc would be found through LD_LIBRARY_PATH; a static one
# needs nothing.
set(ENV{LD_LIBRARY_PATH} "${libdir}")
run("hello_goc" "${exe}")
string(STRIP "${run_out}" run_out)
message(STATUS "${run_out}")
