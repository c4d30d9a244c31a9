#!/usr/bin/env bash
# Installs the Debian packages a target needs, only those missing. Usage: install-system.sh demo|test
set -euo pipefail

packages=(tesseract-ocr tesseract-ocr-fra fonts-ocr-b)
if [ "${1:-demo}" = test ]; then
  packages+=(postgresql redis-server chromium chromium-driver)
fi
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  packages+=(python3-venv)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
    exit 1
  fi
  echo "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
