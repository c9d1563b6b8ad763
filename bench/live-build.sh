#!/usr/bin/env bash
# Benchmark companion: the same minimal live ISO built by Debian's live-build, on this machine,
# to compare with `npm run dvd` (bench/dvd.ts prints both side by side when given this script's
# result). Debian 12, root; installs live-build if missing. Prints one JSON line:
#   {"tool":"live-build","seconds":..,"isoBytes":..}
# Usage: bench/live-build.sh [WORKDIR]   (default: a temporary directory, removed afterwards)
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "live-build.sh: run as root" >&2; exit 2; }
dpkg-query -W -f='${db:Status-Status}' live-build 2>/dev/null | grep -qx installed ||
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends live-build >/dev/null

if [ -n "${1:-}" ]; then
  work=$1
else
  work=$(mktemp -d /tmp/vl-live-build-XXXXXX)
  trap 'cd / && rm -rf --one-file-system "$work"' EXIT
fi
mkdir -p "$work" && cd "$work"

# the package set of our live system (images/recipes/live.yaml), no installer, no recommends
lb config --distribution bookworm --archive-areas main --mode debian \
  --mirror-bootstrap http://deb.debian.org/debian/ --mirror-binary http://deb.debian.org/debian/ \
  --binary-images iso-hybrid --debian-installer none --apt-recommends false \
  --bootappend-live "boot=live components" --memtest none --firmware-binary false --firmware-chroot false \
  --security false --updates false --chroot-squashfs-compression-type zstd \
  --mirror-chroot-security http://deb.debian.org/debian-security/ --mirror-binary-security http://deb.debian.org/debian-security/ >/dev/null
echo "live-boot systemd-sysv open-iscsi lvm2 lvm2-lockd sanlock thin-provisioning-tools parted gdisk dosfstools e2fsprogs zstd libstdc++6 iproute2 isc-dhcp-client openssh-client ca-certificates less nano" \
  >config/package-lists/virtualinux.list.chroot

start=$(date +%s%N)
lb build >build.log 2>&1 || { tail -30 build.log >&2; exit 1; }
end=$(date +%s%N)
iso=$(ls ./*.iso | head -1)
ms=$(((end - start) / 1000000))
printf '{"tool":"live-build","seconds":%d.%d,"isoBytes":%d}\n' $((ms / 1000)) $((ms % 1000 / 100)) "$(stat -c %s "$iso")"
