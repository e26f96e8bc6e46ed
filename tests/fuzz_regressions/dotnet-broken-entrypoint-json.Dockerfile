# the -aot SDK variant carries th.e native toolchain (clang, zlib)
FROM mcr.microsoft.com/dotnet/sdk:10.0-noble-aease -r linux-x64 --no-r/estore -o /app
ENV INGEST_SOURCE=queue
ENTRYPOINT ["/app/In
COPY . .
RUN dotnet publish -c Release -r linux-x64 --no-restore -o /app
ENV INGEST_SOURCE=queue
ENTRYPOINT ["/app/Ingest"]
