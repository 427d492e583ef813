#!/usr/bin/env bash
# bench/transport.sh: EchoHost's transports and the C reference server, side by side.
#
# In one run, servers take turns under the same client (bench/out/loadgen): for each
# round, for each workload, each server is started fresh, measured, and stopped. The
# server is pinned to one CPU and the client to another (taskset). The table at the
# end gives each server's median over the rounds and its ratio to `sockets`.
#
# Servers:
#   native   EchoHost with --EchoHost:Transport=Native
#   sockets  EchoHost with --EchoHost:Transport=Sockets (Kestrel's own transport)
#   c        bench/out/echo_server (single-threaded C epoll)
# Workloads:
#   pingpong  N connections ping-pong S-byte messages          -> messages per second
#   hold      10,000 idle connections, server RSS before/after -> KiB per connection
#   burst     10,000 clients connect at once, echo 100 B, close -> wall time, failures
#   framed    (not in the default list) raw vs framed echo on the same kind of server:
#             N connections ping-pong S bytes on the echo endpoint (row `raw`), then
#             S-byte Echo requests on the framed endpoint (row `framed`); both runs use a
#             server started with both endpoints, the order alternates per round, and
#             the table adds framed/raw (median of the per-round ratios)
#             -> messages per second. Servers: native, sockets, and any --server whose
#             CMD has {framed_port}; others are skipped for this workload.
#
# Usage: bench/transport.sh [options]
#   --rounds N            rounds (3)
#   --workloads LIST      comma-separated (pingpong,hold,burst; also framed)
#   --servers LIST        comma-separated (native,sockets,c)
#   --duration S          ping-pong measured seconds (10)
#   --warmup S            warm-up before each measurement (2)
#   --connections N       ping-pong connections (50)
#   --size N              ping-pong message size (64); framed: Data bytes per request
#   --pipeline N          framed: requests in flight per connection (1)
#   --idle-connections N  hold: connections (10000)
#   --hold S              hold: seconds to hold before sampling memory (2)
#   --burst-clients N     burst: clients (10000)
#   --burst-size N        burst: bytes each client echoes (100)
#   --burst-timeout S     burst: deadline after which clients count as timed out (60)
#   --server-cpu N        CPU for the server (0)
#   --client-cpu N        CPU for the client (1)
#   --pause S             pause between runs (1)
#   --server NAME=CMD     add or replace a server; CMD runs through bash, {port} is
#                         replaced by the port (e.g. --server 'socat=socat ...:{port},...'),
#                         {framed_port} by a second port for the framed workload
#   --echohost-args ARGS  extra arguments for the EchoHost servers
#   --report FILE         print the table of an earlier results file and exit
#   -h, --help
# Environment: DOTNET (dotnet), ECHOHOST_DLL (src/EchoHost/bin/Release/net10.0/EchoHost.dll).
# Build first: bench/build.sh. Raw results: bench/out/results-<timestamp>.txt.
set -uo pipefail

bench=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$bench/.." && pwd)
out="$bench/out"
loadgen="$out/loadgen"
DOTNET=${DOTNET:-dotnet}
dll=${ECHOHOST_DLL:-$root/src/EchoHost/bin/Release/net10.0/EchoHost.dll}

rounds=3
workloads=pingpong,hold,burst
servers=native,sockets,c
duration=10
warmup=2
connections=50
size=64
pipeline=1
idle_connections=10000
hold_seconds=2
burst_clients=10000
burst_size=100
burst_timeout=60
server_cpu=0
client_cpu=1
pause=1
echohost_args=""
report_file=""
declare -A server_cmd=()
declare -A framed_cmd=() # the command of a server for the framed workload (both endpoints)

