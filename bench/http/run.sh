#!/usr/bin/env bash
# HTTP benchmark (issue 11): audited record views and durable note writes
# through `confidant serve`, 64 concurrent connections, each authenticated
# as a signed-in practitioner (a personal access token: the same
# authentication, Cedar check and audit path as a session cookie, without
# the CSRF header). Load from `wrk` (Debian package), a separate process on
# loopback. Afterwards `audit verify` must pass.
#
#   bench/http/run.sh [sqlite|postgres] [SECONDS] [CONNECTIONS]
#
# Uses target/release/confidant (cargo build --release -p confidant-cli).
# PostgreSQL: CONFIDANT_BENCH_DATABASE_URL (default
# postgres://postgres@127.0.0.1:5432/postgres) is the admin URL; a fresh
# database is created and dropped.
set -euo pipefail
cd "$(dirname "$0")/../.."
backend="${1:-sqlite}"
secs="${2:-20}"
conns="${3:-64}"
bin="$PWD/target/release/confidant"
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 2; }
work="$(mktemp -d)"
db_args=()
pgdb=""
if [ "$backend" = postgres ]; then
  admin="${CONFIDANT_BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
  pgdb="confidant_bench_$$"
  psql -q "$admin" -c "CREATE DATABASE $pgdb"
  db_args=(--database-url "${admin%/*}/$pgdb")
fi
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  [ -n "$pgdb" ] && psql -q "$admin" -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" || true
  rm -rf "$work"
}
trap cleanup EXIT
c() { "$bin" --data "$work/data" "${db_args[@]}" "$@"; }

c init >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
c serve --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
pr=$(c practitioner add --name "Bench Practitioner" --role practitioner)
printf 'violet tundra marmalade oscillates\n' | c user add bench --role practitioner --practitioner "$pr" --password-stdin >/dev/null
c user enrol bench >/dev/null   # a token works only once its account has enrolled TOTP
pat=$(c token create bench --scope write --days 1)
auth="Authorization: Bearer $pat"
# 200 clients assigned to the practitioner (created through the API).
ids=()
for i in $(seq 200); do
  id=$(curl -fs -X POST "http://127.0.0.1:$port/api/v1/clients" -H "$auth" \
        -H 'content-type: application/json' -d "{\"name\":\"Bench Client $i\"}" |
       python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  ids+=("$id")
done
printf '%s\n' "${ids[@]}" > "$work/ids.txt"
cat > "$work/view.lua" <<LUA
local ids = {}
for l in io.lines("$work/ids.txt") do ids[#ids+1] = l end
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/api/v1/clients/" .. ids[(n % #ids) + 1], {["Authorization"] = "Bearer $pat"})
end
LUA
cat > "$work/write.lua" <<LUA
local ids = {}
for l in io.lines("$work/ids.txt") do ids[#ids+1] = l end
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", "/api/v1/clients/" .. ids[(n % #ids) + 1] .. "/notes",
    {["Authorization"] = "Bearer $pat", ["Content-Type"] = "application/json"},
    '{"text":"Session note written by the HTTP benchmark, about two hundred bytes of ordinary note text so the write is realistic in size and is sealed and audited."}')
end
LUA
echo "== reference: GET /healthz (same server, no authentication, no store), $conns connections, ${secs}s"
wrk -t2 -c"$conns" -d"${secs}s" --latency "http://127.0.0.1:$port/healthz" | grep -E "Requests/sec|Latency|50%|99%|Non-2xx|requests in"
echo "== $backend: audited record views (GET /api/v1/clients/{id}), $conns connections, ${secs}s"
# CONFIDANT_BENCH_PERF=FILE: also sample the server with `perf record -g`
# during the view run (then `perf report -i FILE --no-children`).
perf_pid=""
if [ -n "${CONFIDANT_BENCH_PERF:-}" ]; then
  perf record -q -F 499 -g -o "$CONFIDANT_BENCH_PERF" -p "$server_pid" -- sleep "$secs" >/dev/null 2>&1 &
  perf_pid=$!
fi
wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$work/view.lua" "http://127.0.0.1:$port" | grep -E "Requests/sec|Latency|50%|99%|Non-2xx|requests in"
[ -n "$perf_pid" ] && wait "$perf_pid" || true
echo "== $backend: durable note writes (POST /api/v1/clients/{id}/notes), $conns connections, ${secs}s"
wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$work/write.lua" "http://127.0.0.1:$port" | grep -E "Requests/sec|Latency|50%|99%|Non-2xx|requests in"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
echo "== audit verify"
c audit verify
