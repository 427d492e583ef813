#!/usr/bin/env bash
# bench/soak.sh: the built service under mixed load for a long time, then a check that it
# answered everything exactly and gave back its descriptors and memory (docs/soak.md).
#
# Builds src/EchoHost and src/LoadGen (Release), then runs `echohost-load soak`, which starts
# the service (Native transport, pinned to the server CPU, on fresh loopback ports), loads it
# for the warm-up, takes its descriptors and RSS, loads it for the duration, takes them again,
# stops it and prints the figures. Exit status: 0 pass, 1 fail, 2 bad usage.
#
# Usage: bench/soak.sh [options]   (all options go to `echohost-load soak`)
#   --duration S            seconds of load measured (600); --warmup S (10)
#   --server native|native-epoll|sockets     the service's transport: native (the engine Auto picks), epoll, Sockets (native)
#   --raw-connections N     raw echo connection slots, churned (32)
#   --framed-connections N  framed connection slots, churned (32)
#   --hostile-interval MS   pause between hostile connections (50)
#   --fd-margin N           descriptors the end may exceed the start by (10)
#   --rss-margin-mib M, --rss-margin-percent P   RSS the end may exceed the start by: M MiB + P % (32, 10)
#   --server-cpu N (0), --seed N (1), --quiet
# Environment: DOTNET (dotnet).
set -euo pipefail

bench=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$bench/.." && pwd)
DOTNET=${DOTNET:-dotnet}

case "${1:-}" in -h|--help) sed -n '2,/^# Environment/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
command -v taskset >/dev/null || { echo "soak.sh: taskset not found (apt-get install util-linux)" >&2; exit 2; }

cd "$root"
"$DOTNET" build -c Release src/EchoHost -v quiet -nologo >/dev/null
"$DOTNET" build -c Release src/LoadGen -v quiet -nologo >/dev/null
ulimit -n "$(ulimit -Hn)"
exec "$DOTNET" src/LoadGen/bin/Release/net10.0/echohost-load.dll soak "$@"
