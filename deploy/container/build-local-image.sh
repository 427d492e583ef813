#!/usr/bin/env bash
# Builds EchoHost's image from the repository's Dockerfile with podman, on a machine that cannot pull from a registry.
#
#   deploy/container/build-local-image.sh [STATE_DIR]      (as root; STATE_DIR defaults to TestResults/container)
#   . STATE_DIR/podman.env && podman run --rm -p 1512:1512 -p 1513:1513 -p 9464:9464 localhost/echohost:local
#
# Everything podman keeps (its configuration, images, containers) lives in STATE_DIR, apart from the machine's own.
# Microsoft's base images are replaced by local stand-ins tagged with the names the Dockerfile's FROM lines use: a
# Debian made with debootstrap from the mirror this machine's apt uses, and the runtime-deps (or ASP.NET Core runtime)
# and .NET SDK images on it from this machine's .NET installation (dotnet-standins.Containerfile). The Debian keeps
# its apt source, the same mirror, from which the Dockerfile's build stage installs what the native compiler links
# with (clang, zlib1g-dev). They are built once, and again only when what they are made of changes. The Dockerfile
# itself is unchanged: elsewhere it builds on Microsoft's images.
# The build restores from NuGet with the machine's CA bundle mounted read-only, so that a TLS-intercepting proxy
# trusted here is trusted in the build too; the bundle does not end up in the image.
#
# Environment: ECHOHOST_IMAGE (default localhost/echohost:local), CA_BUNDLE (default /etc/ssl/certs/ca-certificates.crt),
# DOCKERFILE (default the repository's Dockerfile, the native build; deploy/container/jit.Dockerfile is the JIT build).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
state=${1:-$repo/TestResults/container}
image=${ECHOHOST_IMAGE:-localhost/echohost:local}
ca_bundle=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
dockerfile=${DOCKERFILE:-$repo/Dockerfile}

