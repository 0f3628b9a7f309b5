#!/usr/bin/env bash
# Regenerates BENCHMARKS.md from one run of everything: the library benchmarks (criterion, with
# the disk's own fdatasync limits measured in the same run), the size benchmarks up to a
# 1M-event ledger, the peer comparison, the PostgreSQL store against the segment store and the
# peer on PostgreSQL, the HTTP load and the server's memory with 1M events. Takes about 25 minutes.
#   benches/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
run=$(mktemp -d)
trap 'rm -rf "$run"' EXIT
# First: it runs part of the ledger bench itself, whose figures the full run below then replaces.
benches/postgres.sh >"$run/postgres.md"
cargo bench --bench ledger 2>"$run/ledger.log" >/dev/null
cargo bench --bench scale 2>"$run/scale.log" >/dev/null
benches/peers/run.sh 200 10000 >"$run/peers.md"
benches/http_load.sh 10 >"$run/http.md"
benches/memory.sh 1000000 5 >"$run/memory.md"
python3 benches/report.py "$run" >BENCHMARKS.md
echo "wrote BENCHMARKS.md"
