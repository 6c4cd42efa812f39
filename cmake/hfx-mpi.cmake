# hfx-mpi.cmake -- MPI for the command-line program (tools/hfx/ranks/mpi.c), included by the top-level
# CMakeLists.txt after the hfx-cli target.
#
# HFX_MPI decides, as HFX_CUDA does: AUTO builds with MPI when CMake finds an MPI C library and says
# so either way, ON requires it (a configure error without one), OFF never looks. Only the program
# links MPI: the library stays MPI-free, and without MPI tools/hfx/ranks/single.c stands in (one
# process; shards, merges and resumable output work the same).

set(_hfx_mpi_mode "${HFX_MPI}")
string(TOUPPER "${_hfx_mpi_mode}" _hfx_mpi_mode)
if(NOT _hfx_mpi_mode STREQUAL "AUTO")
  if(HFX_MPI)
    set(_hfx_mpi_mode ON)
  else()
    set(_hfx_mpi_mode OFF)
  endif()
endif()

set(_hfx_mpi_found OFF)
if(NOT _hfx_mpi_mode STREQUAL "OFF")
  find_package(MPI COMPONENTS C QUIET)
  if(MPI_C_FOUND)
    set(_hfx_mpi_found ON)
  elseif(_hfx_mpi_mode STREQUAL "ON")
    message(FATAL_ERROR "hfx: HFX_MPI=ON, but no MPI C library was found. Install one (Debian:"
      " apt-get install libopenmpi-dev openmpi-bin, or libmpich-dev mpich), or pass -DMPI_C_COMPILER=/path/to/mpicc;"
      " or configure with -DHFX_MPI=AUTO (use it when found) or -DHFX_MPI=OFF.")
  endif()
endif()

# The rank work queue of scan and upper-limit (ranks/queue.c) is written against ranks.h: built either way.
target_sources(hfx-cli PRIVATE ${PROJECT_SOURCE_DIR}/tools/hfx/ranks/queue.c)
if(_hfx_mpi_found)
  target_sources(hfx-cli PRIVATE ${PROJECT_SOURCE_DIR}/tools/hfx/ranks/mpi.c)
  target_link_libraries(hfx-cli PRIVATE MPI::MPI_C)
  message(STATUS "hfx: MPI: built (MPI ${MPI_C_VERSION}, ${MPI_C_LIB_NAMES})")
else()
  target_sources(hfx-cli PRIVATE ${PROJECT_SOURCE_DIR}/tools/hfx/ranks/single.c)
  if(_hfx_mpi_mode STREQUAL "OFF")
    message(STATUS "hfx: MPI: off (HFX_MPI=OFF)")
  else()
    message(STATUS "hfx: MPI: skipped: no MPI C library found")
  endif()
endif()
