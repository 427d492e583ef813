# EchoHost in a container: built with the .NET SDK, run on the ASP.NET Core runtime as a non-root user.
#   docker build -t echohost .
#   docker run --rm -p 1512:1512 -p 1513:1513 -p 9464:9464 echohost
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
ENTRYPOINT ["dotnet", "EchoHost.dll"]
