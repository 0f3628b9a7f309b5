#!/usr/bin/env bash
# The same workload on goal-ledger and on the Python eventsourcing library (SQLite, durable
# defaults), in one run, side by side with the ratio.   benches/peers/run.sh [GOALS] [EVENTS]
set -euo pipefail
cd "$(dirname "$0")/../.."
goals="${1:-200}" events="${2:-10000}"
python3 -c 'import eventsourcing' 2>/dev/null ||
    python3 -m pip install --quiet --disable-pip-version-check 'eventsourcing>=9,<10'
ours=$(cargo bench --quiet --bench workload -- "$goals" "$events" 2>/dev/null | tail -1)
peer=$(python3 benches/peers/eventsourcing_peer.py "$goals" "$events" | tail -1)
python3 - "$ours" "$peer" <<'PY'
import json, sys
ours, peer = json.loads(sys.argv[1]), json.loads(sys.argv[2])
rows = [("durable commands/s (1 writer)", "commands_per_sec"),
        ("replay one goal, events/s", "replay_events_per_sec"),
        ("read the whole log, events/s", "read_log_events_per_sec")]
print(f"| workload | goal-ledger | {peer['system']} | ratio |")
print("|---|---|---|---|")
for name, key in rows:
    print(f"| {name} | {ours[key]:,.0f} | {peer[key]:,.0f} | {ours[key] / peer[key]:.1f}x |")
print(f"\n(goal-ledger: {ours['commands']} commands, {ours['replayed_events']} events replayed, {ours['log_events']} in the log;"
      f" peer: {peer['commands']} commands, {peer['replayed_events']} replayed, {peer['log_events']} in the log)")
PY
