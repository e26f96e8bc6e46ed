# A hand-written migration of ../rust/Dockerfile that copies a binary the
# build never makes (a typo in its name): it does not build (msb verify:
# failed: build, with the failing step).
FROM rust:1-bookworm AS builder
WORKDIR /usr/src/hello
COPY . .
RUN cargo build --release

FROM debian:bookworm-slim
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home app
WORKDIR /usr/src/hello
COPY --from=builder /usr/src/hello/target/release/helo /usr/src/hello/target/release/hello
COPY --from=builder /usr/src/hello/templates /usr/src/hello/templates
EXPOSE 8080
USER 10001:10001
CMD ["./target/release/hello"]