die() { echo "transport.sh: $*" >&2; exit 2; }
need_arg() { [ $# -ge 2 ] || die "$1 needs a value"; }

while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) need_arg "$@"; rounds=$2; shift ;;
        --workloads) need_arg "$@"; workloads=$2; shift ;;
        --servers) need_arg "$@"; servers=$2; shift ;;
        --duration) need_arg "$@"; duration=$2; shift ;;
        --warmup) need_arg "$@"; warmup=$2; shift ;;
        --connections) need_arg "$@"; connections=$2; shift ;;
        --size) need_arg "$@"; size=$2; shift ;;
        --pipeline) need_arg "$@"; pipeline=$2; shift ;;
        --idle-connections) need_arg "$@"; idle_connections=$2; shift ;;
        --hold) need_arg "$@"; hold_seconds=$2; shift ;;
        --burst-clients) need_arg "$@"; burst_clients=$2; shift ;;
        --burst-size) need_arg "$@"; burst_size=$2; shift ;;
        --burst-timeout) need_arg "$@"; burst_timeout=$2; shift ;;
        --server-cpu) need_arg "$@"; server_cpu=$2; shift ;;
        --client-cpu) need_arg "$@"; client_cpu=$2; shift ;;
        --pause) need_arg "$@"; pause=$2; shift ;;
        --server) need_arg "$@"; [[ "$2" == *=* ]] || die "--server wants NAME=CMD"
                  server_cmd[${2%%=*}]=${2#*=}; shift ;;
        --echohost-args) need_arg "$@"; echohost_args=$2; shift ;;
        --report) need_arg "$@"; report_file=$2; shift ;;
        -h|--help) sed -n '2,/^# Build first/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done

# ------------------------------------------------------------------ report ---

