#!/usr/bin/env bash
# bench/compare.sh: EchoHost (Native and Sockets transports) against its peers (C epoll, Go net,
# Python asyncio), all under the same client, in one run; for HTTP, bench/Plaintext on both transports under wrk.
#
# Servers take turns (A B A B ...): for each round, for each scenario, each server is started
# fresh on fresh ports, pinned to the server CPU, measured by echohost-load on the client CPU,
# and stopped. At the end: a table of medians and ratios to the baseline, and under
# bench/out/compare-<timestamp>/ results.json, report.html (inline SVG charts) and the servers' logs.
#
# Usage: bench/compare.sh [options]   (all options go to `echohost-load compare`)
#   --rounds N            rounds (3)
#   --scenarios LIST      pingpong-64,pingpong-128-500,pingpong-4k,rtt,burst,hold,framed-64,http-plaintext-50,
#                         http-plaintext-256,http-plaintext-50-p16,http-plaintext-256-p16,
#                         http-healthz,http-metrics,client-check (all)
#   --servers LIST        native,native-epoll,sockets,c,go,python,plaintext-native,plaintext-native-epoll,plaintext-sockets (all)
#   --baseline NAME       the server ratios are taken to (sockets; plaintext-sockets in the plaintext scenarios)
#   --duration S          measured seconds per run (8); --warmup S (2); --hold S (2); --pause S (1)
#   --burst-clients N     burst: clients (10000); --hold-connections N: hold: connections (10000)
#   --source-addresses K  burst and hold: source addresses 127.0.0.1..K (4)
#   --server NAME=CMD     add or replace a server: CMD runs through bash in the repository's root;
#                         {port} is its echo port, {framed_port}, {http_port} (EchoHost's /healthz and
#                         /metrics) and {plaintext_port} (GET /plaintext), when present, its other endpoints
#   --server-cpu N (0), --client-cpu N (1), --out DIR
# Environment: DOTNET (dotnet). Build first: bench/build.sh.
# `echohost-load report bench/out/compare-<timestamp>/results.json -o report.html` redraws a report.
set -euo pipefail

bench=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$bench/.." && pwd)
DOTNET=${DOTNET:-dotnet}
loadgen="$root/src/LoadGen/bin/Release/net10.0/echohost-load.dll"

case "${1:-}" in -h|--help) sed -n '2,/^# `echohost-load report/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
[ -f "$loadgen" ] || { echo "compare.sh: $loadgen missing: run bench/build.sh" >&2; exit 2; }
command -v taskset >/dev/null || { echo "compare.sh: taskset not found (apt-get install util-linux)" >&2; exit 2; }

client_cpu=1
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    [ "${args[$i]}" = --client-cpu ] && client_cpu=${args[$((i + 1))]}
done

# C10K needs about 10,000 descriptors on each side: raise the soft limit to the hard one (servers inherit it).
ulimit -n "$(ulimit -Hn)"
cd "$root"
exec taskset -c "$client_cpu" "$DOTNET" "$loadgen" compare "$@"
