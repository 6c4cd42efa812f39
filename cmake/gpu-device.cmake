# gpu-device.cmake -- the options of the GPU machine's build, one list read by both scripts that need it:
# scripts/device-bundle.sh configures a host build with it to learn which Debian packages the build and
# its programs use (and bundles those), and scripts/gpu-check.sh configures the device build with it
# (`cmake -C cmake/gpu-device.cmake`). A dependency added to CMakeLists.txt thus reaches the bundle.
#
# Off on the device: MPI (no rank scaling is measured there, and Open MPI would add megabytes to a
# bundle that travels in a 64 MiB carry) and the Python module (the device's Python may lack the
# headers; its rows, hfx-python, run hfx's cpu-ref backend only). On: simdjson, so that the grid rows
# parse patches as the CPU results in docs/results did. CUDA is set on the command line (the host
# build that derives the bundle leaves it off: nvcc adds no Debian package).
set(CMAKE_BUILD_TYPE Release CACHE STRING "")
set(HFX_MPI OFF CACHE STRING "")
set(HFX_PYTHON OFF CACHE BOOL "")
set(HFX_SIMDJSON ON CACHE STRING "")
set(HFX_BUILD_TESTS ON CACHE BOOL "")
# What the device builds and runs: the program, the benchmark's in-process timer, the conformance
# suite, the toy generator's bit-identity test and the model groups' test (a target the tree no longer
# has is left out).
set(HFX_DEVICE_TARGETS "hfx-cli;hfx-timeit;test-backends;test-toys-draw;test-groups" CACHE STRING "")
