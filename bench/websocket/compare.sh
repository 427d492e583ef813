#!/usr/bin/env bash
# The WebSocket echo on the Native and Sockets transports, taking turns under the same client (bench/websocket/
# roundtrips.js, Node's ws), server pinned to CPU 0 and client to CPU 1, in one run; prints them side by side.
# Usage: bench/websocket/compare.sh [connections] [seconds] [message bytes]
set -euo pipefail
cd "$(dirname "$0")/../.."
connections=${1:-50} seconds=${2:-5} size=${3:-64}
server=src/EchoHost/bin/Release/net10.0/EchoHost
[[ -x $server ]] || dotnet build src/EchoHost -c Release >/dev/null
command -v wscat >/dev/null || { echo "compare.sh: needs wscat (npm install -g wscat@6.1.0, as test.sh does)" >&2; exit 1; }

printf '%-8s %12s %10s %10s\n' transport "round trips/s" "p50 µs" "p99 µs"
for transport in Native Sockets; do
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  taskset -c 0 "$server" --EchoHost:Transport=$transport --EchoHost:Native:ThreadCount=1 \
    --EchoHost:Endpoints:echo:Enabled=false --EchoHost:Endpoints:framed:Enabled=false \
    --EchoHost:Endpoints:http:Url=http://127.0.0.1:$port --Serilog:MinimumLevel:Default=Warning >/dev/null &
  pid=$!
  until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.2; done
  result=$(taskset -c 1 node bench/websocket/roundtrips.js "ws://127.0.0.1:$port/echo" "$connections" "$seconds" "$size")
  kill -TERM $pid; wait $pid || true
  python3 - "$transport" "$result" <<'PY'
import json, sys
r = json.loads(sys.argv[2])
print(f"{sys.argv[1]:<8} {r['roundTripsPerSecond']:>12} {r['p50Microseconds']:>10} {r['p99Microseconds']:>10}")
PY
done
