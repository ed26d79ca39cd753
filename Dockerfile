# syntax=docker/dockerfile:1
# Multi-stage build: a static scamblock binary on a minimal, non-root image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/scamblock ./cmd/scamblock \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/scamblock /usr/local/bin/scamblock
COPY --from=build --chown=nonroot:nonroot /out/data /var/lib/scamblock
USER nonroot:nonroot
WORKDIR /var/lib/scamblock
# DNS on 5335 (unprivileged; map host port 53 to it), HTTP API and metrics on 8335.
EXPOSE 5335/udp 5335/tcp 8335/tcp
ENTRYPOINT ["/usr/local/bin/scamblock"]
CMD ["serve", "--dns-listen", "0.0.0.0:5335", "--http-listen", "0.0.0.0:8335", "--data-dir", "/var/lib/scamblock"]