fail() { echo "build-local-image.sh: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || fail "run it as root: debootstrap and podman's storage here need it"
for tool in podman runc debootstrap dotnet flock; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is missing (as root: apt-get install podman runc debootstrap; ./test.sh installs them)"
done
[[ -r $ca_bundle ]] || fail "no CA bundle at $ca_bundle (set CA_BUNDLE)"

mkdir -p "$state"
state=$(cd "$state" && pwd)
# Runs that share STATE_DIR take turns.
exec 9>"$state/lock"
flock 9

# crun refuses hybrid cgroup hierarchies, where runc works; podman's default ulimits are above what a process may set
# on some machines.
cat >"$state/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
tmp_dir = "$state/run/libpod"
EOF
cat >"$state/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$state/storage"
runroot = "$state/run/storage"
EOF
cat >"$state/podman.env" <<EOF
export CONTAINERS_CONF='$state/containers.conf' CONTAINERS_STORAGE_CONF='$state/storage.conf'
EOF
# shellcheck source=/dev/null
. "$state/podman.env"

# The images the Dockerfile builds on: its first FROM (the SDK) and its last (the runtime: runtime-deps for the native
# build, aspnet for the JIT build), each built from the stand-ins' stage of the same name.
mapfile -t from < <(sed -n 's/^FROM[[:space:]]\{1,\}\([^[:space:]]*\).*/\1/p' "$dockerfile")
((${#from[@]} >= 2)) || fail "the Dockerfile has no build stage and runtime stage FROM lines"
sdk_image=${from[0]}
runtime_image=${from[-1]}
runtime_stage=${runtime_image##*/}
runtime_stage=${runtime_stage%%:*}
[[ $runtime_stage == runtime-deps || $runtime_stage == aspnet ]] || fail "no stand-in for the runtime image $runtime_image"

dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[[ -n $suite ]] || fail "/etc/os-release names no release (VERSION_CODENAME) to bootstrap"
# What Microsoft's runtime-deps image adds to Debian: the libraries .NET loads (ICU and OpenSSL in the versions this
# machine's .NET uses), CA certificates and time zones.
libraries=$(dpkg-query -S '/usr/lib/*/libicuuc.so.*' '/usr/lib/*/libssl.so.*' | cut -d: -f1 | sort -u | paste -sd,)
packages=ca-certificates,tzdata,$libraries
# The stand-ins are built again when what they are made of changes: the .NET installation, the release, the recipe.
recipe=$( { dotnet --list-sdks; dotnet --list-runtimes; echo "$suite $packages"; cat "$here/dotnet-standins.Containerfile"; } | sha256sum | cut -c1-16)
label=org.echohost.standin.recipe
standins_current() {
  local tag
  for tag in "$sdk_image" "$runtime_image"; do
    [[ $(podman image inspect --format "{{index .Labels \"$label\"}}" "$tag" 2>/dev/null) == "$recipe" ]] || return 1
  done
}

# The Debian mirror of this machine's apt sources (one-line or deb822 format), for its own release.
debian_mirror() {
  local suite=$1
  shopt -s nullglob
  {
    sed -E 's/\[[^]]*\][[:space:]]*//' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
      | awk -v suite="$suite" '$1 == "deb" && $3 == suite { print $2 }'
    awk -v suite="$suite" 'BEGIN { RS = "" }
      { uri = ""; deb = 0; match_suite = 0
        n = split($0, lines, "\n")
        for (i = 1; i <= n; i++) {
          if (lines[i] ~ /^Types:/ && lines[i] ~ /[[:space:]]deb([[:space:]]|$)/) deb = 1
          if (lines[i] ~ /^URIs:/) { split(lines[i], f, /[[:space:]]+/); uri = f[2] }
          if (lines[i] ~ /^Suites:/ && (" " lines[i] " ") ~ (" " suite " ")) match_suite = 1
        }
        if (deb && match_suite && uri != "") print uri }' /etc/apt/sources.list.d/*.sources 2>/dev/null
  } | head -n 1
}

if ! standins_current; then
  mirror=$(debian_mirror "$suite")
  [[ -n $mirror ]] || fail "no apt source for $suite in /etc/apt/sources.list or /etc/apt/sources.list.d"
  base=localhost/echohost-standin/debian:$suite
  rootfs=$state/rootfs
  rm -rf "$rootfs"
  echo "build-local-image.sh: bootstrapping Debian $suite from $mirror"
  debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" >"$state/debootstrap.log" \
    || fail "debootstrap failed; see $state/debootstrap.log"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | podman import --quiet --change 'CMD ["bash"]' - "$base" >/dev/null
  rm -rf "$rootfs"

  echo "build-local-image.sh: building $runtime_image and $sdk_image from $dotnet_root"
  for stage in "$runtime_stage $runtime_image" "sdk $sdk_image"; do
    read -r target tag <<<"$stage"
    podman build --quiet --pull=never --format docker --target "$target" --build-arg "BASE=$base" \
      --label "$label=$recipe" -v "$dotnet_root:/host-dotnet:ro" \
      -f "$here/dotnet-standins.Containerfile" -t "$tag" "$here" >/dev/null
  done
  # What was built on the stand-ins they replace, layers cached for the Dockerfile included, is of no more use.
  podman image prune --force >/dev/null
fi

# HEALTHCHECK is kept only in Docker's image format.
echo "build-local-image.sh: building $image from $dockerfile"
podman build --pull=never --format docker -v "$ca_bundle:/etc/ssl/certs/ca-certificates.crt:ro" \
  -f "$dockerfile" -t "$image" "$repo" >"$state/build.log" 2>&1 \
  || { tail -n 40 "$state/build.log" >&2; fail "podman build failed; see $state/build.log"; }

echo "build-local-image.sh: $image, $(podman image inspect --format '{{.Size}}' "$image") bytes"
echo "build-local-image.sh: use it with: . $state/podman.env && podman run --rm -p 1512:1512 -p 1513:1513 -p 9464:9464 $image"
