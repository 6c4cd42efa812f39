# hfx-simdjson.cmake -- the fast JSON path (src/spec/json-simd.cc), included by the top-level
# CMakeLists.txt after the hfx target.
#
# HFX_SIMDJSON decides, as HFX_MPI does: AUTO builds the fast path when pkg-config finds simdjson
# (Debian: libsimdjson-dev) and a C++17 compiler works, and says so either way; ON requires both;
# OFF never looks. Without it every document is parsed by jansson's json_loadb alone: the same
# trees and the same messages, ~7 ms instead of ~1 ms for the 880 kB sbottom background
# (docs/robustness.md). Only json-simd.cc is C++; it sees jansson's C header and hands back jansson
# trees, so nothing else in the library knows which parser ran.

include(CheckLanguage)

set(_hfx_simd_mode "${HFX_SIMDJSON}")
string(TOUPPER "${_hfx_simd_mode}" _hfx_simd_mode)
if(NOT _hfx_simd_mode STREQUAL "AUTO")
  if(HFX_SIMDJSON)
    set(_hfx_simd_mode ON)
  else()
    set(_hfx_simd_mode OFF)
  endif()
endif()
if(_hfx_simd_mode STREQUAL "OFF")
  message(STATUS "hfx: JSON: jansson only (HFX_SIMDJSON=OFF)")
  return()
endif()

pkg_check_modules(SIMDJSON QUIET IMPORTED_TARGET simdjson)
# The fuzz build instruments every file with clang's -fsanitize=fuzzer-no-link: json-simd.cc too,
# so its C++ compiler is the clang++ beside the C compiler unless one is given.
if(HFX_FUZZ AND NOT CMAKE_CXX_COMPILER)
  get_filename_component(_hfx_cc_dir "${CMAKE_C_COMPILER}" DIRECTORY)
  get_filename_component(_hfx_cc_name "${CMAKE_C_COMPILER}" NAME)
  string(REPLACE "clang" "clang++" _hfx_cxx_name "${_hfx_cc_name}")
  find_program(_hfx_clangxx NAMES "${_hfx_cxx_name}" clang++ HINTS "${_hfx_cc_dir}")
  if(_hfx_clangxx)
    set(CMAKE_CXX_COMPILER "${_hfx_clangxx}")
  endif()
endif()
check_language(CXX)
if(NOT SIMDJSON_FOUND OR NOT CMAKE_CXX_COMPILER)
  if(_hfx_simd_mode STREQUAL "ON")
    message(FATAL_ERROR "hfx: HFX_SIMDJSON=ON, but simdjson (pkg-config simdjson) or a C++ compiler was not"
      " found. Install them (Debian: apt-get install libsimdjson-dev g++), or configure with"
      " -DHFX_SIMDJSON=AUTO (use it when found) or -DHFX_SIMDJSON=OFF (jansson only).")
  endif()
  message(STATUS "hfx: JSON: jansson only (simdjson or a C++ compiler not found; Debian: libsimdjson-dev)")
  return()
endif()

enable_language(CXX)
set(CMAKE_CXX_STANDARD 17)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
target_sources(hfx PRIVATE ${PROJECT_SOURCE_DIR}/src/spec/json-simd.cc)
target_compile_definitions(hfx PRIVATE HFX_USE_SIMDJSON)
target_link_libraries(hfx PUBLIC PkgConfig::SIMDJSON)
set(HFX_HAVE_SIMDJSON ON) # for the tests of the fast path (tests/c/test-json-simd.c, tests/fuzz/fuzz-json.c)
message(STATUS "hfx: JSON: simdjson ${SIMDJSON_VERSION} first, jansson for what it declines")
