#!/bin/bash
# grade/gradescope/setup.sh: Gradescope runs this once, as root, when it
# builds the autograder's image: install what building and grading
# Disco-V need, the same Debian packages as .ci/run.
#
# Pick a base image whose QEMU is 7.0 or newer (the H-extension is on by
# default only from 7.0): Debian 12 (QEMU 7.2, what Disco-V is tested on)
# or Ubuntu 24.04 (QEMU 8.2). Ubuntu 22.04's QEMU 6.2 is too old.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends \
  make gcc libc6-dev python3 \
  gcc-riscv64-unknown-elf qemu-system-misc opensbi \
  device-tree-compiler gdb-multiarch

version=$(qemu-system-riscv64 --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p')
if [ "${version:-0}" -lt 7 ]; then
  echo "setup.sh: QEMU $version is too old for Disco-V (want 7 or newer): choose a newer base image" >&2
  exit 1
fi
