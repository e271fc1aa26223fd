#!/usr/bin/env bash
# Install what kernel/dsm needs to build, test and bench (Debian 12). Idempotent: apt is only
# used when something is missing. Run as root (CI does).
set -euo pipefail

# command -> package
declare -A CMDS=(
  [clang]=clang [llc]=llvm [bpftool]=bpftool [gcc]=gcc [make]=make [pkg-config]=pkg-config
  [ip]=iproute2 [tc]=iproute2 [iperf3]=iperf3 [sockperf]=sockperf [setfattr]=attr
  [getfattr]=attr [nsenter]=util-linux [python3]=python3 [ethtool]=ethtool
)
# file -> package
declare -A FILES=(
  [/usr/include/bpf/libbpf.h]=libbpf-dev
  [/usr/include/libelf.h]=libelf-dev
  [/usr/include/zlib.h]=zlib1g-dev
)

missing=()
for c in "${!CMDS[@]}"; do
  command -v "$c" >/dev/null 2>&1 || missing+=("${CMDS[$c]}")
done
for f in "${!FILES[@]}"; do
  [ -e "$f" ] || missing+=("${FILES[$f]}")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: everything present"
  exit 0
fi

# unique
mapfile -t pkgs < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "install-deps: installing ${pkgs[*]}"
if [ "$(id -u)" != 0 ]; then
  echo "install-deps: not root, cannot install ${pkgs[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${pkgs[@]}"
