#!/usr/bin/env bash
# Builds what bench/transport.sh runs:
#   bench/out/echo_server, bench/out/loadgen   (gcc -O2, from bench/c/)
#   src/EchoHost/bin/Release/net10.0/EchoHost.dll   (dotnet build -c Release)
#
# Usage: bench/build.sh [--c-only] [--require-service]
#   --c-only           build the C tools only
#   --require-service  fail when src/EchoHost cannot be built (default: warn and go on,
#                      so that the C reference can be benchmarked on its own)
# Environment: CC (gcc), CFLAGS (-O2 -Wall -Wextra), DOTNET (dotnet).
set -euo pipefail

bench=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$bench/.." && pwd)
out="$bench/out"

c_only=0
require_service=0
for arg in "$@"; do
    case "$arg" in
        --c-only) c_only=1 ;;
        --require-service) require_service=1 ;;
        -h|--help) sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done

CC=${CC:-gcc}
CFLAGS=${CFLAGS:--O2 -Wall -Wextra}
DOTNET=${DOTNET:-dotnet}

command -v "$CC" >/dev/null || { echo "build.sh: $CC not found (apt-get install gcc)" >&2; exit 1; }
mkdir -p "$out"
for tool in echo_server loadgen; do
    # shellcheck disable=SC2086 # CFLAGS is a list of flags
    "$CC" $CFLAGS -o "$out/$tool" "$bench/c/$tool.c"
    echo "built $out/$tool"
done

[ "$c_only" = 1 ] && exit 0

service_missing() {
    if [ "$require_service" = 1 ]; then
        echo "build.sh: $1" >&2
        exit 1
    fi
    echo "build.sh: warning: $1; only the C server can be benchmarked (bench/transport.sh --servers c)" >&2
    exit 0
}

shopt -s nullglob
projects=("$root"/src/EchoHost/*.csproj)
shopt -u nullglob
[ ${#projects[@]} -gt 0 ] || service_missing "src/EchoHost has no project yet"
command -v "$DOTNET" >/dev/null || service_missing "$DOTNET not found"

echo "building src/EchoHost (Release)"
"$DOTNET" build "$root/src/EchoHost" -c Release -nologo -v minimal ||
    service_missing "dotnet build src/EchoHost -c Release failed"

dll="$root/src/EchoHost/bin/Release/net10.0/EchoHost.dll"
[ -f "$dll" ] || service_missing "the build did not produce $dll"
echo "built $dll"
