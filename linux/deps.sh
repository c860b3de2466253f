#!/bin/sh
# linux/deps.sh: find, or install, what `make linux` needs on the host
# (the same way tools/deps.sh does for the rest of Disco-V).
#
#   linux/deps.sh check     say what is missing; exit 1 if anything is
#   linux/deps.sh install   install what is missing with apt-get when we are
#                           root; otherwise print the exact sudo line and
#                           exit 1
#   linux/deps.sh list      print every package, one line (for CI)
#
# The Debian 12 package that provides each thing the Linux build uses:
#   /usr/src/linux-source-6.1.tar.xz   linux-source-6.1 (Debian's kernel)
#   riscv64-linux-gnu-gcc              gcc-riscv64-linux-gnu
#   the static C library for /init     libc6-dev-riscv64-cross
#   gcc, make, the C headers           gcc, make, libc6-dev (the kernel's
#                                      host tools)
#   bc, bison, flex                    bc, bison, flex (Kconfig and Kbuild)
# (With this configuration the kernel's host tools need neither OpenSSL
# nor libelf: no module signing, no certificates, no BTF, no objtool.)
#   xz                                 xz-utils (to unpack the source)
set -u
mode=${1:-check}
all="linux-source-6.1 gcc-riscv64-linux-gnu libc6-dev-riscv64-cross gcc make
libc6-dev bc bison flex xz-utils"
missing=""

have() { command -v "$1" >/dev/null 2>&1; }

if [ "$mode" = list ]; then
  echo $all
  exit 0
fi

[ -f /usr/src/linux-source-6.1.tar.xz ] || missing="$missing linux-source-6.1"
have riscv64-linux-gnu-gcc || missing="$missing gcc-riscv64-linux-gnu"
[ -f /usr/riscv64-linux-gnu/lib/libc.a ] || missing="$missing libc6-dev-riscv64-cross"
have gcc || missing="$missing gcc"
have make || missing="$missing make"
[ -f /usr/include/stdio.h ] || missing="$missing libc6-dev"
have bc || missing="$missing bc"
have bison || missing="$missing bison"
have flex || missing="$missing flex"
have xz || missing="$missing xz-utils"

if [ -z "$missing" ]; then
  exit 0
fi

echo "make linux needs these Debian packages, which are missing:$missing"
if [ "$mode" != install ]; then
  echo "Run 'make linux' to install them."
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Not root, so not installing them myself. Run:"
  echo "  sudo apt-get update && sudo apt-get install -y$missing"
  exit 1
fi
echo "Installing them with apt-get..."
apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
