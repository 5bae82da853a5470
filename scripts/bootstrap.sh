#!/usr/bin/env bash
# Installs what Tamaru needs on Debian 12: system packages (apt-get, when root) and the
# project venv (uv, from the committed uv.lock). Safe to run again: it only installs
# what is missing.
#   scripts/bootstrap.sh run    what the app needs
#   scripts/bootstrap.sh test   plus what the test suite needs (pcscd + virtual reader,
#                               PostgreSQL, Xvfb, xdotool, and PyInstaller: the suite
#                               builds the store package and runs its self-test)
#   scripts/bootstrap.sh build  what the app needs, plus PyInstaller (make dist)
# Camera scanning is an optional extra (PySide6-Addons for QtMultimedia, and libpulse0,
# which QtMultimedia loads): always in test mode, elsewhere with TAMARU_CAMERA=1.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-run}
UV_VERSION=0.13.9

run_pkgs=(
  # pyscard builds from source against PC/SC lite
  pcscd libpcsclite-dev build-essential python3-dev python3-venv swig
  # USB receipt printers through pyusb
  libusb-1.0-0
  # Qt on X11 (a window under Xvfb when there is no display) and Japanese fonts
  fonts-noto-cjk libegl1 libgl1 libfontconfig1 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0
  libxcb-shape0 libxcb-randr0 libxcb-xinerama0 xvfb xauth
)
test_pkgs=(vsmartcard-vpcd postgresql xdotool)
camera_pkgs=(libpulse0)

camera=${TAMARU_CAMERA:-0}
[ "$mode" = test ] && camera=1

pkgs=("${run_pkgs[@]}")
[ "$mode" = test ] && pkgs+=("${test_pkgs[@]}")
[ "$camera" = 1 ] && pkgs+=("${camera_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "bootstrap: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "bootstrap: missing system packages (install them as root): ${missing[*]}" >&2
  fi
fi

# uv: the one on PATH, else a private copy installed from PyPI into .tools/
if command -v uv >/dev/null; then
  UV=uv
else
  if [ ! -x .tools/bin/uv ]; then
    python3 -m venv .tools
    .tools/bin/pip install -q "uv==${UV_VERSION}"
  fi
  UV=.tools/bin/uv
fi

groups=()
if [ "$mode" = test ] || [ "$mode" = build ]; then groups=(--group build); fi
# The store build (build.spec) leaves QtMultimedia out unless TAMARU_CAMERA=1 too.
if [ "$camera" = 1 ]; then groups+=(--extra camera); fi
"$UV" sync --frozen --python 3.11 --quiet "${groups[@]}"
