#!/usr/bin/env bash
# bench/syscalls.sh: system calls per message of the native transport's engines (epoll, io_uring), counted by strace.
#
# For each engine in turn, EchoHost is started on the server CPU with that engine, warmed up with a ping-pong load,
# then strace attaches to every thread of it (-c: a table of counts, no line per call) for the measured ping-pong
# window of echohost-load on the client CPU, and detaches. System calls per message = strace's total over the
# messages echohost-load counted in that window. strace stops the process at every call, so messages/s under it mean
# nothing; what it is for is the count per message. Engines take turns for --rounds rounds.
#
# Usage: bench/syscalls.sh [--connections N (50)] [--size S (64)] [--duration S (5)] [--rounds N (2)]
#                          [--engines LIST (Epoll,IoUring)] [--server-cpu N (0)] [--client-cpu N (1)]
# Environment: DOTNET (dotnet). Build first: bench/build.sh (and apt-get install strace).
# Writes bench/out/syscalls-<timestamp>/: strace's tables and echohost-load's JSON, per engine and round.
set -euo pipefail

bench=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$bench/.." && pwd)
DOTNET=${DOTNET:-dotnet}
service="$root/src/EchoHost/bin/Release/net10.0/EchoHost.dll"
loadgen="$root/src/LoadGen/bin/Release/net10.0/echohost-load.dll"

connections=50 size=64 duration=5 rounds=2 engines=Epoll,IoUring server_cpu=0 client_cpu=1
while [ $# -gt 0 ]; do
    case "$1" in
        --connections) connections=$2; shift 2 ;;
        --size) size=$2; shift 2 ;;
        --duration) duration=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --engines) engines=$2; shift 2 ;;
        --server-cpu) server_cpu=$2; shift 2 ;;
        --client-cpu) client_cpu=$2; shift 2 ;;
        -h|--help) sed -n '2,/^# Writes/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "syscalls.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

for file in "$service" "$loadgen"; do
    [ -f "$file" ] || { echo "syscalls.sh: $file missing: run bench/build.sh" >&2; exit 2; }
done
for tool in strace taskset python3; do
    command -v "$tool" >/dev/null || { echo "syscalls.sh: $tool not found" >&2; exit 2; }
done

out="$root/bench/out/syscalls-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
ulimit -n "$(ulimit -Hn)"

load() { # port seconds [json]
    taskset -c "$client_cpu" "$DOTNET" "$loadgen" pingpong --port "$1" --connections "$connections" --size "$size" \
        --warmup 0 --duration "$2" --quiet ${3:+--json "$3"} >/dev/null
}

# One run: prints "engine messages calls" and leaves strace's table in $out.
run() { # engine round
    local engine=$1 round=$2 log="$out/server-$1-$2.log" pid port="" tracer args=()
    taskset -c "$server_cpu" "$DOTNET" "$service" --EchoHost:Transport=Native --EchoHost:Native:Engine="$engine" \
        --EchoHost:Endpoints:echo:Url=tcp://127.0.0.1:0 --EchoHost:Endpoints:echo:Protocol=echo \
        --EchoHost:Endpoints:framed:Enabled=false --EchoHost:Endpoints:http:Enabled=false >"$log" 2>&1 &
    pid=$!
    for _ in $(seq 300); do
        port=$(sed -n 's/.*Endpoint echo (echo) listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$log" | head -n 1)
        [ -n "$port" ] && break
        kill -0 "$pid" 2>/dev/null || { echo "syscalls.sh: EchoHost ($engine) exited: $(cat "$log")" >&2; exit 1; }
        sleep 0.1
    done
    [ -n "$port" ] || { echo "syscalls.sh: EchoHost ($engine) did not listen" >&2; kill "$pid"; exit 1; }

    load "$port" 2
    for task in /proc/"$pid"/task/*; do args+=(-p "${task##*/}"); done
    strace -c -f -o "$out/strace-$engine-$round.txt" "${args[@]}" 2>/dev/null &
    tracer=$!
    sleep 1
    load "$port" "$duration" "$out/load-$engine-$round.json"
    kill -INT "$tracer"
    wait "$tracer" || true
    kill -TERM "$pid"
    wait "$pid" || true

    python3 - "$engine" "$out/load-$engine-$round.json" "$out/strace-$engine-$round.txt" <<'PY'
import json, sys
engine, load, table = sys.argv[1:]
messages = json.load(open(load))["messages"]
calls = {}
for line in open(table):
    fields = line.split()
    if len(fields) >= 5 and fields[3].isdigit():
        calls[fields[-1]] = int(fields[3])
total = calls.pop("total", sum(calls.values()))
top = ", ".join(f"{name} {count / messages:.3f}" for name, count in sorted(calls.items(), key=lambda c: -c[1])[:4])
print(f"{engine:8} {messages:>10} {total:>10} {total / messages:>8.3f}   {top}")
PY
}

echo "ping-pong $connections × $size B, strace -c on the server; per message: all calls, then the most frequent"
printf '%-8s %10s %10s %8s   %s\n' engine messages calls calls/msg "top calls per message"
for round in $(seq "$rounds"); do
    for engine in ${engines//,/ }; do
        run "$engine" "$round"
    done
done
echo "tables and JSON: $out"
