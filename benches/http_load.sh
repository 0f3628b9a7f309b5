#!/usr/bin/env bash
# HTTP load on the release server with wrk (installed from Debian's packages when missing):
# GET a goal (JSON, and the HTML page a browser gets), GET its history, and POST durable
# check-ins, each with 1 and 64 connections.
# Prints throughput, p50/p99 latency and the server's peak RSS as a Markdown table.
#   benches/http_load.sh [SECONDS]        (default 10 per run)
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/serve.sh
seconds="${1:-10}"
"$bin" --data-dir "$work/data" import events/samples/quarterly-goals.jsonl >/dev/null
# An open goal to check in on: reopen one of the sample's closed goals (a proposal, decided when
# a majority of each owning team, marketing and sales, agrees).
"$bin" --data-dir "$work/data" --actor alice reopen web-traffic-q3 --reason "load test" >/dev/null
for voter in alice amir sam sven; do
    "$bin" --data-dir "$work/data" --actor "$voter" vote web-traffic-q3 agree >/dev/null
done
serve "$work/data"
echo "| request | connections | requests/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|"
for case in "GET goal|/goals/web-traffic-q3|get" "GET goal page (HTML)|/goals/web-traffic-q3|page" "GET history|/goals/web-traffic-q3/history|get" "POST check-in|/goals/web-traffic-q3/check-ins|post"; do
    IFS='|' read -r name path script <<<"$case"
    for c in 1 64; do
        threads=$((c < 2 ? 1 : 2))
        out=$(wrk -t"$threads" -c"$c" -d"${seconds}s" --latency -s "$work/$script.lua" "$url$path")
        rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
        p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
        p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
        bad=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
        echo "| $name | $c | $rps | $p50 | $p99 | ${bad:-0} |"
    done
done
echo
echo "server peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$server/status); records: $(curl -s -H "Authorization: Bearer $token" "$url/ledger/digest" | python3 -c 'import json,sys; print(json.load(sys.stdin)["seq"])')"
