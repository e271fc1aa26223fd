#!/usr/bin/env bash
# Builds libdsm.so and dsm.bpf.o with the kernel/dsm Makefile for the native fragment.
# Fails loudly when the toolchain is missing: the fragment is never packaged empty.
set -uo pipefail
dir="${1:?usage: build-native.sh KERNEL_DSM_DIR}"
dir="$(cd "$dir" 2>/dev/null && pwd)" || { echo "ERROR: kernel/dsm directory $1 not found" >&2; exit 1; }
hint="run kernel/dsm/install-deps.sh (as root) to install the DSM toolchain (clang, bpftool, libbpf-dev, libelf-dev, zlib1g-dev, gcc, make, pkg-config), then rebuild"

missing=()
for c in make clang gcc bpftool pkg-config; do
  command -v "$c" >/dev/null 2>&1 || missing+=("$c")
done
for f in /usr/include/bpf/libbpf.h /usr/include/libelf.h /usr/include/zlib.h; do
  [ -e "$f" ] || missing+=("$f")
done
if [ ${#missing[@]} -ne 0 ]; then
  echo "ERROR: cannot build the DSM native fragment, missing: ${missing[*]}" >&2
  echo "ERROR: $hint" >&2
  exit 1
fi
if [ ! -f "$dir/Makefile" ]; then
  echo "ERROR: $dir/Makefile not found: kernel/dsm is incomplete in this checkout" >&2
  exit 1
fi
echo "build-native: make -C $dir"
if ! make -C "$dir"; then
  echo "ERROR: make -C $dir failed; if a tool or header is missing, $hint" >&2
  exit 1
fi
for f in libdsm.so dsm.bpf.o; do
  if [ ! -s "$dir/build/$f" ]; then
    echo "ERROR: make -C $dir did not produce build/$f" >&2
    exit 1
  fi
done
echo "build-native: $dir/build/libdsm.so and $dir/build/dsm.bpf.o ready"
