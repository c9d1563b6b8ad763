#!/bin/sh
# Unmounts whatever is mounted below a directory, deepest first. A builder killed midway (Ctrl-C,
# a crash) can leave its chroot's /proc, /sys and /dev mounted in the root filesystem it was
# writing; they must go before the rerun removes that directory and starts again.
#   usage: unmount-under.sh DIR
set -eu
dir=$(realpath -m "${1:?usage: unmount-under.sh DIR}")
awk -v prefix="$dir/" 'index($2, prefix) == 1 { print $2 }' /proc/mounts | sort -r |
  while read -r mount; do umount --lazy "$mount"; done
