#!/usr/bin/env bash
# Every test. Installs what the tests need when it is missing: BLAKE3 and Ed25519 (cryptography)
# for Python (the independent verifier test), Debian's postgresql (the PostgreSQL store's tests) and
# Debian's Chromium and ChromeDriver (the browser tests). Run as root, like CI: apt-get installs
# Chromium and the disk-full test mounts a small tmpfs.   tests/run.sh [cargo test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import blake3, cryptography' 2>/dev/null ||
    python3 -m pip install --quiet --disable-pip-version-check blake3 cryptography
# A throwaway PostgreSQL cluster is started by the tests themselves (tests/it/support/postgres.rs).
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    # The package may start its own cluster; the tests need only the binaries.
    service postgresql stop >/dev/null 2>&1 || true
}
command -v chromium >/dev/null && command -v chromedriver >/dev/null || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
}
cargo test "$@"
