#!/usr/bin/env bash
# Runs the whole test suite: installs what the tests need when it is missing, builds, tests, and prints a summary.
# Exits non-zero when a test fails.
set -euo pipefail
cd "$(dirname "$0")"

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

# Tools the tests run: prlimit (util-linux), kill (procps), python3 (a launcher that plays systemd's journal) and Wine
# (wine, wine64, which runs the service's Windows build to test the IOCP engine) for the end-to-end tests, gcc for
# the transport's and the end-to-end tests' C helpers, promtool and the prometheus server (prometheus) for the
# metrics', chromium for the load generator's report, systemd-socket-activate and systemd-analyze (systemd) and
# plistutil (libplist-utils) for the service managers', openssl for the TLS tests' certificates and their s_client,
# podman with runc and debootstrap for the container image's (deploy/container/build-local-image.sh builds it and its
# base images), haproxy and nginx with its stream module (libnginx-mod-stream) for the tests of several instances
# behind a load balancer speaking the PROXY protocol.
missing=()
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v prlimit >/dev/null 2>&1 || missing+=(util-linux)
[[ -x /usr/bin/kill || -x /bin/kill ]] || missing+=(procps)
{ command -v promtool && command -v prometheus; } >/dev/null 2>&1 || missing+=(prometheus)
{ command -v systemd-socket-activate && command -v systemd-analyze; } >/dev/null 2>&1 || missing+=(systemd)
command -v plistutil >/dev/null 2>&1 || missing+=(libplist-utils)
command -v podman >/dev/null 2>&1 || missing+=(podman)
command -v runc >/dev/null 2>&1 || missing+=(runc)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
command -v nginx >/dev/null 2>&1 || missing+=(nginx)
[[ -f /usr/lib/nginx/modules/ngx_stream_module.so ]] || missing+=(libnginx-mod-stream)
# The compiler and C headers the transport tests build their kqueue emulation with (kqueue_shim.c), and the end-to-end
# tests their launcher under a seccomp filter that refuses io_uring (refuse_io_uring.c).
if ! command -v gcc >/dev/null 2>&1; then
  missing+=(gcc libc6-dev)
elif ! printf '#include <sys/epoll.h>\n' | gcc -E -x c - >/dev/null 2>&1; then
  missing+=(libc6-dev)
fi
{ command -v wine && command -v wineserver && [[ -x /usr/lib/wine/wine64 ]]; } >/dev/null 2>&1 || missing+=(wine wine64)
# The native build the end-to-end tests also run (NativeAOT): its compiler links with clang, against zlib.
command -v clang >/dev/null 2>&1 || missing+=(clang)
[[ -f /usr/include/zlib.h ]] || missing+=(zlib1g-dev)
# A real browser for the benchmark report's page and the status page; wrk for the load generator's HTTP runs.
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
# Node.js and npm, for wscat: the WebSocket tests' command-line client, the tool users test echo servers with.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "test.sh: the tests need ${missing[*]}; install them (as root: apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi

# wscat comes from npm, not Debian; installed globally like the apt tools, pinned so every run tests the same client.
if ! command -v wscat >/dev/null 2>&1; then
  echo "test.sh: installing wscat from npm"
  npm install --global --no-audit --no-fund --loglevel=error wscat@6.1.0 >/dev/null
fi

results="TestResults/$(date -u +%Y%m%dT%H%M%SZ)"
status=0
# A hung test is reported and its test host stopped (without a memory dump) rather than holding the run until CI
# gives up.
dotnet test EchoHost.sln -c Release \
  --logger "console;verbosity=normal" --logger trx --results-directory "$results" \
  --blame-hang-timeout 15m --blame-hang-dump-type none || status=$?

# One closing line for the whole run, summed over the test assemblies' result files.
count() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
passed=0 failed=0 skipped=0
shopt -s nullglob
for trx in "$results"/*.trx; do
  counters=$(grep -o '<Counters [^>]*>' "$trx" || true)
  passed=$((passed + $(count passed)))
  failed=$((failed + $(count failed)))
  skipped=$((skipped + $(count notExecuted)))
done
echo
# The failed tests by name with the first lines of their message, last, where a log's tail shows them.
for trx in "$results"/*.trx; do
  python3 - "$trx" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for r in ET.parse(sys.argv[1]).getroot().iterfind(".//t:UnitTestResult[@outcome='Failed']", ns):
    message = r.find("t:Output/t:ErrorInfo/t:Message", ns)
    lines = [l.strip() for l in (message.text or "").splitlines() if l.strip()] if message is not None else []
    print(f"FAILED {r.get('testName')}: {' | '.join(lines[:4])}"[:800])
PY
done
echo "tests: $passed passed, $failed failed, $skipped skipped"
# The container image's size and the native build's publish time, which their tests write to their output
# (tests/EndToEnd.Tests).
if compgen -G "$results/*.trx" >/dev/null; then
  grep -ho 'image size: [^&<]*' "$results"/*.trx | sort -u | sed 's/^/container /' || true
  grep -ho 'native build: [^&<]*' "$results"/*.trx | sort -u || true
fi

if ((status == 0 && failed > 0)); then status=1; fi
exit "$status"
