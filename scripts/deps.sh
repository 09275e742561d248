#!/usr/bin/env bash
# Installs what `make test` needs and this machine lacks: Mesa's software
# Vulkan driver (lavapipe) for the native GPU tests, Debian's Chromium and
# firefox-esr (with Xvfb to draw on: headless Firefox has no WebGL) for the
# browser tests, npm for the lock file's packages (the language model's
# training text, wrangler), and the Go modules. Packages come from Debian only; nothing
# is downloaded past the package managers.
set -euo pipefail

need=()
[ -e /usr/share/vulkan/icd.d/lvp_icd.x86_64.json ] || ls /usr/share/vulkan/icd.d/lvp_icd.*.json >/dev/null 2>&1 || need+=(mesa-vulkan-drivers)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v firefox-esr >/dev/null 2>&1 || need+=(firefox-esr)
command -v Xvfb >/dev/null 2>&1 || need+=(xvfb)
/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1 || need+=(python3-numpy)
# npm runs `npm ci` from the lock file: the training text and wrangler with its Node.
command -v npm >/dev/null 2>&1 || need+=(npm)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "deps: missing ${need[*]}; run as root or install them with apt-get" >&2
    exit 1
  fi
  echo "deps: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
go mod download
