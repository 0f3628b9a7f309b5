#!/usr/bin/env bash
# The PostgreSQL store (#14) measured against its neighbours in one run, on a throwaway cluster of
# Debian's postgresql (installed when missing) with its durable defaults (fsync, synchronous
# commit): goal-ledger's durable append on PostgreSQL (one instance with 1 and 64 writers, two
# instances with 32 each) and on the segment store (`cargo bench --bench ledger`), and the Python eventsourcing library's PostgreSQL
# recorder on the same server with 1 and 64 writers. Prints a Markdown table with the ratios.
#   benches/postgres.sh
set -euo pipefail
cd "$(dirname "$0")/.."
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    service postgresql stop >/dev/null 2>&1 || true
}
python3 -c 'import eventsourcing.postgres' 2>/dev/null ||
    python3 -m pip install --quiet --disable-pip-version-check 'eventsourcing[postgres]>=9,<10'
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
work=$(mktemp -d)
chmod 755 "$work"
mkdir "$work/db"
chown postgres "$work" "$work/db"
trap 'runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/db" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
runuser -u postgres -- "$pgbin/initdb" -D "$work/db" -U postgres --auth=trust >/dev/null
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/db" -l "$work/db/server.log" -w \
    -o "-p $port -k $work -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
for db in ledger peer1 peer64; do
    "$pgbin/psql" -h 127.0.0.1 -p "$port" -U postgres -qAt -c "CREATE DATABASE $db"
done
GOAL_LEDGER_BENCH_STORE="postgres://postgres@127.0.0.1:$port/ledger" \
    cargo bench --quiet --bench ledger -- '^durable_append(_postgres)?/(ledger|two_instances)/(1|64)$' >"$work/bench.log" 2>&1
peer() {
    POSTGRES_HOST=127.0.0.1 POSTGRES_PORT="$port" POSTGRES_USER=postgres POSTGRES_DBNAME="peer$1" \
        python3 benches/peers/eventsourcing_pg.py "$1" "$2" | tail -1
}
peer1=$(peer 1 400)
peer64=$(peer 64 2560)
python3 - "$peer1" "$peer64" <<'PY'
import json, os, sys
criterion = os.path.join("target", "criterion")
def rate(bench):
    with open(os.path.join(criterion, bench, "new", "estimates.json")) as f:
        seconds = json.load(f)["median"]["point_estimate"] / 1e9
    with open(os.path.join(criterion, bench, "new", "benchmark.json")) as f:
        return json.load(f)["throughput"]["Elements"] / seconds
peer = {1: json.loads(sys.argv[1]), 64: json.loads(sys.argv[2])}
print("| writers | goal-ledger on PostgreSQL | on segments (default) | PostgreSQL / segments | eventsourcing (PostgreSQL) | goal-ledger / eventsourcing |")
print("|---|---|---|---|---|---|")
for w in (1, 64):
    pg, seg, es = rate(f"durable_append_postgres/ledger/{w}"), rate(f"durable_append/ledger/{w}"), peer[w]["events_per_sec"]
    print(f"| {w} | {pg:,.0f} events/s | {seg:,.0f} events/s | {pg / seg:.2f} × | {es:,.0f} events/s | {pg / es:.1f} × |")
two = "durable_append_postgres/two_instances/64"
if os.path.exists(os.path.join(criterion, two, "new", "estimates.json")):
    pg, seg, es = rate(two), rate("durable_append/ledger/64"), peer[64]["events_per_sec"]
    print(f"| 64 on two instances (32 each) | {pg:,.0f} events/s | {seg:,.0f} events/s (one) | {pg / seg:.2f} × | {es:,.0f} events/s | {pg / es:.1f} × |")
print(f"\n(durable appends of check-ins, medians of criterion's samples; the peer: {peer[1]['events']} and {peer[64]['events']} events, one connection a writer)")
PY