# Prints the summary table of a results file (lines of key=value; '#' lines ignored).
report() {
    awk -v order="$servers" '
    function median(list,   n, a, i, j, t) {
        n = split(list, a, " ")
        for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
        if (n == 0) return ""
        return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function sum(list,   n, a, i, t) { n = split(list, a, " "); t = 0; for (i = 1; i <= n; i++) t += a[i]; return n ? t : "" }
    function fmt(v) {
        if (v == "") return "-"
        if (v + 0 == int(v + 0)) return sprintf("%d", v)
        if (v + 0 >= 1000) return sprintf("%.0f", v)
        if (v + 0 >= 100) return sprintf("%.1f", v)
        return sprintf("%.2f", v)
    }
    function ratio(a, b) { return (a == "" || b == "" || b + 0 == 0) ? "-" : sprintf("%.2f", a / b) }
    BEGIN {
        nw = split("pingpong hold burst raw framed", W, " ")
        # metric:aggregate:ratios
        M["pingpong"] = "msgs_per_sec:median:y avg_rtt_us:median:y server_cpu_pct:median:n client_cpu_pct:median:n errors:sum:n"
        M["hold"]     = "kib_per_conn:median:y held_rss_kib:median:y idle_rss_kib:median:y alive_after_hold:median:n errors:sum:n"
        M["burst"]    = "wall_ms:median:y avg_latency_ms:median:y p99_latency_ms:median:y failures:sum:n listen_overflows:sum:n"
        # the framed workload: raw echo and framed Echo ping-pong on servers with both endpoints
        M["raw"]      = M["pingpong"]
        M["framed"]   = M["pingpong"]
        ns = 0
        n = split(order, o, ",")
        for (i = 1; i <= n; i++) if (!(o[i] in known)) { known[o[i]] = 1; S[++ns] = o[i] }
    }
    /^#/ || NF == 0 { next }
    {
        delete kv
        for (i = 1; i <= NF; i++) { p = index($i, "="); if (p) kv[substr($i, 1, p - 1)] = substr($i, p + 1) }
        w = kv["workload"]; s = kv["server"]
        if (w == "" || s == "") next
        if (!(s in known)) { known[s] = 1; S[++ns] = s }
        have[w] = 1; ran[s] = 1
        for (k in kv) vals[w, k, s] = vals[w, k, s] " " kv[k]
        rounds[w, s]++
        if ((w == "raw" || w == "framed") && kv["msgs_per_sec"] != "") {
            mps[w, s, kv["round"]] = kv["msgs_per_sec"]
            if (!((s, kv["round"]) in seen)) { seen[s, kv["round"]] = 1; rlist[s] = rlist[s] " " kv["round"] }
        }
    }
    END {
        # only servers that ran
        m = 0; for (i = 1; i <= ns; i++) if (S[i] in ran) T[++m] = S[i]
        hs = ("sockets" in ran); hc = ("c" in ran); hn = ("native" in ran)
        printf "%-9s %-22s", "workload", "metric"
        for (i = 1; i <= m; i++) printf " %12s", T[i]
        for (i = 1; i <= m; i++) if (hs && T[i] != "sockets") printf " %14s", T[i] "/sockets"
        if (hn && hc) printf " %10s", "native/c"
        printf "\n"
        for (wi = 1; wi <= nw; wi++) {
            w = W[wi]; if (!(w in have)) continue
            nm = split(M[w], ms, " ")
            for (mi = 1; mi <= nm; mi++) {
                split(ms[mi], f, ":"); k = f[1]; agg = f[2]; rat = f[3]
                label = k (agg == "sum" ? " (sum)" : "")
                delete v
                for (i = 1; i <= m; i++) {
                    l = vals[w, k, T[i]]
                    v[T[i]] = (l == "") ? "" : (agg == "sum" ? sum(l) : median(l))
                }
                printf "%-9s %-22s", w, label
                for (i = 1; i <= m; i++) printf " %12s", fmt(v[T[i]])
                for (i = 1; i <= m; i++) if (hs && T[i] != "sockets") printf " %14s", (rat == "y" ? ratio(v[T[i]], v["sockets"]) : "-")
                if (hn && hc) printf " %10s", (rat == "y" ? ratio(v["native"], v["c"]) : "-")
                printf "\n"
            }
            if (w == "framed") {
                # framed/raw: per server, the median over the rounds of the ratio within a round
                for (i = 1; i <= m; i++) {
                    s = T[i]; fr[s] = ""
                    nr = split(rlist[s], rr, " ")
                    for (j = 1; j <= nr; j++)
                        if ((("raw", s, rr[j]) in mps) && (("framed", s, rr[j]) in mps) && mps["raw", s, rr[j]] + 0 > 0)
                            fr[s] = fr[s] " " sprintf("%.3f", mps["framed", s, rr[j]] / mps["raw", s, rr[j]])
                }
                printf "%-9s %-22s", w, "framed/raw"
                for (i = 1; i <= m; i++) printf " %12s", (fr[T[i]] == "" ? "-" : sprintf("%.2f", median(fr[T[i]])))
                for (i = 1; i <= m; i++) if (hs && T[i] != "sockets") printf " %14s", "-"
                if (hn && hc) printf " %10s", "-"
                printf "\n"
            }
        }
        printf "\nper-round values (headline metrics):\n"
        split("pingpong:msgs_per_sec hold:kib_per_conn burst:wall_ms raw:msgs_per_sec framed:msgs_per_sec", H, " ")
        for (hi = 1; hi <= 5; hi++) {
            split(H[hi], f, ":"); w = f[1]; k = f[2]
            if (!(w in have)) continue
            for (i = 1; i <= m; i++) if (((w, k, T[i]) in vals) && vals[w, k, T[i]] != "") printf "  %-9s %-13s %-8s %s\n", w, k, T[i], vals[w, k, T[i]]
        }
        if ("framed" in have)
            for (i = 1; i <= m; i++) if (fr[T[i]] != "") printf "  %-9s %-13s %-8s%s\n", "framed", "framed/raw", T[i], fr[T[i]]
        printf "\nmedians over the rounds; (sum) = total over the rounds. Ratios are column / sockets:\n"
        printf "above 1 is better for msgs_per_sec, below 1 is better for every other ratio shown.\n"
        printf "listen_overflows is a system-wide kernel counter (others on the machine add to it).\n"
        if ("framed" in have || "raw" in have) {
            printf "raw = ping-pong on the echo endpoint, framed = Echo requests on the framed endpoint, of servers\n"
            printf "started with both; framed/raw = median over the rounds of framed / raw msgs_per_sec in the same round.\n"
        }
    }' "$1"
}

if [ -n "$report_file" ]; then
    [ -f "$report_file" ] || die "no such file: $report_file"
    report "$report_file"
    exit 0
fi

# ------------------------------------------------------------------- checks ---

[ -x "$loadgen" ] && [ -x "$out/echo_server" ] || die "bench/out/loadgen or echo_server missing: run bench/build.sh"
command -v taskset >/dev/null || die "taskset not found (apt-get install util-linux)"
ncpu=$(nproc --all 2>/dev/null || nproc)
for cpu in "$server_cpu" "$client_cpu"; do
    [ "$cpu" -lt "$ncpu" ] 2>/dev/null || die "CPU $cpu does not exist on this $ncpu-CPU machine"
done
[ "$server_cpu" != "$client_cpu" ] || echo "transport.sh: warning: server and client share CPU $server_cpu" >&2

q() { printf '%q' "$1"; }
[ -n "${server_cmd[c]:-}" ] || server_cmd[c]="exec $(q "$out/echo_server") {port}"
for t in Native Sockets; do
    name=${t,,}
    [ -n "${server_cmd[$name]:-}" ] && continue
    base="exec $(q "$DOTNET") $(q "$dll") --EchoHost:Transport=$t"`
        `" --EchoHost:Endpoints:echo:Url=tcp://127.0.0.1:{port} --EchoHost:Endpoints:echo:Protocol=echo"`
        `" --EchoHost:Endpoints:http:Url=http://127.0.0.1:0 --Logging:LogLevel:Default=Warning"
    # echo only: appsettings.json also has a framed endpoint (0.0.0.0:1513), kept out of these runs
    server_cmd[$name]="$base --EchoHost:Endpoints:framed:Enabled=false $echohost_args"
    framed_cmd[$name]="$base --EchoHost:Endpoints:framed:Url=tcp://127.0.0.1:{framed_port}"`
        `" --EchoHost:Endpoints:framed:Protocol=framed $echohost_args"
done
# A server given with --server takes part in the framed workload when its CMD has {framed_port}.
for name in "${!server_cmd[@]}"; do
    [ -z "${framed_cmd[$name]:-}" ] && [[ "${server_cmd[$name]}" == *"{framed_port}"* ]] &&
        framed_cmd[$name]=${server_cmd[$name]}
done

IFS=, read -r -a server_list <<<"$servers"
IFS=, read -r -a workload_list <<<"$workloads"
for s in "${server_list[@]}"; do
    [ -n "${server_cmd[$s]:-}" ] || die "unknown server '$s' (native, sockets, c, or one given with --server)"
    if [ "$s" = native ] || [ "$s" = sockets ]; then
        if [[ "${server_cmd[$s]}" == *"$(q "$dll")"* ]] && [ ! -f "$dll" ]; then
            die "$dll not found: run bench/build.sh (or pass --servers c to measure the C server alone)"
        fi
    fi
done
for w in "${workload_list[@]}"; do
    case "$w" in pingpong|hold|burst|framed) ;; *) die "unknown workload '$w' (pingpong, hold, burst, framed)" ;; esac
