# kofukin: cgo build (DuckDB is linked statically from go-duckdb) on a Debian Go image,
# run on a glibc image with libstdc++, as a non-root user, the database and outputs on a volume.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -o /out/kofukin ./cmd/kofukin

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libstdc++6 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /data kofukin \
    && mkdir -p /data/inbox /data/out /data/quarantine && chown -R kofukin /data
COPY --from=build /out/kofukin /usr/local/bin/kofukin
USER kofukin
WORKDIR /data
VOLUME /data
ENV KOFUKIN_DB=/data/kofukin.duckdb KOFUKIN_OUT=/data/out KOFUKIN_INBOX=/data/inbox \
    KOFUKIN_QUARANTINE=/data/quarantine KOFUKIN_LISTEN=:8080 TZ=Asia/Tokyo
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s CMD ["kofukin", "healthcheck"]
ENTRYPOINT ["kofukin"]
CMD ["serve"]
