# CMake toolchain file: cross-compile for Windows x86_64 with Debian's mingw-w64
# (gcc-mingw-w64-x86-64) against the prefix that packaging/mingw/build-deps.sh builds.
#
#   cmake -S . -B build-win -DCMAKE_TOOLCHAIN_FILE=packaging/mingw/toolchain-mingw64.cmake \
#         [-DCUDAUP_MINGW_PREFIX=/opt/cudaup-mingw]
#
# The prefix comes from -DCUDAUP_MINGW_PREFIX, else $CUDAUP_MINGW_PREFIX, else
# /opt/cudaup-mingw (the script's default). Programs built with it run under wine. Avoid
# try_run and check_*_source_runs: there is no emulator, and Debian's cmake 3.25.1 crashes on
# a cross try_run unless both *_EXITCODE and *_EXITCODE__TRYRUN_OUTPUT are seeded.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)

if(NOT CUDAUP_MINGW_PREFIX)
  if(DEFINED ENV{CUDAUP_MINGW_PREFIX})
    set(CUDAUP_MINGW_PREFIX "$ENV{CUDAUP_MINGW_PREFIX}")
  else()
    set(CUDAUP_MINGW_PREFIX /opt/cudaup-mingw)
  endif()
endif()
# try_compile projects re-read this file; hand them the same prefix.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES CUDAUP_MINGW_PREFIX)

set(CMAKE_FIND_ROOT_PATH "${CUDAUP_MINGW_PREFIX}" /usr/x86_64-w64-mingw32)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg_check_modules must see only Windows .pc files, never the build machine's.
set(ENV{PKG_CONFIG_LIBDIR}
    "${CUDAUP_MINGW_PREFIX}/lib/pkgconfig:/usr/x86_64-w64-mingw32/lib/pkgconfig")
unset(ENV{PKG_CONFIG_PATH})