done
framed_skipped=()
if [[ ",$workloads," == *",framed,"* ]]; then
    framed_servers=0
    for s in "${server_list[@]}"; do
        if [ -n "${framed_cmd[$s]:-}" ]; then framed_servers=$((framed_servers + 1)); else framed_skipped+=("$s"); fi
    done
    [ "$framed_servers" -gt 0 ] || [ ${#workload_list[@]} -gt 1 ] ||
        die "no server for the framed workload (native, sockets, or a --server whose CMD has {framed_port})"
fi

# ------------------------------------------------------------ process control ---

SERVER_PID=""
CLIENT_PID=""

alive() { # alive PID: the process exists and is not a zombie
    local st
    st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
    [ -n "$st" ] && [ "$st" != Z ]
}

stop_server() {
    [ -n "$SERVER_PID" ] || return 0
    local pid=$SERVER_PID i
    if alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null
        for i in $(seq 100); do alive "$pid" || break; sleep 0.1; done
        if alive "$pid"; then
            echo "transport.sh: server $pid ignored SIGTERM for 10 s; killing it" >&2
            kill -KILL "$pid" 2>/dev/null
        fi
    fi
    wait "$pid" 2>/dev/null
    SERVER_PID=""
}

cleanup() {
    if [ -n "$CLIENT_PID" ]; then kill -TERM "$CLIENT_PID" 2>/dev/null; wait "$CLIENT_PID" 2>/dev/null; fi
    CLIENT_PID=""
    stop_server
}
trap cleanup EXIT
trap 'echo "transport.sh: interrupted" >&2; exit 130' INT
trap 'exit 143' TERM

# A port below the ephemeral range that no socket (listening, connected or TIME_WAIT) uses.
port_cursor=$((20000 + RANDOM % 10000))
PORT=""
next_port() {
    local p
    while :; do
        p=$port_cursor
        port_cursor=$((port_cursor + 1))
        [ "$port_cursor" -lt 32000 ] || port_cursor=20000
        if command -v ss >/dev/null; then
            [ -z "$(ss -Htan state all "( sport = :$p or dport = :$p )" 2>/dev/null)" ] || continue
        else
            (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
        fi
        PORT=$p
        return
    done
}

# start_server NAME LOG [CMD]: starts a fresh server (CMD, default: the server's command) on a
# fresh port, and on a second one when CMD has {framed_port}; sets SERVER_PID, PORT, FRAMED_PORT.
FRAMED_PORT=""
start_server() {
    local name=$1 log=$2 template=${3:-${server_cmd[$1]}} attempt cmd p
    for attempt in 1 2 3; do
        next_port
        cmd=${template//\{port\}/$PORT}
        FRAMED_PORT=""
        if [[ "$cmd" == *"{framed_port}"* ]]; then
            p=$PORT
            next_port
            FRAMED_PORT=$PORT
            PORT=$p
            cmd=${cmd//\{framed_port\}/$FRAMED_PORT}
        fi
        echo "\$ taskset -c $server_cpu bash -c '$cmd'" >>"$log"
        (cd "$root" && exec taskset -c "$server_cpu" bash -c "$cmd") >>"$log" 2>&1 &
        SERVER_PID=$!
        if taskset -c "$client_cpu" "$loadgen" wait --port "$PORT" --pid "$SERVER_PID" --timeout 60 2>>"$log" &&
            { [ -z "$FRAMED_PORT" ] ||
              taskset -c "$client_cpu" "$loadgen" wait --port "$FRAMED_PORT" --pid "$SERVER_PID" --timeout 60 2>>"$log"; }; then
            return 0
        fi
        stop_server
        echo "transport.sh: $name did not start on port $PORT${FRAMED_PORT:+ and $FRAMED_PORT} (attempt $attempt); see $log" >&2
    done
    return 1
}

# run_client OUTFILE ARGS...: runs loadgen on the client CPU; returns its exit status.
run_client() {
    local outfile=$1 rc
    shift
    taskset -c "$client_cpu" "$loadgen" "$@" >"$outfile" 2>&1 &
    CLIENT_PID=$!
    wait "$CLIENT_PID"
    rc=$?
    CLIENT_PID=""
    return $rc
}

# ------------------------------------------------------------------ machine ---

stamp=$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
results="$out/results-$stamp.txt"
logs="$out/logs-$stamp"
mkdir -p "$logs"

machine_info() {
    local model dn rev
    model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
    dn=$("$DOTNET" --version 2>/dev/null || echo "not found")
    rev=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "?")
    [ -z "$(git -C "$root" status --porcelain 2>/dev/null)" ] || rev="$rev (with uncommitted changes)"
    echo "EchoHost transport benchmark, $(date -Is)"
    echo "machine:  nproc=$(nproc) ($ncpu online), CPU: ${model:-unknown}"
    echo "kernel:   $(uname -sr); somaxconn=$(cat /proc/sys/net/core/somaxconn 2>/dev/null)" \
         "tcp_max_syn_backlog=$(cat /proc/sys/net/ipv4/tcp_max_syn_backlog 2>/dev/null)" \
         "syncookies=$(cat /proc/sys/net/ipv4/tcp_syncookies 2>/dev/null)" \
         "ephemeral=$(tr '\t' - </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)" \
         "nofile=$(ulimit -Sn)/$(ulimit -Hn)"
    echo "dotnet:   $dn; EchoHost.dll: $( [ -f "$dll" ] && date -r "$dll" -Is || echo absent)"
    echo "repo:     $rev"
    echo "pinning:  server on CPU $server_cpu, client on CPU $client_cpu"
    echo "run:      rounds=$rounds workloads=$workloads servers=$servers duration=${duration}s"`
         `" warmup=${warmup}s connections=$connections size=$size idle_connections=$idle_connections"`
         `" hold=${hold_seconds}s burst_clients=$burst_clients burst_size=$burst_size"
    if [[ ",$workloads," == *",framed,"* ]]; then
        echo "framed:   Echo requests of size=$size Data bytes (frames of $((size + 23)) bytes), pipeline=$pipeline"`
             `"${framed_skipped[*]:+; no framed endpoint, skipped: ${framed_skipped[*]}}"
    fi
    echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min before the run)"
    for s in "${server_list[@]}"; do echo "server:   $s = ${server_cmd[$s]}"; done
    if [[ ",$workloads," == *",framed,"* ]]; then
        for s in "${server_list[@]}"; do
            [ -z "${framed_cmd[$s]:-}" ] || echo "server:   $s (framed workload) = ${framed_cmd[$s]}"
        done
    fi
}
machine_info >"$logs/machine.txt"
cat "$logs/machine.txt"
sed 's/^/# /' "$logs/machine.txt" >"$results"
load1=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$load1" 'BEGIN { exit !(l > 0.5) }'; then
    echo "warning: load average $load1: something else is running; results will be noisy"
    echo "# warning: load average $load1 before the run" >>"$results"
fi
echo "results:  $results"
echo

# ------------------------------------------------------------------- rounds ---

failed_runs=0
nservers=${#server_list[@]}

# one_run ROUND SERVER WORKLOAD [CMD]: starts SERVER fresh (with CMD when given), runs loadgen
# for WORKLOAD (pingpong, hold, burst; raw or framed for the framed workload), records the result.
one_run() {
    local r=$1 s=$2 w=$3 template=${4:-} log tmp args rc server_ok line human status
    log="$logs/r$r-$w-$s.log"
    tmp="$logs/r$r-$w-$s.out"
    if ! start_server "$s" "$log" "$template"; then
        echo "round=$r server=$s workload=$w status=server_failed_to_start" >>"$results"
        failed_runs=$((failed_runs + 1))
        return
    fi
    case "$w" in
        pingpong|raw)
                  args=(pingpong --port "$PORT" --pid "$SERVER_PID" --connections "$connections"
                        --size "$size" --warmup "$warmup" --duration "$duration") ;;
        framed)   args=(framed --port "$FRAMED_PORT" --pid "$SERVER_PID" --connections "$connections"
                        --size "$size" --pipeline "$pipeline" --warmup "$warmup" --duration "$duration") ;;
        hold)     args=(hold --port "$PORT" --pid "$SERVER_PID" --connections "$idle_connections"
                        --warmup "$warmup" --hold "$hold_seconds") ;;
        burst)    args=(burst --port "$PORT" --clients "$burst_clients" --size "$burst_size"
                        --warmup "$warmup" --timeout "$burst_timeout") ;;
    esac
    run_client "$tmp" "${args[@]}"
    rc=$?
    server_ok=1
    alive "$SERVER_PID" || server_ok=0
    stop_server
    line=$(grep -m1 '^result ' "$tmp" | sed 's/^result //')
    human=$(grep -m1 '^# ' "$tmp" | sed 's/^# //')
    # the raw half of the framed workload is a pingpong run: it is recorded as workload=raw
    [ "$w" != raw ] || line=${line/workload=pingpong/workload=raw}
    if [ -z "$line" ]; then
        echo "round=$r server=$s workload=$w status=client_failed rc=$rc" >>"$results"
        echo "[round $r/$rounds] $w $s: the client failed (rc=$rc): $(tail -n 3 "$tmp" | tr '\n' ' ')" >&2
        failed_runs=$((failed_runs + 1))
    else
        status=ok
        [ "$rc" = 0 ] || status=errors
        [ "$server_ok" = 1 ] || status=server_died
        [ "$status" = ok ] || failed_runs=$((failed_runs + 1))
        echo "round=$r server=$s port=$PORT status=$status $line" >>"$results"
        printf '[round %s/%s] %-8s %-8s %s%s\n' "$r" "$rounds" "$w" "$s" "$human" \
            "$([ "$status" = ok ] || echo " [$status]")"
        # the client's own diagnostics (e.g. where mismatching bytes came from)
        grep '^loadgen: ' "$tmp" | head -n 4 | sed 's/^/    /' >&2
    fi
    sleep "$pause"
}

