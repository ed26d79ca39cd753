# syntax=docker/dockerfile:1
# scamblock in a container: a static binary on distroless (no shell, no
# package manager), running as the image's nonroot user (65532), state on
# the /data volume. Build: docker build -t scamblock .
# Run: docker compose up -d (compose.yaml), or
#      docker run -d -p 53:5335/udp -p 53:5335/tcp -v scamblock-data:/data scamblock
#
# Base images are pinned by digest (multi-architecture indexes), so a build
# is reproducible and a moved tag cannot change it. To update, resolve the
# tag again and replace the digest:
#   docker buildx imagetools inspect golang:1.26-bookworm   (or: crane digest ...)
#   docker buildx imagetools inspect gcr.io/distroless/static-debian12:nonroot
# golang:1.26-bookworm resolved 2026-07-12; static-debian12:nonroot 2026-08-26.
FROM golang:1.26-bookworm@sha256:18aedc16aa19b3fd7ded7245fc14b109e054d65d22ed53c355c899582bbb2113 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/scamblock ./cmd/scamblock \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot@sha256:afa5c872c891853ca7fcf1f12c3edb23f7eeef36189728842dd51042ff57f7ab
COPY --from=build /out/scamblock /usr/local/bin/scamblock
# The volume's first contents (an empty directory owned by nonroot): a new
# named volume takes them, so the service can write its state there.
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
WORKDIR /data
VOLUME /data
# GOMEMLIMIT: set it below the container's memory limit (docker run
# --memory), or leave it: scamblock takes 90% of the cgroup limit itself.
# DNS on 5335 (unprivileged; publish host port 53 to it), HTTP API, /metrics
# and /readyz on 8335.
EXPOSE 5335/udp 5335/tcp 8335/tcp
# A real query and a readiness check against the running server: exit 0
# when it answers, 1 with the reason otherwise.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["/usr/local/bin/scamblock", "health", "--dns", "127.0.0.1:5335", "--http", "http://127.0.0.1:8335"]
ENTRYPOINT ["/usr/local/bin/scamblock"]
CMD ["serve", "--dns-listen", "0.0.0.0:5335", "--http-listen", "0.0.0.0:8335", "--data-dir", "/data"]
