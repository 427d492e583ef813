# EchoHost in a container: compiled ahead of time into one native executable (NativeAOT) with the .NET SDK, and run on
# Microsoft's runtime-deps image (the C libraries a .NET program needs, no .NET runtime) as a non-root user.
#   docker build -t echohost .
#   docker run --rm -p 1512:1512 -p 1513:1513 -p 9464:9464 echohost
# (podman: build with --format docker, which keeps the HEALTHCHECK; without a registry: deploy/container/build-local-image.sh.)
# Configuration as anywhere else, e.g. -e EchoHost__Transport=Sockets or a command-line argument after the image name.
# The JIT build (dotnet EchoHost.dll on the ASP.NET Core runtime image): deploy/container/jit.Dockerfile.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
# The native compiler links with clang and zlib's headers, Debian's packages (the SDK image is Debian).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends clang zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /source
# Project files first, so that the restore layer is reused until they change.
COPY global.json Directory.Build.props appsettings.json ./
COPY src/Transport.Native/Transport.Native.csproj src/Transport.Native/
COPY src/Protocol/Protocol.csproj src/Protocol/
COPY src/EchoHost/EchoHost.csproj src/EchoHost/NativeAot.props src/EchoHost/
RUN dotnet restore src/EchoHost/EchoHost.csproj -r linux-x64 -p:PublishAot=true
COPY src/ src/
# The executable and appsettings.json; the debugging symbols (EchoHost.dbg) stay in the build stage.
RUN dotnet publish src/EchoHost/EchoHost.csproj -c Release -r linux-x64 -p:PublishAot=true --no-restore -o /publish \
 && mkdir /app && cp /publish/EchoHost /publish/appsettings.json /app/

FROM mcr.microsoft.com/dotnet/runtime-deps:10.0
WORKDIR /app
COPY --from=build /app ./
# The base image points Kestrel at port 8080; EchoHost's endpoints come from its own configuration instead.
ENV ASPNETCORE_HTTP_PORTS=
# The image's unprivileged "app" user.
USER $APP_UID
EXPOSE 1512 1513 9464
# Alive when /healthz answers 200 on the http endpoint's default port. The runtime image has no HTTP client, so the
# shell's own TCP redirection asks; a container that moves the http endpoint must override this check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9464 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
# SIGTERM drains: GoAway to framed clients, every request read answered, within EchoHost:ShutdownTimeout (30 s);
# give `docker stop` a longer --time (or stop_grace_period) than that.
STOPSIGNAL SIGTERM
ENTRYPOINT ["./EchoHost"]
