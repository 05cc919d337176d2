# syntax=docker/dockerfile:1
#
# The worker and the starter (the operator commands) in one image
# (docker-compose.yml runs both). The benchmark, bench/, is a developer tool
# run from a checkout (go run ./bench) and is not built here.
# DuckDB is linked through cgo, so the binaries are built with CGO_ENABLED=1
# against glibc and run on the Debian release the builder is based on.
#
#   docker build -t clickstream .
#   docker run --rm clickstream worker --help

FROM golang:1.26-trixie AS build
WORKDIR /src
ENV CGO_ENABLED=1 GOTOOLCHAIN=local
# Modules first, so that a change to the code alone reuses this layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags="-s -w" -o /out/ ./worker ./starter

FROM debian:trixie-slim
# ca-certificates: TLS to Cloud Storage, BigQuery and Temporal Cloud.
# libstdc++6: DuckDB is C++.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libstdc++6 tzdata \
    && rm -rf /var/lib/apt/lists/*
# An unprivileged user owning the folders that docker-compose.yml mounts
# volumes on (a new named volume takes the owner of the folder it is mounted
# on): the DuckDB warehouse and the sample data for fake-gcs-server.
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/clickstream \
        --shell /usr/sbin/nologin clickstream \
    && mkdir -p /var/lib/clickstream /seed \
    && chown clickstream:clickstream /var/lib/clickstream /seed
COPY --from=build /out/worker /out/starter /usr/local/bin/
USER clickstream
WORKDIR /var/lib/clickstream
# Prometheus metrics, when metrics.address listens beyond 127.0.0.1.
EXPOSE 9464
CMD ["worker"]