[ ${#framed_skipped[@]} = 0 ] || echo "note: the framed workload skips ${framed_skipped[*]} (no framed endpoint)"
for r in $(seq "$rounds"); do
    for w in "${workload_list[@]}"; do
        for k in $(seq 0 $((nservers - 1))); do
            # rotate the order each round (A B C, B C A, ...) so no server always goes first
            s=${server_list[$(((k + r - 1) % nservers))]}
            if [ "$w" = framed ]; then
                [ -n "${framed_cmd[$s]:-}" ] || continue
                # raw and framed take turns: raw first in odd rounds, framed first in even ones
                if [ $((r % 2)) = 1 ]; then halves=(raw framed); else halves=(framed raw); fi
                for h in "${halves[@]}"; do one_run "$r" "$s" "$h" "${framed_cmd[$s]}"; done
            else
                one_run "$r" "$s" "$w"
            fi
        done
    done
done

echo
table=$(report "$results")
echo "$table"
{ echo "#"; sed 's/^/# /' <<<"$table"; } >>"$results"
echo
echo "raw results: $results (bench/transport.sh --report $results reprints the table)"
echo "server logs: $logs/"
[ "$failed_runs" = 0 ] || { echo "warning: $failed_runs run(s) had errors, see the status= fields" >&2; exit 1; }
