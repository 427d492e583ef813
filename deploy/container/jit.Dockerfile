# EchoHost's JIT build in a container: built with the .NET SDK, run by `dotnet EchoHost.dll` on the ASP.NET Core
# runtime as a non-root user. The repository's Dockerfile ships the native build instead (smaller, starts at once);
# this one is for what the JIT does better (steady-state throughput with dynamic PGO, docs/benchmarks.md) or for tools
# that attach to the runtime (dotnet-trace, dotnet-counters). From the repository's root:
#   docker build -f deploy/container/jit.Dockerfile -t echohost:jit .
#   docker run --rm -p 1512:1512 -p 1513:1513 -p 9464:9464 echohost:jit
# (podman: build with --format docker, which keeps the HEALTHCHECK; without a registry: deploy/container/build-local-image.sh.)
# Configuration as anywhere else, e.g. -e EchoHost__Transport=Sockets or a command-line argument after the image name.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /source
# Project files first, so that the restore layer is reused until they change.
COPY global.json Directory.Build.props appsettings.json ./
COPY src/Transport.Native/Transport.Native.csproj src/Transport.Native/
COPY src/Protocol/Protocol.csproj src/Protocol/
COPY src/EchoHost/EchoHost.csproj src/EchoHost/
RUN dotnet restore src/EchoHost/EchoHost.csproj
COPY src/ src/
RUN dotnet publish src/EchoHost/EchoHost.csproj -c Release --no-restore -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
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
ENTRYPOINT ["dotnet", "EchoHost.dll"]
