#!/usr/bin/env bash
# bench/native-aot.sh: EchoHost's native build (NativeAOT) beside its JIT build, in one run.
#   1. Start-up and idle memory (bench/startup.py): exec -> READY=1 and RSS at rest with the three shipped endpoints
#      (on loopback, port 0), 20 starts of each build taking turns, the service pinned to CPU 0.
#   2. bench/compare.sh with the native build as one more server, "native-aot" (native transport, as shipped), beside
#      "native" (the JIT build on the same transport) and the peers: held connections, echo, framed and HTTP.
#
# Usage: bench/native-aot.sh [--starts N] [compare.sh options]
#   compare options when none are given: --servers native,native-aot,c,go,python --baseline native
#                            --scenarios hold,pingpong-64,rtt,framed-64,http-healthz
# Build first: bench/build.sh (the JIT build, the peers, echohost-load). This script publishes the native build into
# bench/out/echohost-aot (dotnet publish -r linux-x64 -p:PublishAot=true; clang and zlib1g-dev must be installed),
# or runs the one ECHOHOST_AOT names (e.g. TestResults/native-aot/app/EchoHost, which the end-to-end tests published).
set -euo pipefail

bench=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$bench/.." && pwd)
DOTNET=${DOTNET:-dotnet}
aot="$bench/out/echohost-aot"
jit_dll="$root/src/EchoHost/bin/Release/net10.0/EchoHost.dll"

case "${1:-}" in -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;; esac
starts=20
if [ "${1:-}" = --starts ]; then starts=$2; shift 2; fi
[ -f "$jit_dll" ] || { echo "native-aot.sh: $jit_dll missing: run bench/build.sh" >&2; exit 2; }

if [ -n "${ECHOHOST_AOT:-}" ]; then
    aot=$(dirname "$ECHOHOST_AOT")
    [ -x "$aot/EchoHost" ] || { echo "native-aot.sh: ECHOHOST_AOT=$ECHOHOST_AOT is not an executable EchoHost" >&2; exit 2; }
    echo "native-aot.sh: the native build at $aot/EchoHost"
else
    echo "native-aot.sh: publishing the native build into $aot"
    mkdir -p "$bench/out"
    began=$(date +%s)
    "$DOTNET" publish "$root/src/EchoHost/EchoHost.csproj" -c Release -r linux-x64 -p:PublishAot=true -nologo \
        -o "$aot" --artifacts-path "$bench/out/echohost-aot-build" >"$bench/out/echohost-aot-publish.log" 2>&1 \
        || { tail -n 30 "$bench/out/echohost-aot-publish.log" >&2; exit 1; }
    echo "native-aot.sh: published in $(($(date +%s) - began)) s"
fi
echo "native-aot.sh: executable $(stat -c %s "$aot/EchoHost") bytes"

loopback="--EchoHost:Endpoints:echo:Url=tcp://127.0.0.1:0 --EchoHost:Endpoints:framed:Url=tcp://127.0.0.1:0 --EchoHost:Endpoints:http:Url=http://127.0.0.1:0"
echo
python3 "$bench/startup.py" --starts "$starts" \
    "jit=exec taskset -c 0 $DOTNET '$jit_dll' $loopback" \
    "native-aot=exec taskset -c 0 '$aot/EchoHost' $loopback"

# The same command line as compare's "native" server (src/LoadGen/Compare/ServerSpec.cs), run by the native executable.
endpoints=" --EchoHost:Endpoints:echo:Url=tcp://127.0.0.1:{port} --EchoHost:Endpoints:echo:Protocol=echo"
endpoints+=" --EchoHost:Endpoints:framed:Url=tcp://127.0.0.1:{framed_port} --EchoHost:Endpoints:framed:Protocol=framed"
endpoints+=" --EchoHost:Endpoints:http:Url=http://127.0.0.1:{http_port} --Serilog:MinimumLevel:Default=Warning"
defaults=(--servers native,native-aot,c,go,python --baseline native --scenarios hold,pingpong-64,rtt,framed-64,http-healthz)
if (($#)); then options=("$@"); else options=("${defaults[@]}"); fi
echo
exec "$bench/compare.sh" --server "native-aot=exec '$aot/EchoHost'$endpoints --EchoHost:Transport=Native" "${options[@]}"
