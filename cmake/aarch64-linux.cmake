# Cross-compiling libgoc and its tests for AArch64 Linux with clang, to run
# under qemu-user (the aarch64 preset). Debian packages: qemu-user,
# gcc-aarch64-linux-gnu (the linker), libc6-dev-arm64-cross (the C runtime
# files) and, from the arm64 architecture, libcmocka-dev:arm64 with the C
# library it brings (scripts/lib/deps.sh). The programs run with that C
# library, found as on an arm64 system: the cross package's own copy,
# under /usr/aarch64-linux-gnu, is for linking only, since one process
# must not mix two builds of the loader and libc.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER clang-19)
set(CMAKE_C_COMPILER_TARGET aarch64-linux-gnu)
set(CMAKE_ASM_COMPILER clang-19)
set(CMAKE_ASM_COMPILER_TARGET aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
# pkg-config finds the target's .pc files (CMocka's), not the host's.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig)
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")
# ctest runs every test through qemu, with the target's loader and libraries.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64)
