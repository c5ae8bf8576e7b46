# syntax=docker/dockerfile:1
#
# The image the Helm chart (helm/entitlements) runs by default:
#   docker build -t registry.example.com/entitlements:0.1.0 .
#
# Two stages: the Rust toolchain builds the release binary; the runtime is distroless
# (glibc, libgcc, libssl, CA certificates; no shell, no package manager) and runs as the
# non-root user 65532, which the chart's securityContext also names.

ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-slim-bookworm AS builder
# pkg-config and the OpenSSL headers, for a dependency that links the system OpenSSL; the
# runtime image ships libssl3 to match. protoc is not needed: build.rs compiles the protos
# with protox. The image's gcc (rustc links with it) also compiles mimalloc, the allocator.
RUN apt-get update \
 && apt-get install -y --no-install-recommends pkg-config libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# No database at build time: sqlx's compile-time checks, if any appear, must use the
# committed .sqlx data. (Today only migrate!() is used, which reads migrations/.)
ENV SQLX_OFFLINE=true
# The whole source tree (see .dockerignore): Cargo.toml names benches and examples, and
# the migrations are embedded into the binary at compile time.
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked --bin entitlements \
 && install -D -m 0755 target/release/entitlements /out/entitlements

# Debian 12 (bookworm) on both sides, so the glibc the binary was linked against is there.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=builder /out/entitlements /usr/local/bin/entitlements
USER 65532:65532
EXPOSE 50051
# Listen on every interface inside the container (the binary's own default is loopback);
# JSON logs for log collectors. Without mTLS the server also wants
# ENTITLEMENTS_INSECURE_ALLOW_REMOTE=true for a non-loopback listener: the chart sets it,
# `docker run` users pass it with -e, deliberately.
ENV ENTITLEMENTS_LISTEN=0.0.0.0:50051 \
    ENTITLEMENTS_LOG_FORMAT=json
# For `docker run`; Kubernetes ignores it and uses the chart's probes.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s \
    CMD ["/usr/local/bin/entitlements", "health"]
ENTRYPOINT ["/usr/local/bin/entitlements"]
CMD ["serve"]
