# Cross-build for 64-bit ARM Linux (Raspberry Pi 3/4/5 class, Graviton, Ampere) with Debian's cross
# toolchain (crossbuild-essential-arm64) and the arm64 -dev packages installed side by side
# (dpkg --add-architecture arm64; ./setup.sh installs them). Tests run under qemu-user: ctest
# starts each test through CMAKE_CROSSCOMPILING_EMULATOR.
#
#   cmake --preset arm64 && cmake --build --preset arm64 && ctest --preset arm64
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# Multiarch: the arm64 libraries live in /usr/lib/aarch64-linux-gnu, headers are shared in
# /usr/include; only programs come from the build machine.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
# pkg-config reads the arm64 .pc files only (Debian ships no aarch64 pkg-config wrapper).
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")

# The emulated CPU is a Cortex-A72 (Raspberry Pi 4: NEON, no SVE): qemu's default "max" CPU has
# SVE, on which Debian's oneDNN JIT-compiles SVE kernels that qemu runs about 6x slower. The loader
# is libc6:arm64's own (-L /), not the cross toolchain's /usr/aarch64-linux-gnu: the two libc
# packages differ in version, and that loader with the multiarch libc hangs in pthread_create.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -cpu cortex-a72 -L /)
