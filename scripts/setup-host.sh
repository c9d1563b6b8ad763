#!/usr/bin/env bash
# Prepares a Debian 12 machine (as root) to build and test VirtuaLinux: host tools from apt,
# then the npm dependencies. Idempotent and quick when nothing changed, so every entry point calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup-host: %s\n' "$*"; }

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  say "VirtuaLinux needs Node.js 20 or newer (found: $(node --version 2>/dev/null || echo none))."
  say "Debian 12's own nodejs package is 18: install Node.js 20 (e.g. NodeSource's Debian packages), then run this again."
  exit 1
fi

# one package per line, '#' comments; what the tests and the DVD build call on the host
mapfile -t packages < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e 's/^[[:space:]]*//' -e '/^$/d' scripts/host-packages.txt)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    say "missing host packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})"
    exit 1
  fi
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm ci only when package-lock.json changed since the last install
stamp=node_modules/.virtualinux-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
fi
say "ready"
