#!/bin/sh
# Configures (or reconfigures) and builds mnrt in ./build. Extra arguments
# go to `meson setup` (CI passes -Dwerror=true).
set -eu
cd "$(dirname "$0")/.."
if [ -d build/meson-private ]; then
    meson setup --reconfigure build "$@" >/dev/null
else
    meson setup build "$@" >/dev/null
fi
meson compile -C build
