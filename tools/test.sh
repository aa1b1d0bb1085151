#!/bin/sh
# Runs every test twice: with the default netpoller (io_uring) and with
# the epoll one (MNRT_POLLER=epoll, what runs where io_uring is refused),
# but for mnrt ab's own tests (suite ab), which test the tool, not the
# netpoller, and run once (they are a third of the time), and the tests
# of the install (suite install), which clear the environment.
# Extra arguments go to both `meson test` runs.
set -eu
cd "$(dirname "$0")/.."
echo "== tests with the default netpoller (io_uring)"
meson test -C build --print-errorlogs "$@"
echo "== the same tests with the epoll netpoller"
meson test -C build --setup epoll --no-suite ab --no-suite install --print-errorlogs "$@"
