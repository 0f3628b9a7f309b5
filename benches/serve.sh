# Sourced by the load scripts. Sourcing installs wrk (Debian's package) when it is missing,
# builds the release binary, sets `bin` and a scratch directory `work` removed on exit (with the
# server, if one started). `serve DATA_DIR` then creates a member token for alice, starts the
# server on a free port and sets `token`, `server` (its pid) and `url`; it also writes the wrk
# scripts `$work/get.lua`, `$work/page.lua` (a browser's page) and `$work/post.lua` (a
# check-in on `visits`) with the token.
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet
bin=target/release/goal-ledger
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null; rm -rf "$work"' EXIT
serve() {
    token=$("$bin" --data-dir "$1" --actor alice --output json token create --for alice --role member |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
    GOAL_LEDGER_LOG=error "$bin" serve --addr 127.0.0.1:0 --data-dir "$1" >"$work/serve.out" 2>/dev/null &
    server=$!
    for _ in $(seq 100); do grep -q http "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
    url=$(awk '{print $NF}' "$work/serve.out")
    cat >"$work/get.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
LUA
    cat >"$work/page.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
wrk.headers["Accept"] = "text/html"
LUA
    cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
wrk.body = '{"key_result": "visits", "value": 42, "health": "on-track"}'
LUA
}
