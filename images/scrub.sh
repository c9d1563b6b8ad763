#!/bin/sh
# What comes out of every image root filesystem after its builder and overlays, and why.
# A golden image is shared by every blade or VM started from it and must be the same bytes on
# every build: nothing in it may belong to the build host, the build's moment, or one machine.
#   usage: scrub.sh ROOTFS
set -eu
root=${1:?usage: scrub.sh ROOTFS}
[ -d "$root" ] || { echo "scrub.sh: $root is not a directory" >&2; exit 1; }
cd "$root"

# identity of one machine: each blade/VM makes its own at first boot
rm -f etc/ssh/ssh_host_*_key etc/ssh/ssh_host_*_key.pub
if [ -f etc/machine-id ]; then : >etc/machine-id; fi
rm -f var/lib/dbus/machine-id var/lib/systemd/random-seed var/lib/systemd/credential.secret
# open-iscsi's postinst writes a random iSCSI initiator name (and the initramfs copies it): every
# blade must log in to the SAN with its own; Debian's open-iscsi makes one at boot from this line
if [ -f etc/iscsi/initiatorname.iscsi ]; then echo GenerateName=yes >etc/iscsi/initiatorname.iscsi; fi

# copied from the build host by the bootstrap tools (mmdebstrap, dnf): the image's own instead.
# A symlink (systemd-resolved's stub, NetworkManager) is the distribution's choice and stays.
if [ -f etc/resolv.conf ] && [ ! -L etc/resolv.conf ]; then rm -f etc/resolv.conf; fi
echo localhost >etc/hostname

# logs and caches of the build itself
rm -f var/log/dpkg.log var/log/alternatives.log var/log/bootstrap.log
rm -f var/log/apt/history.log var/log/apt/term.log var/log/apt/eipp.log.xz
rm -f var/log/dnf.log var/log/dnf.librepo.log var/log/dnf.rpm.log var/log/hawkey.log
rm -rf var/cache/dnf/* var/cache/apt/archives/*.deb var/cache/apt/*.bin
rm -f var/cache/ldconfig/aux-cache
rm -rf tmp/* var/tmp/*

# apt's download directories: owned by its sandbox user _apt and touched only when apt downloaded
# something, which depends on the shared package cache, not on the recipe. Made afresh, _apt's and
# empty: their time is the build's, which the archive clamps to SOURCE_DATE_EPOCH. Debian's state.
apt_uid=$(awk -F: '$1 == "_apt" { print $3 }' etc/passwd 2>/dev/null || true)
if [ -n "$apt_uid" ]; then
  for dir in var/cache/apt/archives/partial var/lib/apt/lists/partial; do
    if [ -d "$dir" ]; then
      rm -rf "$dir"
      mkdir -m 700 "$dir"
      chown "$apt_uid:0" "$dir"
    fi
  done
fi
