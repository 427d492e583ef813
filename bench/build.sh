#!/usr/bin/env bash
# Builds what bench/compare.sh runs, installing what is missing from Debian (apt-get, as root):
#   bench/out/echo_server, bench/out/loadgen   (gcc -O2, from bench/c/)
#   bench/out/echo-go                          (go build, from bench/peers/go/)
#   bench/peers/python/echo_server.py          (needs python3)
#   wrk, taskset, strace                       (for the HTTP scenarios, the pinning, bench/syscalls.sh)
#   src/LoadGen/bin/Release/net10.0/echohost-load.dll  (dotnet build -c Release)
#   src/EchoHost/bin/Release/net10.0/EchoHost.dll      (dotnet build -c Release)
#   bench/Plaintext/bin/Release/net10.0/Plaintext.dll  (the HTTP scenarios' Kestrel application)
#
# Usage: bench/build.sh [--c-only] [--require-service]
#   --c-only           build the C tools only (no installs, no .NET)
#   --require-service  fail when src/EchoHost cannot be built (default: warn and go on,
#                      so that the peers can be benchmarked on their own)
# Environment: CC (gcc), CFLAGS (-O2 -Wall -Wextra), DOTNET (dotnet), GO (go).
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
        -h|--help) sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done

CC=${CC:-gcc}
CFLAGS=${CFLAGS:--O2 -Wall -Wextra}
DOTNET=${DOTNET:-dotnet}
GO=${GO:-go}

# install_missing COMMAND=PACKAGE...: apt-get installs the packages whose command is missing.
install_missing() {
    local pair missing=()
    for pair in "$@"; do
        command -v "${pair%%=*}" >/dev/null || missing+=("${pair#*=}")
    done
    [ ${#missing[@]} = 0 ] && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "build.sh: installing ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "build.sh: missing ${missing[*]}; install them (as root: apt-get install ${missing[*]})" >&2
        exit 1
    fi
}

# strace: bench/syscalls.sh counts the engines' system calls with it.
[ "$c_only" = 1 ] || install_missing "$CC=gcc" "$GO=golang-go" python3=python3 wrk=wrk taskset=util-linux strace=strace

command -v "$CC" >/dev/null || { echo "build.sh: $CC not found (apt-get install gcc)" >&2; exit 1; }
mkdir -p "$out"
for tool in echo_server loadgen; do
    # shellcheck disable=SC2086 # CFLAGS is a list of flags
    "$CC" $CFLAGS -o "$out/$tool" "$bench/c/$tool.c"
    echo "built $out/$tool"
done

[ "$c_only" = 1 ] && exit 0

# Go keeps its build cache under $HOME; give it one inside bench/out when there is none.
[ -n "${HOME:-}" ] && [ -d "$HOME" ] || export GOCACHE="$out/go-cache"
(cd "$bench/peers/go" && GO111MODULE=off "$GO" build -o "$out/echo-go" echo_server.go)
echo "built $out/echo-go"

echo "building src/LoadGen (Release)"
"$DOTNET" build "$root/src/LoadGen" -c Release -nologo -v minimal
echo "built $root/src/LoadGen/bin/Release/net10.0/echohost-load.dll"

service_missing() {
    if [ "$require_service" = 1 ]; then
        echo "build.sh: $1" >&2
        exit 1
    fi
    echo "build.sh: warning: $1; only the peers can be benchmarked (bench/compare.sh --servers c,go,python)" >&2
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

# The plaintext application runs on the service's transport: it is built when the service is.
echo "building bench/Plaintext (Release)"
"$DOTNET" build "$bench/Plaintext" -c Release -nologo -v minimal ||
    service_missing "dotnet build bench/Plaintext -c Release failed"
echo "built $bench/Plaintext/bin/Release/net10.0/Plaintext.dll"
