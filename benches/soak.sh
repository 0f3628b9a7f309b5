#!/usr/bin/env bash
# The long reliability runs: hundreds of seeded kill -9s of the real server under load, and a
# long mixed-load soak, with the same checks as the CI tests (tests/it/crash.rs, tests/it/soak.rs).
#   benches/soak.sh                  # 300 kills, 10 minutes of load
#   CRASH_ROUNDS=50 SOAK_SECONDS=120 benches/soak.sh
#   CRASH_SEED=123 benches/soak.sh   # replay a failing kill sequence
set -euo pipefail
cd "$(dirname "$0")/.."
export CRASH_ROUNDS="${CRASH_ROUNDS:-300}" SOAK_SECONDS="${SOAK_SECONDS:-600}"
echo "== $CRASH_ROUNDS kill -9 rounds, then $SOAK_SECONDS s of mixed load"
cargo test --release --test it -- --nocapture --test-threads 1 \
    crash::acknowledged_writes_survive soak::mixed_load 2>&1 | grep -E "seed|soak:|test |result"
