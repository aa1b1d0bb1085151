#!/bin/sh
# Installs what mnrt needs to build, test and benchmark on Debian 12.
# Run as root (or through sudo). Safe to run again.
set -eu
if [ "$(id -u)" -ne 0 ]; then
    echo "setup-debian.sh: run as root (sudo $0)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
    build-essential gcc g++ meson ninja-build pkg-config \
    liburing-dev libunwind-dev libcriterion-dev \
    python3 procps iproute2 wrk ca-certificates valgrind gdb \
    libjemalloc-dev libgoogle-perftools-dev libmimalloc-dev rustc \
    apache2-utils nghttp2-client sysbench librsvg2-bin mariadb-server >/dev/null
echo "setup-debian.sh: build dependencies installed"
