#!/bin/sh
# tools/deps.sh: find, or install, what Disco-V needs on the host.
#
#   tools/deps.sh check     say what is missing; exit 1 if anything is
#   tools/deps.sh install   install what is missing with apt-get when we are
#                           root; otherwise print the exact sudo line and
#                           exit 1
#
# The Debian 12 / Ubuntu package that provides each tool:
#   a RISC-V cross compiler   gcc-riscv64-unknown-elf
#                             (riscv64-linux-gnu-gcc or riscv64-elf-gcc will
#                             do too, if one of them is already installed)
#   qemu-system-riscv64       qemu-system-misc
#   OpenSBI firmware          opensbi (QEMU's "-bios default" loads it)
#   dtc                       device-tree-compiler
#   gdb-multiarch             gdb-multiarch (for make gdb)
#   python3                   python3 (tools/, tests/, grade/)
#   clang with libFuzzer      clang, libclang-rt-14-dev (the fuzz targets in
#                             tests/fuzz/, which make test runs briefly)
set -u
mode=${1:-check}
missing=""

have() { command -v "$1" >/dev/null 2>&1; }

if ! have riscv64-unknown-elf-gcc && ! have riscv64-linux-gnu-gcc &&
   ! have riscv64-elf-gcc; then
  missing="$missing gcc-riscv64-unknown-elf"
fi
have qemu-system-riscv64 || missing="$missing qemu-system-misc"
# QEMU looks for OpenSBI under its data directory; Debian's qemu-system-data
# links it there from the opensbi package.
if [ ! -e /usr/share/qemu/opensbi-riscv64-generic-fw_dynamic.bin ] &&
   [ ! -e /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin ]; then
  missing="$missing opensbi"
fi
have dtc || missing="$missing device-tree-compiler"
have gdb-multiarch || missing="$missing gdb-multiarch"
have python3 || missing="$missing python3"
# libFuzzer is a runtime library of clang's, in its own package on Debian 12.
if ! have clang; then
  missing="$missing clang libclang-rt-14-dev"
elif [ ! -e "$(clang --print-runtime-dir 2>/dev/null)/libclang_rt.fuzzer-$(uname -m).a" ]; then
  missing="$missing libclang-rt-14-dev"
fi

if [ -z "$missing" ]; then
  exit 0
fi

echo "Disco-V needs these Debian/Ubuntu packages, which are missing:$missing"
if [ "$mode" != install ]; then
  echo "Run 'make deps' to install them."
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Not root, so not installing them myself. Run:"
  echo "  sudo apt-get update && sudo apt-get install -y$missing"
  exit 1
fi
echo "Installing them with apt-get..."
apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
