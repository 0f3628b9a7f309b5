#!/usr/bin/env bash
# The server's memory with a large ledger: writes a generated export of EVENTS events (default
# 1,000,000; `benches/export.rs`), imports it with the release binary, serves it, loads it with
# wrk (GET goal, GET history, POST check-in, 64 connections each) and prints the server's RSS
# after opening and its peak, as a Markdown table.
#   benches/memory.sh [EVENTS] [SECONDS]        (default 1000000 events, 5 s a load)
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/serve.sh
events="${1:-1000000}" seconds="${2:-5}"
cargo bench --quiet --bench export -- "$events" "$work/export.jsonl"
started=$(date +%s.%N)
"$bin" --data-dir "$work/data" import "$work/export.jsonl" >/dev/null
imported=$(python3 -c "import time; print(f'{$events / (time.time() - $started):,.0f}')")
serve "$work/data"
rss() { awk -v k="$1" '$1 == k":" {printf "%.0f MiB", $2 / 1024}' "/proc/$server/status"; }
opened=$(rss VmRSS)
for run in "/goals/probe|get" "/goals/probe/history|get" "/goals/probe/check-ins|post"; do
    IFS='|' read -r path script <<<"$run"
    wrk -t2 -c64 -d"${seconds}s" -s "$work/$script.lua" "$url$path" >/dev/null
done
records=$(curl -s -H "Authorization: Bearer $token" "$url/ledger/digest" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["seq"])')
echo "| events | import (events/s) | RSS after open | peak RSS under load | RSS after load | disk |"
echo "|---|---|---|---|---|---|"
echo "| $records | $imported | $opened | $(rss VmHWM) | $(rss VmRSS) | $(du -sh "$work/data" | cut -f1) |"
