# msb's own image: built on the Rust image, run on distroless cc of the
# same Debian release (trixie: the glibc the binary was linked against),
# as its non-root user. `msb migrate --check` leaves this file unchanged.
#
#   docker build -t msb .
#   docker run --rm -v "$PWD:/work" -w /work msb migrate --check .
#
# The image has no git: `--git-commit` needs msb installed beside git.
# Cargo.lock's crates need a recent rustc (1.88 or newer, as rust:1-trixie
# has); RUST_IMAGE names another trixie builder with cargo on its PATH.
ARG RUST_IMAGE=rust:1-trixie

FROM ${RUST_IMAGE} AS builder
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY src src
COPY transforms transforms
RUN cargo build --release --locked \
    && cp target/release/msb /usr/local/bin/msb

FROM gcr.io/distroless/cc-debian13:nonroot
COPY --from=builder /usr/local/bin/msb /usr/local/bin/msb
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/msb"]
CMD ["migrate", "--check", "."]
