#!/usr/bin/env bash
# The system packages the test suite needs, installed with apt only when one is missing (Debian/Ubuntu).
#
#   tools/system-packages.sh             what `make test` needs (browser, fonts, nginx, npm)
#   tools/system-packages.sh --services  also PostgreSQL and Redis, for the production-path run (.ci/run)
#   tools/system-packages.sh --check     only say what is missing (exit 1 if anything is); install nothing
#
# `make test` and `.ci/run` both call this script, so the list lives here once. tests/ops/test_system_setup.py
# checks that every system program the suite runs is in it.
#
# Packages are installed without starting any service (a temporary /usr/sbin/policy-rc.d refuses every start:
# nginx must not take port 80, PostgreSQL and Redis are started by .ci/run on loopback only).
set -euo pipefail

# "<file or command> <apt package>": a path is checked with `test -e`, a bare name with `command -v`.
TEST_NEEDS=(
  "/usr/bin/chromium chromium"  # the headless browser of tests/browser and tools/screenshots.py
  "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf fonts-dejavu-core"  # a font, so pages render their text
  "/usr/sbin/nginx nginx"  # `nginx -t` on deploy/nginx.conf (tests/ops/test_nginx_config.py)
  "npm npm"  # `npm ci`: axe-core, the accessibility audit of every page the browser suite loads
  "xgettext gettext"  # `makemessages`: the catalogue-completeness test extracts every marked string
  "msgmerge gettext"  # `makemessages` merges the extracted strings into the shipped catalogues
)
SERVICE_NEEDS=(
  "pg_ctlcluster postgresql"  # the database .ci/run starts for the production-path run
  "pg_isready postgresql"  # .ci/run waits for it
  "pg_dump postgresql"  # the backup/restore drill (tests/ops/test_backup_restore.py)
  "pg_restore postgresql"
  "redis-server redis-server"  # the channel layer and cache .ci/run starts
  "redis-cli redis-server"  # .ci/run waits for it (redis-tools comes with redis-server)
)

services="" check_only=""
for arg in "$@"; do
  case "$arg" in
    --services) services=1 ;;
    --check) check_only=1 ;;
    *) printf 'usage: %s [--services] [--check]\n' "$0" >&2; exit 2 ;;
  esac
done

needs=("${TEST_NEEDS[@]}")
if [ -n "$services" ]; then needs+=("${SERVICE_NEEDS[@]}"); fi

present() {
  if [[ $1 == /* ]]; then [ -e "$1" ]; else command -v "$1" >/dev/null 2>&1; fi
}

missing=()
for need in "${needs[@]}"; do
  what=${need% *} package=${need##* }
  if ! present "$what" && [[ " ${missing[*]-} " != *" $package "* ]]; then missing+=("$package"); fi
done

if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ -n "$check_only" ]; then
  printf 'missing system packages: %s\n' "${missing[*]}"
  exit 1
fi

how="apt-get install ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
  printf 'The test suite needs these system packages, and this is not an apt system: %s\n' "${missing[*]}" >&2
  printf 'Install their equivalents (Chromium at /usr/bin/chromium), then run the command again.\n' >&2
  exit 1
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    printf 'The test suite needs these system packages: %s\n' "${missing[*]}" >&2
    printf 'Run as root: %s (or install sudo), then run the command again.\n' "$how" >&2
    exit 1
  fi
  sudo=(sudo)
fi

printf 'Installing system packages for the test suite: %s\n' "${missing[*]}"
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  "${sudo[@]}" sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod +x $policy"
  trap '"${sudo[@]}" rm -f "$policy"' EXIT
fi
"${sudo[@]}" apt-get update -qq -o DPkg::Lock::Timeout=300
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq -o DPkg::Lock::Timeout=300 "${missing[@]}"
