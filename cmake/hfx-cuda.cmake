# hfx-cuda.cmake -- the CUDA backend (src/backend/cuda/), included by the top-level CMakeLists.txt.
#
# HFX_CUDA decides: AUTO builds the backend when a working nvcc is found and says so either way, ON
# requires it (a configure error without nvcc), OFF never looks. The backend is an object library
# compiled by nvcc and linked into libhfx; HFX_USE_CUDA puts it into the registry (backend.c). The
# C library stays C11: only the .cu files are C++, and they see the C headers under extern "C".
#
# CMAKE_CUDA_ARCHITECTURES, unless set: 80;90 (A100 and H100/H200 class; the PTX of 80 also runs, after
# a JIT at first launch, on any newer GPU), or native under HFX_NATIVE when a GPU is present. Two
# architectures keep the CI build, which compiles the backend on a machine without a GPU, short.

include(CheckLanguage)

set(_hfx_cuda_mode "${HFX_CUDA}")
string(TOUPPER "${_hfx_cuda_mode}" _hfx_cuda_mode)
if(NOT _hfx_cuda_mode STREQUAL "AUTO")
  if(HFX_CUDA)
    set(_hfx_cuda_mode ON)
  else()
    set(_hfx_cuda_mode OFF)
  endif()
endif()
if(_hfx_cuda_mode STREQUAL "OFF")
  message(STATUS "hfx: CUDA backend: off (HFX_CUDA=OFF)")
  return()
endif()

# check_language() leaves a compiler given by the user as it is; one that does not exist counts as
# missing, so that ON fails here with our message rather than in enable_language().
check_language(CUDA)
set(_hfx_nvcc "${CMAKE_CUDA_COMPILER}")
if(_hfx_nvcc AND NOT IS_ABSOLUTE "${_hfx_nvcc}")
  find_program(_hfx_nvcc_path NAMES "${_hfx_nvcc}")
  set(_hfx_nvcc "${_hfx_nvcc_path}")
endif()
if(NOT _hfx_nvcc OR NOT EXISTS "${_hfx_nvcc}")
  if(_hfx_cuda_mode STREQUAL "ON")
    message(FATAL_ERROR "hfx: HFX_CUDA=ON, but no working CUDA compiler (nvcc) was found"
      " (CMAKE_CUDA_COMPILER='${CMAKE_CUDA_COMPILER}'). Install the CUDA toolkit and put nvcc on PATH"
      " (e.g. /usr/local/cuda/bin), or pass -DCMAKE_CUDA_COMPILER=/path/to/nvcc; or configure with"
      " -DHFX_CUDA=AUTO (build it when found) or -DHFX_CUDA=OFF.")
  endif()
  message(STATUS "hfx: CUDA backend: skipped: no nvcc found")
  return()
endif()

# Set before enable_language(CUDA), which would otherwise cache nvcc's own default. "native" needs a
# GPU at configure time: without one (nvcc's __nvcc_device_query, which CMake also asks, fails) the
# explicit list is used and the message says so.
if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES OR CMAKE_CUDA_ARCHITECTURES STREQUAL "")
  set(CMAKE_CUDA_ARCHITECTURES 80 90)
  if(HFX_NATIVE)
    get_filename_component(_hfx_nvcc_dir "${_hfx_nvcc}" DIRECTORY)
    execute_process(COMMAND "${_hfx_nvcc_dir}/__nvcc_device_query" RESULT_VARIABLE _hfx_query
                    OUTPUT_QUIET ERROR_QUIET)
    if(_hfx_query EQUAL 0)
      set(CMAKE_CUDA_ARCHITECTURES native)
    else()
      message(STATUS "hfx: HFX_NATIVE: no GPU visible to nvcc here, CUDA architectures 80;90")
    endif()
  endif()
endif()
enable_language(CUDA)
find_package(CUDAToolkit REQUIRED)

add_library(hfx-cuda OBJECT src/backend/cuda/cuda.cu)
set_target_properties(hfx-cuda PROPERTIES
  CUDA_STANDARD 17
  CUDA_STANDARD_REQUIRED ON
  CUDA_EXTENSIONS OFF
  POSITION_INDEPENDENT_CODE ON)
# The directory's compile options are the C compiler's (-fsanitize=..., which nvcc rejects): the .cu
# files take only their own. Sanitizer builds thus leave the host side of the backend uninstrumented.
set_property(TARGET hfx-cuda PROPERTY COMPILE_OPTIONS "")
target_include_directories(hfx-cuda PRIVATE ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(hfx-cuda PRIVATE CUDA::cudart_static)
# --fmad=false: the device rounds a * b + c twice, as the host does (see cuda.cu). The backend table
# leaves its optional slots out, as C tables do: no missing-field-initializers warning. (C++17: the
# newest dialect CMake 3.25 knows for nvcc.)
target_compile_options(hfx-cuda PRIVATE
  --fmad=false
  $<$<BOOL:${HFX_WERROR}>:--Werror=all-warnings>
  "-Xcompiler=-Wall,-Wextra,-Wno-missing-field-initializers")

# libhfx existed before CUDA was enabled, so it did not pick up the architectures (CMake checks them on
# every target that links CUDA objects); targets made after this file take them from the variable.
set_target_properties(hfx PROPERTIES CUDA_ARCHITECTURES "${CMAKE_CUDA_ARCHITECTURES}")
target_link_libraries(hfx PRIVATE hfx-cuda)
target_link_libraries(hfx PUBLIC CUDA::cudart_static)
target_compile_definitions(hfx PRIVATE HFX_USE_CUDA)

message(STATUS "hfx: CUDA backend: built (nvcc ${CMAKE_CUDA_COMPILER_VERSION}, architectures ${CMAKE_CUDA_ARCHITECTURES})")
