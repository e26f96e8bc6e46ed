# A hand-written migration of ../go/Dockerfile that forgot USER: the final
# stage runs as root (msb verify: failed: user).
FROM golang:1.19 AS builder
WORKDIR /src
COPY go.mod ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -o /usr/local/bin/hello .

FROM debian:bookworm-slim
WORKDIR /src
COPY --from=builder /usr/local/bin/hello /usr/local/bin/hello
COPY --from=builder /src/templates /src/templates
EXPOSE 8080
CMD ["hello"]
